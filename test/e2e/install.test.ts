/**
 * E2E: the package as a user gets it. `npm pack` of this repository (prepack
 * builds dist/), installed with production dependencies only into a fresh git
 * repository holding a small Node project; then, from that install alone:
 * `init` (its files run the repository's copy, name no path of this machine and
 * no bare `npx autopilot`), the committed .mcp.json and Claude Code hook
 * answering, a task through VERIFY with real evidence, `ledger verify`, the task
 * on to PR, and `gate` on a fresh clone with the same install. The install is
 * done once for the file. It needs the npm registry, as `npm ci` does.
 * better-sqlite3's native module would compile from source for minutes (no
 * prebuilt binary can be downloaded here): the install is handed the one this
 * repository's `npm ci` already built, through prebuild-install's documented
 * local-prebuilds setting, so that npm installs it as it would a downloaded one.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { parse } from 'yaml';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { runsBareNpx } from '../../src/engine/setup/doctor.ts';
import { COMMANDS, P, ROOT, Repo, git, tempDir, writeFile } from './helpers.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** This process's environment without what `npm test` and node's test runner set for themselves. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(npm_|NODE_TEST|AUTOPILOT_)/i.test(k) && k !== 'INIT_CWD' && k !== 'CI') env[k] = v;
  return { ...env, NO_COLOR: '1', AUTOPILOT_HOOK_DAEMON: '0', ...extra };
}

function sh(
  command: string,
  args: string[],
  cwd: string,
  extra: Record<string, string> = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: cleanEnv(extra), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

let project: string;
let tarball: string;

/**
 * A folder holding better-sqlite3's native module, built by this repository's install, as the prebuilt tarball
 * prebuild-install looks for (`{name}-v{version}-node-v{abi}-{platform}-{arch}.tar.gz`, holding build/Release/).
 */
