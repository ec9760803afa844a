/**
 * @module The chain check over raw rows (see ports/store.ts's ChainRow), and the worker thread that runs it on ranges
 * of the ledger with a reader of its own: seq continuity, links, each hash over the stored canonical text and, when
 * asked, each signature. A range it cannot vouch for is only reported as such: the entry-by-entry walk in verify.ts
 * then names the first problem exactly.
 */
import * as nodeCrypto from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { ChainReader, ChainReaderSpec, ChainRow, OpenChainReader } from '../../ports/store.ts';
import type { ChainCrypto } from '../../core/ledger.ts';
import { chainCrypto } from './keys.ts';

/** What a range check found: `sound` when every row of the range checked out. */
export type RangeResult =
  | { readonly sound: false }
  | {
      readonly sound: true;
      /** The first row's prevHash: the link to the range before it. */
      readonly first: string;
      /** The last row's hash. */
      readonly last: string;
      /** The key ids that signed the range's entries. */
      readonly keyIds: readonly string[];
    };

/** A range of the ledger, both ends included. */
export interface RangeJob {
  readonly id: number;
  readonly from: number;
  readonly to: number;
}

/** What a chain worker says: ready, unable to open its reader, or a range's result. */
export type ChainWorkerMessage =
  { readonly ready: true } | { readonly failed: string } | { readonly id: number; readonly result: RangeResult };

/** What a chain worker is started with. */
export interface ChainWorkerData {
  readonly chainReader: ChainReaderSpec;
  /** Public keys (PEM by key id) when signatures are checked too, null for the chain alone. */
  readonly chainKeys: readonly (readonly [string, string])[] | null;
}

const DOUBT: RangeResult = { sound: false };

// One-shot SHA-256 where Node has it (20.12+): no Hash object to build a row.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256 = oneShot
  ? (text: string) => oneShot('sha256', text, 'hex')
  : (text: string) => nodeCrypto.createHash('sha256').update(text).digest('hex');

/**
 * Checks the rows of the range `from`..`to`: all there, in order, linked, each hash that of its stored canonical text,
 * and each signature when `verify` is given. The link of the first row to the range before is the caller's to check.
 */
export function checkRows(
  rows: readonly ChainRow[],
  from: number,
  to: number,
  verify: ChainCrypto['verify'] | null,
): RangeResult {
  if (rows.length !== to - from + 1 || rows.length === 0) return DOUBT;
  const keyIds = new Set<string>();
  let prev = rows[0]![1];
  for (let i = 0; i < rows.length; i++) {
    const [seq, prevHash, hash, payload, keyId, signature] = rows[i]!;
    if (seq !== from + i || prevHash !== prev || payload === null || sha256(payload) !== hash) return DOUBT;
    if (verify && !verify(keyId, hash, signature)) return DOUBT;
    keyIds.add(keyId);
    prev = hash;
  }
  return { sound: true, first: rows[0]![1], last: prev, keyIds: [...keyIds] };
}

/** Opens the reader a spec names. */
export async function openReader(spec: ChainReaderSpec): Promise<ChainReader> {
  const mod = (await import(spec.module)) as { openChainReader: OpenChainReader };
  return mod.openChainReader(spec.options);
}

/** Reads and checks one range; a reader that fails makes the range a doubt (the walk by entries then says why). */
export async function checkRange(
  reader: ChainReader,
  job: Omit<RangeJob, 'id'>,
  verify: ChainCrypto['verify'] | null,
): Promise<RangeResult> {
  try {
    return checkRows(await reader.rows(job.from, job.to), job.from, job.to, verify);
  } catch {
    return DOUBT;
  }
}

// Only in a thread that verify.ts started: imported anywhere else, this module does nothing.
const data = workerData as Partial<ChainWorkerData> | null;
if (parentPort && data?.chainReader) {
  const port = parentPort;
  const verify = data.chainKeys ? chainCrypto(new Map(data.chainKeys)).verify : null;
  openReader(data.chainReader).then(
    (reader) => {
      // Ranges one at a time, in the order they came: the next waits in the port meanwhile.
      let queue = Promise.resolve();
      port.on('message', (job: RangeJob) => {
        queue = queue.then(async () => {
          const answer: ChainWorkerMessage = { id: job.id, result: await checkRange(reader, job, verify) };
          port.postMessage(answer);
        });
      });
      const ready: ChainWorkerMessage = { ready: true };
      port.postMessage(ready);
    },
    (err: unknown) => {
      const failed: ChainWorkerMessage = { failed: (err as Error).message };
      port.postMessage(failed);
    },
  );
}
