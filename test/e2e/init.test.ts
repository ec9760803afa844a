/**
 * E2E: `autopilot init` on the fixture repositories: the commands detection
 * writes into the config (commented), the agents' files merged into what is
 * there (other settings, hooks and servers kept), a git hook that was there
 * chained (core.hooksPath respected), AGENTS.md's section replaced between its
 * markers, `--dry-run` writing nothing and showing diffs, and a second init
 * changing nothing.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Repo, git, makeProject, tempDir } from './helpers.ts';
import { claudeDenyRules } from '../../src/engine/setup/agent-wiring.ts';
import { STATE_HOME } from '../helpers/state-home.ts';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/core/config.ts';

const REPOS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'repos');

interface InitBody {
  ok: true;
  changes: { path: string; action: string; after?: string; diff?: string }[];
  notes: string[];
}

/** A git repository holding a copy of a fixture, committed. */
function fixture(name: string): Repo {
  const dir = tempDir(name);
  cpSync(join(REPOS, name), dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'fixture']);
  return new Repo(dir);
}

/** A home folder of its own, so that the machine's Codex config does not count. */
const env = () => ({ HOME: tempDir('home'), AUTOPILOT_HOOK_DAEMON: '0' });

const json = (repo: Repo, rel: string) => JSON.parse(readFileSync(repo.path(rel), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function hookFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir))
    if (!name.endsWith('.sample')) out.set(name, readFileSync(join(dir, name), 'utf8'));
  return out;
}

