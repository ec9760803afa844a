/** @module Worker thread of `verifyLedger`: checks the signatures of batches of entries and answers with the first one that fails. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ChainCrypto } from '../../core/ledger.ts';
import { chainCrypto } from './keys.ts';

/** Entries whose signatures a worker checks: parallel arrays, one element an entry. */
export interface SignatureBatch {
  readonly id: number;
  readonly keyIds: readonly string[];
  readonly hashes: readonly string[];
  readonly signatures: readonly string[];
}

/** What a worker says: that it is ready for batches, or the index in a batch of the first entry whose signature does not verify (-1: none). */
export type WorkerMessage = { readonly ready: true } | { readonly id: number; readonly bad: number };

/** What `verifyLedger` hands a worker when it starts it: the public keys (PEM by key id). */
export interface VerifyWorkerData {
  readonly verifyLedgerKeys: readonly (readonly [string, string])[];
}

/** The index of the first entry of `batch` whose signature does not verify, or -1. */
export function firstBadSignature(crypto: ChainCrypto, batch: Omit<SignatureBatch, 'id'>): number {
  for (let i = 0; i < batch.hashes.length; i++) {
    if (!crypto.verify(batch.keyIds[i]!, batch.hashes[i]!, batch.signatures[i]!)) return i;
  }
  return -1;
}

// Only in a thread `verifyLedger` started: imported anywhere else, this module does nothing.
const data = workerData as Partial<VerifyWorkerData> | null;
if (parentPort && data?.verifyLedgerKeys) {
  const port = parentPort;
  // The same check as the main thread's, over the same keys.
  const crypto = chainCrypto(new Map(data.verifyLedgerKeys));
  port.on('message', (batch: SignatureBatch) => {
    const answer: WorkerMessage = { id: batch.id, bad: firstBadSignature(crypto, batch) };
    port.postMessage(answer);
  });
  const ready: WorkerMessage = { ready: true };
  port.postMessage(ready);
}
