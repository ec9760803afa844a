/**
 * @module The sandbox's walls, with the real bubblewrap: writes outside the
 * workspace, the network, processes left behind, the environment, memory and
 * process limits, the timeout; the fallback and the refusal when bubblewrap is
 * missing; and VERIFY end to end, recording the isolation in its evidence.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BwrapRunner, sandboxStatus, type BwrapRunnerOptions } from '../../src/adapters/bwrap/index.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { commandEnv } from '../../src/engine/evidence/producers/run-commands.ts';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { runVerify } from '../../src/engine/task/verify.ts';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { openStoreFor, runnerFor } from '../../src/surfaces/compose.ts';
import type { RunRequest, RunResult } from '../../src/ports/runner.ts';
import { FIXTURE_ACTOR, git, makeRepo, tempDir, writeFile, type Repo } from './helpers.ts';

const MISSING_BWRAP = '/nonexistent/bin/bwrap';
const host = new ProcessRunner();

function defaults(): Config {
  const c = parseConfig({});
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
}

/** A folder standing for a repository: a source file, node_modules, a state folder with a key. */
function workspace(): string {
  const dir = tempDir('sandbox');
  writeFile(dir, 'src/a.js', 'export const a = 1;\n');
  writeFile(dir, 'node_modules/dep/index.js', 'module.exports = 42;\n');
  writeFile(dir, '.autopilot/keys/private.pem', 'secret key\n');
  return dir;
}

function runner(cwd: string, opts: Partial<BwrapRunnerOptions> = {}): BwrapRunner {
  return new BwrapRunner({
    mode: 'required',
    workspace: 'copy',
    memoryMb: 1024,
    maxProcesses: 256,
    host,
    hide: [join(cwd, '.autopilot')],
    ...opts,
  });
}

const ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: homedir() };

/** Runs `sh -c script` in the sandbox; `read` sees the result before its workspace is released. */
async function sh(
  r: BwrapRunner,
  cwd: string,
  script: string,
  extra: Partial<RunRequest> = {},
  read: (res: RunResult) => void = () => {},
): Promise<RunResult> {
  const res = await r.run({
    argv: ['/bin/sh', '-c', script],
    cwd,
    env: ENV,
    timeoutMs: 20_000,
    maxOutputBytes: 1 << 20,
    ...extra,
  });
  try {
    read(res);
  } finally {
    await r.release(res);
  }
  return res;
}

const marker = () => `${Date.now() % 100000}${Math.floor(Math.random() * 1e6)}`;

/** Host processes whose command line holds `needle`. */
function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(needle)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

test('bubblewrap is installed and can make a sandbox here', () => {
  const s = sandboxStatus({ sandbox: { ...defaults().sandbox, mode: 'required' } });
  assert.equal(s.available, true, `bubblewrap unusable: ${s.reason}`);
  assert.match(s.bwrapVersion ?? '', /^\d+\.\d+/);
  assert.equal(s.mode, 'required');
  assert.equal(s.reason, undefined);
});

