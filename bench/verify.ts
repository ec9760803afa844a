/**
 * @module Ledger verification at scale: the bench ledger topped up to a
 * given size with entries shaped like the ones the run recorded (starts
 * aside), then `verifyLedger` as the built package runs it (`tsc -p
 * tsconfig.build.json`, so its signature workers are the compiled ones):
 * every signature on worker threads, every signature on one thread, and the
 * chain alone.
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
    openEngine: context.openEngine,
    closeEngine: context.closeEngine,
    openStoreFor: compose.openStoreFor,
    noopSink: events.noopSink,
  };
}

/** The three verification rows over the ledger of the repository at `dir`, which must hold `entries` entries. */
export async function benchVerify(dir: string, buildDir: string, entries: number): Promise<Stats[]> {
  const built = await buildPackage(buildDir);
  const e = await built.openEngine({ cwd: dir, openStore: built.openStoreFor, sink: built.noopSink });
  const rows: Stats[] = [];
  try {
    const cores = availableParallelism();
    const runs: [string, VerifyModule.VerifyOptions, string][] = [
      [
        `ledger verify, signatures, ${cores} worker threads`,
        { evidence: false },
        'chain walked in order here, signatures checked on the workers and here; entries/s',
      ],
      ['ledger verify, signatures, one thread', { evidence: false, workers: 0 }, 'entries/s'],
      [
        'ledger verify, chain only',
        { evidence: false, signatures: false },
        'hash links, every hash, the task projections refolded; entries/s',
      ],
    ];
    // Three runs of each, one after the other, so that the verdict rests on their median.
    const byName = new Map<string, Stats[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, opts, note] of runs) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const report = await built.verifyLedger(e, opts);
        const secs = (performance.now() - t0) / 1000;
        const cpuUs = cpuSince(cpu0) / report.entries;
        if (!report.ok) throw new Error(`the bench ledger does not verify: ${report.problems[0]?.reason}`);
        if (report.entries !== entries) throw new Error(`verified ${report.entries} entries, expected ${entries}`);
        const row: Stats = {
          name: `${name} (${entries} entries)`,
          n: entries,
          p50: NaN,
          p95: NaN,
          p99: NaN,
          throughput: entries / secs,
          cpuUs,
          note,
        };
        byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
      }
    rows.push(...[...byName.values()].map(mergeRounds));
    // Part of each run above: the store's check of its own pages and indexes, shown alone.
    if (e.store.integrity) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const damage = await e.store.integrity();
      const secs = (performance.now() - t0) / 1000;
      if (damage.length > 0) throw new Error(`the bench store reports damage: ${damage[0]}`);
      rows.push({
        name: `store integrity check, part of each verify above (${entries} entries)`,
        n: entries,
        p50: NaN,
        p95: NaN,
        p99: NaN,
        throughput: entries / secs,
        cpuUs: cpuSince(cpu0) / entries,
        note: `SQLite integrity_check: every page and index; ${secs.toFixed(2)} s`,
      });
    }
  } finally {
    await built.closeEngine(e);
  }
  return rows;
}
