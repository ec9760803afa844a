/**
 * The anchored head: what a store that lost it (wiped, truncated, replaced, rewritten) is found to be, a store that
 * is ahead of it is fine, the anchor moves after each commit and only grows, and a store that lost it is not
 * written to.
 */
import '../helpers/state-home.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MemoryStore } from '../../src/adapters/memory/index.ts';
import { AutopilotError, ErrorCode } from '../../src/core/errors.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import {
  advanceAnchor,
  anchored,
  checkAnchor,
  readAnchor,
  writeAnchor,
  type Anchor,
} from '../../src/engine/ledger/anchor.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { userStateFor } from '../../src/engine/repo/user-state.ts';
import { chain, draft, makeSigner, seal, tempDir, testEngine } from '../helpers/ledger.ts';

const signer = makeSigner();
const other = makeSigner();

/** A user state of its own for each test: a repository folder under a temporary state root. */
function userState() {
  const t = tempDir('autopilot-anchor-');
  return userStateFor(join(t.dir, 'repo'), { XDG_STATE_HOME: join(t.dir, 'state') });
}

const anchorOf = (entries: readonly LedgerEntry[], at: number, store = 'memory'): Anchor => ({
  version: 1,
  seq: entries[at - 1]!.seq,
  hash: entries[at - 1]!.hash,
  first: entries[0]!.hash,
  store,
  at: new Date(0).toISOString(),
});

