/**
 * The hook daemon's proofs: a request carries an HMAC of itself under a fresh nonce, never the secret; a reply
 * carries an HMAC over the request's nonce and the reply. Anything changed, another secret, another nonce or no
 * MAC at all is not accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  openReply,
  openRequest,
  readDaemonSecret,
  SeenNonces,
  sealReply,
  sealRequest,
  type DaemonReply,
} from '../../src/surfaces/hooks/daemon.ts';
import { tempDir } from '../helpers/ledger.ts';

const secret = randomBytes(32);
const other = randomBytes(32);
const message = { op: 'shutdown', build: 'b1' };
const allow: DaemonReply = { answer: { stdout: '{"decision":"allow"}\n', stderr: '', exitCode: 0 } };

describe("the hook daemon's request proof", () => {
  it('opens a request sealed with the same secret, and gives its nonce back', () => {
    const sealed = sealRequest(secret, message);
    assert.match(sealed.nonce, /^[0-9a-f]{32}$/);
    assert.deepEqual(openRequest(secret, JSON.parse(JSON.stringify(sealed))), { nonce: sealed.nonce, message });
  });

  it('never carries the secret, and differs for every request', () => {
    const a = JSON.stringify(sealRequest(secret, message));
    const b = JSON.stringify(sealRequest(secret, message));
    assert.notEqual(a, b);
    for (const text of [a, b]) {
      assert.ok(!text.includes(secret.toString('hex')));
      assert.ok(!text.includes(secret.toString('base64')));
    }
  });

  it('refuses another secret, a changed body or nonce, a missing proof and what is no request', () => {
    const sealed = sealRequest(secret, message);
    assert.equal(openRequest(other, sealed), undefined);
    assert.equal(openRequest(secret, { ...sealed, body: JSON.stringify({ ...message, op: 'hook' }) }), undefined);
    assert.equal(openRequest(secret, { ...sealed, nonce: randomBytes(16).toString('hex') }), undefined);
    assert.equal(openRequest(secret, { ...sealed, proof: undefined }), undefined);
    assert.equal(openRequest(secret, { ...sealed, proof: sealed.proof.toUpperCase() }), undefined);
    // What a hook of the version before sent: the request itself, unsealed.
    assert.equal(openRequest(secret, message), undefined);
    for (const junk of [null, 7, 'text', [], { ...sealed, v: 2 }]) assert.equal(openRequest(secret, junk), undefined);
  });
});

describe("the hook daemon's reply MAC", () => {
  it("opens the daemon's reply to this request", () => {
    const nonce = randomBytes(16).toString('hex');
    assert.deepEqual(openReply(secret, nonce, sealReply(secret, nonce, allow)), allow);
  });

  it('does not trust a reply without a MAC, with another secret, or to another request', () => {
    const nonce = randomBytes(16).toString('hex');
    const reply = sealReply(secret, nonce, allow);
    assert.equal(openReply(secret, nonce, { body: reply.body }), undefined, 'an impostor that cannot MAC');
    assert.equal(openReply(secret, nonce, sealReply(other, nonce, allow)), undefined, 'another secret');
    assert.equal(openReply(secret, randomBytes(16).toString('hex'), reply), undefined, 'a reply to another request');
    const denied = JSON.stringify({ answer: { ...allow.answer, exitCode: 2 } });
    assert.equal(openReply(secret, nonce, { ...reply, body: denied }), undefined, 'a changed reply');
  });
});

describe("the daemon's memory of nonces", () => {
  it('takes a nonce once, and forgets the oldest past ten thousand', () => {
    const seen = new SeenNonces();
    assert.equal(seen.first('a'), true);
    assert.equal(seen.first('a'), false, 'a request sent again');
    for (let i = 0; i < 10_000; i++) seen.first(`n${i}`);
    assert.equal(seen.first('n9999'), false);
    assert.equal(seen.first('a'), true, 'the oldest was let go');
  });
});

describe("the daemon's secret file", () => {
  it('is read only when it is a regular file of this user, closed to others, with 32 bytes in hex', () => {
    const t = tempDir('autopilot-secret-');
    const file = join(t.dir, 'daemon.secret');
    writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
    assert.deepEqual(readDaemonSecret(file), secret);
    chmodSync(file, 0o640);
    assert.equal(readDaemonSecret(file), undefined, 'readable by the group');
    chmodSync(file, 0o600);
    writeFileSync(file, `${secret.toString('hex').slice(0, 40)}\n`);
    assert.equal(readDaemonSecret(file), undefined, 'too short');
    assert.equal(readDaemonSecret(join(t.dir, 'none')), undefined, 'missing');
    t.remove();
  });
});
