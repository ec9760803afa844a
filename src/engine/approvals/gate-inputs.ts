/**
 * @module A person's decision to allow the gate's own files (its workflow) as a task changes them. The CI gate reads
 * those files from the base branch and fails a branch that changes them; a `gate_inputs_adopted` entry, signed with
 * the person's passkey, names each changed file with the SHA-256 of its new content, and the gate accepts the branch's
 * file at exactly that digest.
 */
import { join } from 'node:path';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { GateInput } from '../../core/decision.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append } from '../ledger/record.ts';
import { readCommitted } from '../repo/committed.ts';
import { git, resolveCommit } from '../repo/git.ts';
import { readNoFollow } from '../repo/files.ts';
import { GATE_WORKFLOW_FILES } from '../repo/layout.ts';
import type { Actor, Engine } from '../context.ts';

/** A gate file larger than this is not read (a workflow is a few kilobytes). */
const MAX_GATE_FILE = 1024 * 1024;

/** The branches a change is usually merged into, tried in order, as the CI gate tries them without `--base`. */
const MAIN_BRANCHES = ['origin/main', 'main', 'origin/master', 'master'] as const;

/** Where HEAD left the first main branch that exists here, or undefined when none does. */
async function mainMergeBase(root: string): Promise<string | undefined> {
  for (const ref of MAIN_BRANCHES) {
    if (!(await resolveCommit(root, ref))) continue;
    const mb = await git(root, ['merge-base', ref, 'HEAD']);
    return mb.code === 0 ? mb.stdout.trim() : undefined;
  }
  return undefined;
}

/**
 * The gate's files whose content in the working tree differs from the task's base commit or from where the branch
 * left its main branch (a branch may change the workflow before the task starts), sorted by path, each with the
 * SHA-256 of its content now. A deleted file is left out: a deletion is not adoptable.
 */
export async function changedGateInputs(engine: Engine, state: TaskState): Promise<GateInput[]> {
  const root = engine.layout.root;
  const paths = [...GATE_WORKFLOW_FILES].sort();
  const bases = [...new Set([state.baseCommit, await mainMergeBase(root)].filter((c): c is string => !!c))];
  const before = await Promise.all(bases.map((commit) => readCommitted(root, commit, paths)));
  const out: GateInput[] = [];
  paths.forEach((path, i) => {
    const now = readNoFollow(join(root, path), MAX_GATE_FILE);
    if (now.kind !== 'file') return;
    const same = (blobs: Awaited<ReturnType<typeof readCommitted>>) => {
      const b = blobs[i];
      return b?.kind === 'file' && b.sha256 === now.sha256;
    };
    if (before.length > 0 && before.every(same)) return;
    out.push({ path, sha256: now.sha256 });
  });
  return out;
}

/** The gate's files a person can allow for `state` now; refused when none of them changed since its base commit. */
export async function adoptableGateInputs(engine: Engine, state: TaskState): Promise<Result<GateInput[]>> {
  const inputs = await changedGateInputs(engine, state);
  if (inputs.length === 0)
    return refuse(
      ErrorCode.USAGE,
      `none of the gate's own files (${GATE_WORKFLOW_FILES.join(', ')}) differs from ${state.taskId}'s base commit or from the main branch: there is nothing to allow`,
      { argument: 'decision' },
    );
  return ok(inputs);
}

/**
 * Records the allowance inside the decision's transaction, with `proof` (the signed decision's diff digest and
 * passkey assertion). The caller has checked that `inputs` are the files as they are now.
 */
export async function adoptGateInputs(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  person: Actor,
  reason: string,
  inputs: readonly GateInput[],
  proof: Readonly<Record<string, unknown>>,
): Promise<LedgerEntry> {
  return append(engine, tx, {
    taskId: state.taskId,
    kind: 'gate_inputs_adopted',
    fromPhase: state.phase,
    toPhase: null,
    actor: person.id,
    artifacts: [],
    data: { reason, by: person.id, inputs: inputs.map(({ path, sha256 }) => ({ path, sha256 })), ...proof },
  });
}
