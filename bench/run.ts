/**
 * @module `npm run bench`: p50/p95/p99, throughput and CPU per operation of
 * the paths that matter, and a peer (LangGraph.js) in the same run, written to
 * bench/RESULTS.md with the machine's description and notes on each target.
 * BENCH_QUICK=1 runs smaller counts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem, tmpdir, platform, release } from 'node:os';
import { join } from 'node:path';
import { openEngine, closeEngine, type Actor } from '../src/engine/context.ts';
import { startTask } from '../src/engine/task/start.ts';
import { leaseOp } from '../src/engine/task/leases.ts';
import { append } from '../src/engine/ledger/record.ts';
import { openStoreAt, openStoreFor, sinkFor } from '../src/surfaces/compose.ts';
import { fanOut, noopSink } from '../src/ports/events.ts';
import { inRounds, measure, table, type Stats } from './stats.ts';
import { benchDependencies, benchSandbox } from './sandbox.ts';
import { benchWall } from './wall.ts';
import { benchCoverage } from './coverage.ts';
import { benchSupplyChain } from './supply-chain.ts';
import { benchGuard } from './guard.ts';
import { benchMcp } from './mcp.ts';
import { benchVerify, fillLedger } from './verify.ts';
import { notes } from './notes.ts';
import { benchLangGraph } from './peer/langgraph.ts';
import { benchHooks } from './hooks.ts';
import { benchAtlas } from './atlas.ts';
import { benchImplementToVerify, benchRepo, benchStrategizeToSpec, moveProject } from './move.ts';
import { benchDashboard } from './dashboard.ts';
import { findPgBin, startPostgres } from '../test/helpers/postgres.ts';
import { ProcessRunner } from '../src/adapters/process/index.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const N = QUICK ? 300 : 3000;
/** Entries in the ledger that verification is timed on. */
const LEDGER = QUICK ? 20_000 : 100_000;
/** Separate runs of each row a target is judged on. */
const ROUNDS = 3;

/** The rows of the report, each said on stderr when it is added. */
class ProgressRows extends Array<Stats> {
  override push(...items: Stats[]): number {
    for (const r of items)
      process.stderr.write(
        `bench: ${r.name}: ${Number.isNaN(r.p50) ? (r.note ?? 'not measured') : `p50 ${r.p50.toFixed(2)} ms`}\n`,
      );
    return super.push(...items);
  }
}

const agent: Actor = { id: 'agent:bench', holder: 'agent:bench' };

const benchDraft = {
  taskId: null,
  kind: 'evidence',
  fromPhase: null,
  toPhase: null,
  actor: 'bench',
  artifacts: [],
  data: { i: 1 },
} as const;

