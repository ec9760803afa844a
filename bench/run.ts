/**
 * @module `npm run bench`: p50/p95/p99 and throughput of the paths that
 * matter, on this machine, written to bench/RESULTS.md with the machine's
 * description. BENCH_QUICK=1 runs smaller counts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, platform, release } from 'node:os';
import { join } from 'node:path';
import { openEngine, closeEngine, type Engine, type Actor } from '../src/engine/context.ts';
import { applyInit, planInit } from '../src/engine/init.ts';
import { startTask } from '../src/engine/start-task.ts';
import { advance } from '../src/engine/advance.ts';
import { putEvidence } from '../src/engine/evidence.ts';
import { leaseOp } from '../src/engine/leases.ts';
import { append } from '../src/engine/record.ts';
import { verifyLedger } from '../src/engine/ledger-verify.ts';
import { openStoreAt, openStoreFor, sinkFor } from '../src/surfaces/compose.ts';
import { fanOut, noopSink } from '../src/ports/events.ts';
import { STRATEGY } from '../src/surfaces/demo/project.ts';
import { measure, table, type Stats } from './stats.ts';
import { benchSandbox } from './sandbox.ts';
import { findPgBin, startPostgres } from '../test/helpers/postgres.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const N = QUICK ? 300 : 3000;

async function repo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  execFileSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env });
  const plan = await planInit(dir);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  return dir;
}

const agent: Actor = { id: 'agent:bench', holder: 'agent:bench' };

async function transitions(e: Engine, prefix: string, label: string): Promise<Stats> {
  const ids: string[] = [];
  for (let i = 0; i < N + 50; i++) {
    const id = `${prefix}-${i}`;
    const s = await startTask(e, agent, { taskId: id });
    if (!s.ok) throw new Error(s.error.message);
    const p = await putEvidence(e, agent, { taskId: id, phase: 'STRATEGIZE', name: 'strategy.md', content: Buffer.from(STRATEGY) });
    if (!p.ok) throw new Error(p.error.message);
    ids.push(id);
  }
  let next = 0;
  return measure(
    `transition STRATEGIZE→SPEC (${label})`,
    N,
    async () => {
      const r = await advance(e, agent, { taskId: ids[next++]! });
      if (!r.ok) throw new Error(r.error.message);
    },
    { note: 'lease check, attestation check, evidence validation, digest re-check, signed append' },
  );
}

const benchDraft = { taskId: null, kind: 'evidence', fromPhase: null, toPhase: null, actor: 'bench', artifacts: [], data: { i: 1 } } as const;

/** Ledger append and lease acquire + release on a throw-away PostgreSQL server (on this machine: no network in the numbers). */
async function postgresRows(dir: string): Promise<Stats[]> {
  if (!findPgBin()) {
    process.stdout.write('note: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql): the postgres rows are skipped\n');
    return [];
  }
  const server = await startPostgres();
  try {
    const url = await server.createDatabase();
    const e = await openEngine({ cwd: dir, openStore: () => openStoreAt({ kind: 'postgres', url }), sink: noopSink });
    try {
      const rows = [await measure('ledger append (postgres, signed)', N * 3, () => e.store.transact((tx) => append(e, tx, benchDraft)))];
      await startTask(e, agent, { taskId: 'lease-bench' });
      rows.push(
        await measure('lease acquire + release (postgres)', N, async () => {
          const a = await leaseOp(e, agent, 'acquire', { taskId: 'lease-bench' });
          if (!a.ok) throw new Error(a.error.message);
          const r = await leaseOp(e, agent, 'release', { taskId: 'lease-bench' });
          if (!r.ok) throw new Error(r.error.message);
        }),
      );
      return rows;
    } finally {
      await closeEngine(e);
    }
  } finally {
    await server.dispose();
  }
}

async function main(): Promise<void> {
  const rows: Stats[] = [];
  const dir = await repo();

  const withTelemetry = await openEngine({ cwd: dir, openStore: openStoreFor, makeSink: sinkFor });
  rows.push(await transitions(withTelemetry, 'tel', 'sqlite, telemetry on'));
  await closeEngine(withTelemetry);

  // JSONL and the OpenTelemetry SDK, exporting to memory: the SDK's cost without the network's.
  const { createOtelSink } = await import('../src/adapters/otel/index.ts');
  const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
  const { InMemoryMetricExporter, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
  const otel = await createOtelSink({ spanExporter: new InMemorySpanExporter(), metricExporter: new InMemoryMetricExporter(AggregationTemporality.DELTA) });
  const withOtel = await openEngine({ cwd: dir, openStore: openStoreFor, makeSink: (layout) => fanOut(sinkFor(layout, {}), otel) });
  rows.push(await transitions(withOtel, 'otel', 'sqlite, JSONL + OpenTelemetry'));
  await closeEngine(withOtel);

  const quiet = await openEngine({ cwd: dir, openStore: openStoreFor, sink: noopSink });
  rows.push(await transitions(quiet, 'quiet', 'sqlite, telemetry off'));

  rows.push(
    await measure('ledger append (sqlite, signed)', N * 3, () =>
      quiet.store.transact((tx) => append(quiet, tx, { taskId: null, kind: 'evidence', fromPhase: null, toPhase: null, actor: 'bench', artifacts: [], data: { i: 1 } })),
    ),
  );

  const leaseTask = 'lease-bench';
  await startTask(quiet, agent, { taskId: leaseTask });
  rows.push(
    await measure('lease acquire + release (sqlite)', N, async () => {
      const a = await leaseOp(quiet, agent, 'acquire', { taskId: leaseTask });
      if (!a.ok) throw new Error(a.error.message);
      const r = await leaseOp(quiet, agent, 'release', { taskId: leaseTask });
      if (!r.ok) throw new Error(r.error.message);
    }),
  );
  rows.push(...(await postgresRows(dir)));

  const head = (await quiet.store.head())?.seq ?? 0;
  const t0 = performance.now();
  const report = await verifyLedger(quiet, { evidence: false });
  const secs = (performance.now() - t0) / 1000;
  if (!report.ok) throw new Error(`ledger does not verify: ${report.problems[0]?.reason}`);
  rows.push({ name: `ledger verify, signatures (${head} entries)`, n: head, p50: NaN, p95: NaN, p99: NaN, throughput: head / secs, note: 'entries per second' });
  const t1 = performance.now();
  await verifyLedger(quiet, { evidence: false, signatures: false });
  rows.push({ name: `ledger verify, chain only (${head} entries)`, n: head, p50: NaN, p95: NaN, p99: NaN, throughput: head / ((performance.now() - t1) / 1000), note: 'entries per second' });
  await closeEngine(quiet);

  rows.push(...(await benchSandbox(QUICK ? 20 : 100)));

  const machine = `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  const out = `# Benchmarks\n\nMachine: ${machine}\nDate: ${new Date().toISOString()}${QUICK ? ' (quick run)' : ''}\n\n${table(rows)}\n`;
  process.stdout.write(out);
  writeFileSync(join(import.meta.dirname, 'RESULTS.md'), out);
}

await main();
