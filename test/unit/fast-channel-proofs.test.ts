/**
 * The shell client's proofs, as the daemon checks them: a request is accepted only with its keyed digest under the
 * daemon's secret and a nonce not seen before; a changed byte, another secret or a replay is refused. The digest is
 * the one `sha384sum` gives the shell client for the same bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SeenNonces } from '../../src/surfaces/hooks/daemon.ts';
import { fastDigest, openFastRequest, parseFields } from '../../src/surfaces/hooks/fast-channel.ts';

const field = (v: string) => `${Buffer.byteLength(v)}:${v},`;
function message(nonce: string, stdin: string, env: Record<string, string> = {}): Buffer {
  const pairs = Object.entries(env).flatMap(([k, v]) => [field(k), field(v)]);
  return Buffer.from(
    [
      'autopilot-hook-fast/1',
      nonce,
      'claude',
      'PreToolUse',
      '/pkg/bin/autopilot-hook',
      '/repo',
      '/repo',
      String(Object.keys(env).length),
    ]
      .map(field)
      .join('') +
      pairs.join('') +
      field(stdin),
  );
}
const file = (secret: Buffer, m: Buffer) => Buffer.concat([Buffer.from(`${fastDigest(secret, m)}\n`), m]);

describe('the fast door proofs', () => {
  const secret = randomBytes(32);
  const nonce = randomBytes(16).toString('hex');

  it('is the digest sha384sum computes over the secret, the label and the message', () => {
    const m = message(nonce, '{"naïve": "日本"}');
    const input = Buffer.concat([
      Buffer.from(`${secret.toString('hex')}\nautopilot-hook-fast\n`),
      m,
      Buffer.from('\n'),
    ]);
    const shell = execFileSync('sha384sum', [], { input }).toString('latin1').split(' ')[0];
    assert.equal(fastDigest(secret, m), shell);
  });

  it('accepts a proven request once, with its fields, and refuses a replay, a changed byte and another secret', () => {
    const seen = new SeenNonces();
    const fresh = (n: string) => seen.first(n);
    const m = message(nonce, '{"tool_name":"Edit"}', { AUTOPILOT_TASK: 'T-1', OTEL_X: '' });
    const ok = openFastRequest(secret, file(secret, m), fresh);
    assert.ok(!('refused' in ok), JSON.stringify(ok));
    assert.deepEqual(ok.request.env, { AUTOPILOT_TASK: 'T-1', OTEL_X: '' });
    assert.equal(ok.request.stdin, '{"tool_name":"Edit"}');
    assert.deepEqual(openFastRequest(secret, file(secret, m), fresh), { refused: 'this request was answered before' });

    const other = message(randomBytes(16).toString('hex'), '{"tool_name":"Edit"}');
    const tampered = file(secret, other);
    tampered[tampered.length - 3]! ^= 1;
    assert.match((openFastRequest(secret, tampered, fresh) as { refused: string }).refused, /no valid proof/);
    assert.match(
      (openFastRequest(secret, file(randomBytes(32), other), fresh) as { refused: string }).refused,
      /no valid proof/,
    );
    assert.ok(!('refused' in openFastRequest(secret, file(secret, other), fresh)), 'the untampered one still passes');
  });

  it('reads only well-formed length-prefixed fields', () => {
    assert.deepEqual(parseFields(Buffer.from('3:abc,0:,'))?.map(String), ['abc', '']);
    for (const bad of ['3:ab,', '3:abcd', 'x:abc,', '99999999999:a,'])
      assert.equal(parseFields(Buffer.from(bad)), undefined, bad);
  });

  it('seals a reply to one nonce: another nonce or a changed reply gives another digest', () => {
    const reply = '0 12\n{"allow":1}\n';
    const mac = fastDigest(secret, reply, nonce);
    assert.notEqual(fastDigest(secret, reply, randomBytes(16).toString('hex')), mac);
    assert.notEqual(fastDigest(secret, reply.replace('allow', 'deny!'), nonce), mac);
  });
});