describe('autopilot init', { concurrency: true }, () => {
  it('writes the commands detection finds into the config, each with a comment to check it', async () => {
    const repo = fixture('node-pnpm-jest');
    const plan = await repo.ok<InitBody & { dryRun: boolean }>(['init', '--dry-run'], { env: env() });
    const config = plan.changes.find((c) => c.path === '.autopilot/config.yaml')?.after ?? '';
    assert.match(
      config,
      /^ {2}# detected: jest \(javascript\); check it\n {2}# jest-junit writes the JUnit report: add it as a dev dependency\n {2}test:\n {4}run:\n {6}- pnpm\n {6}- exec\n {6}- jest\n/m,
    );
    assert.match(config, /^ {4}junit: junit\.xml$/m);
    assert.match(config, /^ {4}lcov: coverage\/lcov\.info$/m);
    // What the test command writes is ignored, the report at the top by itself, the coverage folder whole.
    const ignore = plan.changes.find((c) => c.path === '.gitignore')?.after ?? '';
    assert.match(ignore, /^\.autopilot\/cache\/$/m);
    assert.match(
      ignore,
      /^# Autopilot: what the test command writes \(reports, coverage\), never part of a change\n\/junit\.xml\n\/coverage\/\n$/m,
    );
    const python = await fixture('python-uv').ok<InitBody>(['init', '--dry-run'], { env: env() });
    const pyConfig = python.changes[0]?.after ?? '';
    assert.match(
      pyConfig,
      /# detected: pytest \(python\); check it\n {2}test:\n {4}run:\n {6}- uv\n {6}- run\n {6}- pytest\n {6}- --junitxml=reports\/junit\.xml/,
    );
    assert.match(pyConfig, /# detected: ruff; check it\n {2}lint:/);
    const pyIgnore = python.changes.find((c) => c.path === '.gitignore')?.after ?? '';
    for (const line of ['/reports/', '/coverage/', '.coverage', '.pytest_cache/', '__pycache__/'])
      assert.ok(pyIgnore.split('\n').includes(line), `${line} in .gitignore`);

    // Lockfiles (pnpm-lock.yaml, uv.lock): a supplyChain section with its comment, the defaults, and licence lists
    // for the ecosystem; it parses as the config. A repository without lockfiles gets none.
    type Supply = { osv: string; failOn: string; licenses: { allow: string[]; deny: string[] } };
    const supplyOf = (text: string) => (parseYaml(text) as { supplyChain?: Supply }).supplyChain;
    assert.match(config, /^# The supply-chain check of VERIFY \(written because the repository has lockfiles\)/m);
    assert.match(config, /run `autopilot advisories\n# {3}update` where there is network/);
    const npm = supplyOf(config);
    assert.deepEqual([npm?.osv, npm?.failOn], ['advisories/osv', 'high']);
    assert.ok(npm?.licenses.allow.includes('BlueOak-1.0.0') && !npm.licenses.allow.includes('PSF-2.0'));
    assert.ok(npm?.licenses.deny.includes('AGPL-3.0-only'));
    const py = supplyOf(pyConfig);
    assert.ok(py?.licenses.allow.includes('PSF-2.0') && !py.licenses.allow.includes('BlueOak-1.0.0'));
    for (const text of [config, pyConfig]) {
      const parsed = parseConfig(parseYaml(text));
      assert.ok(parsed.ok && parsed.value.supplyChain?.licenses?.deny.includes('GPL-3.0-only'));
    }
    const none = await fixture('agents').ok<InitBody>(['init', '--dry-run'], { env: env() });
    assert.equal(supplyOf(none.changes.find((c) => c.path === '.autopilot/config.yaml')?.after ?? ''), undefined);
  });

  it("merges into the agents' files, keeping everything else; a second init changes nothing", async () => {
    const repo = fixture('agents');
    const settings = json(repo, '.claude/settings.json');
    settings['hooks'] = {
      PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo mine' }] }],
      Notification: [{ hooks: [{ type: 'command', command: 'notify-send claude' }] }],
    };
    writeFileSync(repo.path('.claude/settings.json'), JSON.stringify(settings, null, 2) + '\n');
    git(repo.dir, ['commit', '-qam', 'a hook of my own']);
    const home = env();
    const first = await repo.ok<InitBody>(['init', '--yes'], { env: home });
    const actions = Object.fromEntries(first.changes.map((c) => [c.path, c.action]));
    assert.deepEqual(
      [
        actions['.claude/settings.json'],
        actions['.mcp.json'],
        actions['AGENTS.md'],
        actions['.codex/hooks.json'],
        actions['.cursor/hooks.json'],
        actions['.git/hooks/pre-commit'],
      ],
      ['update', 'update', 'update', 'create', 'create', 'create'],
    );

    const claude = json(repo, '.claude/settings.json');
    // The person's rules stay; init adds Claude Code's deny rules for Autopilot's secrets and controls beside them.
    assert.deepEqual(
      claude['permissions'],
      { allow: ['Bash(npm test)'], deny: claudeDenyRules(process.env) },
      'other settings stay',
    );
    // The per-user state folder where this run keeps it (the test's XDG_STATE_HOME), beside the default one.
    const deny = (claude['permissions'] as { deny: string[] }).deny;
    for (const rule of [`Read(/${STATE_HOME}/autopilot/**)`, 'Read(~/.local/state/autopilot/**)'])
      assert.ok(deny.includes(rule), `${rule} in ${deny.join(', ')}`);
    assert.deepEqual(claude['hooks']['Notification'], settings['hooks']['Notification'], 'other events stay');
    assert.deepEqual(
      claude['hooks']['PreToolUse'][0],
      { matcher: 'Bash', hooks: [{ type: 'command', command: 'echo mine' }] },
      'the user hook stays, first',
    );
    assert.match(
      claude['hooks']['PreToolUse'][1]['hooks'][0]['command'],
      /bin\/autopilot-hook --node \S+ claude PreToolUse \|\| exit 2$/,
    );
    assert.match(claude['hooks']['PreToolUse'][1]['matcher'], /^Bash\|Edit\|MultiEdit\|Write/);
    for (const event of ['Stop', 'SessionStart', 'UserPromptSubmit'])
      assert.match(
        claude['hooks'][event][0]['hooks'][0]['command'],
        new RegExp(`autopilot-hook --node \\S+ claude ${event}$`),
      );

    const mcp = json(repo, '.mcp.json');
    assert.deepEqual(mcp['mcpServers']['docs'], { command: 'docs-server', args: [] }, 'other servers stay');
    assert.deepEqual(mcp['mcpServers']['autopilot']['args'].slice(-1), ['mcp']);
    assert.match(
      mcp['mcpServers']['autopilot']['args'][0],
      /autopilot(-dev)?\.js$/,
      'the bin script: the development entry in AUTOPILOT_E2E_SOURCE=1',
    );

    const codex = json(repo, '.codex/hooks.json');
    assert.deepEqual(Object.keys(codex['hooks']), ['PreToolUse', 'Stop', 'SessionStart', 'UserPromptSubmit']);
    assert.equal(codex['hooks']['PreToolUse'][0]['matcher'], 'Bash|apply_patch|Edit|Write|mcp__.*');
    const cursor = json(repo, '.cursor/hooks.json');
    assert.equal(cursor['version'], 1);
    assert.deepEqual(Object.keys(cursor['hooks']), [
      'beforeShellExecution',
      'beforeMCPExecution',
      'beforeReadFile',
      'preToolUse',
      'afterFileEdit',
      'sessionStart',
      'stop',
    ]);
    assert.match(
      cursor['hooks']['beforeShellExecution'][0]['command'],
      /autopilot-hook --node \S+ cursor beforeShellExecution \|\| exit 2$/,
    );
    assert.match(cursor['hooks']['stop'][0]['command'], /autopilot-hook --node \S+ cursor stop$/);

    const agents = readFileSync(repo.path('AGENTS.md'), 'utf8');
    assert.ok(agents.startsWith('# Agents\n\nKeep changes small.\n'), 'what AGENTS.md said stays first');
    assert.equal(agents.split('<!-- autopilot:begin -->').length, 2);
    assert.match(
      agents,
      /<!-- autopilot:begin -->\n## Autopilot\n[\s\S]*STRATEGIZE → SPEC → PLAN[\s\S]*<!-- autopilot:end -->\n$/,
    );
    assert.match(first.notes.join('\n'), /Codex runs project hooks/);

    const files = repo.snapshot();
    const hooks = hookFiles(repo.path('.git', 'hooks'));
    const second = await repo.ok<InitBody>(['init'], { env: home });
    assert.deepEqual(
      second.changes.filter((c) => c.action !== 'unchanged'),
      [],
    );
    assert.deepEqual(repo.snapshot(), files);
    assert.deepEqual(hookFiles(repo.path('.git', 'hooks')), hooks);
  });

  it("AGENTS.md: a second init puts back only what is between Autopilot's markers", async () => {
    const repo = fixture('go');
    const home = env();
    await repo.ok(['init'], { env: home });
    const text = readFileSync(repo.path('AGENTS.md'), 'utf8');
    writeFileSync(
      repo.path('AGENTS.md'),
      `${text.replace('## Autopilot', '## Autopilot, edited by hand')}\n## Our own rules\n\nGo fmt everything.\n`,
    );
    const again = await repo.ok<InitBody>(['init'], { env: home });
    assert.deepEqual(
      again.changes.filter((c) => c.action !== 'unchanged').map((c) => c.path),
      ['AGENTS.md'],
    );
    assert.equal(readFileSync(repo.path('AGENTS.md'), 'utf8'), `${text}\n## Our own rules\n\nGo fmt everything.\n`);
  });

  it('chains to a git hook that was there, in the core.hooksPath folder', async () => {
    const repo = new Repo(makeProject());
    git(repo.dir, ['config', 'core.hooksPath', '.githooks']);
    const mine = '#!/bin/sh\ntouch "$(git rev-parse --show-toplevel)/chained-hook-ran"\n';
    repo.write('.githooks/pre-commit', mine);
    git(repo.dir, ['update-index', '--add', '--chmod=+x', '.githooks/pre-commit']);
    const { chmodSync } = await import('node:fs');
    chmodSync(repo.path('.githooks/pre-commit'), 0o755);
    const r = await repo.ok<InitBody>(['init'], { env: env() });
    const actions = Object.fromEntries(r.changes.map((c) => [c.path, c.action]));
    assert.deepEqual(
      [actions['.githooks/pre-commit.pre-autopilot'], actions['.githooks/pre-commit'], actions['.githooks/commit-msg']],
      ['create', 'update', 'create'],
    );
    assert.equal(readFileSync(repo.path('.githooks/pre-commit.pre-autopilot'), 'utf8'), mine);
    assert.match(
      readFileSync(repo.path('.githooks/pre-commit'), 'utf8'),
      /^#!\/bin\/sh\n# autopilot-hook: pre-commit\n/,
    );
    assert.equal(
      existsSync(repo.path('.git', 'hooks', 'pre-commit')),
      false,
      'nothing in .git/hooks: git does not look there',
    );
    // Both run: the hook that was there, then Autopilot's (no task: a note).
    repo.write('more.txt', 'more\n');
    git(repo.dir, ['add', 'more.txt']);
    const { spawnSync } = await import('node:child_process');
    const commit = spawnSync('git', ['commit', '-q', '-m', 'more'], {
      cwd: repo.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        AUTOPILOT_HOOK_DAEMON: '0',
        GIT_AUTHOR_NAME: 'E2E',
        GIT_AUTHOR_EMAIL: 'e@example.com',
        GIT_COMMITTER_NAME: 'E2E',
        GIT_COMMITTER_EMAIL: 'e@example.com',
      },
    });
    assert.equal(commit.status, 0, commit.stderr);
    assert.ok(existsSync(repo.path('chained-hook-ran')), 'the hook that was there ran');
    assert.match(commit.stderr, /autopilot: no task is active/);
    const again = await repo.ok<InitBody>(['init'], { env: env() });
    assert.deepEqual(
      again.changes.filter((c) => c.action !== 'unchanged'),
      [],
    );
  });

  it('--dry-run writes nothing and shows every change as a diff', async () => {
    const repo = fixture('agents');
    const files = repo.snapshot();
    const hooks = hookFiles(repo.path('.git', 'hooks'));
    const status = git(repo.dir, ['status', '--porcelain', '--untracked-files=all']);
    const home = env();
    const text = await repo.run(['init', '--dry-run'], { env: { ...home, NO_COLOR: '1' } });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /would make these changes/);
    assert.match(
      text.stdout,
      /^ {2}update \.claude\/settings\.json\n--- a\/\.claude\/settings\.json\n\+\+\+ b\/\.claude\/settings\.json\n@@ -\d+,\d+ \+\d+,\d+ @@$/m,
    );
    assert.ok(
      /^\+\+\+ b\/\.claude\/settings\.json\n@@ [^\n]+\n \{$/m.test(text.stdout),
      'context lines around the change',
    );
    assert.match(text.stdout, /^\+ {8}"matcher": "Bash\|Edit\|/m);
    assert.match(
      text.stdout,
      /^ {2}create \.git\/hooks\/pre-commit \(mode 755\)\n--- \/dev\/null\n\+\+\+ b\/\.git\/hooks\/pre-commit\n@@ -0,0 \+1,\d+ @@\n\+#!\/bin\/sh$/m,
    );
    const plan = await repo.ok<InitBody>(['init', '--dry-run'], { env: home });
    const mcp = plan.changes.find((c) => c.path === '.mcp.json');
    assert.match(mcp?.diff ?? '', /^--- a\/\.mcp\.json\n\+\+\+ b\/\.mcp\.json\n/);
    assert.match(mcp?.diff ?? '', /\n\+ {4}"autopilot": \{\n/);
    assert.deepEqual(repo.snapshot(), files);
    assert.deepEqual(hookFiles(repo.path('.git', 'hooks')), hooks);
    assert.equal(existsSync(repo.stateDir), false);
    assert.equal(git(repo.dir, ['status', '--porcelain', '--untracked-files=all']), status);
  });
});
