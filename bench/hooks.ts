/**
 * @module What an agent's hook costs: the round trip of the command a hook runs (spawn it, write the client's JSON,
 * read the answer) against `node -e 0`, both started with a clean environment (`env -i` with PATH and HOME only) and
 * interleaved in the same loop, on the package as `npm run build` makes it. Three separate runs; each row carries
 * them, and the verdicts use the median run. Each row's note also gives the CPU time a call costs, read from
 * /proc (the hook's own processes, which this process waits for, and the daemon's), which a shared machine moves
 * much less than the wall clock. Run alone with `node --import tsx bench/hooks.ts`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hookIndexLink } from '../src/engine/repo/user-state.ts';
import { daemonRunning, stopDaemon } from '../src/surfaces/hooks/daemon.ts';
import { compilePackage } from './build.ts';
import { mergeRounds, percentile, table, type Stats } from './stats.ts';

/** The name of the floor row, which the notes look up. */
export const FLOOR_ROW = 'node -e 0, clean environment (the floor)';

function repository(dir: string, bin: string, env: NodeJS.ProcessEnv): void {
  const git = {
    ...env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  execFileSync('git', ['init', '-q'], { cwd: dir, env: git });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir, env: git });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env: git });
  execFileSync(process.execPath, [bin, 'init'], {
    cwd: dir,
    env: { ...git, AUTOPILOT_HOOK_DAEMON: '0' },
    stdio: 'pipe',
  });
  // `task start` wants the files init wrote committed first.
  execFileSync('git', ['add', '-A'], { cwd: dir, env: git });
  execFileSync('git', ['commit', '-qm', 'Set up Autopilot'], { cwd: dir, env: git, stdio: 'pipe' });
  execFileSync(process.execPath, [bin, 'task', 'start', 'T-1'], { cwd: dir, env, stdio: 'pipe' });
}

// Spawns `argv`, writes `input`, waits for it to exit; milliseconds. An answer that is not the client's JSON fails
// the bench: a fast path that answers wrong is not measured.
function timed(argv: readonly string[], cwd: string, input: string, env: NodeJS.ProcessEnv, answers = true) {
  return new Promise<number>((done, fail) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 && (!answers || out.startsWith('{'))
        ? done(performance.now() - t0)
        : fail(new Error(`${argv.join(' ')}: exit ${code}: ${out}${err}`)),
    );
    child.stdin.end(input);
  });
}

// CPU milliseconds from /proc/<pid>/stat: the process's own (utime + stime), or with `children` that of the
// children it has waited for (cutime + cstime), which is where the hook's processes land once they exit. Linux
// counts both in ticks of 1/100 s: a single call reads as 0 or 10 ms, a sum over a run is what the run cost. NaN
// where /proc cannot be read.
function cpuMs(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [a, b] = children ? [f[13], f[14]] : [f[11], f[12]];
    return (Number(a) + Number(b)) * 10;
  } catch {
    return NaN;
  }
}

