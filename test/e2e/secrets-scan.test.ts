/**
 * E2E: the one secret scanner wherever a secret could slip in, in real repositories through the real binary. git's
 * pre-commit hook (as `init` installs it) refuses a staged secret, in a plain commit and in `git commit -a`; the
 * implement phase's gate refuses a diff that adds one; `autopilot verify` fails with `secrets_scan.json`; evidence
 * holding one is not stored. Every message names file, line and rule, and neither they, the evidence nor the ledger
 * hold the secret. The fake keys are put together at run time (test/helpers/secrets.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fakeKeys } from '../helpers/secrets.ts';
import { makeRepo, tempDir, writeFile, type Repo } from './helpers.ts';

const keys = fakeKeys();
const SECRETS = [keys.aws, keys.github, keys.slack, keys.generic];

/** git as a person runs it, the hooks answering by themselves (no daemon). */
function gitRun(cwd: string, args: string[]): { code: number; stderr: string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'E2E',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'E2E',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    AUTOPILOT_HOOK_DAEMON: '0',
  };
  for (const k of Object.keys(env))
    if ((k.startsWith('AUTOPILOT_') && k !== 'AUTOPILOT_HOOK_DAEMON') || k.startsWith('NODE_TEST')) delete env[k];
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

function holdsNoSecret(what: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${what} holds a secret`);
}

/** Every file under a folder, as one text. */
function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))
    .join('\n');
}

function ledgerText(repo: Repo): string {
  return JSON.stringify(repo.ledger());
}

describe('secrets', () => {
  it('the pre-commit hook refuses a staged secret, in a commit and in commit -a, naming file, line and rule', async () => {
    const repo = await makeRepo();
    await repo.ok(['init']);
    gitRun(repo.dir, ['add', '-A']);
    assert.equal(gitRun(repo.dir, ['commit', '-q', '-m', 'wire the agents']).code, 0);

    repo.write('src/keys.js', `// where the bot logs in\nexport const token = "${keys.github}";\n`);
    gitRun(repo.dir, ['add', 'src/keys.js']);
    const staged = gitRun(repo.dir, ['commit', '-q', '-m', 'add the bot']);
    assert.equal(staged.code, 1, staged.stderr);
    assert.match(
      staged.stderr,
      /commit refused: it adds 1 secret:\n {2}src\/keys\.js line 2: @secretlint\/secretlint-rule-github \(GITHUB_TOKEN\) found a secret \*+ \(40 characters\)/,
    );
    holdsNoSecret('the hook message', staged.stderr);

    // A tracked file changed and committed with -a: git hands the hook a temporary index.
    gitRun(repo.dir, ['rm', '-q', '--cached', 'src/keys.js']);
    const readme = readFileSync(repo.path('README.md'), 'utf8');
    repo.write('README.md', `${readme}\nDeploy key id: ${keys.aws}\n`);
    const all = gitRun(repo.dir, ['commit', '-q', '-a', '-m', 'document the deploy']);
    assert.equal(all.code, 1, all.stderr);
    assert.match(all.stderr, /README\.md line \d+: @secretlint\/secretlint-rule-aws \(AWSAccessKeyID\)/);
    holdsNoSecret('the hook message', all.stderr);

    // Without the secret the commit goes through.
    repo.write('README.md', `${readme}\nDeploy key id: read from the AWS_KEY_ID variable\n`);
    const clean = gitRun(repo.dir, ['commit', '-q', '-a', '-m', 'document the deploy']);
    assert.equal(clean.code, 0, clean.stderr);
  });

  it('the implement gate refuses a diff that adds a secret; evidence holding one is not stored', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'IMPLEMENT');
    repo.write('src/settings.js', `export const region = 'eu-west-1';\nexport const slack = '${keys.slack}';\n`);
    const err = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.match(
      err.message,
      /the change adds a secret \*+ \(\d+ characters\) at src\/settings\.js line 2, found by @secretlint\/secretlint-rule-slack \(SLACK_TOKEN\)/,
    );
    holdsNoSecret('the refusal', JSON.stringify(err));
    const findings = (err.details as { findings: { file: string; rule: string }[] }).findings;
    assert.deepEqual(
      findings.filter((f) => f.rule === 'secret').map((f) => f.file),
      ['evidence/T-1/implement/git_diff.patch'],
    );
    assert.equal(repo.task('T-1')?.phase, 'IMPLEMENT');

    // An agent's evidence file with a key in it is refused and never written.
    const notes = writeFile(
      tempDir('notes'),
      'notes.md',
      `# Notes\n\nThe service logs in with\napi_key = "${keys.generic}"\n`,
    );
    const put = await repo.refused(['evidence', 'add', 'T-1', 'IMPLEMENT', notes], 'EVIDENCE_INVALID', 2);
    assert.match(
      put.message,
      /notes\.md is not stored: notes\.md line 4 holds a secret \*+ \(24 characters\), found by autopilot\/entropy/,
    );
    assert.ok(!existsSync(join(repo.phaseDir('T-1', 'IMPLEMENT'), 'notes.md')));
    holdsNoSecret('the ledger', ledgerText(repo));
    holdsNoSecret('the evidence', allText(repo.phaseDir('T-1', 'IMPLEMENT')));
  });

  it('verify fails on a secret the change adds and writes secrets_scan.json without it', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'VERIFY');
    repo.write('src/aws.js', `export const id = "${keys.aws}";\n\n${keys.privateKey}`);
    const err = await repo.refused(['verify', 'T-1'], 'VERIFY_FAILED', 2);
    assert.match(
      err.message,
      /the change adds 2 secrets: src\/aws\.js line 1: @secretlint\/secretlint-rule-aws \(AWSAccessKeyID\)[^;]*; src\/aws\.js line 3: @secretlint\/secretlint-rule-privatekey/,
    );
    const scan = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'secrets_scan.json'), 'utf8')) as {
      passed: boolean;
      findings: { file: string; line: number; rule: string; excerpt: string }[];
    };
    assert.equal(scan.passed, false);
    assert.deepEqual(
      scan.findings.map((f) => [f.file, f.line, f.rule]),
      [
        ['src/aws.js', 1, '@secretlint/secretlint-rule-aws'],
        ['src/aws.js', 3, '@secretlint/secretlint-rule-privatekey'],
      ],
    );
    holdsNoSecret('the evidence', allText(repo.phaseDir('T-1', 'VERIFY')));
    assert.ok(!allText(repo.phaseDir('T-1', 'VERIFY')).includes('PRIVATE KEY-----\nMII'));
    holdsNoSecret('the ledger', ledgerText(repo));

    // Without the secret VERIFY passes, and the scan says so.
    repo.write('src/aws.js', 'export const id = process.env.AWS_KEY_ID;\n');
    await repo.ok(['verify', 'T-1']);
    const passed = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'secrets_scan.json'), 'utf8')) as {
      passed: boolean;
      findings: unknown[];
    };
    assert.deepEqual([passed.passed, passed.findings], [true, []]);
  });
});
