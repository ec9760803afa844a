/**
 * @module Use case: verify the whole ledger: the chain, every signature, the
 * task projections against a fresh fold, and the digest of every evidence file
 * the ledger names.
 */
import { join } from 'node:path';
import { checkChain, type ChainHead } from '../core/ledger.ts';
import { applyEntry, type TaskState } from '../core/task.ts';
import { chainCrypto } from './keys.ts';
import { readNoFollow } from './evidence-files.ts';
import type { Engine } from './context.ts';

export interface LedgerProblem {
  readonly kind: 'chain' | 'projection' | 'evidence';
  readonly seq?: number;
  readonly taskId?: string;
  readonly path?: string;
  readonly reason: string;
}

export interface LedgerReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly tasks: number;
  readonly artifacts: number;
  readonly keys: string[];
  readonly head: ChainHead | null;
  /** The first problem found, then any others (chain problems stop the walk). */
  readonly problems: LedgerProblem[];
}

const BATCH = 5000;

export async function verifyLedger(e: Engine, opts: { signatures?: boolean; evidence?: boolean } = {}): Promise<LedgerReport> {
  const crypto = chainCrypto(await e.store.keys());
  const problems: LedgerProblem[] = [];
  const states = new Map<string, TaskState | undefined>();
  const keys = new Set<string>();
  let prev: ChainHead | null = null;
  let count = 0;
  for (;;) {
    const batch = await e.store.entries({ fromSeq: (prev?.seq ?? 0) + 1, limit: BATCH });
    if (batch.length === 0) break;
    const problem = checkChain(batch, prev, crypto, opts.signatures ?? true);
    if (problem) {
      problems.push({ kind: 'chain', seq: problem.seq, reason: problem.reason });
      break;
    }
    for (const entry of batch) {
      keys.add(entry.keyId);
      if (entry.taskId !== null) states.set(entry.taskId, applyEntry(states.get(entry.taskId), entry));
    }
    const last = batch[batch.length - 1]!;
    prev = { seq: last.seq, hash: last.hash };
    count += batch.length;
  }
  const head = await e.store.head();
  if (problems.length === 0 && (head?.seq ?? 0) !== (prev?.seq ?? 0)) {
    problems.push({ kind: 'chain', seq: head?.seq ?? 0, reason: 'the head does not match the last entry walked' });
  }
  let artifacts = 0;
  if (problems.length === 0) {
    const stored = new Map((await e.store.listTasks()).map((t) => [t.taskId, t]));
    for (const [taskId, folded] of states) {
      const s = stored.get(taskId);
      if (!folded) continue;
      if (!s || s.phase !== folded.phase || s.status !== folded.status || s.lastSeq !== folded.lastSeq) {
        problems.push({ kind: 'projection', taskId, reason: `the stored state of ${taskId} does not match its ledger entries` });
      }
      stored.delete(taskId);
    }
    for (const taskId of stored.keys()) problems.push({ kind: 'projection', taskId, reason: `task ${taskId} is stored but has no ledger entries` });
    if (opts.evidence ?? true) {
      for (const folded of states.values()) {
        for (const a of Object.values(folded?.artifacts ?? {})) {
          artifacts++;
          const file = readNoFollow(join(e.layout.stateDir, a.path), 1024 * 1024 * 1024);
          if (file.kind !== 'file') {
            problems.push({ kind: 'evidence', seq: a.seq, path: a.path, reason: `${a.path} is ${file.kind === 'missing' ? 'missing' : `a ${file.kind}`}` });
          } else if (file.sha256 !== a.sha256) {
            problems.push({ kind: 'evidence', seq: a.seq, path: a.path, reason: `${a.path} changed after entry ${a.seq} recorded it` });
          }
        }
      }
    }
  }
  return { ok: problems.length === 0, entries: count, tasks: states.size, artifacts, keys: [...keys], head, problems };
}
