/**
 * @module Ledger verification at scale: the bench ledger topped up to a
 * given size with entries shaped like the ones the run recorded (starts
 * aside), then `verifyLedger` as the built package runs it (`tsc -p
 * tsconfig.build.json`, so its workers are the compiled ones): the chain
 * alone, every signature, the task refold and the store's integrity_check,
 * each timed on its own, and the full verify as their sum.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import type { EntryDraft } from '../src/core/ledger.ts';
import type { Engine } from '../src/engine/context.ts';
import { append } from '../src/engine/ledger/record.ts';
import { openStoreFor } from '../src/surfaces/compose.ts';
import type * as VerifyModule from '../src/engine/ledger/verify.ts';
import type * as ContextModule from '../src/engine/context.ts';
import type * as ComposeModule from '../src/surfaces/compose.ts';
import type * as EventsModule from '../src/ports/events.ts';
import { compilePackage } from './build.ts';
import { cpuSince, mergeRounds, type Stats } from './stats.ts';

// Separate runs of each verification: the verdict uses their median.
const ROUNDS = 3;

/** Appends copies of the ledger's own entries (task starts and attestations left out) until it holds `target`; not journaled. */
export async function fillLedger(engine: Engine, target: number): Promise<void> {
  // The store without the decision journal: a hundred thousand journal lines would time the journal, not the ledger.
  const store = await openStoreFor(engine.layout, engine.config);
  try {
    const filler: Engine = { ...engine, store };
    const drafts: EntryDraft[] = (await store.entries())
      .filter((x) => x.kind !== 'task_started' && x.kind !== 'attestation')
      .map(({ taskId, kind, fromPhase, toPhase, actor, artifacts, data }) => ({
        taskId,
        kind,
        fromPhase,
        toPhase,
        actor,
        artifacts,
        data,
      }));
    if (drafts.length === 0) throw new Error('the bench ledger has no entries to copy');
    let head = (await store.head())?.seq ?? 0;
    let k = 0;
    while (head < target) {
      const n = Math.min(500, target - head);
      await store.transact(async (tx) => {
        for (let i = 0; i < n; i++) await append(filler, tx, drafts[k++ % drafts.length]!);
      });
      head += n;
    }
  } finally {
    await store.close();
  }
}

interface Built {
  readonly verifyLedger: typeof VerifyModule.verifyLedger;
  readonly refoldLedger: typeof VerifyModule.refoldLedger;
  readonly projectionProblems: typeof VerifyModule.projectionProblems;
  readonly openEngine: typeof ContextModule.openEngine;
  readonly closeEngine: typeof ContextModule.closeEngine;
  readonly openStoreFor: typeof ComposeModule.openStoreFor;
  readonly noopSink: typeof EventsModule.noopSink;
}

/** Compiles the package into `dir` (dist/, package.json, node_modules linked) and loads what verification needs from it. */
async function buildPackage(dir: string): Promise<Built> {
  compilePackage(dir);
  const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(dir, 'dist', rel)).href)) as T;
  const verify = await load<typeof VerifyModule>('engine/ledger/verify.js');
  const context = await load<typeof ContextModule>('engine/context.js');
  const compose = await load<typeof ComposeModule>('surfaces/compose.js');
  const events = await load<typeof EventsModule>('ports/events.js');
  return {
    verifyLedger: verify.verifyLedger,
    refoldLedger: verify.refoldLedger,
    projectionProblems: verify.projectionProblems,
    openEngine: context.openEngine,
    closeEngine: context.closeEngine,
    openStoreFor: compose.openStoreFor,
    noopSink: events.noopSink,
  };
}

/** One timed part of a verify: what it checked (entries) and its wall and CPU time. */
interface Part {
  readonly entries: number;
  readonly secs: number;
  readonly cpuUs: number;
}

async function timed(entries: number, run: () => Promise<void>): Promise<Part> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  return { entries, secs: (performance.now() - t0) / 1000, cpuUs: cpuSince(cpu0) };
}

const rowOf = (name: string, parts: readonly Part[], note: string): Stats => {
  const secs = parts.reduce((a, p) => a + p.secs, 0);
  const cpu = parts.reduce((a, p) => a + p.cpuUs, 0);
  const n = parts[0]!.entries;
  return { name, n, p50: NaN, p95: NaN, p99: NaN, throughput: n / secs, cpuUs: cpu / n, note };
};

