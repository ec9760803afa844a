/**
 * The secret scanner: secretlint's recommended preset finds keys in their vendors' real formats (AWS, GitHub, Slack,
 * a private key block), the entropy check finds a generic token given to a secret's name and leaves digests and
 * placeholders alone, a diff counts only by what it adds and at the new file's line numbers, and no finding carries
 * a character of the secret. The fake keys are put together at run time, so the repository holds none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addedByFile, entropyFindings, shannonEntropy, describeSecret } from '../../src/core/secrets.ts';
import { isDependencyPath, scanPatch, scanText } from '../../src/engine/repo/secret-scan.ts';
import { fakeKeys } from '../helpers/secrets.ts';

describe('the secret scanner', () => {
  const keys = fakeKeys();

  it('finds AWS, GitHub and Slack keys and a private key block by their rules, naming line and rule only', async () => {
    const text = [
      `const region = "eu-west-1";`,
      `const id = "${keys.aws}";`,
      `// GitHub`,
      `const gh = "${keys.github}";`,
      `slack: ${keys.slack}`,
      keys.privateKey,
    ].join('\n');
    const found = await scanText('src/config.js', text);
    assert.deepEqual(
      found.map((f) => [f.line, f.rule]),
      [
        [2, '@secretlint/secretlint-rule-aws'],
        [4, '@secretlint/secretlint-rule-github'],
        [5, '@secretlint/secretlint-rule-slack'],
        [6, '@secretlint/secretlint-rule-privatekey'],
      ],
    );
    const said = JSON.stringify(found) + found.map(describeSecret).join('\n');
    for (const secret of [keys.aws, keys.github, keys.slack, keys.aws.slice(4, 12), keys.github.slice(4, 16)])
      assert.ok(!said.includes(secret), 'a finding holds part of the secret');
    assert.ok(!said.includes('MII'), 'a finding holds part of the private key');
    assert.match(
      describeSecret(found[1]!),
      /^src\/config\.js line 4: @secretlint\/secretlint-rule-github \(GITHUB_TOKEN\) found a secret \*+ \(40 characters\)$/,
    );
  });

  it('the entropy check finds a random token given to a secret name, not digests, placeholders or plain words', () => {
    assert.ok(shannonEntropy(keys.generic) > 4);
    const text = [
      `api_key = "${keys.generic}"`,
      `"clientSecret": "${keys.generic}",`,
      `password = "correcthorsebatterystaple"`,
      `token = "\${GITHUB_TOKEN}"`,
      `password: process.env.DB_PASSWORD`,
      `"integrity": "sha512-${Buffer.from(keys.generic.repeat(3)).toString('base64')}",`,
      `commit = "${'0123456789abcdef'.repeat(2)}"`,
      `token_url = "https://example.com/oauth/token/refresh"`,
    ].join('\n');
    const found = entropyFindings('settings.py', text);
    assert.deepEqual(
      found.map((f) => [f.line, f.rule, f.messageId]),
      [
        [1, 'autopilot/entropy', 'HIGH_ENTROPY_ASSIGNMENT'],
        [2, 'autopilot/entropy', 'HIGH_ENTROPY_ASSIGNMENT'],
      ],
    );
    assert.equal(found[0]!.column, 'api_key = "'.length);
    assert.ok(!JSON.stringify(found).includes(keys.generic.slice(0, 8)));
  });

  it('a diff counts by what it adds, at the line numbers of the new file; removing a key is no finding', async () => {
    const patch = [
      'diff --git a/app/settings.py b/app/settings.py',
      'index 1111111..2222222 100644',
      '--- a/app/settings.py',
      '+++ b/app/settings.py',
      '@@ -1,4 +1,5 @@',
      ' import os',
      `-AWS_KEY = "${keys.aws}"`,
      '+AWS_KEY = os.environ["AWS_KEY"]',
      ' DEBUG = False',
      '+',
      ` NAME = "app"`,
      '@@ -20,2 +21,3 @@ def f():',
      '     pass',
      `+GH = "${keys.github}"`,
      ' # end',
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      `-${keys.slack}`,
    ].join('\n');
    const files = addedByFile(patch);
    assert.deepEqual(
      files.map((f) => [f.path, f.added]),
      [['app/settings.py', 3]],
    );
    assert.equal(files[0]!.text.split('\n')[1], 'AWS_KEY = os.environ["AWS_KEY"]');
    const found = await scanPatch(patch);
    assert.deepEqual(
      found.map((f) => [f.file, f.line, f.rule]),
      [['app/settings.py', 22, '@secretlint/secretlint-rule-github']],
    );
  });

  it("leaves installed dependencies out of a diff's scan, and scans the repository's own files wherever they are", async () => {
    const added = (path: string) => [
      `diff --git a/${path} b/${path}`,
      'new file mode 100644',
      '--- /dev/null',
      `+++ b/${path}`,
      '@@ -0,0 +1 @@',
      `+const gh = "${keys.github}";`,
    ];
    const patch = [
      ...added('node_modules/left-pad/index.js'),
      ...added('packages/app/node_modules/x/a.js'),
      ...added('.venv/lib/python3.11/site-packages/pkg/conf.py'),
      ...added('vendor/github.com/x/y/y.go'),
      ...added('src/node_modules_helper.js'),
      ...added('lib/vendored.js'),
    ].join('\n');
    const found = await scanPatch(patch);
    assert.deepEqual(
      found.map((f) => f.file),
      ['src/node_modules_helper.js', 'lib/vendored.js'],
    );
    assert.equal(isDependencyPath('node_modules/a.js'), true);
    assert.equal(isDependencyPath('a/node_modules/b/c.js'), true);
    assert.equal(isDependencyPath('src/vendor.js'), false);
  });

  it('leaves nothing on the performance timeline, however many scans a long-lived process makes', async () => {
    await scanText('warm.js', 'const a = 1;');
    const before = performance.getEntriesByType('mark').length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => scanText(i % 2 ? 'a' : 'b', `const v${i} = ${i};`)));
    assert.equal(performance.getEntriesByType('mark').length, before);
  });

  it('text that holds no secret gives no finding', async () => {
    const text = [
      'export function add(a, b) {',
      '  return a + b; // sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '}',
      'const password = readPassword();',
    ].join('\n');
    assert.deepEqual(await scanText('src/add.js', text), []);
  });
});