/** Ledger append and lease acquire + release on a throw-away PostgreSQL server (on this machine: no network in the numbers). */
async function postgresRows(dir: string): Promise<Stats[]> {
  if (!findPgBin()) {
    process.stdout.write(
      'note: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql): the postgres rows are skipped\n',
    );
    return [];
  }
  const server = await startPostgres();
  try {
    const url = await server.createDatabase();
    const e = await openEngine({
      runner: new ProcessRunner(),
      cwd: dir,
      openStore: () => openStoreAt({ kind: 'postgres', url }),
      sink: noopSink,
    });
    try {
      const rows = [
        await measure('ledger append (postgres, signed)', N * 3, () =>
          e.store.transact((tx) => append(e, tx, benchDraft)),
        ),
      ];
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
  const loadBefore = loadavg()[0] ?? NaN;
  // Each row is said on stderr as it is measured: a long run shows its progress, and a crash shows where it was.
  const rows = new ProgressRows();
  const dir = await benchRepo();

  const withTelemetry = await openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: openStoreFor,
    makeSink: sinkFor,
  });
  // The targets' rows run three times each: their verdicts use the median run, and the table shows the spread.
  rows.push(
    ...(await inRounds(ROUNDS, async (round) => [
      await benchStrategizeToSpec(withTelemetry, `tel${round}`, 'sqlite, telemetry on', N),
    ])),
  );
  await closeEngine(withTelemetry);
  // The move that runs git: a project of its own with the demo's change, three runs of it as well.
  const moving = await moveProject();
  try {
    rows.push(...(await inRounds(ROUNDS, (round) => benchImplementToVerify(QUICK ? 20 : 100, round, moving.dir))));
  } finally {
    moving.dispose();
  }

  // JSONL and the OpenTelemetry SDK, exporting to memory: the SDK's cost without the network's.
  const { createOtelSink } = await import('../src/adapters/otel/index.ts');
  const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
  const { InMemoryMetricExporter, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
  const otel = await createOtelSink({
    spanExporter: new InMemorySpanExporter(),
    metricExporter: new InMemoryMetricExporter(AggregationTemporality.DELTA),
  });
  const withOtel = await openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: openStoreFor,
    makeSink: (layout) => fanOut(sinkFor(layout, {}), otel),
  });
  rows.push(await benchStrategizeToSpec(withOtel, 'otel', 'sqlite, JSONL + OpenTelemetry', N));
  await closeEngine(withOtel);

  const quiet = await openEngine({ runner: new ProcessRunner(), cwd: dir, openStore: openStoreFor, sink: noopSink });
  rows.push(
    ...(await inRounds(ROUNDS, async (round) => [
      await benchStrategizeToSpec(quiet, `quiet${round}`, 'sqlite, telemetry off', N),
    ])),
  );

  rows.push(
    await measure(
      'ledger append (sqlite, signed)',
      N * 3,
      () =>
        quiet.store.transact((tx) =>
          append(quiet, tx, {
            taskId: null,
            kind: 'evidence',
            fromPhase: null,
            toPhase: null,
            actor: 'bench',
            artifacts: [],
            data: { i: 1 },
          }),
        ),
      { cpu: true, note: 'one entry in its own write transaction' },
    ),
  );

  const leaseTask = 'lease-bench';
  await startTask(quiet, agent, { taskId: leaseTask });
  rows.push(
    await measure(
      'lease acquire + release (sqlite)',
      N,
      async () => {
        const a = await leaseOp(quiet, agent, 'acquire', { taskId: leaseTask });
        if (!a.ok) throw new Error(a.error.message);
        const r = await leaseOp(quiet, agent, 'release', { taskId: leaseTask });
        if (!r.ok) throw new Error(r.error.message);
      },
      { cpu: true },
    ),
  );
  // A repository of its own: this user's anchor of the first one names entries its new PostgreSQL store never had.
  rows.push(...(await postgresRows(await benchRepo())));

  rows.push(...(await inRounds(ROUNDS, () => benchGuard(QUICK ? 5000 : 50_000))));
  rows.push(...(await benchMcp(dir, leaseTask, QUICK ? 100 : 1000)));
  rows.push(...(await benchLangGraph(N)));

  await fillLedger(quiet, LEDGER);
  await closeEngine(quiet);
  const build = mkdtempSync(join(tmpdir(), 'autopilot-bench-build-'));
  try {
    rows.push(...(await benchVerify(dir, build, LEDGER)));
  } finally {
    rmSync(build, { recursive: true, force: true });
  }

  rows.push(...(await benchSandbox(QUICK ? 20 : 100)));
  rows.push(...(await benchDependencies(QUICK ? 5 : 15, QUICK ? 30 : 150)));
  rows.push(...(await benchWall(QUICK ? 20 : 100)));
  rows.push(...(await benchCoverage(5000, QUICK ? 5 : 20)));
  rows.push(...(await inRounds(ROUNDS, () => benchSupplyChain(2000, QUICK ? 5 : 20))));
  rows.push(...(await benchHooks(QUICK ? 20 : 100)));
  rows.push(...(await benchAtlas(5000, QUICK ? 1 : 3)));
  // 10,000 tasks and 1,000,000 signed entries (a tenth of that in a quick run).
  rows.push(...(await benchDashboard(QUICK ? 1000 : 10_000, 100, QUICK ? 10 : 30)));

  const loadAfter = loadavg()[0] ?? NaN;
  const machine = `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  const load = `load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end`;
  const nodeEnv = Object.fromEntries(
    ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
  );
  const out = `# Benchmarks\n\nMachine: ${machine}; ${load}\nDate: ${new Date().toISOString()}${QUICK ? ' (quick run)' : ''}\n\n${table(rows)}\n\n${notes(rows, { loadBefore, loadAfter, cores: availableParallelism(), nodeEnv })}`;
  process.stdout.write(out);
  writeFileSync(join(import.meta.dirname, 'RESULTS.md'), out);
}

await main();
