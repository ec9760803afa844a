/** @module What the store adapters share: an in-process lock, the head check of an append, and a URL fit for messages. */
import type { ChainHead, LedgerEntry } from '../../core/ledger.ts';
import { StaleHeadError } from '../../ports/store.ts';

/** Serialises async critical sections within one process. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Throws StaleHeadError unless `entry` extends `head` exactly. */
export function checkExtends(head: ChainHead | null, entry: LedgerEntry): void {
  const seq = head ? head.seq + 1 : 1;
  const prev = head ? head.hash : '0'.repeat(64);
  if (entry.seq !== seq || entry.prevHash !== prev) throw new StaleHeadError(head, entry);
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string, unparsable = 'the configured PostgreSQL store'): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return unparsable;
  }
}
