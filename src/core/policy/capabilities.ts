/** @module The capabilities a tool call can need: the vocabulary of the tool policy. */
import { z } from 'zod';

/**
 * Every capability, in a fixed order (reasons and `missing` lists follow it).
 * - `read`, `search`: look at files and the repository; harmless bookkeeping too.
 * - `write:evidence`: write inside the task's own evidence folder.
 * - `write:source`: write anywhere else in or outside the repository (but scratch `/tmp`).
 * - `exec`: run a program whose effect cannot be narrowed down (builds, scripts, interpreters).
 * - `exec:test`: run the project's tests, type checks and linters (without `--fix`).
 * - `vcs:commit`: stage, commit, merge, rebase, tag, create branches.
 * - `vcs:push`: publish commits (`git push` and friends).
 * - `pr:create`: open or edit a pull request.
 * - `net`: reach the network (downloads, installs, HTTP, ssh).
 * - `agent`: start another agent (Claude Code `Task`, `claude -p`, `codex exec`).
 * - `deploy`: change a running environment (kubectl, terraform apply, docker push, deploy scripts).
 */
export const CAPABILITIES = [
  'read',
  'search',
  'write:evidence',
  'write:source',
  'exec',
  'exec:test',
  'vcs:commit',
  'vcs:push',
  'pr:create',
  'net',
  'agent',
  'deploy',
] as const;

/** One capability. */
export type Capability = (typeof CAPABILITIES)[number];

const KNOWN: ReadonlySet<string> = new Set(CAPABILITIES);

/** True when `value` names a capability. */
export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && KNOWN.has(value);
}

/** The capabilities of `caps`, deduplicated, in the canonical order of {@link CAPABILITIES}. */
export function sortCapabilities(caps: Iterable<Capability>): Capability[] {
  const set = new Set(caps);
  return CAPABILITIES.filter((c) => set.has(c));
}

/** Zod schema of one capability name. */
export const capabilitySchema = z.enum(CAPABILITIES);
