/** @module What every CLI verb shares: the engine it opens, the actor it acts as, how it reports. */
import { hostname, userInfo } from 'node:os';
import type { Refusal } from '../../core/errors.ts';
import type { Actor, Engine } from '../../engine/context.ts';
import { openEngine, closeEngine } from '../../engine/context.ts';
import { openStoreFor, runnerFor, sinkFor } from '../compose.ts';

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
  readonly cwd?: string;
}

function username(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

/** The person or agent at this terminal: AUTOPILOT_ACTOR, else cli:<user>. */
export function cliActor(opts: GlobalOptions): Actor {
  const id = process.env['AUTOPILOT_ACTOR'] || `cli:${username()}`;
  const holder = opts.holder || process.env['AUTOPILOT_HOLDER'] || `${id}@${hostname()}`;
  return { id, holder };
}

export function cwdOf(opts: GlobalOptions): string {
  return opts.cwd ?? process.cwd();
}

/** Opens the engine for the repository around the working directory, runs `fn`, closes it. */
export async function withEngine(opts: GlobalOptions, fn: (e: Engine, actor: Actor) => Promise<VerbResult>): Promise<VerbResult> {
  const e = await openEngine({ cwd: cwdOf(opts), openStore: openStoreFor, makeSink: sinkFor, makeRunner: runnerFor });
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
  constructor(message: string, readonly argument: string) {
    super(message);
  }
}