// The daemon's process, from the pid file its shell door keeps; undefined when there is none.
function daemonPid(repo: string, env: NodeJS.ProcessEnv): number | undefined {
  const link = hookIndexLink(repo, env);
  if (!link) return undefined;
  try {
    const pid = Number(readFileSync(join(link, 'fast', 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// What a row's calls cost in CPU, summed over a run.
interface CpuSum {
  client: number;
  daemon: number;
  calls: number;
}

// A row's CPU per call in each run: "a | b | c" ms in the command's processes, and in the daemon where it answers.
function cpuNote(runs: readonly CpuSum[], daemon: boolean): string {
  const per = (pick: (c: CpuSum) => number) =>
    runs.map((c) => (Number.isNaN(pick(c)) ? '-' : (pick(c) / c.calls).toFixed(1))).join(' | ');
  return `CPU per call, each run: ${per((c) => c.client)} ms in the command's processes${daemon ? `, ${per((c) => c.daemon)} ms in the daemon` : ''}`;
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

/** One hook command the bench times. */
interface HookCase {
  readonly name: string;
  readonly argv: readonly string[];
  readonly input: string;
  readonly env: NodeJS.ProcessEnv;
  readonly note: string;
  /** Samples a run, as a share of the floor's (the hook alone is slow and only shown, not judged). */
  readonly share?: number;
  /** Whether the daemon answers this row (its CPU is then counted as the row's). */
  readonly daemon: boolean;
}

/** The clean environment every row runs with: what `env -i PATH=… HOME=…` leaves, and the state folder's root. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/' };
  if (process.env['XDG_STATE_HOME']) env['XDG_STATE_HOME'] = process.env['XDG_STATE_HOME'];
  return env;
}

function cases(bin: string, repo: string, clean: NodeJS.ProcessEnv): HookCase[] {
  const claude = JSON.stringify({
    session_id: 'bench',
    cwd: repo,
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'git status --short' },
  });
  const daemon = { ...clean, AUTOPILOT_HOOK_DAEMON: '1' };
  const node = process.execPath;
  // The shell client with no Node to fall back on: a call it could not answer over its own door fails the bench.
  const client = join(dirname(bin), 'autopilot-hook');
  const shell = (who: string, event: string, input: string, what: string): HookCase => ({
    name: `hook ${who} ${event}, fast client, answered by the daemon`,
    // As the hooks' commands run it: `bash <client>`, bash from the PATH (see agentHookCommand).
    argv: ['bash', client, '--node', '/nonexistent/node', who, event],
    input,
    env: daemon,
    note: `${what}; \`bash bin/autopilot-hook\` (bash and one sha384sum) over the daemon's pipes`,
    daemon: true,
  });
  return [
    shell('claude', 'PreToolUse', claude, 'an allowed Bash call'),
    shell(
      'codex',
      'PreToolUse',
      JSON.stringify({
        session_id: 'bench',
        cwd: repo,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'git status --short' },
      }),
      'an allowed Bash call',
    ),
    shell(
      'cursor',
      'beforeShellExecution',
      JSON.stringify({
        conversation_id: 'bench',
        generation_id: 'g',
        hook_event_name: 'beforeShellExecution',
        command: 'git status --short',
        cwd: repo,
        workspace_roots: [repo],
      }),
      'an allowed shell command',
    ),
    {
      name: 'hook claude PreToolUse, Node hook, answered by the daemon',
      argv: [node, bin, 'hook', 'claude', 'PreToolUse'],
      input: claude,
      env: daemon,
      note: 'an allowed Bash call; `node bin/autopilot.js hook …`: Node starts, then asks the daemon',
      daemon: true,
    },
    {
      name: 'hook claude PreToolUse, Node hook alone (no daemon)',
      argv: [node, bin, 'hook', 'claude', 'PreToolUse'],
      input: claude,
      env: { ...clean, AUTOPILOT_HOOK_DAEMON: '0' },
      note: 'the first call of a session, or AUTOPILOT_HOOK_DAEMON=0: loads the config, store, policy and shell parser',
      share: 0.2,
      daemon: false,
    },
  ];
}

/** One row of one run, with what its calls cost in CPU. */
interface RunRow {
  readonly stats: Stats;
  readonly cpu: CpuSum;
  readonly daemon: boolean;
}

/** The rows of one run: the floor and each case, interleaved so that all see the same load. */
async function oneRun(n: number, repo: string, clean: NodeJS.ProcessEnv, list: readonly HookCase[]): Promise<RunRow[]> {
  const floor: number[] = [];
  const samples = list.map(() => [] as number[]);
  const cpu = [...list, undefined].map((): CpuSum => ({ client: 0, daemon: 0, calls: 0 }));
  const pid = daemonPid(repo, clean);
  const daemonCpu = () => (pid === undefined ? NaN : cpuMs(pid));
  // One call (the floor's without a case), with what it cost the processes it started and the daemon.
  const call = async (c: HookCase | undefined, sum: CpuSum) => {
    const [self0, daemon0] = [cpuMs('self', true), daemonCpu()];
    const ms = await (c
      ? timed(c.argv, repo, c.input, c.env)
      : timed([process.execPath, '-e', '0'], repo, '', clean, false));
    sum.client += cpuMs('self', true) - self0;
    sum.daemon += daemonCpu() - daemon0;
    sum.calls++;
    return ms;
  };
  for (let i = 0; i < n; i++) {
    floor.push(await call(undefined, cpu[list.length]!));
    for (const [k, c] of list.entries())
      if (i < Math.max(3, Math.round(n * (c.share ?? 1)))) samples[k]!.push(await call(c, cpu[k]!));
  }
  return [
    {
      stats: stats(
        FLOOR_ROW,
        floor,
        'spawn and wait, interleaved with every hook row below; environment: PATH and HOME only',
      ),
      cpu: cpu[list.length]!,
      daemon: false,
    },
    ...list.map((c, k) => ({
      stats: stats(c.name, samples[k]!, `${c.note}; environment: PATH and HOME only`),
      cpu: cpu[k]!,
      daemon: c.daemon,
    })),
  ];
}

/** Three runs of `n` round trips of each hook command next to the floor, merged into one row each. */
export async function benchHooks(n: number): Promise<Stats[]> {
  const work = mkdtempSync(join(tmpdir(), 'autopilot-bench-hooks-'));
  const repo = join(work, 'repo');
  mkdirSync(repo);
  const clean = cleanEnv();
  try {
    const bin = compilePackage(join(work, 'package'));
    repository(repo, bin, clean);
    const list = cases(bin, repo, clean);
    // The first hook (the Node one) starts the daemon; wait until it answers, then warm every path once.
    const starter = list.find((c) => c.argv[0] === process.execPath)!;
    await timed(starter.argv, repo, starter.input, starter.env);
    for (let i = 0; i < 600 && !(await daemonRunning(repo)); i++) await new Promise((r) => setTimeout(r, 100));
    // The daemon opens the shell client's door just after its socket.
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of list) for (let i = 0; i < 3; i++) await timed(c.argv, repo, c.input, c.env);
    const runs: RunRow[][] = [];
    for (let round = 0; round < 3; round++) runs.push(await oneRun(n, repo, clean, list));
    return runs[0]!.map((row, k) => {
      const merged = mergeRounds(runs.map((r) => r[k]!.stats));
      const cpu = cpuNote(
        runs.map((r) => r[k]!.cpu),
        row.daemon,
      );
      return { ...merged, note: `${merged.note}; ${cpu}` };
    });
  } finally {
    await stopDaemon(repo).catch(() => false);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchHooks(process.env['BENCH_QUICK'] === '1' ? 20 : 100))}\n`);
}
