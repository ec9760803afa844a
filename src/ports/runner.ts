/** @module The command-runner port: how Autopilot runs build, test, lint and smoke commands. */

export interface RunRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The complete environment of the command; nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Output beyond this many bytes is cut, and the result says so. */
  readonly maxOutputBytes: number;
  /**
   * Files, relative to `cwd`, that the command writes and the caller reads back
   * (reports). They are removed before the command starts, so that a stale or
   * planted file never counts; their folders are made, since not every reporter
   * makes its own; and they stay writable in a read-only workspace.
   */
  readonly outputs?: readonly string[];
  /** Whether the command may reach the network; a sandbox cuts it off otherwise. */
  readonly network?: boolean;
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
  /** How it was isolated: 'none' (with the reason) when no sandbox was used. */
  readonly isolation: string;
  /**
   * The folder that stood for `cwd` while the command ran: `cwd` itself, or a
   * sandbox's scratch folder. Files the command wrote (its `outputs`) are read
   * from here, at their paths relative to `cwd`, until the result is released.
   */
  readonly workspace: string;
}

export interface CommandRunner {
  run(req: RunRequest): Promise<RunResult>;
  /** Frees the result's scratch workspace, when the runner made one; a runner without scratch folders need not have it. */
  release?(result: RunResult): Promise<void>;
}
