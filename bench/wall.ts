/**
 * @module What the wall costs on each of an agent's commands: `true` and a small command (`cat README.md`), bare,
 * behind the wall (bubblewrap with the wall's profile of IMPLEMENT, as `autopilot exec` raises it), and through the
 * whole `autopilot exec` (a Node process that reads the config, plans the wall and runs bubblewrap) of the package
 * compiled from these sources. Median and p95 over `n` runs each. Run alone with `node --import tsx bench/wall.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { prepareWall, probeWall, wallArgv } from '../src/adapters/bwrap/wall.ts';
import { loadConfig } from '../src/engine/repo/config-file.ts';
import { layoutFor } from '../src/engine/repo/layout.ts';
import { planWall } from '../src/engine/repo/wall.ts';
import { applyInit, planInit } from '../src/engine/setup/init.ts';
import { openStoreFor } from '../src/surfaces/compose.ts';
import { compilePackage } from './build.ts';
import { measure, table, type Stats } from './stats.ts';

/** Wall overhead the issue aims for, in milliseconds at p50. */
const TARGET_MS = 25;

function runArgv(argv: readonly string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${argv.slice(-1)[0]} exited ${code}`))));
  });
}

async function repo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-wall-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b' };
  execFileSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['-c', 'user.email=b@b', 'commit', '-qm', 'init'], { cwd: dir, env });
  const plan = await planInit(dir);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  return dir;
}

/** Times each command bare, behind the wall, and through `autopilot exec`; empty but for a note without bubblewrap. */
export async function benchWall(n: number): Promise<Stats[]> {
  const probe = probeWall();
  if (!probe.available || !probe.bwrap)
    return [
      {
        name: 'wall overhead',
        n: 0,
        p50: NaN,
        p95: NaN,
        p99: NaN,
        throughput: NaN,
        note: `not measured: ${probe.reason}`,
      },
    ];
  const dir = await repo();
  const marker = join(mkdtempSync(join(tmpdir(), 'autopilot-bench-marker-')), 'wall.json');
  writeFileSync(marker, '{"phase":"IMPLEMENT","taskId":null,"holder":"bench","capabilities":[],"ledgerHead":null}\n');
  // The package as it installs, compiled from these sources: a dist/ left from an older build would run other code.
  const pkg = mkdtempSync(join(tmpdir(), 'autopilot-bench-wall-package-'));
  try {
    const bin = compilePackage(pkg);
    const config = loadConfig(dir);
    const plan = await planWall(layoutFor(dir, config.stateDir), config, 'IMPLEMENT', process.env);
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root' };
    const rows: Stats[] = [];
    for (const [label, script] of [
      ['true', 'true'],
      ['cat README.md', 'cat README.md'],
    ] as const) {
      const shell = ['bash', '-c', script];
      const bare = await measure(`\`${label}\`, bare (bash -c)`, n, () => runArgv(shell, dir), { warmup: 5 });
      rows.push(bare);
      const spec = { ...plan, cwd: dir, env, argv: shell, marker };
      // The folders the wall hides must exist before it mounts over them, as autopilot exec makes them.
      prepareWall(spec);
      const walled = wallArgv(probe.bwrap, probe.privileged, spec);
      const wall = await measure(`\`${label}\`, behind the wall (bubblewrap)`, n, () => runArgv(walled, dir), {
        warmup: 5,
      });
      const extra = wall.p50 - bare.p50;
      rows.push({
        ...wall,
        note: `+${extra.toFixed(1)} ms at p50, +${(wall.p95 - bare.p95).toFixed(1)} ms at p95 (target < ${TARGET_MS} ms: ${extra < TARGET_MS ? 'met' : 'missed'})`,
      });
      const exec = [process.execPath, bin, 'exec', '--phase', 'IMPLEMENT', '--', ...shell];
      const whole = await measure(`\`${label}\`, autopilot exec (Node + bubblewrap)`, n, () => runArgv(exec, dir), {
        warmup: 3,
      });
      rows.push({
        ...whole,
        note: `+${(whole.p50 - bare.p50).toFixed(0)} ms at p50: a Node start-up and the config read, on top of the wall`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(marker), { recursive: true, force: true });
    rmSync(pkg, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchWall(Number(process.env['BENCH_N'] ?? 100)))}\n`);
}
