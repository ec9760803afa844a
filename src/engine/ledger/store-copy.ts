/**
 * @module Use case: copy a store into an empty one (the embedded SQLite store
 * into a team's PostgreSQL database, say): ledger entries, tasks, leases and
 * keys, in one transaction on the target, then verify the copy as it reads back.
 */
import { isDeepStrictEqual } from 'node:util';
import { checkChain, type ChainCrypto, type ChainHead, type LedgerEntry } from '../../core/ledger.ts';
import type { Lease } from '../../core/lease.ts';
import { AutopilotError, ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { Store } from '../../ports/store.ts';
import { chainCrypto } from './keys.ts';
import { plural } from '../../core/phrasing.ts';

export interface CopyReport {
  readonly entries: number;
  readonly tasks: number;
  readonly leases: number;
  readonly keys: number;
  /** The head of both stores after the copy. */
  readonly head: ChainHead | null;
}

const BATCH = 2000;

/** Walks a store's ledger in batches up to `until`, checking the chain and every signature; calls `each` with every batch. */
async function walk(
  store: Store,
  crypto: ChainCrypto,
  until: number,
  each?: (batch: LedgerEntry[]) => Promise<void>,
): Promise<{ head: ChainHead | null; problem: { seq: number; reason: string } | null }> {
  let prev: ChainHead | null = null;
  while ((prev?.seq ?? 0) < until) {
    const batch: LedgerEntry[] = (await store.entries({ fromSeq: (prev?.seq ?? 0) + 1, limit: BATCH })).filter(
      (entry) => entry.seq <= until,
    );
    if (batch.length === 0)
      return { head: prev, problem: { seq: (prev?.seq ?? 0) + 1, reason: `entry ${(prev?.seq ?? 0) + 1} is missing` } };
    const problem = checkChain(batch, prev, crypto);
    if (problem) return { head: prev, problem };
    await each?.(batch);
    const last: LedgerEntry = batch[batch.length - 1]!;
    prev = { seq: last.seq, hash: last.hash };
  }
  return { head: prev, problem: null };
}

const sameHead = (a: ChainHead | null, b: ChainHead | null) =>
  (a?.seq ?? 0) === (b?.seq ?? 0) && (a?.hash ?? null) === (b?.hash ?? null);

/**
 * Copies `from` into `to`. Refuses (USAGE) a target that already holds entries
 * or tasks; throws LEDGER_TAMPERED, having written nothing, when the source
 * does not verify, and when the copy does not read back identical.
 */
export async function copyStore(from: Store, to: Store): Promise<Result<CopyReport>> {
  const [targetHead, targetTasks] = await Promise.all([to.head(), to.listTasks()]);
  if (targetHead || targetTasks.length) {
    return refuse(
      ErrorCode.USAGE,
      `the target store is not empty (${plural(targetHead?.seq ?? 0, 'ledger entry')}, ${plural(targetTasks.length, 'task')}): copy into a new, empty database`,
      { argument: 'to', entries: targetHead?.seq ?? 0, tasks: targetTasks.length },
    );
  }
  const keys = await from.keys();
  const head = await from.head();
  const source = await walk(from, chainCrypto(keys), head?.seq ?? 0);
  if (source.problem) {
    throw new AutopilotError(
      ErrorCode.LEDGER_TAMPERED,
      `the source ledger does not verify at entry ${source.problem.seq}: ${source.problem.reason}; nothing was copied`,
      {
        seq: source.problem.seq,
        reason: source.problem.reason,
      },
    );
  }
  const tasks = await from.listTasks();
  const leases = (await Promise.all(tasks.map((t) => from.getLease(t.taskId)))).filter(
    (l): l is Lease => l !== undefined,
  );

  for (const [keyId, pem] of keys) await to.putKey(keyId, pem);
  await to.transact(async (tx) => {
    if (await tx.head())
      throw new AutopilotError(
        ErrorCode.USAGE,
        'the target store was written to while the copy was starting; nothing was copied',
        { argument: 'to' },
      );
    await walk(from, chainCrypto(keys), head?.seq ?? 0, async (batch) => {
      for (const entry of batch) await tx.append(entry);
    });
    for (const t of tasks) await tx.putTask(t);
    for (const l of leases) await tx.putLease(l);
    // Tasks and leases were read before the entries: if an agent wrote meanwhile they may not match. Roll back.
    if (!sameHead(await from.head(), head)) {
      throw new AutopilotError(
        ErrorCode.USAGE,
        'the source store changed during the copy; stop the agents that write to it and copy again (nothing was copied)',
        {
          argument: 'from',
        },
      );
    }
  });

  // The copy as it reads back: the whole chain with every signature, by the target's own keys, to the same head.
  const copied = await walk(to, chainCrypto(await to.keys()), head?.seq ?? 0);
  const targetNow = await to.head();
  const problems: string[] = [];
  if (copied.problem) problems.push(`entry ${copied.problem.seq}: ${copied.problem.reason}`);
  if (!sameHead(targetNow, head))
    problems.push(
      `the head is ${targetNow?.seq ?? 0}:${targetNow?.hash ?? '-'}, the source's ${head?.seq ?? 0}:${head?.hash ?? '-'}`,
    );
  if (!isDeepStrictEqual(await to.listTasks(), tasks)) problems.push('the tasks differ from the source');
  const copiedLeases = await Promise.all(leases.map((l) => to.getLease(l.taskId)));
  if (!isDeepStrictEqual(copiedLeases, leases)) problems.push('the leases differ from the source');
  if (problems.length) {
    throw new AutopilotError(ErrorCode.LEDGER_TAMPERED, `the copy does not verify: ${problems.join('; ')}`, {
      reason: problems.join('; '),
    });
  }
  return ok({ entries: head?.seq ?? 0, tasks: tasks.length, leases: leases.length, keys: keys.size, head });
}
