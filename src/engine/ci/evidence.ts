/** @module Every live artifact of a task, as committed at HEAD, against the digest the ledger recorded for it. */
import { ErrorCode } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { readCommitted } from './committed.ts';
import type { GateContext } from './check-bundle.ts';
import type { CiProblem } from './report.ts';

/** The evidence check of one task: how many files were compared, the ones that matched (by state-relative path), the problems. */
export interface CheckedEvidence {
  readonly artifacts: number;
  readonly files: Map<string, Buffer>;
  readonly problems: CiProblem[];
}

export async function checkEvidence(ctx: GateContext, state: TaskState, bundle: string): Promise<CheckedEvidence> {
  const taskId = state.taskId;
  const problems: CiProblem[] = [];
  const files = new Map<string, Buffer>();
  const live = Object.values(state.artifacts).sort((a, b) => a.path.localeCompare(b.path));
  // A path the ledger names must stay inside the state folder: it is read from the commit, never from outside it.
  const safe = live.filter((a) => {
    const ok =
      !a.path.includes('\n') && !a.path.startsWith('/') && !a.path.split('/').includes('..') && !a.path.includes('\\');
    if (!ok)
      problems.push({
        taskId,
        check: 'process',
        code: ErrorCode.PATH_OUTSIDE_EVIDENCE,
        file: bundle,
        reason: `entry ${a.seq} names the artifact path ${JSON.stringify(a.path)}, outside the evidence folder`,
      });
    return ok;
  });
  const blobs = await readCommitted(
    ctx.root,
    ctx.head,
    safe.map((a) => ctx.inState(a.path)),
  );
  safe.forEach((a, i) => {
    const b = blobs[i]!;
    const file = ctx.inState(a.path);
    if (b.kind !== 'file') {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `recorded by entry ${a.seq} but not committed at HEAD: commit the evidence folder with the work`,
      });
    } else if (b.sha256 !== a.sha256) {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `changed after entry ${a.seq} recorded it (sha256 ${a.sha256.slice(0, 12)}… recorded, ${b.sha256.slice(0, 12)}… committed)`,
      });
    } else {
      files.set(a.path, b.bytes);
    }
  });
  return { artifacts: safe.length, files, problems };
}
