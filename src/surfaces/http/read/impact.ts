/**
 * @module What a task's page shows of the code graph: the groundedness of its planning evidence (the score each
 * planning move recorded in the ledger) and, from the live VERIFY evidence (impact.json), the tests that reach the
 * change and whether each ran.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { TaskState } from '../../../core/task.ts';
import type { ArtifactState } from './evidence.ts';
import { verifyDocument } from './verify-findings.ts';
import type { Engine } from '../../../engine/context.ts';
import { SLO_GOALS } from '../../../engine/telemetry/slo.ts';

/** The newest grounding a move of the task recorded (`data.grounding` of a transition entry). */
export interface GroundingView {
  readonly score: number | null;
  readonly citations: number;
  readonly resolved: number;
  readonly missing: number;
  readonly reachable: boolean | null;
  /** The phase the move left, and its entry. */
  readonly phase: string;
  readonly seq: number;
  /** The `groundedness_score` SLO's target. */
  readonly goal: number;
}

export interface ImpactTestView {
  readonly path: string;
  readonly depth: number;
  readonly via: string | null;
  /** `ran`, `skipped`, `not-run`, or `unknown` without a test report. */
  readonly run: string;
  readonly cases: number;
}

export interface ImpactView {
  readonly grounding: GroundingView | null;
  readonly verify: {
    readonly state: ArtifactState;
    readonly manifestDigest: string | null;
    /** The changed files the atlas holds, and the files the change reaches (itself included). */
    readonly changed: number;
    readonly reached: number;
    readonly tests: readonly ImpactTestView[];
    /** Why there is no atlas, when it could not be built. */
    readonly note: string | null;
  } | null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const list = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);

function groundingOf(entries: readonly LedgerEntry[]): GroundingView | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const x = entries[i]!;
    const g = x.kind === 'transition' ? x.data['grounding'] : undefined;
    if (!g || typeof g !== 'object') continue;
    const d = g as Record<string, unknown>;
    return {
      score: typeof d['score'] === 'number' ? d['score'] : null,
      citations: num(d['citations']),
      resolved: num(d['resolved']),
      missing: num(d['missing']),
      reachable: typeof d['reachable'] === 'boolean' ? d['reachable'] : null,
      phase: x.fromPhase ?? '',
      seq: x.seq,
      goal: SLO_GOALS.groundedness_score.target,
    };
  }
  return null;
}

/** The task's grounding and impact; undefined when it has neither yet. */
export function taskImpact(engine: Engine, task: TaskState, entries: readonly LedgerEntry[]): ImpactView | undefined {
  const grounding = groundingOf(entries);
  const read = verifyDocument(engine, task, entries, 'impact.json');
  if (!grounding && !read) return undefined;
  const doc = read?.doc;
  const manifest = doc?.['manifest'];
  return {
    grounding,
    verify: read
      ? {
          state: read.state,
          manifestDigest:
            manifest && typeof (manifest as { digest?: unknown }).digest === 'string'
              ? (manifest as { digest: string }).digest
              : null,
          changed: list(doc!['changed']).filter((c) => c['inAtlas'] === true).length,
          reached: list(doc!['files']).length,
          tests: list(doc!['tests']).map((t) => ({
            path: String(t['path'] ?? ''),
            depth: num(t['depth']),
            via: typeof t['via'] === 'string' ? t['via'] : null,
            run: String(t['run'] ?? 'unknown'),
            cases: num(t['cases']),
          })),
          note: typeof doc!['note'] === 'string' ? doc!['note'] : null,
        }
      : null,
  };
}
