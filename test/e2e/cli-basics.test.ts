/**
 * E2E: setting up (init, init again, init --dry-run), the help of every verb,
 * and the output contract: exit codes 0/1/2/3, one JSON object on stdout with
 * --json, refusals on stderr without it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT, Repo, git, makeProject, makeRepo, parseOne, run, tempDir } from './helpers.ts';

interface InitBody {
  ok: true;
  root: string;
  changes: { path: string; action: string; after?: string }[];
  keyId: string;
  keyCreated: boolean;
  dryRun?: boolean;
  toCommit: string[];
  undecided: string[];
}

/** The git hooks of a repository, by name (init may write some; the snapshot leaves .git out). */
function gitHooks(repo: Repo): Record<string, string> {
  const dir = repo.path('.git', 'hooks');
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
}

/** The command names a help text lists under "Commands:". */
function commandsOf(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1];
  if (!section) return [];
  const names: string[] = [];
  for (const line of section.split('\n').slice(1)) {
    if (line.trim() === '') break;
    if (!/^ {2}\S/.test(line)) continue; // the wrapped rest of a description
    const name = line.trim().split(/\s+/)[0]!;
    if (name !== 'help') names.push(name);
  }
  return names;
}

describe('setting up, help and the output contract', { concurrency: true }, () => {
  it('init sets up a repository; init again changes nothing', async () => {
    const repo = new Repo(makeProject());
    const gitignore = readFileSync(repo.path('.gitignore'), 'utf8');
    const first = await repo.ok<InitBody>(['init', '--yes']);
    assert.equal(first.root, repo.dir);
    const actions = new Map(first.changes.map((c) => [c.path, c.action]));
    assert.equal(actions.get('.autopilot/config.yaml'), 'create');
    assert.equal(actions.get('.gitignore'), 'update');
    for (const c of first.changes) assert.ok(c.action === 'create' || c.action === 'update', `${c.path}: ${c.action}`);
    assert.equal(first.keyCreated, true);
    // What to commit before the first task: every file init wrote in the repository, none in .git.
    assert.deepEqual(
      first.toCommit,
      first.changes.map((c) => c.path).filter((p) => !p.startsWith('.git/')),
    );
    assert.deepEqual(first.toCommit.slice(0, 2), ['.autopilot/config.yaml', '.gitignore']);
    assert.match(first.keyId, /^[0-9a-f]{16}$/);
    assert.ok(existsSync(repo.configFile));
    assert.ok(existsSync(repo.dbFile));
    // The key pair lives in this user's state folder (0700), not in the repository.
    assert.equal(statSync(join(repo.userState.keysDir, 'private.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(repo.userState.keysDir).mode & 0o777, 0o700);
    assert.ok(existsSync(join(repo.userState.keysDir, `${first.keyId}.pub.pem`)));
    assert.equal(existsSync(join(repo.stateDir, 'keys')), false);
    const ignored = readFileSync(repo.path('.gitignore'), 'utf8');
    assert.ok(ignored.startsWith(gitignore));
    assert.match(ignored, /^\.autopilot\/autopilot\.db\*$/m);
    assert.match(ignored, /^\.autopilot\/keys\/$/m);
    // The private key and the store stay out of git; the config goes in.
    const status = git(repo.dir, ['status', '--porcelain', '--untracked-files=all']);
    assert.doesNotMatch(status, /keys|autopilot\.db/);
    assert.match(status, /^\?\? \.autopilot\/config\.yaml$/m);

    const files = repo.snapshot();
    const hooks = gitHooks(repo);
    const second = await repo.ok<InitBody>(['init']);
    assert.deepEqual(
      second.changes.map((c) => [c.path, c.action]),
      first.changes.map((c) => [c.path, 'unchanged']),
    );
    assert.deepEqual([second.keyId, second.keyCreated], [first.keyId, false]);
    assert.deepEqual(repo.snapshot(), files);
    assert.deepEqual(gitHooks(repo), hooks);
    assert.deepEqual(
      repo.ledger().filter((e) => e.taskId !== null),
      [],
    );
    // The checks left unconfigured and unwaived are named in init's next steps, for a person to decide before the
    // config is committed; once they are waived (or configured), no step asks for it.
    assert.deepEqual(first.undecided, ['lint', 'ci', 'smoke']);
    const next = (await repo.run(['init'])).stdout;
    assert.match(
      next,
      /decide what init left unconfigured \(lint, ci, smoke\): configure it under commands, or uncomment its waiver under waive:/,
    );
    assert.ok(next.indexOf('Next:') < next.indexOf('decide what init left'), 'one of the next steps');
    repo.editConfig(
      (c) =>
        void (c['waive'] = { ...(c['waive'] as object), lint: 'no linter', ci: 'no CI commands', smoke: 'a library' }),
    );
    assert.deepEqual((await repo.ok<InitBody>(['init'])).undecided, []);
    assert.doesNotMatch((await repo.run(['init'])).stdout, /decide what init left/);
    // The first task waits for init's files to be committed, and says how; it changes nothing meanwhile.
    const refused = await repo.refusedUnchanged(['task', 'start', 'T-1'], 'CONFIG_INVALID', 1, { violation: false });
    assert.equal(refused.details['reason'], 'not committed');
    assert.match(refused.message, /\.autopilot\/config\.yaml is not committed/);
    const toCommit = /git add (.*?) && git commit/.exec(refused.message)?.[1]?.split(' ') ?? [];
    assert.deepEqual(toCommit.slice(0, 2), ['.autopilot/config.yaml', '.gitignore']);
    assert.equal(repo.task('T-1'), undefined);
    git(repo.dir, ['add', ...toCommit]);
    git(repo.dir, ['commit', '-q', '-m', 'Set up Autopilot']);
    assert.equal(git(repo.dir, ['status', '--porcelain']), '', 'the advice named every file init wrote');
    // And the repository works.
    const started = await repo.ok<{ task: { phase: string } }>(['task', 'start', 'T-1']);
    assert.equal(started.task.phase, 'STRATEGIZE');
  });

  it('init --dry-run shows what it would write and writes nothing', async () => {
    const repo = new Repo(makeProject());
    const files = repo.snapshot();
    const hooks = gitHooks(repo);
    const status = git(repo.dir, ['status', '--porcelain', '--untracked-files=all']);
    const plan = await repo.ok<InitBody>(['init', '--dry-run']);
    assert.equal(plan.dryRun, true);
    const actions = new Map(plan.changes.map((c) => [c.path, c.action]));
    assert.equal(actions.get('.autopilot/config.yaml'), 'create');
    assert.equal(actions.get('.gitignore'), 'update');
    assert.match(plan.changes.find((c) => c.path === '.autopilot/config.yaml')?.after ?? '', /^phases:$/m);
    assert.deepEqual(repo.snapshot(), files);
    assert.deepEqual(gitHooks(repo), hooks);
    assert.equal(existsSync(repo.stateDir), false);
    assert.equal(git(repo.dir, ['status', '--porcelain', '--untracked-files=all']), status);
    // In text mode too.
    const text = await repo.run(['init', '--dry-run']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /would make these changes/);
    assert.deepEqual(repo.snapshot(), files);
    assert.equal(existsSync(repo.stateDir), false);
  });

  it('--help of every verb exits 0 and shows an example', async () => {
    const root = await run(['--help']);
    assert.equal(root.code, 0);
    assert.match(root.stdout, /Example/);
    assert.match(
      root.stdout,
      /Exit codes: 0 done · 1 usage or internal error · 2 refused by the process · 3 integrity failure/,
    );
    const top = commandsOf(root.stdout);
    for (const verb of [
      'init',
      'task',
      'advance',
      'backtrack',
      'evidence',
      'verify',
      'lease',
      'ledger',
      'hook',
      'demo',
    ])
      assert.ok(top.includes(verb), verb);
    const groups = await Promise.all(top.map(async (name) => ({ name, help: await run([name, '--help']) })));
    const verbs: string[][] = [];
    for (const { name, help } of groups) {
      assert.equal(help.code, 0, `${name} --help`);
      const subs = commandsOf(help.stdout);
      if (subs.length === 0) verbs.push([name]);
      else for (const sub of subs) verbs.push([name, sub]);
    }
    for (const verb of [
      'task start',
      'task list',
      'task status',
      'evidence add',
      'evidence check',
      'lease acquire',
      'lease renew',
      'lease release',
      'ledger verify',
      'ledger show',
      'ledger export',
    ]) {
      assert.ok(
        verbs.some((v) => v.join(' ') === verb),
        verb,
      );
    }
    const helps = await Promise.all(
      verbs.map(async (verb) => {
        // A group's help has been seen; a leaf is asked again only when it is a subcommand.
        const r =
          verb.length === 1 ? groups.find((g) => g.name === verb[0])!.help : await run([...verb, '--help', '--json']);
        return { verb: verb.join(' '), r };
      }),
    );
    for (const { verb, r } of helps) {
      assert.equal(r.code, 0, `${verb} --help exits 0`);
      assert.match(r.stdout, /^Usage: autopilot /m, verb);
      assert.match(r.stdout, /Example/, `${verb} --help shows an example`);
    }
  });

  it('hook --help exits 0 and shows an example', async () => {
    // bin/autopilot.js sends `hook --help` to the command line, not to the hook entry.
    const r = await run(['hook', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Example/);
  });

  it('--version prints the version in package.json', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout.trim(),
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it('the shipped bin script without dist/ says how to fix it; a hook denies (exit 2) rather than pass', async () => {
    // A copy of the package that was never built: bin/autopilot.js needs no tsx, and does not reach for it.
    const pkg = tempDir('unbuilt');
    mkdirSync(join(pkg, 'bin'));
    copyFileSync(BIN, join(pkg, 'bin', 'autopilot.js'));
    const cli = await run(['task', 'list'], { bin: join(pkg, 'bin', 'autopilot.js') });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /dist\/surfaces\/cli\/main\.js is missing: this copy of agent-autopilot was not built/);
    assert.match(cli.stderr, /npm run build/);
    const hook = await run(['hook', 'claude', 'PreToolUse'], { bin: join(pkg, 'bin', 'autopilot.js'), input: '{}' });
    assert.equal(hook.code, 2);
    assert.match(hook.stderr, /dist\/surfaces\/hooks\/entry\.js is missing/);
  });

  it('exit codes 0/1/2/3; --json prints one JSON object on stdout, text mode prints refusals on stderr', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');

    const ok = await repo.run(['task', 'list']);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^T-1\s+active\s+SPEC/m);
    assert.throws(() => JSON.parse(ok.stdout));
    const okJson = await repo.json<{ ok: boolean; tasks: { taskId: string }[] }>(['task', 'list']);
    assert.equal(okJson.code, 0);
    assert.deepEqual([okJson.body.ok, okJson.body.tasks.map((t) => t.taskId)], [true, ['T-1']]);
    assert.equal(okJson.stderr, '');

    const cases: [string[], string, number][] = [
      [['task', 'status', 'T-9'], 'TASK_UNKNOWN', 1],
      [['advance', 'T-1', '--to', 'PR'], 'PHASE_SKIP', 2],
    ];
    for (const [args, code, exit] of cases) {
      const text = await repo.run(args);
      assert.equal(text.code, exit);
      assert.equal(text.stdout, '');
      assert.match(text.stderr, new RegExp(`refused ${code}: `));
      const json = await repo.json<{ ok: boolean; error: { code: string } }>(args);
      assert.equal(json.code, exit);
      assert.deepEqual([json.body.ok, json.body.error.code], [false, code]);
    }

    // 3: integrity. The stored evidence of a passed phase is changed.
    repo.write('.autopilot/evidence/T-1/strategize/strategy.md', 'rewritten\n');
    const tampered = await repo.run(['--json', 'ledger', 'verify']);
    assert.equal(tampered.code, 3);
    assert.equal(parseOne<{ error: { code: string } }>(tampered).error.code, 'LEDGER_TAMPERED');
    // --chain-only checks the chain alone: the changed evidence file is outside it, and the answer says what it left out.
    const chainOnly = await repo.run(['ledger', 'verify', '--chain-only']);
    assert.equal(chainOnly.code, 0, chainOnly.stderr);
    assert.match(chainOnly.stdout, /ledger chain verified: \d+ entries \(.*evidence digests .*left out/);
  });
});