describe('the walls', { concurrency: 3, timeout: 120_000 }, () => {
  test('read-only workspace: writes to the repository, /etc and $HOME fail and leave nothing; the state folder is hidden', async () => {
    const cwd = workspace();
    const m = marker();
    const targets = [join(cwd, `planted-${m}`), `/etc/autopilot-${m}`, join(homedir(), `autopilot-${m}`)];
    const script = [
      ...targets.map((t) => `if echo x > '${t}'; then echo "WROTE ${t}"; fi`),
      'if cat .autopilot/keys/private.pem; then echo "READ KEY"; fi',
      'cat src/a.js',
      'echo ran',
    ].join('\n');
    const res = await sh(runner(cwd, { workspace: 'readonly' }), cwd, script);
    assert.match(res.output, /ran/);
    assert.match(res.output, /export const a/, 'the repository is readable');
    assert.doesNotMatch(res.output, /WROTE/);
    assert.doesNotMatch(res.output, /READ KEY|secret key/);
    assert.match(res.output, /Read-only file system/);
    for (const t of targets) assert.ok(!existsSync(t), `${t} must not exist`);
    assert.match(res.isolation, /^bwrap \d.*workspace: read-only.*network: off/);
  });

  test('copy workspace: the command writes its copy, never the repository; /etc, $HOME fail; /tmp is private', async () => {
    const cwd = workspace();
    const m = marker();
    const script = [
      `echo changed > src/a.js && echo mine > new-${m}.txt && echo "copy written"`,
      `cat node_modules/dep/index.js`,
      `if echo x > node_modules/dep/index.js; then echo WROTE-deps; fi`,
      `mkdir -p node_modules/.cache/tool && echo cached > node_modules/.cache/tool/c && echo "cache written"`,
      `test -e .autopilot && echo "STATE VISIBLE"`,
      `if echo x > /etc/autopilot-${m}; then echo WROTE-etc; fi`,
      `if echo x > '${join(homedir(), `autopilot-${m}`)}'; then echo WROTE-home; fi`,
      `echo private > /tmp/autopilot-${m} && echo "tmp written"`,
    ].join('\n');
    let inWorkspace = '';
    const res = await sh(
      runner(cwd),
      cwd,
      script,
      {},
      (r) => (inWorkspace = readFileSync(join(r.workspace, `new-${m}.txt`), 'utf8')),
    );
    assert.match(res.output, /copy written/);
    assert.match(res.output, /module\.exports = 42/, 'node_modules is there, bound read-only');
    assert.match(res.output, /cache written/, "a tool's cache inside node_modules is writable");
    assert.ok(!existsSync(join(cwd, 'node_modules/.cache/tool')), 'and what it wrote there does not stay');
    assert.match(res.output, /tmp written/);
    assert.doesNotMatch(res.output, /WROTE|STATE VISIBLE/);
    assert.equal(inWorkspace, 'mine\n', 'what the command wrote is read back from its workspace');
    assert.equal(readFileSync(join(cwd, 'src/a.js'), 'utf8'), 'export const a = 1;\n', 'the repository is unchanged');
    for (const p of [
      join(cwd, `new-${m}.txt`),
      `/etc/autopilot-${m}`,
      join(homedir(), `autopilot-${m}`),
      `/tmp/autopilot-${m}`,
    ])
      assert.ok(!existsSync(p), `${p} must not exist`);
    assert.match(res.isolation, /workspace: scratch copy/);
    assert.ok(!existsSync(res.workspace), 'the scratch copy is removed on release');
  });

  for (const mode of ['readonly', 'copy'] as const)
    test(`${mode} workspace: the cache folder under the hidden state folder is writable and kept; the rest stays hidden; report folders exist before the command`, async () => {
      const cwd = workspace();
      const cache = join(cwd, '.autopilot', 'cache');
      const m = marker();
      const script = [
        `echo cached > '${join(cache, 'go-build', `entry-${m}`)}' && echo "cache written"`,
        `test -e .autopilot/keys && echo "KEYS VISIBLE"`,
        `if echo x > .autopilot/planted-${m}; then echo WROTE-state; fi`,
        // A reporter that does not make its folder, as node --test's does not.
        `test -d reports && test -d coverage/deep && echo "report folders there"`,
        `echo '<testsuites/>' > reports/junit.xml`,
      ].join('\n');
      mkdirSync(join(cache, 'go-build'), { recursive: true });
      let report = '';
      const res = await sh(
        runner(cwd, { workspace: mode, writable: [cache] }),
        cwd,
        script,
        { outputs: ['reports/junit.xml', 'coverage/deep/lcov.info'] },
        (r) => (report = readFileSync(join(r.workspace, 'reports/junit.xml'), 'utf8')),
      );
      assert.match(res.output, /cache written/, res.output);
      assert.match(res.output, /report folders there/, res.output);
      assert.doesNotMatch(res.output, /KEYS VISIBLE/);
      // In a copy, the write lands in the scratch copy (checked below: never in the real state folder).
      if (mode === 'readonly') assert.doesNotMatch(res.output, /WROTE-state/);
      assert.equal(report, '<testsuites/>\n');
      assert.equal(
        readFileSync(join(cache, 'go-build', `entry-${m}`), 'utf8'),
        'cached\n',
        'the cache outlives the run',
      );
      assert.ok(!existsSync(join(cwd, '.autopilot', `planted-${m}`)));
      assert.equal(readFileSync(join(cwd, '.autopilot/keys/private.pem'), 'utf8'), 'secret key\n');
    });

  test('network: a TCP server on 127.0.0.1 is out of reach, unless the command has network: true', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => {}); // the client hangs up at once
      s.end('hello\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = `require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log('error ' + e.code); process.exit(3); })`;
    try {
      const cwd = workspace();
      const r = runner(cwd);
      const off = await r.run({
        argv: [process.execPath, '-e', client],
        cwd,
        env: ENV,
        timeoutMs: 20_000,
        maxOutputBytes: 1 << 16,
      });
      await r.release(off);
      assert.equal(off.exitCode, 3, off.output);
      assert.match(off.output, /error E(CONNREFUSED|NETUNREACH)/);
      assert.equal(sockets.length, 0, 'the server saw no connection');
      const on = await r.run({
        argv: [process.execPath, '-e', client],
        cwd,
        env: ENV,
        timeoutMs: 20_000,
        maxOutputBytes: 1 << 16,
        network: true,
      });
      await r.release(on);
      assert.equal(on.exitCode, 0, on.output);
      assert.match(on.output, /connected/);
      assert.equal(sockets.length, 1);
      assert.match(on.isolation, /network: on/);
    } finally {
      server.close();
    }
  });

  test('no process is left behind: background and setsid children die with the command', async () => {
    const cwd = workspace();
    // Their output goes elsewhere, so that they do not hold the pipes open: the run ends when the shell does.
    const a = `40.${marker()}`;
    const b = `40.${marker()}`;
    let pidfile = '';
    try {
      const script = `sleep ${a} >/dev/null 2>&1 & echo $! > pidfile; setsid sleep ${b} >/dev/null 2>&1 & echo started`;
      const res = await sh(
        runner(cwd),
        cwd,
        script,
        { timeoutMs: 20_000 },
        (r) => (pidfile = readFileSync(join(r.workspace, 'pidfile'), 'utf8')),
      );
      assert.equal(res.exitCode, 0, res.output);
      assert.equal(res.timedOut, false);
      assert.match(pidfile, /^\d+\n$/, 'the background process had started');
      assert.deepEqual(processesWith(a), [], `sleep ${a} must be gone`);
      assert.deepEqual(processesWith(b), [], `sleep ${b} must be gone`);
    } finally {
      killAll([...processesWith(a), ...processesWith(b)]);
    }
  });

  test('environment: only the variables the config names get in', async () => {
    process.env['AUTOPILOT_SANDBOX_SECRET'] = 'must-not-leak';
    process.env['AUTOPILOT_SANDBOX_NAMED'] = 'named-value';
    try {
      const cwd = workspace();
      const spec = { run: ['env'], timeoutSeconds: 20, env: ['AUTOPILOT_SANDBOX_NAMED'], network: false };
      const r = runner(cwd);
      const res = await r.run({
        argv: ['/usr/bin/env'],
        cwd,
        env: commandEnv(spec),
        timeoutMs: 20_000,
        maxOutputBytes: 1 << 16,
      });
      await r.release(res);
      assert.equal(res.exitCode, 0, res.output);
      assert.match(res.output, /^AUTOPILOT_SANDBOX_NAMED=named-value$/m);
      assert.doesNotMatch(res.output, /AUTOPILOT_SANDBOX_SECRET|must-not-leak/);
      assert.match(res.output, /^PATH=/m);
    } finally {
      delete process.env['AUTOPILOT_SANDBOX_SECRET'];
      delete process.env['AUTOPILOT_SANDBOX_NAMED'];
    }
  });

  test('process limit: a bounded fork loop over the limit fails', async () => {
    const cwd = workspace();
    const script = 'i=0; while [ $i -lt 200 ]; do sleep 2 & i=$((i+1)); done; echo "spawned $i"';
    const res = await sh(runner(cwd, { maxProcesses: 32 }), cwd, script);
    assert.notEqual(res.exitCode, 0, res.output);
    assert.doesNotMatch(res.output, /spawned 200/);
    assert.match(res.output, /fork|Resource temporarily unavailable/i);
    assert.match(res.isolation, /processes: 32/);
  });

  test('memory limit: allocating more than the limit fails', async () => {
    const cwd = workspace();
    const r = runner(cwd, { memoryMb: 256, workspace: 'readonly' });
    const alloc =
      'const a = []; for (let i = 0; i < 8; i++) a.push(Buffer.alloc(64 << 20, 1)); console.log("allocated 512 MB")';
    const res = await r.run({
      argv: [process.execPath, '-e', alloc],
      cwd,
      env: ENV,
      timeoutMs: 30_000,
      maxOutputBytes: 1 << 16,
    });
    await r.release(res);
    assert.notEqual(res.exitCode, 0, res.output);
    assert.doesNotMatch(res.output, /allocated 512 MB/);
    assert.match(res.isolation, /memory: 256 MB/);
  });

  test('timeout: the command and its children are killed', async () => {
    const cwd = workspace();
    const m = `40.${marker()}`;
    try {
      const started = Date.now();
      const res = await sh(runner(cwd), cwd, `sleep ${m} >/dev/null 2>&1 & sleep ${m}`, { timeoutMs: 1000 });
      assert.equal(res.timedOut, true);
      // The command would sleep 40 s: ending well before that (a generous bound, no claim about speed) means it was killed.
      assert.ok(Date.now() - started < 30_000, 'the run ended at its timeout, not when the command would have');
      assert.deepEqual(processesWith(m), [], 'nothing of it is left');
    } finally {
      killAll(processesWith(m));
    }
  });

  test('git, HOME and PATH stay usable for the command, even through folders only root may enter', async () => {
    // /var/tmp, not /tmp: the sandbox has a /tmp of its own. mkdtemp makes the folder 0700.
    const outer = mkdtempSync('/var/tmp/autopilot-e2e-');
    try {
      const cwd = join(outer, 'repo');
      writeFile(cwd, 'a.txt', 'a\n');
      git(cwd, ['init', '-q', '-b', 'main']);
      git(cwd, ['add', '-A']);
      git(cwd, ['commit', '-q', '-m', 'first commit']);
      for (const mode of ['copy', 'readonly'] as const) {
        const res = await sh(
          runner(cwd, { workspace: mode }),
          cwd,
          'git log --format=%s && test -r "$HOME" && test -x "$(command -v node)" && echo reachable',
        );
        assert.equal(res.exitCode, 0, `${mode}: ${res.output}`);
        assert.match(res.output, /first commit/, mode);
        assert.match(res.output, /reachable/, mode);
      }
    } finally {
      rmSync(outer, { recursive: true, force: true });
    }
  });

  test('reports: removed before the run, read back from where the command ran', async () => {
    const cwd = workspace();
    writeFile(cwd, 'reports/out.txt', 'planted\n');
    for (const mode of ['copy', 'readonly'] as const) {
      let report = '';
      const res = await sh(
        runner(cwd, { workspace: mode }),
        cwd,
        'cat reports/out.txt 2>/dev/null && echo SAW-PLANTED; echo fresh > reports/out.txt',
        { outputs: ['reports/out.txt'] },
        (r) => {
          report = readFileSync(join(r.workspace, 'reports/out.txt'), 'utf8');
        },
      );
      assert.equal(res.exitCode, 0, `${mode}: ${res.output}`);
      assert.doesNotMatch(res.output, /SAW-PLANTED/, mode);
      assert.equal(report, 'fresh\n', mode);
      assert.equal(
        readFileSync(join(cwd, 'reports/out.txt'), 'utf8'),
        'planted\n',
        `${mode}: the repository's file is untouched`,
      );
    }
    const top = await sh(runner(cwd, { workspace: 'readonly' }), cwd, 'echo x > junit.xml', { outputs: ['junit.xml'] });
    assert.equal(top.exitCode, null);
    assert.match(top.spawnError ?? '', /sandbox\.workspace: copy/);
  });
});

