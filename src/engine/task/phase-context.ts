/**
 * @module The context fabric: what a phase built on (the live artifacts of the
 * phases before it), what the agent said it did (`--summary`) and what it
 * produced, recorded in its transition entry with a digest over the three, so a
 * reviewer can follow how each phase grew from the last.
 */
import canonicalize from 'canonicalize';
import type { ArtifactRef } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { phaseDir } from '../../core/phases.ts';
import { sha256Hex } from '../repo/files.ts';

export interface ContextArtifact {
  readonly path: string;
  readonly sha256: string;
}

/** `data.context` of a transition entry. */
export interface PhaseContext {
  /** Artifacts of earlier phases the phase built on, by path and digest. */
  readonly inputs: readonly ContextArtifact[];
  /** The agent's own account of the phase (`advance --summary`), or null. */
  readonly summary: string | null;
  /** The phase's artifacts, by path and digest. */
  readonly outputs: readonly ContextArtifact[];
  /** sha256 of the canonical JSON (RFC 8785) of `{inputs, summary, outputs}`. */
  readonly hash: string;
}

const byPath = (a: ContextArtifact, b: ContextArtifact) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The digest of a context's three parts; `hash` must equal it. */
export function contextHash(ctx: Pick<PhaseContext, 'inputs' | 'summary' | 'outputs'>): string {
  const text = canonicalize({ inputs: ctx.inputs, summary: ctx.summary, outputs: ctx.outputs });
  if (text === undefined) throw new Error('context cannot be canonicalized');
  return sha256Hex(text);
}

/**
 * The context of leaving `state.phase` with `outputs`: the inputs are the live
 * artifacts of the phases before it (artifacts moved aside by a backtrack are
 * not live), sorted by path.
 */
export function phaseContext(
  phases: readonly string[],
  state: TaskState,
  outputs: readonly ArtifactRef[],
  summary?: string,
): PhaseContext {
  const earlier = phases.slice(0, phases.indexOf(state.phase)).map((p) => `evidence/${state.taskId}/${phaseDir(p)}/`);
  const inputs = Object.values(state.artifacts)
    .filter((a) => earlier.some((prefix) => a.path.startsWith(prefix)))
    .map((a) => ({ path: a.path, sha256: a.sha256 }))
    .sort(byPath);
  const parts = {
    inputs,
    summary: summary?.trim() ? summary.slice(0, 2000) : null,
    outputs: outputs.map((a) => ({ path: a.path, sha256: a.sha256 })).sort(byPath),
  };
  return { ...parts, hash: contextHash(parts) };
}
