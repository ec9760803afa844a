/**
 * init's move of an older installation's secrets out of the repository: the key pair and the approval token in
 * `<stateDir>/keys/` go to this user's state folder (moved, not copied), the key is kept (not made anew), a second
 * run changes nothing, and two different private keys are refused with nothing moved. And what `doctor` looks for:
 * an ed25519 private key or the token anywhere in the repository's files or its state folder.
 */
import '../helpers/state-home.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyInit, planInit } from '../../src/engine/setup/init.ts';
import { holdsEd25519Key, findRepoSecrets } from '../../src/engine/setup/secrets-scan.ts';
import { layoutFor } from '../../src/engine/repo/layout.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import { COMMANDS, git, makeProject } from '../e2e/helpers.ts';

/** A repository set up as an installation from before the per-user state folder: keys and token in the repository. */
async function olderInstallation(): Promise<{ root: string; keyId: string; token: string; pem: string }> {
  const root = makeProject();
  const plan = await planInit(root, { commands: COMMANDS });
  assert.ok(plan.ok);
  const done = await applyInit(plan.value, openStoreFor);
  const layout = layoutFor(root, '.autopilot');
  mkdirSync(layout.repoKeysDir, { recursive: true });
  for (const name of readdirSync(layout.keysDir))
    renameSync(join(layout.keysDir, name), join(layout.repoKeysDir, name));
  return {
    root,
    keyId: done.keyId,
    token: readFileSync(join(layout.repoKeysDir, 'approval-token'), 'utf8'),
    pem: readFileSync(join(layout.repoKeysDir, 'private.pem'), 'utf8'),
  };
}

describe('init moves the secrets of an older installation', () => {
  it('out of the repository into this user state folder, keeping the key; a second run changes nothing', async () => {
    const old = await olderInstallation();
    const layout = layoutFor(old.root, '.autopilot');
    const plan = await planInit(old.root, { commands: COMMANDS });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.value.moves.map((m) => [m.from, m.to, m.action]),
      ['approval-token', `${old.keyId}.pub.pem`, 'private.pem']
        .sort()
        .map((n) => [join(layout.repoKeysDir, n), join(layout.keysDir, n), 'move']),
    );
    assert.match(plan.value.notes?.join('\n') ?? '', /moves .*private\.pem out of the repository to /);
    // Planning moved nothing.
    assert.equal(readFileSync(join(layout.repoKeysDir, 'private.pem'), 'utf8'), old.pem);

    const done = await applyInit(plan.value, openStoreFor);
    assert.deepEqual([done.keyId, done.keyCreated], [old.keyId, false], 'the key that signed the ledger is kept');
    assert.equal(existsSync(layout.repoKeysDir), false, "the repository's copy is gone");
    assert.equal(readFileSync(join(layout.keysDir, 'private.pem'), 'utf8'), old.pem);
    assert.equal(readFileSync(join(layout.keysDir, 'approval-token'), 'utf8'), old.token);
    assert.equal(statSync(join(layout.keysDir, 'private.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(layout.keysDir, 'approval-token')).mode & 0o777, 0o600);
    assert.equal(statSync(layout.keysDir).mode & 0o777, 0o700);

    const again = await planInit(old.root, { commands: COMMANDS });
    assert.ok(again.ok);
    assert.deepEqual(again.value.moves, []);
    const second = await applyInit(again.value, openStoreFor);
    assert.deepEqual([second.keyId, second.keyCreated], [old.keyId, false]);
    assert.equal(readFileSync(join(layout.keysDir, 'private.pem'), 'utf8'), old.pem);
  });

  it('refuses two different private keys, and moves nothing', async () => {
    const old = await olderInstallation();
    const layout = layoutFor(old.root, '.autopilot');
    const mine = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    mkdirSync(layout.keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(layout.keysDir, 'private.pem'), mine, { mode: 0o600 });
    const plan = await planInit(old.root, { commands: COMMANDS });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.equal(plan.error.code, 'CONFIG_INVALID');
    assert.equal(plan.error.details['reason'], 'two keys');
    assert.match(plan.error.message, /two different signing keys: .*private\.pem in the repository and .*private\.pem/);
    assert.equal(readFileSync(join(layout.repoKeysDir, 'private.pem'), 'utf8'), old.pem);
    assert.equal(readFileSync(join(layout.keysDir, 'private.pem'), 'utf8'), mine);
  });
});

describe('secrets in the repository, as doctor looks for them', () => {
  const pem = (type: 'ed25519' | 'ec') =>
    (type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    ).privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();

  it('knows an ed25519 PKCS#8 key from other keys and from text that only looks like one', () => {
    assert.equal(holdsEd25519Key(`notes\n${pem('ed25519')}more`), true);
    assert.equal(holdsEd25519Key(pem('ec')), false);
    assert.equal(holdsEd25519Key('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), false);
  });

  it('finds a key or the token in tracked, untracked and state-folder files, not in ignored ones elsewhere', async () => {
    const root = makeProject();
    const layout = layoutFor(root, '.autopilot');
    const token = 'tok-0123456789abcdefghij';
    writeFileSync(join(root, 'tracked.txt'), `a key someone pasted\n${pem('ed25519')}`);
    git(root, ['add', 'tracked.txt']);
    git(root, ['commit', '-q', '-m', 'oops']);
    writeFileSync(join(root, 'untracked.md'), `the token is ${token}\n`);
    writeFileSync(join(root, '.gitignore'), 'ignored.pem\n');
    writeFileSync(join(root, 'ignored.pem'), pem('ed25519'));
    mkdirSync(layout.repoKeysDir, { recursive: true });
    writeFileSync(join(layout.repoKeysDir, 'approval-token'), 'x\n');
    writeFileSync(join(root, 'ec.pem'), pem('ec'));
    const found = await findRepoSecrets(layout, token);
    assert.deepEqual(
      found.map((f) => [f.path, f.what]),
      [
        ['.autopilot/keys/approval-token', 'approval token'],
        ['tracked.txt', 'private key'],
        ['untracked.md', 'approval token'],
      ],
    );
  });
});
