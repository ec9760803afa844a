/**
 * @module Use case: verify the whole ledger: the chain, every signature, the
 * task projections against a fresh fold, every person's passkey decision,
 * the digest of every evidence file the ledger names, and that the store holds
 * the heads recorded outside it (history.ts). On a large ledger the signatures are checked on worker
 * threads while the chain is walked here, in order.
 */
import * as nodeCrypto from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import {
  chainProblemAt,
  signatureProblem,
  type ChainCrypto,
  type ChainHead,
  type ChainProblem,
  type LedgerEntry,
} from '../../core/ledger.ts';
import canonicalize from 'canonicalize';
import { applyEntry, type TaskState } from '../../core/task.ts';
import { chainCrypto } from './keys.ts';
import { fastChain, startWorker } from './chain-walk.ts';
import { sha256Hex } from '../repo/files.ts';
import { readNoFollow } from '../repo/files.ts';
import { firstBadSignature, type SignatureBatch, type VerifyWorkerData, type WorkerMessage } from './verify-worker.ts';
import type { Engine } from '../context.ts';
import { historyProblems } from './history.ts';
import { isPersonDecision } from '../../core/decision.ts';
import { checkDecisions, registrationsOf } from './passkeys.ts';

export interface LedgerProblem {
  readonly kind: 'chain' | 'projection' | 'evidence' | 'decision' | 'store' | 'history';
  readonly seq?: number;
  readonly taskId?: string;
  readonly path?: string;
  readonly reason: string;
}

export interface LedgerReport {
  readonly ok: boolean;
  /** Entries walked; when the chain is broken, the entries before the first bad one. */
  readonly entries: number;
  readonly tasks: number;
  readonly artifacts: number;
  /** People's decisions whose passkey assertions were checked. */
  readonly decisions: number;
  readonly keys: string[];
  readonly head: ChainHead | null;
  /** The first problem found, then any others (chain problems stop the walk). */
  readonly problems: LedgerProblem[];
}

/** Options of `verifyLedger`. */
export interface VerifyOptions {
  /** Check every signature (default true). */
  readonly signatures?: boolean;
  /** Check the digest of every evidence file the ledger names (default true). */
  readonly evidence?: boolean;
  /**
   * Check that the store holds the heads named outside it: this user's anchor, the trailers of the commits on HEAD,
   * the committed bundles (default true; see history.ts).
   */
  readonly history?: boolean;
  /**
   * Worker threads for the signatures: by default one a core once the ledger
   * holds `PARALLEL_FROM` entries, none below (a worker costs more to start
   * than it saves there). 0 checks them on this thread.
   */
  readonly workers?: number;
  /**
   * The chain alone: sequence, links, every hash over the stored canonical texts (and every signature unless
   * `signatures` is false). Leaves out the task refold, people's decisions, the evidence digests and the store's
   * integrity_check (default false).
   */
  readonly chainOnly?: boolean;
  /** Whether this thread checks ranges of the chain too while the workers do (default true). */
  readonly mainThread?: boolean;
  /** Entries in a range of the chain check over raw rows (default 500 with signatures, 10,000 without). */
  readonly range?: number;
}

/** Entries read at a time: small enough that a page dies young (a page that outlives a scavenge costs more to collect than to read). */
const PAGE = 1000;
/** Entries in one batch of signatures (about 30 ms of checks on one core). */
const CHUNK = 250;
/** Batches a worker holds at once: one to check, one waiting, so it never idles between messages. */
const PER_WORKER = 2;
/** Pages whose signatures may be in hand while the walk goes on. */
const AHEAD = 8;
/** From this many entries on, signatures go to worker threads as well (about 0.3 s of checks on one core). */
export const PARALLEL_FROM = 3000;
/** From this many entries on, the chain alone goes to worker threads as well (about 0.3 s on one core: a worker costs 0.05–0.1 s to start). */
export const CHAIN_PARALLEL_FROM = 100_000;
/** Entries in a range of the fast chain check with signatures (about 30 ms on one core). */
const SIGNED_RANGE = 500;
/** Entries in a range of the fast chain check without them (about 30 ms on one core). */
const CHAIN_RANGE = 10_000;

// The built package runs the compiled worker; the sources run the TypeScript one.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js',
  import.meta.url,
);

/** One-shot SHA-256 where Node has it (20.12+): about twice as fast as a Hash object on an entry's few hundred bytes. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256 = oneShot ? (text: string) => oneShot('sha256', text, 'hex') : sha256Hex;

interface Job {
  readonly batch: SignatureBatch;
  readonly resolve: (bad: number) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly held: Map<number, Job>;
  ready: boolean;
  gone: boolean;
}

/**
 * Signature checks shared by worker threads and this thread. Workers take
 * batches as they are ready for them; this thread checks batches itself
 * while it waits (so a worker slow to start costs nothing), and a worker that
 * fails hands its batches back. A check is never lost, only moved.
 */
class SignaturePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #local: ChainCrypto;
  #id = 0;

  constructor(keys: ReadonlyMap<string, string>, size: number, local: ChainCrypto) {
    this.#local = local;
    const data: VerifyWorkerData = { verifyLedgerKeys: [...keys] };
    for (let i = 0; i < size; i++) {
      const worker = startWorker(WORKER_URL, data);
      if (!worker) break;
      const slot: Slot = { worker, held: new Map(), ready: false, gone: false };
      worker.on('message', (m: WorkerMessage) => {
        if ('ready' in m) {
          slot.ready = true;
        } else {
          const job = slot.held.get(m.id);
          slot.held.delete(m.id);
          job?.resolve(m.bad);
        }
        this.#pump();
      });
      const fail = () => {
        if (slot.gone) return;
        slot.gone = true;
        this.#queue.unshift(...slot.held.values());
        slot.held.clear();
        this.#pump();
      };
      worker.on('error', fail);
      worker.on('exit', fail);
      this.#slots.push(slot);
    }
  }

  /** The index in `entries` of the first entry whose signature does not verify, or -1. */
  async check(entries: readonly LedgerEntry[]): Promise<number> {
    const verdicts: Promise<number>[] = [];
    for (let start = 0; start < entries.length; start += CHUNK) {
      const part = entries.slice(start, start + CHUNK);
      const batch: SignatureBatch = {
        id: this.#id++,
        keyIds: part.map((entry) => entry.keyId),
        hashes: part.map((entry) => entry.hash),
        signatures: part.map((entry) => entry.signature),
      };
      verdicts.push(
        new Promise<number>((resolve) => this.#queue.push({ batch, resolve })).then((bad) =>
          bad < 0 ? -1 : start + bad,
        ),
      );
    }
    this.#pump();
    // Batches are in order: the first verdict that found one holds the first bad entry.
    return (await Promise.all(verdicts)).find((bad) => bad >= 0) ?? -1;
  }

  /** Waits for `verdict`, checking queued batches on this thread meanwhile. */
  async await<T>(verdict: Promise<T>): Promise<T> {
    let settled = false;
    void verdict.then(() => (settled = true));
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the workers' answers in
      if (settled) return verdict;
      const job = this.#queue.shift();
      if (!job) return verdict;
      job.resolve(firstBadSignature(this.#local, job.batch));
    }
  }

  #pump(): void {
    for (const slot of this.#slots) {
      while (slot.ready && !slot.gone && slot.held.size < PER_WORKER && this.#queue.length > 0) {
        const job = this.#queue.shift()!;
        slot.held.set(job.batch.id, job);
        slot.worker.postMessage(job.batch);
      }
    }
  }

  async close(): Promise<void> {
    for (const slot of this.#slots) slot.gone = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

/** A page of entries walked, waiting for its signatures. */
interface Walked {
  readonly entries: readonly LedgerEntry[];
  /** Entries before the first chain problem (all of them when there is none). */
  readonly sound: number;
  readonly problem: ChainProblem | null;
  /** Index of the first entry whose signature does not verify, or -1. */
  readonly signatures: Promise<number>;
}

/** What the walk by entries found: the entries it vouched for, their last, and the first problem, if any. */
interface Walk {
  readonly count: number;
  readonly head: ChainHead | null;
  readonly problem: ChainProblem | null;
  readonly keyIds: ReadonlySet<string>;
}

/**
 * Walks the entries after `from`, in order, to the end of the ledger: the chain here, the signatures (with at least
 * `PARALLEL_FROM` entries `left`) on worker threads as well. Stops at the first problem.
 */
async function walkEntries(
  engine: Engine,
  publicKeys: ReadonlyMap<string, string>,
  from: ChainHead | null,
  checkSignatures: boolean,
  workers: number | undefined,
  left: number,
): Promise<Walk> {
  const local = chainCrypto(publicKeys);
  const crypto: ChainCrypto = { sha256, verify: local.verify };
  const size = checkSignatures ? (workers ?? (left >= PARALLEL_FROM ? availableParallelism() : 0)) : 0;
  const pool = size > 0 ? new SignaturePool(publicKeys, size, local) : null;
  const keyIds = new Set<string>();
  let count = 0;
  // Counts the entries before the first bad one and returns the problem, if any.
  const settle = async (page: Walked): Promise<ChainProblem | null> => {
    const bad = await (pool ? pool.await(page.signatures) : page.signatures);
    const upto = bad >= 0 ? bad : page.sound;
    for (let i = 0; i < upto; i++) keyIds.add(page.entries[i]!.keyId);
    count += upto;
    return bad >= 0 ? signatureProblem(page.entries[bad]!) : page.problem;
  };
  const walked: Walked[] = [];
  let problem: ChainProblem | null = null;
  let walk: ChainHead | null = from;
  try {
    for (;;) {
      const batch = await engine.store.entries({ fromSeq: (walk?.seq ?? 0) + 1, limit: PAGE });
      if (batch.length === 0) break;
      // The chain in order, here; with a pool, the signatures of the sound part go to the workers.
      const found = chainProblemAt(batch, walk, crypto, checkSignatures && !pool);
      const sound = found ? found.index : batch.length;
      walked.push({
        entries: batch,
        sound,
        problem: found && { seq: found.seq, reason: found.reason },
        signatures: pool ? pool.check(batch.slice(0, sound)) : Promise.resolve(-1),
      });
      if (found) break;
      const last = batch[batch.length - 1]!;
      walk = { seq: last.seq, hash: last.hash };
      while (walked.length > (pool ? AHEAD : 0) && !problem) problem = await settle(walked.shift()!);
      if (problem) break;
    }
    while (walked.length > 0 && !problem) problem = await settle(walked.shift()!);
  } finally {
    await pool?.close();
  }
  return { count, head: problem ? null : walk, problem, keyIds };
}

/** The fold of the ledger's first entries: each task's state, and people's passkeys and decisions. */
export interface LedgerFold {
  readonly states: ReadonlyMap<string, TaskState | undefined>;
  readonly registrations: readonly LedgerEntry[];
  readonly decisions: readonly LedgerEntry[];
}

/** Folds entries 1..`upto` in order into each task's state, as the moves did, collecting people's passkeys and decisions. */
export async function refoldLedger(engine: Engine, upto: number): Promise<LedgerFold> {
  const states = new Map<string, TaskState | undefined>();
  const registrations: LedgerEntry[] = [];
  const decisions: LedgerEntry[] = [];
  for (let seq = 1; seq <= upto;) {
    const batch = await engine.store.entries({ fromSeq: seq, limit: Math.min(PAGE, upto - seq + 1) });
    if (batch.length === 0) break;
    for (const entry of batch) {
      if (entry.kind === 'person_registered') registrations.push(entry);
      else if (isPersonDecision(entry)) decisions.push(entry);
      if (entry.taskId !== null) states.set(entry.taskId, applyEntry(states.get(entry.taskId), entry));
    }
    seq = batch[batch.length - 1]!.seq + 1;
  }
  return { states, registrations, decisions };
}

/** The stored task projections that do not match `states`, the fold of the ledger. */
export async function projectionProblems(
  engine: Engine,
  states: ReadonlyMap<string, TaskState | undefined>,
): Promise<LedgerProblem[]> {
  const problems: LedgerProblem[] = [];
  const stored = new Map((await engine.store.listTasks()).map((t) => [t.taskId, t]));
  for (const [taskId, folded] of states) {
    if (!folded) continue;
    // Read by its key, as the use cases read it, and compared whole: the gate trusts the digests recorded in it.
    const s = await engine.store.getTask(taskId);
    if (!s || canonicalize(s) !== canonicalize(folded)) {
      problems.push({
        kind: 'projection',
        taskId,
        reason: `the stored state of ${taskId} does not match its ledger entries`,
      });
    }
    stored.delete(taskId);
  }
  for (const taskId of stored.keys())
    problems.push({ kind: 'projection', taskId, reason: `task ${taskId} is stored but has no ledger entries` });
  return problems;
}

/**
 * Verifies the ledger. The first problem reported is the first bad entry in
 * ledger order, and within an entry the first failed check (sequence, link,
 * hash, signature), whether or not worker threads checked the signatures.
 */
export async function verifyLedger(engine: Engine, opts: VerifyOptions = {}): Promise<LedgerReport> {
  const publicKeys = await engine.store.keys();
  const checkSignatures = opts.signatures ?? true;
  const upto = (await engine.store.head())?.seq ?? 0;
  const keys = new Set<string>();
  const problems: LedgerProblem[] = [];
  // First over raw rows, on every core, as far as every range checks out; from there on (a range it cannot vouch
  // for, entries appended meanwhile, or a store without a raw reader) entry by entry, which names the first problem.
  let vouched: ChainHead | null = null;
  const spec = upto > 0 ? engine.store.chainReader?.() : undefined;
  if (spec) {
    const fast = await fastChain(spec, publicKeys, upto, {
      signatures: checkSignatures,
      workers:
        opts.workers ?? (upto >= (checkSignatures ? PARALLEL_FROM : CHAIN_PARALLEL_FROM) ? availableParallelism() : 0),
      here: opts.mainThread ?? true,
      range: Math.max(1, opts.range ?? (checkSignatures ? SIGNED_RANGE : CHAIN_RANGE)),
    });
    vouched = fast.head;
    for (const k of fast.keyIds) keys.add(k);
  }
  const walked = await walkEntries(
    engine,
    publicKeys,
    vouched,
    checkSignatures,
    opts.workers,
    upto - (vouched?.seq ?? 0),
  );
  for (const k of walked.keyIds) keys.add(k);
  const count = (vouched?.seq ?? 0) + walked.count;
  let prev: ChainHead | null = null;
  if (walked.problem) problems.push({ kind: 'chain', seq: walked.problem.seq, reason: walked.problem.reason });
  else prev = walked.head ?? vouched;
  const head = await engine.store.head();
  if (problems.length === 0 && (head?.seq ?? 0) !== (prev?.seq ?? 0)) {
    problems.push({ kind: 'chain', seq: head?.seq ?? 0, reason: 'the head does not match the last entry walked' });
  }
  let artifacts = 0;
  const chainSound = problems.length === 0;
  // Whether this is the store's whole history: the anchored head, the commits' trailers and the committed bundles
  // name entries it must hold (a wiped, truncated, replaced or shadow store is not "0 entries, green"). Before the
  // projections: a store that lost entries explains the projections that no longer match them.
  if (opts.history ?? true) {
    for (const p of await historyProblems({
      layout: engine.layout,
      store: engine.store,
      keyIds: [engine.signer.keyId],
    }))
      problems.push({
        kind: 'history',
        reason: `${p.reason}. To repair: ${p.fix}`,
        ...(p.seq !== undefined ? { seq: p.seq } : {}),
        ...(p.path ? { path: p.path } : {}),
      });
  }
  // The task projections refolded from the entries and compared with the stored ones, and people's decisions.
  const fold = chainSound && !opts.chainOnly ? await refoldLedger(engine, count) : null;
  if (fold) {
    // Every person's decision: a valid passkey assertion by a credential registered before it, over what it records.
    for (const p of await checkDecisions(fold.decisions, registrationsOf(fold.registrations))) {
      problems.push({ kind: 'decision', seq: p.seq, ...(p.taskId ? { taskId: p.taskId } : {}), reason: p.reason });
    }
    problems.push(...(await projectionProblems(engine, fold.states)));
    const states = fold.states;
    if (opts.evidence ?? true) {
      for (const folded of states.values()) {
        // The current phase of an active task is still being written: a file may be replaced before its
        // entry commits (or a killed process may leave it so). Its digests are checked by the gate when
        // the phase is passed; from then on every digest is sealed and checked here.
        const open =
          folded && folded.status === 'active' ? `evidence/${folded.taskId}/${folded.phase.toLowerCase()}/` : null;
        for (const a of Object.values(folded?.artifacts ?? {})) {
          if (open && a.path.startsWith(open)) continue;
          artifacts++;
          const file = readNoFollow(join(engine.layout.stateDir, a.path), 1024 * 1024 * 1024);
          if (file.kind !== 'file') {
            problems.push({
              kind: 'evidence',
              seq: a.seq,
              path: a.path,
              reason: `${a.path} is ${file.kind === 'missing' ? 'missing' : `a ${file.kind}`}`,
            });
          } else if (file.sha256 !== a.sha256) {
            problems.push({
              kind: 'evidence',
              seq: a.seq,
              path: a.path,
              reason: `${a.path} changed after entry ${a.seq} recorded it`,
            });
          }
        }
      }
    }
  }
  // What the store finds damaged in itself: pages and indexes the walk above may never read.
  if (!opts.chainOnly) for (const reason of await storeDamage(engine)) problems.push({ kind: 'store', reason });
  return {
    ok: problems.length === 0,
    entries: count,
    tasks: fold?.states.size ?? 0,
    artifacts,
    decisions: fold?.decisions.length ?? 0,
    keys: [...keys],
    head,
    problems,
  };
}

async function storeDamage(engine: Engine): Promise<string[]> {
  if (!engine.store.integrity) return [];
  try {
    return (await engine.store.integrity()).slice(0, 10).map((p) => `the store reports damage: ${p}`);
  } catch (err) {
    return [`the store cannot check itself: ${(err as Error).message}`];
  }
}
