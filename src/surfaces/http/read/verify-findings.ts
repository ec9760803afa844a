/**
 * @module What the newest VERIFY run of a task found in the tests themselves, as the evidence page shows it: the
 * findings of test_inventory.json (tests removed, skipped, focused; coverage-ignore comments) and the mutants of
 * mutation_report.json, read from the live VERIFY evidence the ledger recorded.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { TaskState } from '../../../core/task.ts';
import { phaseDir } from '../../../core/phases.ts';
import { readArtifact, type ArtifactState } from './evidence.ts';
import type { Engine } from '../../../engine/context.ts';

export interface VerifyFindingView {
  readonly kind: string;
  readonly file: string;
  readonly line: number | null;
  readonly detail: string;
}

export interface MutantView {
  readonly file: string;
  readonly line: number;
  readonly operator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: string;
  readonly detail: string;
}

export interface VerifyFindings {
  /** Whether the files still match the ledger (anything else is shown as such). */
  readonly state: ArtifactState;
  readonly findings: VerifyFindingView[];
  readonly mutation: {
    /** Who made the mutants: `autopilot` or `stryker` (with its version and test runner). */
    readonly engine: string;
    /** Why that engine: the setting, the language and runner, or why Stryker could not run. */
    readonly engineReason: string | null;
    readonly score: number | null;
    readonly killed: number;
    readonly survived: number;
    readonly timedOut: number;
    readonly errors: number;
    readonly notRun: number;
    readonly skipped: string | null;
    readonly mutants: MutantView[];
  } | null;
}

/** A document of the phase in the verify role (`roles.verify`), whatever it is called; undefined in a process without one. */
export function verifyDocument(engine: Engine, task: TaskState, entries: readonly LedgerEntry[], name: string) {
  const phase = engine.config.roles.verify;
  if (phase === null) return undefined;
  const content = readArtifact(engine, task, entries, `evidence/${task.taskId}/${phaseDir(phase)}/${name}`);
  if (!content?.text) return undefined;
  try {
    return { doc: JSON.parse(content.text) as Record<string, unknown>, state: content.info.state };
  } catch {
    return undefined;
  }
}

/** The engine as a person reads it: `Stryker 9.6.1 (vitest)`, or `Autopilot` (reports written before Stryker say nothing). */
function engineName(doc: Record<string, unknown>): string {
  const s = doc['stryker'];
  if (doc['engine'] !== 'stryker') return 'Autopilot';
  if (typeof s !== 'object' || s === null) return 'Stryker';
  const { version, runner } = s as Record<string, unknown>;
  return `Stryker ${typeof version === 'string' ? version : ''} (${typeof runner === 'string' ? runner : '?'})`.replace(
    '  ',
    ' ',
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The findings and mutants of the task's live evidence of the verify phase; undefined when it has none. */
export function verifyFindings(
  engine: Engine,
  task: TaskState,
  entries: readonly LedgerEntry[],
): VerifyFindings | undefined {
  const inventory = verifyDocument(engine, task, entries, 'test_inventory.json');
  const mutation = verifyDocument(engine, task, entries, 'mutation_report.json');
  if (!inventory && !mutation) return undefined;
  const listed = Array.isArray(inventory?.doc['findings'])
    ? (inventory.doc['findings'] as Record<string, unknown>[])
    : [];
  const mutants = Array.isArray(mutation?.doc['mutants']) ? (mutation.doc['mutants'] as Record<string, unknown>[]) : [];
  const findings: VerifyFindingView[] = [
    ...listed.map((f) => ({
      kind: str(f['kind']),
      // A test left out of the run has no file of its own to point at: its name says where.
      file: str(f['file']) || str(f['test']),
      line: typeof f['line'] === 'number' ? f['line'] : null,
      detail: str(f['detail']),
    })),
    ...mutants
      .filter((m) => m['status'] === 'survived')
      .map((m) => ({
        kind: 'mutant-survived',
        file: str(m['file']),
        line: num(m['line']),
        detail: `${str(m['operator'])}: the tests pass with this line mutated`,
      })),
  ];
  const states = [inventory?.state, mutation?.state].filter((s): s is ArtifactState => s !== undefined);
  const state = states.find((s) => s !== 'matches') ?? 'matches';
  return {
    state,
    findings,
    mutation: mutation
      ? {
          engine: engineName(mutation.doc),
          engineReason: typeof mutation.doc['engineReason'] === 'string' ? mutation.doc['engineReason'] : null,
          score: typeof mutation.doc['score'] === 'number' ? mutation.doc['score'] : null,
          killed: num(mutation.doc['killed']),
          survived: num(mutation.doc['survived']),
          timedOut: num(mutation.doc['timedOut']),
          errors: num(mutation.doc['errors']),
          notRun: num(mutation.doc['notRun']),
          skipped: typeof mutation.doc['skipped'] === 'string' ? mutation.doc['skipped'] : null,
          mutants: mutants.map((m) => ({
            file: str(m['file']),
            line: num(m['line']),
            operator: str(m['operator']),
            original: str(m['original']),
            replacement: str(m['replacement']),
            status: str(m['status']),
            detail: str(m['detail']),
          })),
        }
      : null,
  };
}
