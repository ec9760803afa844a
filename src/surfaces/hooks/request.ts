/** @module A hook's request and answer, and the small helpers every client's hook uses; loads nothing but types, so the hook process can start with it. */
import type { Engine } from '../../engine/context.ts';

/** The clients whose hooks Autopilot answers. */
export const HOOK_CLIENTS = ['claude', 'codex', 'cursor', 'git'] as const;

/** One client. */
export type HookClient = (typeof HOOK_CLIENTS)[number];

/** One hook event as the hook process received it, with what decides how it is answered. */
export interface HookRequest {
  readonly client: HookClient;
  readonly event: string;
  /** The arguments after the event (git: the commit message file; the remote's name and URL). */
  readonly args: readonly string[];
  /** Everything the client wrote on stdin: its hook JSON (git: pre-push's ref lines). */
  readonly stdin: string;
  /** The repository root: the folder that holds `.autopilot/config.yaml`. */
  readonly root: string;
  /** The hook process's working directory (git resolves the commit message file against it). */
  readonly cwd: string;
  /**
   * The hook process's AUTOPILOT_*, OTEL_* and CLAUDE_PROJECT_DIR variables: they choose the task, the store and
   * telemetry; and git's GIT_INDEX_FILE, the index a `git commit -a` or `git commit <paths>` is about to commit.
   */
  readonly env: Readonly<Record<string, string>>;
}

/** What the hook process prints and how it exits: the client reads the answer from these. */
export interface HookAnswer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** A client's hook JSON. */
export type Payload = Readonly<Record<string, unknown>>;

/** How one client's events are answered. */
export interface ClientHooks {
  /** Reads the client's input; throws when it is not what the client sends. */
  parse(req: HookRequest): Payload;
  /** Answers one event on an open engine. */
  handle(engine: Engine, req: HookRequest, payload: Payload): Promise<HookAnswer>;
  /**
   * The answer when Autopilot cannot decide (a broken config, a corrupt store, a
   * bug): a denial in the client's own terms, with `message` saying how to repair.
   */
  failClosed(req: HookRequest, payload: Payload | undefined, message: string): HookAnswer;
}

/** The environment variables a hook passes on: every other variable is the client's business. */
export function hookEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (
      v !== undefined &&
      (k.startsWith('AUTOPILOT_') || k.startsWith('OTEL_') || k === 'CLAUDE_PROJECT_DIR' || k === 'GIT_INDEX_FILE')
    )
      out[k] = v;
  }
  return out;
}

/** An answer that prints one JSON object. */
export function jsonAnswer(value: unknown, exitCode = 0, stderr = ''): HookAnswer {
  return { stdout: `${JSON.stringify(value)}\n`, stderr, exitCode };
}

/** Reads a JSON object from stdin; throws with what is wrong. */
export function parseJsonObject(stdin: string, client: string): Payload {
  let value: unknown;
  try {
    value = JSON.parse(stdin);
  } catch (err) {
    throw new Error(`the hook input is not the JSON ${client} sends (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`the hook input is not the JSON object ${client} sends`);
  return value as Payload;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The message of a hook that could not decide: what went wrong, that it denies, and how to repair. */
export function brokenMessage(root: string | undefined, reason: string): string {
  const where = root ? ` in ${root}` : '';
  return `Autopilot cannot check this (${reason.replace(/\.$/, '')}), so it denies until that is repaired. Run \`autopilot doctor\`${where} to see what is wrong and how to fix it.`;
}
