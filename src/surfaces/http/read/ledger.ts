/** @module Ledger entries with their own verification state: hash, signature and link to the entry before. */
import { checkChain, GENESIS_HASH, type LedgerEntry } from '../../../core/ledger.ts';
import { chainCrypto } from '../../../engine/ledger/keys.ts';
import type { Engine } from '../../../engine/context.ts';

export interface CheckedEntry {
  readonly entry: LedgerEntry;
  /** ok: its hash, signature and link to the entry before all check out. */
  readonly check: 'ok' | 'broken';
  readonly problem?: string;
}

export interface LedgerPage {
  /** Newest first. */
  readonly rows: readonly CheckedEntry[];
  readonly head: { seq: number; hash: string } | null;
  /** The `before` of the next (older) page; null on the last page. */
  readonly older: number | null;
}

/** A page of entries, newest first: all of them, or one task's; `before` is exclusive. */
export async function ledgerPage(
  engine: Engine,
  opts: { task?: string; before?: number; limit?: number } = {},
): Promise<LedgerPage> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const head = await engine.store.head();
  const before = opts.before ?? (head?.seq ?? 0) + 1;
  let entries: LedgerEntry[];
  if (opts.task) {
    entries = (await engine.store.entries({ taskId: opts.task, newestFirst: true }))
      .filter((x) => x.seq < before)
      .slice(0, limit + 1);
  } else {
    const from = Math.max(1, before - limit - 1);
    entries = (await engine.store.entries({ fromSeq: from, limit: before - from }))
      .filter((x) => x.seq < before)
      .reverse();
  }
  const more = entries.length > limit;
  const shown = entries.slice(0, limit);
  const crypto = chainCrypto(await engine.store.keys());
  const bySeq = new Map(entries.map((x) => [x.seq, x]));
  const rows: CheckedEntry[] = [];
  for (const entry of shown) {
    let prev = bySeq.get(entry.seq - 1);
    if (!prev && entry.seq > 1) [prev] = await engine.store.entries({ fromSeq: entry.seq - 1, limit: 1 });
    const link =
      entry.seq === 1
        ? null
        : prev && prev.seq === entry.seq - 1
          ? { seq: prev.seq, hash: prev.hash }
          : { seq: entry.seq - 1, hash: '' };
    const problem =
      checkChain([entry], link, crypto) ??
      (entry.seq === 1 && entry.prevHash !== GENESIS_HASH
        ? { reason: 'the first entry does not start from the genesis hash' }
        : null);
    rows.push(problem ? { entry, check: 'broken', problem: problem.reason } : { entry, check: 'ok' });
  }
  return { rows, head, older: more ? (shown.at(-1)?.seq ?? null) : null };
}
