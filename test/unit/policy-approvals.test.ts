/**
 * Unit: what a person's approval of a policy's request approves (core/policy/approvals.ts), and which changes of
 * modes the CI gate applies (engine/ci/signed-modes.ts): an approval names its policies and its change, a request for
 * changes voids it, older approvals approve no policy; only a verified person's `change_modes` entry changes a mode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../src/core/config.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import {
  changeStamp,
  coverPolicies,
  policyApprovals,
  stampCovers,
  type ChangeStamp,
} from '../../src/core/policy/approvals.ts';
import { withSignedModes } from '../../src/engine/ci/signed-modes.ts';

let seq = 0;
function entry(kind: LedgerEntry['kind'], actor: string, data: Record<string, unknown>): LedgerEntry {
  seq += 1;
  return {
    seq,
    taskId: 'T-1',
    kind,
    fromPhase: 'IMPLEMENT',
    toPhase: 'VERIFY',
    actor,
    artifacts: [],
    data,
    prevHash: '0'.repeat(64),
    ts: '2026-12-07T00:00:00.000Z',
    keyId: 'k',
    hash: 'h',
    signature: 's',
  };
}

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const MIG = { path: 'db/migrations/1.sql', added: 1, removed: 0, blob: '1'.repeat(40) };
const request = (ids: string[], change: ChangeStamp) =>
  entry('approval', 'agent', { action: 'requested', by: 'policy', policyIds: ids, change });
const approval = (answers: number, diff: string, actor = 'person:ann') =>
  entry('approval', actor, { action: 'approved', answers, diff, by: actor });

describe('approvals bound to policies and a change', () => {
  it('covers only the policies a request named, for the diff it was given for', () => {
    const r = request(['pack.migrations.person'], changeStamp(D1, [MIG]));
    const a = approval(r.seq, D1);
    const found = policyApprovals([r, a]);
    assert.deepEqual(
      found.map((x) => [x.person, x.policyIds, x.signedDiff]),
      [['person:ann', ['pack.migrations.person'], D1]],
    );
    const same = (digest: string) => (x: (typeof found)[number]) => x.signedDiff === digest;
    assert.deepEqual(
      coverPolicies(['pack.migrations.person', 'pack.ci-config'], found, same(D1)).map((c) => c.status),
      ['approved', 'none'],
      'an approval for the migration policy does not pass the CI config policy',
    );
    assert.deepEqual(
      coverPolicies(['pack.migrations.person'], found, same(D2)).map((c) => c.status),
      ['stale'],
      'an approval for an earlier diff does not pass the new one',
    );
  });

  it('ignores approvals of other requests, an agent, and approvals a request for changes voided', () => {
    const risk = entry('approval', 'agent', { action: 'requested', by: 'policy', risk: 'high' });
    const old = approval(risk.seq, D1);
    const r = request(['p'], changeStamp(D1, [MIG]));
    const byAgent = approval(r.seq, D1, 'agent:claude');
    assert.deepEqual(policyApprovals([risk, old, r, byAgent]), []);
    const ok = approval(r.seq, D1);
    const voided = entry('approval', 'person:bob', { action: 'changes_requested', by: 'person:bob', diff: D1 });
    assert.equal(policyApprovals([r, ok]).length, 1);
    assert.deepEqual(policyApprovals([r, ok, voided]), []);
    assert.deepEqual(
      policyApprovals([r, ok], (x) => x.seq !== ok.seq),
      [],
    );
  });

  it('a stamp covers the parts with the same counts and content, and the whole diff only when nothing was added', () => {
    const src = { path: 'src/a.ts', added: 3, removed: 1, blob: '2'.repeat(40) };
    const stamp = changeStamp(D1, [src, MIG]);
    assert.equal(stampCovers(stamp, [MIG.path], [MIG, src]), true);
    assert.equal(stampCovers(stamp, ['(diff)'], [MIG, src]), true);
    assert.equal(stampCovers(stamp, [MIG.path], [{ ...MIG, blob: '3'.repeat(40) }]), false, 'other content');
    assert.equal(stampCovers(stamp, [MIG.path], [{ ...MIG, added: 2 }]), false, 'other counts');
    assert.equal(stampCovers(stamp, ['(diff)'], [MIG, src, { ...src, path: 'src/b.ts' }]), false, 'a file more');
  });
});

describe("the CI gate's reading of signed mode changes", () => {
  const base = { gates: { g5: 'enforce' }, policies: { sources: {} } } as unknown as Config;
  const modes = [
    { key: 'gates.g5', from: 'enforce', to: 'observe' },
    { key: 'policies.overrides.pack.ci-config', from: 'enforce', to: 'observe' },
  ];

  it("applies a verified person's change, and nothing of an entry whose passkey did not verify", () => {
    const signed = entry('contract_adopted', 'person:ann', { modes, by: 'person:ann' });
    const forged = entry('contract_adopted', 'person:ann', {
      modes: [{ key: 'gates.g1', from: 'enforce', to: 'off' }],
      by: 'person:ann',
    });
    const r = withSignedModes(base, [{ taskId: 'T-1', entries: [signed, forged], verified: new Set([signed.seq]) }]);
    assert.deepEqual(r.config.gates, { g5: 'observe' });
    assert.deepEqual(r.config.policies?.overrides, { 'pack.ci-config': 'observe' });
    assert.deepEqual(
      r.modes.map((m) => [m.key, m.gate, m.applied, m.seq]),
      [
        ['gates.g5', 'g5', true, signed.seq],
        ['policies.overrides.pack.ci-config', 'g1', true, signed.seq],
      ],
    );
  });

  it("an agent's entry changes nothing, and a mode the base no longer has is reported, not applied", () => {
    const agent = entry('contract_adopted', 'agent:claude', { modes });
    assert.deepEqual(
      withSignedModes(base, [{ taskId: 'T-1', entries: [agent], verified: new Set([agent.seq]) }]).modes,
      [],
    );
    const signed = entry('contract_adopted', 'person:ann', {
      modes: [{ key: 'gates.g5', from: 'observe', to: 'off' }],
      by: 'person:ann',
    });
    const r = withSignedModes(base, [{ taskId: 'T-1', entries: [signed], verified: new Set([signed.seq]) }]);
    assert.deepEqual(r.config.gates, { g5: 'enforce' });
    assert.equal(r.modes[0]?.applied, false);
    assert.match(r.modes[0]?.note ?? '', /has gates\.g5: enforce, not observe/);
  });
});
