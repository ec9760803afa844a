/**
 * @module A CPU profile of one path the bench times, for bench/profiles/: `node --import tsx bench/profile.ts move`
 * profiles STRATEGIZE→SPEC moves (telemetry on), `… verify` the chain-only and the signature walks of `ledger verify`.
 * Only the timed loop is profiled (the set-up is not); the profile goes to PROFILE_OUT (a .cpuprofile for Chrome's
 * DevTools) and a summary of the functions that took the most time, on their own and with what they call, to stdout.
 * MOVES and ENTRIES set the sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, closeEngine, type Actor, type Engine } from '../src/engine/context.ts';
import { applyInit, planInit } from '../src/engine/setup/init.ts';
import { startTask } from '../src/engine/task/start.ts';
import { advance } from '../src/engine/task/advance.ts';
import { putEvidence } from '../src/engine/task/evidence.ts';
import { verifyLedger, type VerifyOptions } from '../src/engine/ledger/verify.ts';
import { openStoreFor, sinkFor } from '../src/surfaces/compose.ts';
import { noopSink } from '../src/ports/events.ts';
import { STRATEGY } from '../src/surfaces/demo/project.ts';
import { ProcessRunner } from '../src/adapters/process/index.ts';
import { fillLedger } from './verify.ts';

const MOVES = Number(process.env['MOVES'] ?? 300);
const ENTRIES = Number(process.env['ENTRIES'] ?? 20_000);
const OUT = process.env['PROFILE_OUT'] ?? join(tmpdir(), 'autopilot');
const agent: Actor = { id: 'agent:bench', holder: 'agent:bench' };

async function repo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-profile-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b' };
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: { ...env, GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
  git('init', '-q');
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
  const plan = await planInit(dir);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  git('add', '-A');
  git('commit', '-qm', 'Set up Autopilot');
  return dir;
}

/** The demo's strategy with words of task `n`'s own, so that the copied-text check passes it (as bench/run.ts does). */
function strategyOf(n: number): string {
  return STRATEGY.split('\n')
    .map((line) =>
      line.startsWith('#') || !line.trim()
        ? line
        : line
            .split(' ')
            .map((word, j) => (j % 3 === 2 ? `${word} t${n}w${j}` : word))
            .join(' '),
    )
    .join('\n');
}

/** Tasks started with their strategy put, ready to move to SPEC. */
async function readyTasks(engine: Engine, prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    const s = await startTask(engine, agent, { taskId: id });
    if (!s.ok) throw new Error(s.error.message);
    const content = Buffer.from(strategyOf(ids.length + (prefix === 'warm' ? 0 : n)));
    const p = await putEvidence(engine, agent, { taskId: id, phase: 'STRATEGIZE', name: 'strategy.md', content });
    if (!p.ok) throw new Error(p.error.message);
    ids.push(id);
  }
  return ids;
}

/** Self and total shares of the `top` functions that took the most samples. */
function summary(profile: Profiler.Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<number, number>();
  for (const s of profile.samples ?? []) counts.set(s, (counts.get(s) ?? 0) + 1);
  const total = profile.samples?.length ?? 0;
  const name = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
  };
  const own = new Map<string, number>();
  const all = new Map<string, number>();
  for (const [id, c] of counts) {
    own.set(name(id), (own.get(name(id)) ?? 0) + c);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = name(at);
      if (!seen.has(n)) all.set(n, (all.get(n) ?? 0) + c);
      seen.add(n);
    }
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([n, c]) => `  ${((100 * c) / total).toFixed(1).padStart(5)}%  ${n}`)
      .join('\n');
  return `${total} samples\nown time:\n${list(own)}\nwith what it calls:\n${list(all)}\n`;
}

async function profiled(label: string, n: number, run: () => Promise<void>): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  const load = loadavg()[0]!;
  await session.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(`${OUT}-${label}.cpuprofile`, JSON.stringify(profile));
  process.stdout.write(
    `## ${label}: ${n} in ${ms.toFixed(0)} ms, ${(((cpu.user + cpu.system) / n) | 0).toLocaleString('en-US')} µs of CPU each ` +
      `(load average ${load.toFixed(1)} at the start); ${OUT}-${label}.cpuprofile\n${summary(profile, 30)}\n`,
  );
}

async function main(what: string | undefined): Promise<void> {
  const dir = await repo();
  const engine = await openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: openStoreFor,
    makeSink: sinkFor,
  });
  try {
    // Tasks moved before the profile: the copied-text check compares with fifty earlier tasks, as in a used repository.
    for (const id of await readyTasks(engine, 'warm', 60)) await advance(engine, agent, { taskId: id });
    if (what === 'move') {
      const ids = await readyTasks(engine, 'move', MOVES);
      await profiled('move', ids.length, async () => {
        for (const id of ids) {
          const r = await advance(engine, agent, { taskId: id });
          if (!r.ok) throw new Error(r.error.message);
        }
      });
      return;
    }
    if (what !== 'verify') throw new Error('usage: node --import tsx bench/profile.ts move|verify');
    await fillLedger(engine, ENTRIES);
  } finally {
    await closeEngine(engine);
  }
  const quiet = await openEngine({ cwd: dir, openStore: openStoreFor, sink: noopSink });
  try {
    const walks: [string, VerifyOptions][] = [
      ['verify-chain', { evidence: false, signatures: false }],
      ['verify-signatures', { evidence: false }],
    ];
    for (const [label, opts] of walks)
      await profiled(label, ENTRIES, async () => {
        const report = await verifyLedger(quiet, opts);
        if (!report.ok || report.entries !== ENTRIES)
          throw new Error(`the ledger does not verify: ${report.problems[0]?.reason}`);
      });
  } finally {
    await closeEngine(quiet);
  }
}

await main(process.argv[2]);
