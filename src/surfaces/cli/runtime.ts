/** @module What every CLI verb shares: the engine it opens, the actor it acts as, how it reports. */
import { hostname, userInfo } from 'node:os';
import { ErrorCode, type Refusal } from '../../core/errors.ts';
import type { Actor, Engine } from '../../engine/context.ts';
import { openEngine, closeEngine } from '../../engine/context.ts';
import { openStoreFor, runnerFor, forgeFor, sinkFor } from '../compose.ts';

/** A verb's outcome: main prints it and turns it into the exit code. */
export type VerbResult =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly text: string;
      /** The verb wrote its output itself (ledger export's lines): nothing more goes to stdout, in either mode. */
      readonly streamed?: boolean;
      /** An exit code other than 0 for an outcome that is not a refusal (`alerts` exits 2 when one fires). */
      readonly exitCode?: number;
    }
  | { readonly ok: false; readonly error: Refusal; readonly text?: string };

export interface GlobalOptions {
  readonly json?: boolean;
  readonly holder?: string;
  readonly role?: string;
  readonly cwd?: string;
}

function username(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

/**
 * The role the command acts in: `--role`, else AUTOPILOT_ROLE; `reviewer` is the only one (a session that writes the
 * review rubric and nothing else); empty or `agent` is a working agent. Anything else is a usage error.
 */
export function resolveRole(opts: GlobalOptions): 'reviewer' | undefined {
  const [value, source] =
    opts.role !== undefined ? [opts.role, '--role'] : [process.env['AUTOPILOT_ROLE'], 'AUTOPILOT_ROLE'];
  if (value === undefined || value === '' || value === 'agent') return undefined;
  if (value === 'reviewer') return 'reviewer';
  if (value === 'person')
    throw new UsageError(
      `${source} cannot be person: a person's review is written in the dashboard (autopilot serve) and signed with their passkey`,
      source === '--role' ? 'role' : source,
    );
  throw new UsageError(
    `${source} must be reviewer (or agent, the default), got ${JSON.stringify(value.slice(0, 40))}`,
    source === '--role' ? 'role' : source,
  );
}

/** The person or agent at this terminal: AUTOPILOT_ACTOR, else cli:<user>; in the role {@link resolveRole} gives. */
export function cliActor(opts: GlobalOptions): Actor {
  const id = process.env['AUTOPILOT_ACTOR'] || `cli:${username()}`;
  const holder = opts.holder || process.env['AUTOPILOT_HOLDER'] || `${id}@${hostname()}`;
  const role = resolveRole(opts);
  return { id, holder, ...(role ? { role } : {}) };
}

export function cwdOf(opts: GlobalOptions): string {
  return opts.cwd ?? process.cwd();
}

/** Opens the engine for the repository around the working directory, runs `fn`, closes it. */
export async function withEngine(
  opts: GlobalOptions,
  fn: (engine: Engine, actor: Actor) => Promise<VerbResult>,
): Promise<VerbResult> {
  const e = await openEngine({
    cwd: cwdOf(opts),
    openStore: openStoreFor,
    makeSink: sinkFor,
    makeRunner: runnerFor,
    openForge: forgeFor,
  });
  try {
    return await fn(e, cliActor(opts));
  } finally {
    await closeEngine(e);
  }
}

export function done(value: unknown, text: string): VerbResult {
  return { ok: true, value, text };
}

/** Parses an integer option; undefined when absent. */
export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, got "${value}"`, name);
  return n;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly argument: string,
  ) {
    super(message);
  }
}

/**
 * Starts a server on 127.0.0.1:`port`; a port in use or not allowed is a usage
 * refusal naming `option` (the verb's port option), anything else is thrown.
 */
export async function listenOn<T>(
  port: number,
  option: string,
  start: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: Refusal }> {
  try {
    return { ok: true, value: await start() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    return {
      ok: false,
      error: {
        code: ErrorCode.USAGE,
        message: `cannot listen on 127.0.0.1:${port} (${code}); pick another port with --${option} PORT`,
        details: { argument: option },
      },
    };
  }
}

/** Waits until `server` closes; SIGINT and SIGTERM close it. */
export async function serveUntilClosed(server: { close(): unknown; readonly closed: Promise<unknown> }): Promise<void> {
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await server.closed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
