/**
 * @module The move rows of `npm run bench` alone, for work on the move: STRATEGIZE→SPEC with telemetry on and off and
 * IMPLEMENT→VERIFY, each run three times (the table shows the median run and the spread), with the load average
 * before and after each row. `node --import tsx bench/moves.ts`; BENCH_QUICK=1 for smaller counts. Writes nothing
 * but stdout.
 */
import { loadavg } from 'node:os';
import { openEngine, closeEngine } from '../src/engine/context.ts';
import { openStoreFor, sinkFor } from '../src/surfaces/compose.ts';
import { noopSink } from '../src/ports/events.ts';
import { ProcessRunner } from '../src/adapters/process/index.ts';
import { inRounds, table, type Stats } from './stats.ts';
import { benchImplementToVerify, benchRepo, benchStrategizeToSpec, moveProject } from './move.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const N = QUICK ? 300 : 3000;
const ROUNDS = 3;

const load = () => loadavg()[0]!.toFixed(1);
const rows: Stats[] = [];
const loads: string[] = [];
async function row(what: string, run: () => Promise<Stats[]>): Promise<void> {
  const before = load();
  rows.push(...(await run()));
  loads.push(`${what}: load average ${before} before, ${load()} after`);
}

const dir = await benchRepo();
for (const [label, telemetry] of [
  ['sqlite, telemetry on', true],
  ['sqlite, telemetry off', false],
] as const) {
  const engine = await openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: openStoreFor,
    ...(telemetry ? { makeSink: sinkFor } : { sink: noopSink }),
  });
  try {
    await row(label, () =>
      inRounds(ROUNDS, async (round) => [
        await benchStrategizeToSpec(engine, `${telemetry ? 'tel' : 'quiet'}${round}`, label, N),
      ]),
    );
  } finally {
    await closeEngine(engine);
  }
}
const moving = await moveProject();
try {
  await row('IMPLEMENT→VERIFY', () =>
    inRounds(ROUNDS, (round) => benchImplementToVerify(QUICK ? 20 : 100, round, moving.dir)),
  );
} finally {
  moving.dispose();
}
process.stdout.write(`${table(rows)}\n\n${loads.map((l) => `- ${l}`).join('\n')}\n`);