/**
 * The verification rows over the ledger of the repository at `dir`, which must hold `entries` entries: the chain
 * alone (worker threads and this one, and this one alone) and with every signature (worker threads with and without
 * this thread: on a one-thread walk the signatures cost as much CPU, and the rows took a third of the run), the task refold, the
 * store's integrity_check, and the full verify as the sum of its parts. Three runs of each, in turn.
 */
export async function benchVerify(dir: string, buildDir: string, entries: number): Promise<Stats[]> {
  const built = await buildPackage(buildDir);
  const e = await built.openEngine({ cwd: dir, openStore: built.openStoreFor, sink: built.noopSink });
  const cores = availableParallelism();
  const where = `built package, in this process, ${cores} cores`;
  try {
    const verified = async (opts: VerifyModule.VerifyOptions) => {
      const report = await built.verifyLedger(e, { evidence: false, history: false, ...opts });
      if (!report.ok) throw new Error(`the bench ledger does not verify: ${report.problems[0]?.reason}`);
      if (report.entries !== entries) throw new Error(`verified ${report.entries} entries, expected ${entries}`);
    };
    const walks: [string, VerifyModule.VerifyOptions, string][] = [
      [
        `ledger verify, chain only, ${cores} worker threads + this one`,
        { chainOnly: true, signatures: false, workers: cores },
        `seq, links, every hash over the stored canonical text; raw rows, ranges on the workers and here; ${where}; entries/s`,
      ],
      [
        'ledger verify, chain only, one thread',
        { chainOnly: true, signatures: false, workers: 0 },
        `the same on this thread alone; ${where}; entries/s`,
      ],
      [
        `ledger verify, signatures, ${cores} worker threads + this one`,
        { chainOnly: true, workers: cores },
        `the chain and every ed25519 signature, ranges of 500 on the workers and here; ${where}; entries/s`,
      ],
      [
        `ledger verify, signatures, ${cores} worker threads`,
        { chainOnly: true, workers: cores, mainThread: false },
        `the same, this thread only hands out ranges; ${where}; entries/s`,
      ],
    ];
    const byName = new Map<string, Stats[]>();
    const add = (row: Stats) => byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
    for (let round = 0; round < ROUNDS; round++) {
      const parts = new Map<string, Part>();
      for (const [name, opts, note] of walks) {
        const part = await timed(entries, () => verified(opts));
        parts.set(name, part);
        add(rowOf(`${name} (${entries} entries)`, [part], note));
      }
      const refold = await timed(entries, async () => {
        const fold = await built.refoldLedger(e, entries);
        const problems = await built.projectionProblems(e, fold.states);
        if (problems.length > 0) throw new Error(`the bench projections do not match: ${problems[0]!.reason}`);
      });
      add(
        rowOf(
          `ledger verify, task refold (${entries} entries)`,
          [refold],
          `every entry read and decoded, each task's state refolded and compared with the stored one; ${where}; entries/s`,
        ),
      );
      const integrity = await timed(entries, async () => {
        const damage = (await e.store.integrity?.()) ?? [];
        if (damage.length > 0) throw new Error(`the bench store reports damage: ${damage[0]}`);
      });
      add(
        rowOf(
          `store integrity check (${entries} entries)`,
          [integrity],
          `SQLite PRAGMA integrity_check: every page and index; ${where}; entries/s`,
        ),
      );
      const chain = parts.get(walks[0]![0])!;
      const signed = parts.get(walks[2]![0])!;
      add(
        rowOf(
          `ledger verify, full, without signatures (${entries} entries)`,
          [chain, refold, integrity],
          'sum of chain only (workers + this thread), task refold and integrity check, as `ledger verify` runs them; entries/s',
        ),
      );
      add(
        rowOf(
          `ledger verify, full (${entries} entries)`,
          [signed, refold, integrity],
          'sum of signatures (workers + this thread), task refold and integrity check: what `ledger verify` does but the evidence digests; entries/s',
        ),
      );
    }
    return [...byName.values()].map(mergeRounds);
  } finally {
    await built.closeEngine(e);
  }
}
