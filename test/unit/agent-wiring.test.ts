/**
 * Unit: the commands init writes and how doctor reads them. In a repository with
 * its own install of agent-autopilot every file runs that install by a path
 * relative to the repository's root (each client's way of finding it), so the
 * committed files work in a clone; without one, this machine's Node and bin
 * script by absolute path, with a note. The commands run for real under sh
 * against a stand-in node_modules/.bin/autopilot; gating ones fail closed when
 * it is missing. The CI jobs run the installed copy, and doctor's bare-npx
 * check tells a line that could download a package from one that cannot.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import {
  CLAUDE_DENY_RULES,
  claudeDenyRules,
  gitHookScript,
  hasLocalInstall,
  mcpEntry,
  planWiring,
  wiredCommand,
  type Launcher,
  type WiringFile,
} from '../../src/engine/setup/agent-wiring.ts';
import { gateSteps, githubWorkflow, gitlabJob } from '../../src/engine/setup/ci-workflows.ts';
import { parseDocument } from 'yaml';
import type { DetectedAgents } from '../../src/engine/setup/detect.ts';
import { lookAtCommand, runsBareNpx, shellWords } from '../../src/engine/setup/doctor.ts';
import { findPackageJson, PACKAGE_NAME, packageVersion } from '../../src/engine/setup/package-info.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TMP = mkdtempSync(join(tmpdir(), 'autopilot-wiring-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
const tempDir = () => mkdtempSync(join(TMP, `r${++n}-`));

/** A launcher whose paths are recognisably this machine's. */
const LAUNCHER: Launcher = {
  node: '/opt/this-machine/node',
  bin: '/opt/this-machine/agent-autopilot/bin/autopilot.js',
};
const ALL_AGENTS: DetectedAgents = { claude: true, codex: true, cursor: true, agentsMd: true, mcpJson: true };
const PHASES = ['STRATEGIZE', 'SPEC', 'IMPLEMENT'];

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};
const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });

/** A git repository whose package.json declares agent-autopilot (installed or not). */
function nodeRepo(): string {
  const dir = tempDir();
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'app', devDependencies: { [PACKAGE_NAME]: '^1.0.0' } }),
  );
  return dir;
}

/**
 * A stand-in for the installed command: it writes its arguments and working directory to `calls.log` beside
 * it and exits with AUTOPILOT_STUB_EXIT (0 by default).
 */
function installStub(dir: string): string {
  const bin = join(dir, 'node_modules', '.bin', 'autopilot');
  mkdirSync(dirname(bin), { recursive: true });
  writeFileSync(bin, `#!/bin/sh\necho "$(pwd) $*" >> "$(dirname "$0")/calls.log"\nexit "\${AUTOPILOT_STUB_EXIT:-0}"\n`);
  chmodSync(bin, 0o755);
  return join(dirname(bin), 'calls.log');
}

const plan = (root: string, env?: Record<string, string>) =>
  planWiring({
    root,
    gitHooksDir: join(root, '.git', 'hooks'),
    agents: ALL_AGENTS,
    launcher: LAUNCHER,
    phases: PHASES,
    ...(env ? { env } : {}),
  });
const fileOf = (files: WiringFile[], path: string) => {
  const f = files.find((x) => x.path === path);
  assert.ok(f, `${path} in ${files.map((x) => x.path).join(', ')}`);
  return f;
};
/** Claude-style hooks: the first command of each event's last group. */
const commands = (text: string): Record<string, string> => {
  const hooks = (JSON.parse(text) as { hooks: Record<string, { command?: string; hooks?: { command: string }[] }[]> })
    .hooks;
  return Object.fromEntries(
    Object.entries(hooks).map(([event, groups]) => {
      const g = groups[groups.length - 1]!;
      return [event, g.command ?? g.hooks![0]!.command];
    }),
  );
};