describe('without bubblewrap', () => {
  test('preferred: the command runs unsandboxed, and the result says so', async () => {
    const cwd = workspace();
    const res = await sh(runner(cwd, { mode: 'preferred', bwrap: MISSING_BWRAP }), cwd, 'echo ran');
    assert.equal(res.exitCode, 0, res.output);
    assert.match(res.output, /ran/);
    assert.match(res.isolation, /^none \(bubblewrap not available: .*not found/);
  });

  test('required: the command is refused and does not run', async () => {
    const cwd = workspace();
    const res = await sh(runner(cwd, { mode: 'required', bwrap: MISSING_BWRAP }), cwd, 'echo ran > ran.txt');
    assert.equal(res.exitCode, null);
    assert.match(res.spawnError ?? '', /install bubblewrap/i);
    assert.ok(!existsSync(join(cwd, 'ran.txt')), 'the command did not run');
  });

  test('sandboxStatus reports it unavailable, with the reason', () => {
    const s = sandboxStatus({ sandbox: { ...defaults().sandbox, mode: 'preferred' } }, { bwrap: MISSING_BWRAP });
    assert.equal(s.available, false);
    assert.equal(s.mode, 'preferred');
    assert.match(s.reason ?? '', /not found/);
  });
});

describe('VERIFY end to end', { concurrency: 2 }, () => {
  const repos: Repo[] = [];
  after(() => repos.forEach((r) => rmSync(r.dir, { recursive: true, force: true })));

  async function inVerify(sandbox: Record<string, unknown>): Promise<Repo> {
    const repo = await makeRepo({ config: (c) => (c['sandbox'] = sandbox) });
    repos.push(repo);
    await repo.driveTo('T-1', 'VERIFY');
    return repo;
  }

  test('`autopilot verify` runs build and tests in a scratch copy, and the evidence records the isolation', async () => {
    const repo = await inVerify({ mode: 'required', workspace: 'copy' });
    await repo.ok(['verify', 'T-1']);
    const dir = repo.phaseDir('T-1', 'VERIFY');
    const run = JSON.parse(readFileSync(join(dir, 'verify_run.json'), 'utf8')) as {
      passed: boolean;
      isolation: string;
      commands: { isolation: string }[];
    };
    assert.equal(run.passed, true);
    assert.match(run.isolation, /^bwrap \d.*workspace: scratch copy.*network: off/);
    assert.equal(run.commands.length, 2);
    for (const c of run.commands) assert.equal(c.isolation, run.isolation);
    const log = readFileSync(join(dir, 'build_output.log'), 'utf8');
    assert.equal(log.split('\n')[0], `# isolation: ${run.isolation}`);
    assert.doesNotMatch(log, /NOT SANDBOXED/);
    const tests = JSON.parse(readFileSync(join(dir, 'test_results.json'), 'utf8')) as {
      totals: { total: number; failed: number };
    };
    assert.ok(tests.totals.total > 0, 'the JUnit report was read back from the copy');
    assert.ok(
      !existsSync(repo.path('reports', 'junit.xml')),
      'the tests wrote their report in the copy, not in the repository',
    );
  });

  /** VERIFY in-process, with a runner of its own, or the composition root's for the repository's config. */
  async function verifyWith(repo: Repo, runner?: BwrapRunner) {
    const e = await openEngine({
      cwd: repo.dir,
      openStore: openStoreFor,
      ...(runner ? { runner } : { makeRunner: runnerFor }),
    });
    try {
      return await runVerify(e, FIXTURE_ACTOR, { taskId: 'T-1' });
    } finally {
      await closeEngine(e);
    }
  }
  const missing = (mode: 'required' | 'preferred') =>
    new BwrapRunner({ mode, workspace: 'copy', memoryMb: 4096, maxProcesses: 1024, host, bwrap: MISSING_BWRAP });

  test('read-only workspace: the reports get scratch folders and VERIFY passes', async () => {
    const repo = await inVerify({ mode: 'required', workspace: 'readonly' });
    const r = await verifyWith(repo);
    assert.equal(r.ok, true, !r.ok ? r.error.message : '');
    assert.match(r.ok ? r.value.verify.isolation : '', /^bwrap .*workspace: read-only/);
    const run = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as {
      isolation: string;
    };
    assert.match(run.isolation, /workspace: read-only/);
    assert.ok(!existsSync(repo.path('coverage', 'lcov.info')), 'the report went to a scratch folder');
  });

  test('sandbox.mode off: the plain runner, and the evidence says the sandbox is off', async () => {
    const repo = await inVerify({ mode: 'off' });
    const r = await verifyWith(repo);
    assert.equal(r.ok, true, !r.ok ? r.error.message : '');
    const log = readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'build_output.log'), 'utf8');
    assert.match(log.split('\n')[0]!, /^# isolation: none \(sandbox\.mode is off\)$/);
    assert.match(log, /NOT SANDBOXED/);
  });

  test('required without bubblewrap: VERIFY_FAILED, telling to install it', async () => {
    const repo = await inVerify({ mode: 'required', workspace: 'copy' });
    const r = await verifyWith(repo, missing('required'));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'VERIFY_FAILED');
    assert.match(
      !r.ok ? r.error.message : '',
      /could not start: sandbox\.mode is required, but bubblewrap is not available.*Install bubblewrap/,
    );
    const run = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as {
      passed: boolean;
      isolation: string;
    };
    assert.equal(run.passed, false);
    assert.match(run.isolation, /^none \(refused: bubblewrap not available/);
  });

  test('preferred without bubblewrap: VERIFY runs unsandboxed and its evidence says so loudly', async () => {
    const repo = await inVerify({ mode: 'preferred', workspace: 'copy' });
    const r = await verifyWith(repo, missing('preferred'));
    assert.equal(r.ok, true, !r.ok ? r.error.message : '');
    const dir = repo.phaseDir('T-1', 'VERIFY');
    const run = JSON.parse(readFileSync(join(dir, 'verify_run.json'), 'utf8')) as { isolation: string };
    assert.match(run.isolation, /^none \(bubblewrap not available: .*not found/);
    const log = readFileSync(join(dir, 'build_output.log'), 'utf8');
    assert.match(log.split('\n')[0]!, /^# isolation: none \(bubblewrap not available/);
    assert.match(log, /NOT SANDBOXED/);
  });
});