describe('checkAnchor', () => {
  const entries = chain(signer, 6);

  it('accepts a store that holds the anchored head, at it or ahead of it', async () => {
    assert.equal(await checkAnchor(new MemoryStore([...entries]), anchorOf(entries, 6), 'anchor.json'), null);
    assert.equal(await checkAnchor(new MemoryStore([...entries]), anchorOf(entries, 3), 'anchor.json'), null);
  });

  it('names a wiped, truncated, replaced and rewritten store', async () => {
    const anchor = anchorOf(entries, 5);
    const wiped = await checkAnchor(new MemoryStore([]), anchor, '/s/anchor.json');
    assert.equal(wiped?.reason, 'wiped');
    assert.match(wiped!.message, /is empty, but this user's anchor \(\/s\/anchor\.json\) holds entry 5/);

    const truncated = await checkAnchor(new MemoryStore(entries.slice(0, 3)), anchor, 'a');
    assert.equal(truncated?.reason, 'truncated');
    assert.match(truncated!.message, /ends at entry 3, but .* entries were removed \(cut off its end/);

    // Another chain altogether, shorter or longer: replaced (a shadow store is one).
    const another = chain(other, 8, (i) => draft({ data: { other: i } }));
    assert.equal((await checkAnchor(new MemoryStore(another.slice(0, 2)), anchor, 'a'))?.reason, 'replaced');
    assert.equal((await checkAnchor(new MemoryStore(another), anchor, 'a'))?.reason, 'replaced');

    // The same start, another entry at the anchored seq: rewritten (edited and re-signed from entry 4 on).
    const rewritten = entries.slice(0, 3);
    for (let i = 0; i < 3; i++) {
      const prev = rewritten.at(-1)!;
      rewritten.push(seal(other, { seq: prev.seq, hash: prev.hash }, draft({ data: { forged: i } })));
    }
    const found = await checkAnchor(new MemoryStore(rewritten), anchor, 'a');
    assert.equal(found?.reason, 'rewritten');
    assert.match(found!.message, /holds another entry 5 .* its history was rewritten/);
  });

  it('says which store the anchor was written through when it is another', async () => {
    const store = Object.assign(new MemoryStore([]), { location: 'sqlite:/tmp/shadow.db' });
    const found = await checkAnchor(store, anchorOf(entries, 2, 'sqlite:/repo/.autopilot/autopilot.db'), 'a');
    assert.match(found!.message, /the store \(sqlite:\/tmp\/shadow\.db\) is empty/);
    assert.match(found!.message, /the anchor was written through sqlite:\/repo\/\.autopilot\/autopilot\.db$/);
  });
});

describe('the anchor file', () => {
  it('is written atomically, 0600 in a 0700 folder, and only grows', () => {
    const user = userState();
    const entries = chain(signer, 3);
    assert.equal(readAnchor(user.anchorFile), null);
    advanceAnchor(user, entries[1]!, entries[0]!.hash, 'memory', new Date(0));
    assert.equal(statSync(user.anchorFile).mode & 0o777, 0o600);
    assert.equal(statSync(user.dir).mode & 0o777, 0o700);
    assert.equal(statSync(user.root).mode & 0o777, 0o700);
    assert.equal(readAnchor(user.anchorFile)?.seq, 2);
    // A lower head (a process that committed earlier, writing later) leaves it as it is.
    advanceAnchor(user, entries[0]!, entries[0]!.hash, 'memory', new Date(0));
    assert.equal(readAnchor(user.anchorFile)?.seq, 2);
    advanceAnchor(user, entries[2]!, entries[0]!.hash, 'memory', new Date(0));
    assert.deepEqual([readAnchor(user.anchorFile)?.seq, readAnchor(user.anchorFile)?.hash], [3, entries[2]!.hash]);
  });

  it('checks its folder again when it is no longer the one last found private', () => {
    const user = userState();
    const entries = chain(signer, 3);
    writeAnchor(user, anchorOf(entries, 1));
    // Opened up after the first write: the next write finds it changed and makes it private again.
    chmodSync(user.dir, 0o755);
    writeAnchor(user, anchorOf(entries, 2));
    assert.equal(statSync(user.dir).mode & 0o777, 0o700);
    // Replaced by a symlink to a folder of the same mode: refused, and the anchor is not written through it.
    const elsewhere = tempDir('autopilot-anchor-elsewhere-').dir;
    chmodSync(elsewhere, 0o700);
    renameSync(user.dir, `${user.dir}.moved`);
    symlinkSync(elsewhere, user.dir);
    assert.throws(() => writeAnchor(user, anchorOf(entries, 3)), /is not a folder/);
    assert.equal(existsSync(join(elsewhere, basename(user.anchorFile))), false);
  });

  it('is LEDGER_TAMPERED when it is not one Autopilot wrote', () => {
    const user = userState();
    const entries = chain(signer, 1);
    writeAnchor(user, anchorOf(entries, 1));
    writeFileSync(user.anchorFile, '{"version":1,"seq":"1"}');
    assert.throws(
      () => readAnchor(user.anchorFile),
      (err: unknown) => err instanceof AutopilotError && err.code === ErrorCode.LEDGER_TAMPERED,
    );
  });
});

describe('anchored: the store hooked to the anchor', () => {
  it('moves the anchor to the last entry of each commit that appended, and not on a commit that did not', async () => {
    const user = userState();
    const inner = new MemoryStore();
    const store = anchored(inner, user);
    const e = testEngine(store, signer);
    await store.transact(async (tx) => {
      await append(e, tx, draft({ data: { n: 1 } }));
      await append(e, tx, draft({ data: { n: 2 } }));
    });
    const head = (await inner.head())!;
    const first = (await inner.entries({ limit: 1 }))[0]!;
    assert.deepEqual(
      [readAnchor(user.anchorFile)?.seq, readAnchor(user.anchorFile)?.hash, readAnchor(user.anchorFile)?.first],
      [2, head.hash, first.hash],
    );
    const before = readFileSync(user.anchorFile, 'utf8');
    await store.transact(async (tx) => void (await tx.head()));
    assert.equal(readFileSync(user.anchorFile, 'utf8'), before, 'a commit that appended nothing leaves it');
    // A rolled-back transaction appended nothing that stays.
    await assert.rejects(
      store.transact(async (tx) => {
        await append(e, tx, draft({ data: { n: 3 } }));
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(readAnchor(user.anchorFile)?.seq, 2);
  });

  it('refuses to write to a store that lost the anchored head, and writes nothing', async () => {
    const user = userState();
    const entries: LedgerEntry[] = [];
    const store = anchored(new MemoryStore(entries), user);
    const e = testEngine(store, signer);
    for (let i = 0; i < 3; i++) await store.transact(async (tx) => void (await append(e, tx, draft({ data: { i } }))));
    assert.equal(readAnchor(user.anchorFile)?.seq, 3);

    // Wiped, as a fresh store opened on an emptied file would be: the same task cannot start again.
    entries.length = 0;
    const fresh = anchored(new MemoryStore(entries), user);
    await assert.rejects(
      fresh.transact(async (tx) => void (await append(testEngine(fresh, signer), tx, draft()))),
      (err: unknown) =>
        err instanceof AutopilotError &&
        err.code === ErrorCode.LEDGER_TAMPERED &&
        err.details['reason'] === 'wiped' &&
        /To repair: restore the store from a backup/.test(err.message),
    );
    assert.equal(entries.length, 0, 'nothing was written');
    assert.equal(readAnchor(user.anchorFile)?.seq, 3, 'the anchor stays');
  });

  it('lets a store that is ahead of the anchor be written to, and moves the anchor on', async () => {
    const user = userState();
    const entries = chain(signer, 4);
    writeAnchor(user, anchorOf(entries, 2));
    const store = anchored(new MemoryStore(entries), user);
    await store.transact(async (tx) => void (await append(testEngine(store, signer), tx, draft())));
    assert.equal(readAnchor(user.anchorFile)?.seq, 5);
    assert.equal(existsSync(user.anchorFile), true);
  });
});