describe("Claude Code's permission rules", () => {
  it("denies reading the keys and the store and editing Autopilot's state and git's controls, keeping the person's rules", () => {
    const root = nodeRepo();
    mkdirSync(join(root, '.claude'));
    writeFileSync(
      join(root, '.claude', 'settings.json'),
      JSON.stringify({ permissions: { deny: ['Bash(curl:*)', 'Read(./.autopilot/keys/**)'], allow: ['Bash(ls)'] } }),
    );
    const first = fileOf(plan(root).files, '.claude/settings.json');
    const settings = JSON.parse(first.after) as { permissions: { deny: string[]; allow: string[] } };
    assert.equal(settings.permissions.deny[0], 'Bash(curl:*)', "the person's own rules stay first");
    assert.deepEqual(settings.permissions.allow, ['Bash(ls)']);
    for (const rule of CLAUDE_DENY_RULES)
      assert.equal(settings.permissions.deny.filter((r) => r === rule).length, 1, rule);
    assert.ok(settings.permissions.deny.includes('Edit(./.git/hooks/**)'));
    assert.ok(settings.permissions.deny.includes('Read(~/.local/state/autopilot/**)'));
    // Planned again over what it wrote: nothing changes.
    writeFileSync(join(root, '.claude', 'settings.json'), first.after);
    assert.equal(fileOf(plan(root).files, '.claude/settings.json').action, 'unchanged');
  });

  it('names the per-user state folder where XDG_STATE_HOME puts it, beside the default one', () => {
    const denyOf = (env: Record<string, string>) =>
      (
        JSON.parse(fileOf(plan(nodeRepo(), env).files, '.claude/settings.json').after) as {
          permissions: { deny: string[] };
        }
      ).permissions.deny;
    const stateRules = (deny: string[]) => deny.filter((r) => /state/.test(r));
    // The default folder: the rules as they are, once each.
    assert.deepEqual(stateRules(denyOf({ HOME: '/home/ann' })), [
      'Read(~/.local/state/autopilot/**)',
      'Edit(~/.local/state/autopilot/**)',
    ]);
    // Outside the home folder: an absolute rule (Claude Code's `//path`), the default one kept.
    assert.deepEqual(stateRules(denyOf({ HOME: '/home/ann', XDG_STATE_HOME: '/srv/state' })), [
      'Read(~/.local/state/autopilot/**)',
      'Read(//srv/state/autopilot/**)',
      'Edit(~/.local/state/autopilot/**)',
      'Edit(//srv/state/autopilot/**)',
    ]);
    // Inside it: named from `~`, as a rule for any machine of the same layout.
    assert.deepEqual(stateRules(denyOf({ HOME: '/home/ann', XDG_STATE_HOME: '/home/ann/.state' })), [
      'Read(~/.local/state/autopilot/**)',
      'Read(~/.state/autopilot/**)',
      'Edit(~/.local/state/autopilot/**)',
      'Edit(~/.state/autopilot/**)',
    ]);
    // A relative XDG_STATE_HOME is ignored, as the state folder itself ignores it.
    assert.deepEqual(claudeDenyRules({ HOME: '/home/ann', XDG_STATE_HOME: 'rel' }), [...CLAUDE_DENY_RULES]);
  });
});

