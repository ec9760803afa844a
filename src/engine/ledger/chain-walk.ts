/**
 * @module The fast chain check of `verifyLedger`: the ledger cut into ranges, checked over raw rows (no entry decoded)
 * by worker threads sized to the cores, each with a reader of its own, and by this thread too; the links across the
 * ranges' ends are checked here, in ledger order. It only vouches for a prefix of the ledger: from the first range it
 * cannot vouch for, the walk by entries in verify.ts takes over and names the first problem exactly.
 */
import { Worker } from 'node:worker_threads';
import { GENESIS_HASH, type ChainHead } from '../../core/ledger.ts';
import type { ChainReader, ChainSource } from '../../ports/store.ts';
import {
  checkRange,
  type ChainWorkerData,
  type ChainWorkerMessage,
  type RangeJob,
  type RangeResult,
} from './chain-worker.ts';
import { chainCrypto } from './keys.ts';

/**
 * Starts a worker on the module at `url` (its sibling .ts in the sources, .js in the package); from the sources, the
 * worker registers tsx first, as scripts/autopilot-dev.js does. Null when it cannot start.
 */
export function startWorker(url: URL, data: unknown): Worker | null {
  try {
    if (url.pathname.endsWith('.js')) return new Worker(url, { workerData: data });
    const api = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    return new Worker(boot, { eval: true, workerData: data });
  } catch {
    return null;
  }
}

const CHAIN_WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './chain-worker.ts' : './chain-worker.js',
  import.meta.url,
);

/** Ranges a worker holds at once: one to check, one waiting, so that it never idles between messages. */
const PER_WORKER = 2;

/** What the fast check vouches for. */
export interface FastChain {
  /** The sound prefix: its last entry (null when none is vouched for). */
  readonly head: ChainHead | null;
  /** The key ids that signed the sound prefix. */
  readonly keyIds: ReadonlySet<string>;
}

export interface FastChainOptions {
  /** Check every signature too. */
  readonly signatures: boolean;
  /** Worker threads. */
  readonly workers: number;
  /** Whether this thread checks ranges as well while it waits. */
  readonly here: boolean;
  /** Entries in a range. */
  readonly range: number;
}

interface Job extends RangeJob {
  readonly resolve: (r: RangeResult) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly held: Map<number, Job>;
  ready: boolean;
  gone: boolean;
}

/**
 * Checks entries 1..`upto` over raw rows and returns the prefix it vouches for: all of them when every range is
 * sound and linked to the one before, else the entries before the first range that is not.
 */
export async function fastChain(
  source: ChainSource,
  keys: ReadonlyMap<string, string>,
  upto: number,
  opts: FastChainOptions,
): Promise<FastChain> {
  const verify = opts.signatures ? chainCrypto(keys).verify : null;
  const queue: Job[] = [];
  const verdicts: Promise<RangeResult>[] = [];
  for (let from = 1, id = 0; from <= upto; from += opts.range, id++) {
    const to = Math.min(upto, from + opts.range - 1);
    verdicts.push(new Promise<RangeResult>((resolve) => queue.push({ id, from, to, resolve })));
  }
  const slots: Slot[] = [];
  const pump = () => {
    for (const slot of slots)
      while (slot.ready && !slot.gone && slot.held.size < PER_WORKER && queue.length > 0) {
        const job = queue.shift()!;
        slot.held.set(job.id, job);
        slot.worker.postMessage({ id: job.id, from: job.from, to: job.to } satisfies RangeJob);
      }
  };
  const spec = source.spec;
  const data: ChainWorkerData | null = spec
    ? { chainReader: spec, chainKeys: opts.signatures ? [...keys] : null }
    : null;
  for (let i = 0; data && i < opts.workers; i++) {
    const worker = startWorker(CHAIN_WORKER_URL, data);
    if (!worker) break;
    const slot: Slot = { worker, held: new Map(), ready: false, gone: false };
    // A worker that fails hands its ranges back: a range is never lost, only moved.
    const fail = () => {
      if (slot.gone) return;
      slot.gone = true;
      queue.unshift(...slot.held.values());
      slot.held.clear();
      pump();
    };
    worker.on('message', (m: ChainWorkerMessage) => {
      if ('ready' in m) slot.ready = true;
      else if ('failed' in m) return fail();
      else {
        const job = slot.held.get(m.id);
        slot.held.delete(m.id);
        job?.resolve(m.result);
      }
      pump();
    });
    worker.on('error', fail);
    worker.on('exit', fail);
    slots.push(slot);
  }
  let reader: ChainReader | null = null;
  const local = async (): Promise<ChainReader> => (reader ??= await source.open());
  // Waits for `verdict`, checking queued ranges on this thread meanwhile (always when no worker is left to do it).
  const settle = async (verdict: Promise<RangeResult>): Promise<RangeResult> => {
    let settled = false;
    void verdict.then(() => (settled = true));
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the workers' answers in
      if (settled) return verdict;
      const working = slots.some((s) => !s.gone);
      if (!opts.here && working) {
        await Promise.race([verdict, new Promise<void>((resolve) => setTimeout(resolve, 50))]);
        continue;
      }
      const job = queue.shift();
      if (!job) {
        if (!working) return { sound: false }; // nobody left to answer: a doubt, and the walk by entries goes on
        await Promise.race([verdict, new Promise<void>((resolve) => setTimeout(resolve, 50))]);
        continue;
      }
      // A reader that does not open here vouches for nothing: the walk by entries says why.
      const here = await local().catch(() => null);
      if (!here) return { sound: false };
      job.resolve(await checkRange(here, job, verify));
    }
  };
  let seq = 0;
  let hash = GENESIS_HASH;
  const keyIds = new Set<string>();
  try {
    pump();
    for (const verdict of verdicts) {
      const r = await settle(verdict);
      // The range's first link is to the last entry vouched for: a range that does not link ends the prefix.
      if (!r.sound || r.first !== hash) break;
      seq = Math.min(upto, seq + opts.range);
      hash = r.last;
      for (const k of r.keyIds) keyIds.add(k);
    }
  } finally {
    for (const slot of slots) slot.gone = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    await (reader as ChainReader | null)?.close();
  }
  return { head: seq > 0 ? { seq, hash } : null, keyIds };
}
