/**
 * E2E: `autopilot doctor` after init (healthy, exit 0), then with a hook that
 * points at a bin script that is gone, a missing or readable private key, a
 * git hook removed, a broken .mcp.json, and a test command that is missing or
 * cannot start: each reported with its fix, exit 1.
 * Which form the wired files use: this machine's absolute paths warn; the
 * repository's own install is ok once installed and fails with the fix before;
 * a bare `npx autopilot` in a file Autopilot writes fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { binary, makeRepo, tempDir, type Repo } from './helpers.ts';

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}
interface DoctorBody {
  ok: true;
  healthy: boolean;
  root: string;
  checks: Check[];
}

// One home for the file's runs (no ~/.codex of this machine), shared so that what init records in the per-user state
// folder (the git hooks' digests) is there for doctor.
let home: string | undefined;
const env = () => ({ HOME: (home ??= tempDir('home')), AUTOPILOT_HOOK_DAEMON: '0' });

async function doctor(repo: Repo, exit: number): Promise<DoctorBody> {
  const r = await repo.json<DoctorBody>(['doctor'], { env: env() });
  assert.equal(r.code, exit, `autopilot doctor exited ${r.code}: ${r.stdout}`);
  return r.body;
}

const check = (body: DoctorBody, id: string) => {
  const c = body.checks.find((x) => x.id === id);
  assert.ok(c, `a ${id} check in ${JSON.stringify(body.checks)}`);
  return c;
};

describe('autopilot doctor', { concurrency: true }, () => {
  it('is healthy after init; reports a hook pointing at a missing bin script, and the fix', async () => {
    const repo = await makeRepo();
    await repo.ok(['init'], { env: env() });
    const healthy = await doctor(repo, 0);
    assert.equal(healthy.healthy, true);
    for (const id of ['config', 'key', 'store', 'hooks.claude', 'hooks.git', 'mcp', 'sandbox'])
      assert.notEqual(check(healthy, id).status, 'fail', id);

    const file = repo.path('.claude', 'settings.json');
    const gone = join(tempDir('moved'), 'bin', 'autopilot-hook');
    const settings = readFileSync(file, 'utf8').replace(
      /[^"\s]*autopilot-hook (--node [^"\s]+ claude Stop)/,
      `${gone} $1`,
    );
    assert.ok(settings.includes(gone), 'the Stop hook now names a client that is not there');
    writeFileSync(file, settings);
    const broken = await doctor(repo, 1);
    assert.equal(broken.healthy, false);
    const hooks = check(broken, 'hooks.claude');
    assert.equal(hooks.status, 'fail');
    assert.equal(
      hooks.message,
      `.claude/settings.json: Stop: ${gone} does not exist or cannot be run (runs this machine's Node and bin script by absolute path)`,
    );
    assert.match(hooks.fix ?? '', /run `autopilot init` again/);

    const text = await repo.run(['doctor'], { env: { ...env(), NO_COLOR: '1' } });
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      /✗ hooks\.claude {2}\.claude\/settings\.json: Stop: .* does not exist or cannot be run \(.*\)\n\s+fix: run `autopilot init` again/,
    );
    assert.match(text.stdout, /1 problem, 2 warnings: fix it as shown, then run autopilot doctor again/);

    // init puts the path right.
    await repo.ok(['init'], { env: env() });
    assert.equal((await doctor(repo, 0)).healthy, true);
  });

  it('reports a missing private key, a key others can read, a missing git hook and a broken .mcp.json', async () => {
    const repo = await makeRepo();
    await repo.ok(['init'], { env: env() });
    const key = join(repo.userState.keysDir, 'private.pem');
    chmodSync(key, 0o644);
    let body = await doctor(repo, 1);
    assert.deepEqual([check(body, 'key').status, check(body, 'key').fix], ['fail', `chmod 600 ${key}`]);

    const pem = readFileSync(key);
    rmSync(key);
    rmSync(repo.path('.git', 'hooks', 'pre-push'));
    writeFileSync(repo.path('.mcp.json'), '{ "mcpServers": ');
    body = await doctor(repo, 1);
    const k = check(body, 'key');
    assert.equal(k.status, 'fail');
    assert.equal(
      k.message,
      `no signing key for this repository at ${key} (this user's state folder): nothing can be recorded`,
    );
    assert.match(k.fix ?? '', /autopilot init/);
    const g = check(body, 'hooks.git');
    assert.equal(g.status, 'fail');
    assert.match(g.message, /pre-push is missing/);
    const m = check(body, 'mcp');
    assert.equal(m.status, 'fail');
    assert.match(m.message, /^\.mcp\.json is not valid JSON/);
    assert.equal(check(body, 'store').status, 'ok');

    // init leaves a file it cannot read as it is: a person repairs it (here: starts it afresh), then init wires it again.
    writeFileSync(key, pem, { mode: 0o600 });
    rmSync(repo.path('.mcp.json'));
    await repo.ok(['init'], { env: env() });
    assert.equal((await doctor(repo, 0)).healthy, true);
  });

  it("warns of this machine's absolute paths in the wired files, and says how to get files that work in a clone", async () => {
    const repo = await makeRepo();
    await repo.ok(['init'], { env: env() });
    const body = await doctor(repo, 0);
    for (const id of ['hooks.claude', 'hooks.git', 'mcp']) {
      const c = check(body, id);
      assert.equal(c.status, 'warn', id);
      assert.match(
        c.message,
        /runs this machine's Node and bin script by absolute path\): .* committed, the file breaks in a teammate's clone$/,
      );
      assert.match(
        c.fix ?? '',
        /npm install --save-dev agent-autopilot` and run `npx --no-install autopilot init` again/,
      );
    }
    assert.equal(check(body, 'npx').status, 'ok');
  });

  it('with the package in the repository: the files run its node_modules/.bin/autopilot; before npm install, a failure that says to install', async () => {
    const repo = await makeRepo();
    const pkg = JSON.parse(readFileSync(repo.path('package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      repo.path('package.json'),
      JSON.stringify({ ...pkg, devDependencies: { 'agent-autopilot': '*' } }, null, 2),
    );
    await repo.ok(['init'], { env: env() });
    const settings = readFileSync(repo.path('.claude', 'settings.json'), 'utf8');
    assert.doesNotMatch(settings, /autopilot\.js/, 'no bin script by absolute path');
    assert.deepEqual(JSON.parse(readFileSync(repo.path('.mcp.json'), 'utf8')).mcpServers.autopilot, {
      command: 'npx',
      args: ['--no-install', 'autopilot', 'mcp'],
    });

    // A clone that has not installed its packages yet.
    const before = await doctor(repo, 1);
    for (const id of ['hooks.claude', 'hooks.git', 'mcp']) {
      const c = check(before, id);
      assert.equal(c.status, 'fail', id);
      assert.match(c.message, /node_modules\/\.bin\/autopilot(-hook)? is missing/, id);
      assert.match(c.fix ?? '', /^install this repository's packages \(npm install, or npm ci\)/, id);
    }

    // Installed (the package under test, linked as npm would place it).
    const packageDir = dirname(dirname(await binary()));
    mkdirSync(repo.path('node_modules', '.bin'), { recursive: true });
    symlinkSync(packageDir, repo.path('node_modules', 'agent-autopilot'), 'dir');
    symlinkSync('../agent-autopilot/bin/autopilot.js', repo.path('node_modules', '.bin', 'autopilot'));
    symlinkSync('../agent-autopilot/bin/autopilot-hook', repo.path('node_modules', '.bin', 'autopilot-hook'));
    const after = await doctor(repo, 0);
    for (const id of ['hooks.claude', 'hooks.git', 'mcp', 'npx']) assert.equal(check(after, id).status, 'ok', id);
    assert.match(check(after, 'hooks.claude').message, /\(runs the repository's node_modules\/\.bin\/autopilot\)$/);

    // The committed command, as Claude Code runs it from a sub-folder: the repository's copy answers.
    const command = (JSON.parse(settings) as { hooks: Record<string, { hooks: { command: string }[] }[]> }).hooks[
      'PreToolUse'
    ]!.at(-1)!.hooks[0]!.command;
    const r = spawnSync('sh', ['-c', command], {
      cwd: repo.path('src'),
      env: { ...process.env, CLAUDE_PROJECT_DIR: repo.dir, AUTOPILOT_HOOK_DAEMON: '0', NO_COLOR: '1' },
      input: JSON.stringify({
        session_id: 's',
        cwd: repo.dir,
        hook_event_name: 'PreToolUse',
        tool_name: 'Write',
        tool_input: { file_path: repo.path('src', 'new.js'), content: 'x' },
      }),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput
        .permissionDecision,
      'deny',
    );
  });

  it('fails a line that runs a bare npx of Autopilot in a file it writes, naming the file and line', async () => {
    const repo = await makeRepo();
    await repo.ok(['init'], { env: env() });
    const workflow = repo.path('.github', 'workflows', 'autopilot-gate.yml');
    const text = readFileSync(workflow, 'utf8');
    writeFileSync(
      workflow,
      text.replace(/- run: autopilot gate --base/, '- run: npx autopilot gate --base') +
        '# npx autopilot in a comment\n',
    );
    writeFileSync(
      repo.path('AGENTS.md'),
      `${readFileSync(repo.path('AGENTS.md'), 'utf8')}\nRun npx agent-autopilot init.\n`,
    );
    const body = await doctor(repo, 1);
    const c = check(body, 'npx');
    assert.equal(c.status, 'fail');
    const line = text.split('\n').findIndex((l) => l.includes('- run: autopilot gate')) + 1;
    assert.match(
      c.message,
      new RegExp(`\\.github/workflows/autopilot-gate\\.yml:${line} \\(- run: npx autopilot gate`),
    );
    assert.match(c.message, /AGENTS\.md:\d+ \(Run npx agent-autopilot init\.\)$/);
    assert.doesNotMatch(c.message, /in a comment/);
    assert.match(c.fix ?? '', /`npx --no-install autopilot …`/);
  });

  it('refuses "healthy" when the test command is missing or cannot start; a build or lint that cannot start is a warning', async () => {
    const repo = await makeRepo();
    await repo.ok(['init'], { env: env() });
    const healthy = await doctor(repo, 0);
    assert.equal(check(healthy, 'test').status, 'ok');
    assert.match(check(healthy, 'test').message, /^commands\.test: /);

    // No test command at all, as init leaves a repository whose tests it could not run.
    repo.editConfig((c) => void delete (c['commands'] as Record<string, unknown>)['test']);
    let body = await doctor(repo, 1);
    assert.equal(body.healthy, false);
    assert.equal(check(body, 'test').status, 'fail');
    assert.match(check(body, 'test').message, /commands\.test is not set/);

    // `python` where only python3 exists (stock Debian), and a module the interpreter cannot import.
    const cases: [string[], RegExp][] = [
      [['no-such-interpreter-here', '-m', 'pytest'], /no-such-interpreter-here is not on PATH/],
      [['python3', '-m', 'no_such_module_here'], /python3 cannot import no_such_module_here/],
      [['sh', '-c', 'mkdir -p reports && no-such-go test ./... > reports/go.json'], /no-such-go is not on PATH/],
      [['npx', 'no-such-runner'], /no-such-runner is not installed in node_modules/],
    ];
    for (const [run, message] of cases) {
      repo.editConfig((c) => {
        (c['commands'] as Record<string, unknown>)['test'] = { run, junit: 'reports/junit.xml' };
        (c['commands'] as Record<string, unknown>)['lint'] = { run: ['no-such-linter', '.'] };
      });
      body = await doctor(repo, 1);
      assert.equal(check(body, 'test').status, 'fail', run.join(' '));
      assert.match(check(body, 'test').message, message);
      assert.match(check(body, 'test').fix ?? '', /install what is missing, or fix commands\.test\.run/);
      assert.equal(check(body, 'lint').status, 'warn');
      assert.match(check(body, 'lint').message, /no-such-linter is not on PATH/);
    }
    // A lint that cannot start alone leaves the installation healthy, with a warning.
    repo.editConfig((c) => {
      (c['commands'] as Record<string, unknown>)['test'] = {
        run: ['python3', '-m', 'json.tool', '--help'],
        junit: 'r/j.xml',
      };
    });
    body = await doctor(repo, 0);
    assert.equal(body.healthy, true);
    assert.equal(check(body, 'lint').status, 'warn');
  });

  it('outside a repository with Autopilot: one failed check that says to run init', async () => {
    const dir = tempDir('bare');
    const { run } = await import('./helpers.ts');
    const r = await run(['--json', '-C', dir, 'doctor']);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.stdout) as DoctorBody;
    assert.deepEqual(
      body.checks.map((c) => [c.id, c.status]),
      [['config', 'fail']],
    );
    assert.match(body.checks[0]?.fix ?? '', /autopilot init/);
  });
});