describe('the wiring in a repository with its own install', () => {
  it("names no path of this machine: hooks resolve the repository's root, .mcp.json and AGENTS.md use npx --no-install", () => {
    const root = nodeRepo();
    assert.equal(hasLocalInstall(root), true, 'a dependency in package.json counts before npm install ran');
    const { files, notes } = plan(root);
    for (const f of files) {
      assert.doesNotMatch(f.after, /\/opt\/this-machine/, f.path);
      assert.ok(
        f.after.split('\n').every((l) => !runsBareNpx(l)),
        `${f.path} runs no bare npx`,
      );
    }
    assert.deepEqual(
      notes.filter((x) => x.includes(PACKAGE_NAME)),
      [],
    );
    assert.deepEqual(JSON.parse(fileOf(files, '.mcp.json').after), {
      mcpServers: { autopilot: { command: 'npx', args: ['--no-install', 'autopilot', 'mcp'] } },
    });
    assert.deepEqual(commands(fileOf(files, '.claude/settings.json').after), {
      PreToolUse: 'bash "$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude PreToolUse || exit 2',
      Stop: 'bash "$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude Stop',
      SessionStart: 'bash "$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude SessionStart',
      UserPromptSubmit: 'bash "$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude UserPromptSubmit',
    });
    const codex = commands(fileOf(files, '.codex/hooks.json').after);
    assert.equal(
      codex['PreToolUse'],
      'bash "$(git rev-parse --show-toplevel)"/node_modules/.bin/autopilot-hook codex PreToolUse || exit 2',
    );
    const cursor = commands(fileOf(files, '.cursor/hooks.json').after);
    assert.equal(
      cursor['stop'],
      'bash "$(git rev-parse --show-toplevel)"/node_modules/.bin/autopilot-hook cursor stop',
    );
    assert.match(fileOf(files, 'AGENTS.md').after, /`npx --no-install autopilot task status <TASK>`/);
    assert.match(
      fileOf(files, '.git/hooks/pre-commit').after,
      /\nexec node_modules\/\.bin\/autopilot hook git pre-commit "\$@"\n$/,
    );
  });

  it("the hook commands run the repository's copy from a sub-folder, and the gating ones deny (exit 2) when it is missing", () => {
    const root = nodeRepo();
    const sub = join(root, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const form = { launcher: LAUNCHER, form: 'local' as const };
    const sh = (command: string, env: Record<string, string> = {}) =>
      spawnSync('sh', ['-c', command], { cwd: sub, env: { ...process.env, ...env }, encoding: 'utf8' });

    // Nothing installed yet (a fresh clone): the gating hook denies, the others fail without denying.
    const gating = `${wiredCommand(form, 'codex', ['hook', 'codex', 'PreToolUse'])} || exit 2`;
    assert.equal(sh(gating).status, 2);
    assert.equal(
      sh(`${wiredCommand(form, 'claude', ['hook', 'claude', 'PreToolUse'])} || exit 2`, { CLAUDE_PROJECT_DIR: root })
        .status,
      2,
    );
    assert.equal(sh(wiredCommand(form, 'cursor', ['hook', 'cursor', 'stop'])).status, 127);

    const log = installStub(root);
    assert.equal(sh(gating).status, 0);
    assert.equal(sh(wiredCommand(form, 'claude', ['hook', 'claude', 'Stop']), { CLAUDE_PROJECT_DIR: root }).status, 0);
    assert.equal(sh(wiredCommand(form, 'cursor', ['hook', 'cursor', 'stop'])).status, 0);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      `${sub} hook codex PreToolUse`,
      `${sub} hook claude Stop`,
      `${sub} hook cursor stop`,
    ]);
    // The stand-in's own refusal comes through as the hook's.
    assert.equal(sh(gating, { AUTOPILOT_STUB_EXIT: '2' }).status, 2);
  });

  it("git's hooks run the copy at the top of the work tree, and refuse a commit with the fix when it is not installed", () => {
    const root = nodeRepo();
    for (const f of plan(root).files.filter((x) => x.path.startsWith('.git/hooks/'))) {
      writeFileSync(join(root, f.path), f.after);
      chmodSync(join(root, f.path), f.mode ?? 0o644);
    }
    writeFileSync(join(root, 'a.txt'), 'a\n');
    git(root, ['add', 'a.txt']);
    const refused = spawnSync('git', ['commit', '-qm', 'a'], { cwd: join(root), env: gitEnv, encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /node_modules\/\.bin\/autopilot is missing: install this repository's packages \(npm install\)/,
    );

    const log = installStub(root);
    mkdirSync(join(root, 'sub'));
    const done = spawnSync('git', ['commit', '-qm', 'a'], { cwd: join(root, 'sub'), env: gitEnv, encoding: 'utf8' });
    assert.equal(done.status, 0, done.stderr);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(calls[0], `${root} hook git pre-commit`);
    assert.match(calls[1] ?? '', new RegExp(`^${root} hook git commit-msg \\.git/COMMIT_EDITMSG$`));
  });
});

