import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assessRisk, atLeast, globToRegExp } from '../../src/core/risk.ts';
import type { SecretFinding } from '../../src/core/secrets.ts';

const file = (path: string, additions = 1, deletions = 0) => ({ path, additions, deletions, status: 'modified' });
const assess = (
  files: ReturnType<typeof file>[],
  added: Record<string, string[]> = {},
  extra: Partial<{ riskyPaths: string[]; maxLines: number; secrets: SecretFinding[] }> = {},
) =>
  assessRisk({
    files,
    addedLines: new Map(Object.entries(added)),
    secrets: extra.secrets ?? [],
    riskyPaths: extra.riskyPaths ?? [],
    maxLines: extra.maxLines ?? 500,
  });

describe('risk of a diff', () => {
  it('globs match paths the way people write them', () => {
    assert.ok(globToRegExp('**/migrations/**').test('db/migrations/001.sql'));
    assert.ok(globToRegExp('**/migrations/**').test('migrations/001.sql'));
    assert.ok(globToRegExp('.github/workflows/**').test('.github/workflows/ci.yml'));
    assert.ok(!globToRegExp('src/*.ts').test('src/a/b.ts'));
    assert.ok(globToRegExp('src/*.ts').test('src/b.ts'));
  });

  it('a small change to ordinary source is low risk', () => {
    const r = assess([file('src/count.js', 8), file('test/count.test.js', 15)]);
    assert.equal(r.level, 'low');
    assert.deepEqual(r.reasons, []);
    assert.equal(r.changedLines, 23);
  });

  it('each sensitive class makes it high risk and is named', () => {
    const cases: [string, string][] = [
      ['db/migrations/002_add_users.sql', 'migration'],
      ['.github/workflows/ci.yml', 'ci-config'],
      ['package.json', 'dependencies'],
      ['src/auth/session.ts', 'auth'],
    ];
    for (const [path, cls] of cases) {
      const r = assess([file(path)]);
      assert.equal(r.level, 'high', path);
      assert.ok(
        r.reasons.some((x) => x.class === cls && x.detail === path),
        `${path} → ${cls}`,
      );
    }
  });

  it('size over the limit is high, over half of it medium', () => {
    assert.equal(assess([file('src/a.js', 400, 200)]).level, 'high');
    assert.equal(assess([file('src/a.js', 300)]).level, 'medium');
    assert.ok(atLeast('high', 'medium') && !atLeast('low', 'medium'));
  });

  it('new dependencies are found in the added lines, secrets from what the scanner found', () => {
    const deps = assess([file('package.json')], { 'package.json': ['    "left-pad": "^1.3.0",'] });
    assert.ok(deps.reasons.some((x) => x.class === 'new-dependency' && x.detail.startsWith('left-pad')));
    const found: SecretFinding = {
      file: 'src/config.js',
      line: 3,
      column: 13,
      rule: '@secretlint/secretlint-rule-aws',
      messageId: 'AWSAccessKeyID',
      excerpt: '**** (20 characters)',
    };
    const secret = assess([file('src/config.js'), file('src/other.js')], {}, { secrets: [found] });
    assert.equal(secret.level, 'high');
    assert.deepEqual(
      secret.reasons.filter((x) => x.class === 'secret').map((x) => x.detail),
      ['src/config.js adds a secret (line 3, @secretlint/secretlint-rule-aws)'],
    );
    assert.equal(assess([file('.env')]).reasons.filter((x) => x.class === 'secret').length, 1);
  });

  it('configured globs count', () => {
    const r = assess([file('infra/prod/main.tf')], {}, { riskyPaths: ['infra/prod/**'] });
    assert.ok(r.reasons.some((x) => x.class === 'configured-path'));
  });
});
