/** @module The command-runner port: how Autopilot runs build, test, lint and smoke commands. */

export interface RunRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The complete environment of the command; nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Output beyond this many bytes is cut, and the result says so. */
  readonly maxOutputBytes: number;
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** stdout and stderr interleaved as they arrived. */
  readonly output: string;
  readonly truncated: boolean;
  readonly durationMs: number;
  /** Why the command could not start (missing binary), when it could not. */
  readonly spawnError?: string;
  /** How it was isolated: 'none' until a sandbox is configured. */
  readonly isolation: string;
}

export interface CommandRunner {
  run(req: RunRequest): Promise<RunResult>;
}
