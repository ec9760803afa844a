/**
 * @module What an agent's hook costs: Claude Code's PreToolUse round trip
 * (spawn `node bin/autopilot.js hook claude PreToolUse`, write the JSON, read
 * the answer) against `node -e 0` in the same run, on the package as
 * `npm run build` makes it: answered by the repository's hook daemon (the
 * usual case), and by the hook process alone (the first call, or
 * AUTOPILOT_HOOK_DAEMON=0). Run alone with `node --import tsx bench/hooks.ts`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { daemonRunning, stopDaemon } from '../src/surfaces/hooks/daemon.ts';
import { compilePackage } from './build.ts';
import { percentile, table, type Stats } from './stats.ts';

function repository(dir: string, bin: string): void {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  execFileSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env });
  execFileSync(process.execPath, [bin, 'init'], {
    cwd: dir,
    env: { ...env, AUTOPILOT_HOOK_DAEMON: '0' },
    stdio: 'pipe',
  });
  execFileSync(process.execPath, [bin, 'task', 'start', 'T-1'], { cwd: dir, stdio: 'pipe' });
}

// Spawns a process, writes `input`, waits for it to exit; milliseconds.
function timed(argv: string[], cwd: string, input: string, env: NodeJS.ProcessEnv, answers = true): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 && (!answers || out.startsWith('{'))
        ? done(performance.now() - t0)
        : fail(new Error(`exit ${code}: ${out}`)),
    );
    child.stdin.end(input);
  });
}

function stats(name: string, samples: number[], note: string): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    name,
    n: samples.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    throughput: (samples.length / total) * 1000,
    note,
  };
}

/**
 * `n` round trips of each kind, each next to a `node -e 0` started just before
 * it, so that both see the same load. Rows: the floor, the hook through the
 * daemon, the hook alone (n/5 of them).
 */
export async function benchHooks(n: number): Promise<Stats[]> {
  const work = mkdtempSync(join(tmpdir(), 'autopilot-bench-hooks-'));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  try {
    const bin = compilePackage(join(work, 'package'));
    repository(repo, bin);
    const payload = JSON.stringify({
      session_id: 'bench',
      cwd: repo,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'git status --short' },
    });
    const env: NodeJS.ProcessEnv = { ...process.env, AUTOPILOT_HOOK_DAEMON: '1' };
    delete env['CLAUDE_PROJECT_DIR'];
    const hook = [bin, 'hook', 'claude', 'PreToolUse'];
    const floor: number[] = [];
    const daemon: number[] = [];
    const alone: number[] = [];
    // The first hook starts the daemon; wait until it answers.
    await timed(hook, repo, payload, env);
    for (let i = 0; i < 600 && !(await daemonRunning(repo)); i++) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) await timed(hook, repo, payload, env);
    for (let i = 0; i < n; i++) {
      floor.push(await timed(['-e', '0'], repo, '', env, false));
      daemon.push(await timed(hook, repo, payload, env));
    }
    const aloneEnv = { ...env, AUTOPILOT_HOOK_DAEMON: '0' };
    for (let i = 0; i < Math.max(3, Math.round(n / 5)); i++) alone.push(await timed(hook, repo, payload, aloneEnv));
    const base = stats(
      'node -e 0 (the floor: starting Node)',
      floor,
      'spawn and wait, in the same loop as the row below',
    );
    const ratio = (s: Stats) => `${(s.p50 / base.p50).toFixed(2)}× the floor at p50`;
    const viaDaemon = stats('hook claude PreToolUse, answered by the daemon', daemon, '');
    const byItself = stats('hook claude PreToolUse, answered by the hook process (no daemon)', alone, '');
    return [
      base,
      {
        ...viaDaemon,
        note: `${ratio(viaDaemon)}; an allowed Bash call; built package (tsc), spawn + stdin JSON + answer`,
      },
      {
        ...byItself,
        note: `${ratio(byItself)}; the first call of a session, or AUTOPILOT_HOOK_DAEMON=0: loads the config, store, policy and shell parser`,
      },
    ];
  } finally {
    await stopDaemon(repo).catch(() => false);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchHooks(process.env['BENCH_QUICK'] === '1' ? 20 : 100))}\n`);
}