function localPrebuild(): string {
  const pkg = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const dir = tempDir('prebuilds');
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  must(sh('tar', ['czf', join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node'], ROOT), 'tar czf');
  return dir;
}

/** `autopilot …args --json` through the install's node_modules/.bin/autopilot; the one JSON object it printed. */
function cli<T = Record<string, unknown>>(dir: string, args: string[], exit = 0): T & { ok: boolean } {
  const r = sh(join(dir, 'node_modules', '.bin', 'autopilot'), [...args, '--json'], dir);
  assert.equal(r.status, exit, `autopilot ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T & { ok: boolean };
}

describe('the packed package, installed with production dependencies only', () => {
  before(async () => {
    // The tarball: prepack builds dist/.
    const packed = tempDir('packed');
    must(sh('npm', ['pack', '--pack-destination', packed], ROOT), 'npm pack');
    const [file] = readdirSync(packed).filter((f) => f.endsWith('.tgz'));
    assert.ok(file, `a tarball in ${packed}`);
    tarball = join(packed, file);

    // A small Node project with real tests (node:test), in a fresh git repository.
    project = tempDir('user-project');
    for (const [rel, content] of Object.entries(P.PROJECT_FILES)) writeFile(project, rel, content);
    git(project, ['init', '-q', '-b', 'main']);
    // JOBS: were node-gyp to compile better-sqlite3 after all, on both cores.
    must(
      sh('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball], project, {
        JOBS: '2',
        npm_config_better_sqlite3_local_prebuilds: localPrebuild(),
      }),
      'npm install --omit=dev',
    );
  });

  it('holds bin/, dist/, package.json and README, and nothing of the sources, the tests or the dev tools', () => {
    const listing = must(sh('tar', ['tzf', tarball], ROOT), 'tar')
      .trim()
      .split('\n');
    assert.ok(listing.includes('package/bin/autopilot.js'));
    assert.ok(listing.includes('package/dist/surfaces/cli/main.js'));
    assert.ok(listing.includes('package/dist/surfaces/hooks/entry.js'));
    assert.ok(listing.includes('package/README.md'));
    assert.ok(listing.includes('package/LICENSE'));
    assert.deepEqual(
      listing.filter((f) => /^package\/(src|test|bench|scripts)\//.test(f) || /\.map$|tsbuildinfo/.test(f)),
      [],
    );
    // The dashboard's style sheet and browser script, copied by the build beside the module that reads them.
    for (const asset of ['app.css', 'client.js'])
      assert.ok(listing.includes(`package/dist/surfaces/http/assets/${asset}`), asset);
    const installed = join(project, 'node_modules');
    assert.equal(existsSync(join(installed, 'agent-autopilot', 'bin', 'autopilot.js')), true);
    for (const dev of ['tsx', 'typescript', 'esbuild']) assert.equal(existsSync(join(installed, dev)), false, dev);
    assert.equal(
      must(sh('npx', ['--no-install', 'autopilot', '--version'], project), 'npx --no-install').trim(),
      VERSION,
    );
  });

  it("reads the dashboard's assets from the installed dist/", async () => {
    const module = join(project, 'node_modules', 'agent-autopilot', 'dist', 'surfaces', 'http', 'assets.js');
    const assets = (await import(pathToFileURL(module).href)) as { appCss(): string; clientJs(): string };
    const sources = join(ROOT, 'src', 'surfaces', 'http', 'assets');
    assert.equal(assets.appCss(), readFileSync(join(sources, 'app.css'), 'utf8'));
    assert.equal(assets.clientJs(), readFileSync(join(sources, 'client.js'), 'utf8'));
  });

  it('init, a task through VERIFY, ledger verify, on to PR, and the gate on a fresh clone: all from that install', async () => {
    // init, as the README says to run it.
    const init = JSON.parse(
      must(sh('npx', ['--no-install', 'autopilot', 'init', '--json'], project), 'npx --no-install autopilot init'),
    ) as { changes: { path: string; action: string }[] };
    const written = init.changes.filter((c) => c.action !== 'unchanged');
    assert.ok(written.length >= 8, JSON.stringify(written));
    const machine = [project, ROOT, process.execPath, tarball];
    for (const c of written) {
      const text = readFileSync(isAbsolute(c.path) ? c.path : join(project, c.path), 'utf8');
      for (const path of machine) assert.equal(text.includes(path), false, `${c.path} names ${path}`);
      for (const line of text.split('\n')) assert.equal(runsBareNpx(line), false, `${c.path}: ${line}`);
    }
    const workflow = readFileSync(join(project, '.github', 'workflows', 'autopilot-gate.yml'), 'utf8');
    assert.match(workflow, /- run: npm ci\n\s+- run: npx --no-install autopilot gate --base/);
    const doctor = cli<{ checks: { id: string; status: string }[] }>(project, ['doctor']);
    for (const id of ['hooks.claude', 'hooks.git', 'mcp', 'npx'])
      assert.equal(doctor.checks.find((c) => c.id === id)?.status, 'ok', id);

    // The project's commands, then everything committed (git's hooks, the repository's copy, let it through).
    new Repo(project).editConfig((config) => {
      config['commands'] = COMMANDS;
    });
    // npm install wrote a package-lock.json, so init wrote supplyChain: VERIFY reads its offline OSV database.
    assert.equal(
      (parse(readFileSync(join(project, '.autopilot', 'config.yaml'), 'utf8')) as { supplyChain?: { osv: string } })
        .supplyChain?.osv,
      'advisories/osv',
    );
    writeFile(project, 'advisories/osv/README.md', 'OSV records: autopilot advisories update\n');
    git(project, ['add', '-A']);
    must(sh('git', ['commit', '-q', '-m', 'textkit with Autopilot'], project), 'git commit');
    const base = git(project, ['rev-parse', 'HEAD']).trim();
    git(project, ['checkout', '-q', '-b', 'feature/word-count']);

    // The committed .mcp.json starts the installed MCP server.
    const entry = (
      JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')) as {
        mcpServers: { autopilot: { command: string; args: string[] } };
      }
    ).mcpServers.autopilot;
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd: project,
      env: { ...getDefaultEnvironment(), ...cleanEnv() },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'install-test', version: VERSION });
    await client.connect(transport);
    try {
      assert.equal(client.getServerVersion()?.version, VERSION);
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('task_start') && tools.includes('phase_advance'), tools.join(', '));
    } finally {
      await client.close();
    }

    cli(project, ['task', 'start', 'T-1', '--title', 'wordCount']);
    // Claude Code's committed PreToolUse hook, as Claude Code runs it: an edit of the source in STRATEGIZE is denied.
    const settings = JSON.parse(readFileSync(join(project, '.claude', 'settings.json'), 'utf8')) as {
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    const pre = settings.hooks['PreToolUse']!.at(-1)!.hooks[0]!.command;
    const hook = spawnSync('sh', ['-c', pre], {
      cwd: join(project, 'src'),
      env: cleanEnv({ CLAUDE_PROJECT_DIR: project }),
      input: JSON.stringify({
        session_id: 's',
        cwd: project,
        hook_event_name: 'PreToolUse',
        tool_name: 'Edit',
        tool_input: { file_path: join(project, 'src', 'slug.js'), old_string: 'a', new_string: 'b' },
      }),
      encoding: 'utf8',
    });
    assert.equal(hook.status, 0, hook.stderr);
    assert.equal(
      (JSON.parse(hook.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput
        .permissionDecision,
      'deny',
    );

    const evidence = tempDir('evidence');
    const put = (phase: string) => {
      for (const [name, content] of P.AGENT_EVIDENCE[phase] ?? []) {
        const file = join(evidence, name);
        writeFileSync(file, content);
        // REVIEW is not self-review: the rubric comes from a second hand, in the reviewer role.
        const hand = name === 'review_rubric.json' ? ['--holder', 'reviewer-1', '--role', 'reviewer'] : [];
        cli(project, [...hand, 'evidence', 'add', 'T-1', phase, file, '--as', name]);
      }
    };
    for (const phase of ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK']) {
      put(phase);
      cli(project, ['advance', 'T-1']);
    }
    writeFile(project, 'src/count.js', P.COUNT_FIXED);
    writeFile(project, 'test/count.test.js', P.COUNT_TEST);
    cli(project, ['advance', 'T-1']);
    const verified = cli<{ passed?: boolean }>(project, ['verify', 'T-1']);
    assert.equal(verified.ok, true);
    cli(project, ['advance', 'T-1']);
    const ledger = cli<{ entries: number; problems: unknown[] }>(project, ['ledger', 'verify']);
    assert.deepEqual(ledger.problems, []);
    assert.ok(ledger.entries > 10);

    put('REVIEW');
    cli(project, ['advance', 'T-1']);
    put('PR');
    const status = cli<{ task: { phase: string } }>(project, ['task', 'status', 'T-1']);
    assert.equal(status.task.phase, 'PR');
    assert.ok(existsSync(join(project, '.autopilot', 'attestations', 'T-1.jsonl')), 'the attestation bundle');
    git(project, ['add', '-A']);
    must(sh('git', ['commit', '-q', '-m', 'T-1: wordCount, with its evidence and bundle'], project), 'git commit');
    // git's hooks ran the repository's copy: commit-msg added the ledger's head.
    assert.match(git(project, ['log', '-1', '--format=%B']), /\nAutopilot-Ledger: [0-9a-f]{64}\n/);

    // CI: a fresh clone of the branch, the same install in it, the gate as the workflow runs it.
    const clone = tempDir('ci-clone');
    // Over git's transport, as CI fetches, not a copy of the objects folder: a copy races any git process still
    // writing objects in the project (git's own detached `gc --auto` after the commit, the hook daemon's diff).
    git(clone, ['clone', '-q', '--no-local', '--branch', 'feature/word-count', project, '.']);
    assert.equal(existsSync(join(clone, '.autopilot', 'autopilot.db')), false);
    cpSync(join(project, 'node_modules'), join(clone, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    // As CI runs it: CI=true, with the installation's key pinned in the variable a branch cannot change.
    const keyIds = readdirSync(join(clone, '.autopilot', 'attestations', 'keys')).map((f) =>
      f.replace(/\.pub\.pem$/, ''),
    );
    assert.equal(keyIds.length, 1, `one key committed: ${keyIds.join(', ')}`);
    const gate = sh('npx', ['--no-install', 'autopilot', 'gate', '--base', base, '--json'], clone, {
      CI: 'true',
      AUTOPILOT_TRUSTED_KEYS: keyIds[0]!,
    });
    assert.equal(gate.status, 0, `${gate.stdout}\n${gate.stderr}`);
    assert.equal((JSON.parse(gate.stdout) as { ok: boolean }).ok, true);
  });
});