describe('the wiring in a repository without an install of its own', () => {
  it("uses this machine's Node and bin script by absolute path, and says so in a note", () => {
    const root = tempDir();
    git(root, ['init', '-q']);
    writeFileSync(join(root, 'pyproject.toml'), '[project]\nname = "x"\n');
    assert.equal(hasLocalInstall(root), false);
    const { files, notes } = plan(root);
    assert.deepEqual(JSON.parse(fileOf(files, '.mcp.json').after).mcpServers.autopilot, {
      command: LAUNCHER.node,
      args: [LAUNCHER.bin, 'mcp'],
    });
    assert.equal(
      commands(fileOf(files, '.claude/settings.json').after)['PreToolUse'],
      `bash ${join(dirname(dirname(LAUNCHER.bin)), 'bin', 'autopilot-hook')} --node ${LAUNCHER.node} claude PreToolUse || exit 2`,
    );
    assert.match(fileOf(files, 'AGENTS.md').after, /`autopilot task status <TASK>`/);
    assert.match(gitHookScript('pre-push', LAUNCHER), /\| \/opt\/this-machine\/node \S+ hook git pre-push "\$@"\n$/);
    const note = notes.find((x) => x.includes(PACKAGE_NAME)) ?? '';
    assert.match(note, /^agent-autopilot is not installed in this repository: .* exist on this machine only/);
    assert.match(note, /npm install --save-dev agent-autopilot` and run `npx --no-install autopilot init`/);
  });

  it('an installed copy without a package.json entry counts too', () => {
    const root = tempDir();
    mkdirSync(join(root, 'node_modules', PACKAGE_NAME), { recursive: true });
    writeFileSync(join(root, 'node_modules', PACKAGE_NAME, 'package.json'), '{}');
    assert.equal(hasLocalInstall(root), true);
    assert.deepEqual(mcpEntry({ launcher: LAUNCHER, form: 'local' }).args, ['--no-install', 'autopilot', 'mcp']);
  });
});

describe('the CI jobs', () => {
  it('a Node repository that pins agent-autopilot installs it with the rest and runs it with npx --no-install', () => {
    const root = nodeRepo();
    writeFileSync(join(root, 'package-lock.json'), '{}');
    const steps = gateSteps(root, '9.8.7');
    assert.deepEqual(steps, { install: 'npm ci', cli: 'npx --no-install autopilot' });
    const workflow = githubWorkflow(steps);
    assert.match(workflow, /\n {6}- run: npm ci\n {6}- run: npx --no-install autopilot gate --base \$\{\{/);
    assert.doesNotMatch(workflow, /9\.8\.7/);
    assert.ok(workflow.split('\n').every((l) => !runsBareNpx(l)));
  });

  it('a repository without it (no package.json) installs the exact version that wrote the job, then runs that', () => {
    const root = tempDir();
    const steps = gateSteps(root, '9.8.7');
    assert.deepEqual(steps, { installAutopilot: 'npm install --global agent-autopilot@9.8.7', cli: 'autopilot' });
    const job = gitlabJob(steps);
    assert.match(
      job,
      /\n {4}# Install here what the VERIFY commands .*\n {4}- npm install --global agent-autopilot@9\.8\.7\n {4}- autopilot gate --base "\$CI_MERGE_REQUEST_DIFF_BASE_SHA"\n$/,
    );
    assert.ok(job.split('\n').every((l) => !runsBareNpx(l)));
  });
});

describe('the CI jobs of Python and Go repositories', () => {
  const repoWith = (files: Record<string, string>) => {
    const root = tempDir();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
    return root;
  };
  const steps = (root: string) => parseDocument(githubWorkflow(gateSteps(root, '9.8.7'))).toJS().jobs.gate.steps;

  it('a Python project sets up Python and installs pytest, pytest-cov, its requirements and itself', () => {
    const root = repoWith({
      'pyproject.toml': '[build-system]\nrequires = ["flit_core"]\n',
      'requirements-dev.txt': 'hypothesis\n',
    });
    const all = steps(root);
    assert.deepEqual(all[2], { uses: 'actions/setup-python@v5', with: { 'python-version': '3.x' } });
    assert.deepEqual(all[3], { run: 'python3 -m pip install pytest pytest-cov -r requirements-dev.txt -e .' });
    assert.match(all[5].run, /^autopilot gate --base /);
    const job = gitlabJob(gateSteps(root, '9.8.7'));
    assert.match(job, /apt-get install -y -qq python3-pip python3-pytest python3-pytest-cov\n/);
    assert.match(job, /- python3 -m pip install --break-system-packages -r requirements-dev\.txt -e \.\n/);
    assert.equal(parseDocument(job).errors.length, 0);
  });

  it('a Python folder of scripts with unittest suites installs the test tools only', () => {
    const all = steps(repoWith({ 'tox.ini': '[tox]\n' }));
    assert.deepEqual(all[3], { run: 'python3 -m pip install pytest pytest-cov' });
    assert.doesNotMatch(gitlabJob(gateSteps(repoWith({ 'tox.ini': '' }), '1.0.0')), /--break-system-packages/);
  });

  it('a Go module sets up the Go that go.mod names and downloads its modules', () => {
    const root = repoWith({ 'go.mod': 'module example.com/x\n\ngo 1.21\n' });
    const all = steps(root);
    assert.deepEqual(all[2], { uses: 'actions/setup-go@v5', with: { 'go-version-file': 'go.mod' } });
    assert.deepEqual(all[3], { run: 'go mod download' });
    assert.match(
      gitlabJob(gateSteps(root, '9.8.7')),
      /# Install the Go toolchain go\.mod names here.*\n {4}- go mod download\n/,
    );
  });

  it('a repository of neither keeps the comment that says where to install', () => {
    const all = githubWorkflow(gateSteps(tempDir(), '9.8.7'));
    assert.match(all, /# Install here what the VERIFY commands/);
    assert.doesNotMatch(all, /setup-python|setup-go/);
  });
});

describe("doctor's reading of commands", () => {
  it('a bare npx of autopilot or agent-autopilot could download a package; --no-install cannot', () => {
    const bare = [
      '      - run: npx autopilot gate --base x',
      '"command": "npx autopilot hook claude PreToolUse"',
      'npx -y agent-autopilot@1.2.3 init',
      'npx --package=agent-autopilot autopilot init',
      'npx -p autopilot autopilot init',
      'cd app && /usr/local/bin/npx autopilot verify T-1',
    ];
    const safe = [
      'npx --no-install autopilot gate --base x',
      'npx --no-install agent-autopilot init',
      'npx eslint .',
      'npx autopilot-lint',
      'node_modules/.bin/autopilot hook git pre-commit',
      'autopilot gate --base x',
    ];
    for (const l of bare) assert.equal(runsBareNpx(l), true, l);
    for (const l of safe) assert.equal(runsBareNpx(l), false, l);
  });

  it("tells the repository's install (present or missing) from this machine's absolute paths", () => {
    const root = nodeRepo();
    const claude = shellWords('"$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot hook claude Stop');
    const shell = shellWords('bash "$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude Stop');
    assert.deepEqual(lookAtCommand(root, claude), {
      form: 'local',
      problems: ['node_modules/.bin/autopilot is missing'],
      missingLocal: true,
    });
    assert.deepEqual(lookAtCommand(root, shell), {
      form: 'local',
      problems: ['node_modules/.bin/autopilot-hook is missing'],
      missingLocal: true,
    });
    installStub(root);
    assert.deepEqual(lookAtCommand(root, claude), { form: 'local', problems: [], missingLocal: false });
    writeFileSync(join(root, 'node_modules', '.bin', 'autopilot-hook'), '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(lookAtCommand(root, shell), { form: 'local', problems: [], missingLocal: false });
    // The form written before the client was run by bash is still read as the client.
    const direct = shellWords('"$CLAUDE_PROJECT_DIR"/node_modules/.bin/autopilot-hook claude Stop');
    assert.deepEqual(lookAtCommand(root, direct), { form: 'local', problems: [], missingLocal: false });
    const client = join(ROOT, 'bin', 'autopilot-hook');
    assert.deepEqual(lookAtCommand(root, ['bash', client, '--node', process.execPath, 'claude', 'Stop']), {
      form: 'absolute',
      problems: [],
      missingLocal: false,
    });
    assert.deepEqual(lookAtCommand(root, [client, '--node', process.execPath, 'claude', 'Stop']), {
      form: 'absolute',
      problems: [],
      missingLocal: false,
    });
    assert.deepEqual(lookAtCommand(root, [client, '--node', '/nonexistent/node', 'claude', 'Stop']).problems, [
      '/nonexistent/node does not exist',
    ]);
    assert.equal(lookAtCommand(root, ['npx', '--no-install', 'autopilot', 'mcp']).form, 'local');
    assert.equal(
      lookAtCommand(root, shellWords('"$(git rev-parse --show-toplevel)"/node_modules/.bin/autopilot hook codex Stop'))
        .form,
      'local',
    );
    assert.deepEqual(lookAtCommand(root, [process.execPath, join(ROOT, 'bin', 'autopilot.js'), 'mcp']), {
      form: 'absolute',
      problems: [],
      missingLocal: false,
    });
    assert.deepEqual(lookAtCommand(root, [process.execPath, '/nowhere/bin/autopilot.js', 'mcp']).problems, [
      '/nowhere/bin/autopilot.js does not exist',
    ]);
  });
});

describe('the package', () => {
  it('is agent-autopilot, and the version everything reports is the one in its package.json', () => {
    const file = findPackageJson();
    assert.equal(file, join(ROOT, 'package.json'));
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string;
      version: string;
      bin: Record<string, string>;
    };
    assert.equal(pkg.name, 'agent-autopilot');
    assert.deepEqual(pkg.bin, { autopilot: 'bin/autopilot.js', 'autopilot-hook': 'bin/autopilot-hook' });
    assert.equal(packageVersion(), pkg.version);
    assert.equal(
      findPackageJson(join(TMP, 'x.js')),
      undefined,
      'no package.json of agent-autopilot above a stray file',
    );
  });
});
