/**
 * The gates' rates over ledger entries: which refusal is which gate's block, which block a person overrode, and the
 * one kind of block the ledger shows to be spurious (a failed VERIFY whose very tree later passed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { gateRates } from '../../src/engine/telemetry/gate-rates.ts';

let seq = 0;
function entry(
  kind: LedgerEntry['kind'],
  fromPhase: string,
  data: Record<string, unknown> = {},
  more: Partial<LedgerEntry> = {},
): LedgerEntry {
  seq += 1;
  return {
    seq,
    prevHash: '0'.repeat(64),
    ts: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(),
    taskId: 'T-1',
    kind,
    fromPhase,
    toPhase: null,
    actor: 'agent:a',
    artifacts: [],
    data,
    keyId: 'k',
    hash: String(seq),
    signature: '',
    ...more,
  };
}
const refusal = (phase: string, code: string, action = 'advance') => entry('violation', phase, { action, code });
const run = (passed: boolean, treeDigest: string) => entry('verify', 'VERIFY', { passed, treeDigest });
const byGate = (entries: LedgerEntry[]) =>
  Object.fromEntries(gateRates(entries).map((g) => [g.gate, [g.blocks, g.overridden, g.spurious, g.wouldBlock]]));

describe('gateRates', () => {
  it('a failed VERIFY is spurious when the same tree passes later in the visit, not when the code changed', () => {
    const flaky = [run(false, 'tree-a'), refusal('VERIFY', 'VERIFY_FAILED', 'verify'), run(true, 'tree-a')];
    const fixed = [run(false, 'tree-b'), refusal('VERIFY', 'VERIFY_FAILED', 'verify'), run(true, 'tree-c')];
    const rates = gateRates([...flaky, ...fixed.map((x) => ({ ...x, taskId: 'T-2' }))]);
    const g3 = rates.find((g) => g.gate === 'g3')!;
    assert.deepEqual([g3.blocks, g3.spurious, g3.spuriousBlockRate, g3.falsePositiveGateRate], [2, 1, 0.5, 0]);
    // A pass after the task left the phase (a backtrack, then a new visit) does not make the old failure spurious.
    const left = [
      run(false, 'tree-d'),
      refusal('VERIFY', 'VERIFY_FAILED', 'verify'),
      entry('backtrack', 'VERIFY', {}, { toPhase: 'IMPLEMENT' }),
      entry('transition', 'IMPLEMENT', {}, { toPhase: 'VERIFY' }),
      run(true, 'tree-d'),
    ];
    assert.deepEqual(byGate(left)['g3'], [1, 0, 0, 0]);
  });

  it("a person's adopted contract overrides the blocks of the phase it was adopted in; an agent's entry does not", () => {
    const entries = [
      refusal('STRATEGIZE', 'EVIDENCE_MISSING'),
      refusal('STRATEGIZE', 'CONFIG_CHANGED'),
      entry('contract_adopted', 'STRATEGIZE', {}, { actor: 'person:dana' }),
      entry('transition', 'STRATEGIZE', {}, { toPhase: 'SPEC' }),
      refusal('SPEC', 'PHASE_SKIP'),
      entry('contract_adopted', 'SPEC', {}, { actor: 'agent:a' }),
    ];
    const rates = byGate(entries);
    assert.deepEqual(rates['g3'], [1, 1, 0, 0]);
    assert.deepEqual(rates['g0'], [2, 1, 0, 0]);
    assert.equal(gateRates(entries).find((g) => g.gate === 'g0')!.falsePositiveGateRate, 0.5);
  });

  it("tool calls: a denial is Gate 1's block, a person's approval in the phase overrides it, observe mode would have blocked", () => {
    const entries = [
      entry('tool_blocked', 'IMPLEMENT', { decision: 'deny', tool: 'Bash' }),
      entry('tool_blocked', 'IMPLEMENT', { decision: 'ask', tool: 'Bash' }),
      entry('policy_observed', 'IMPLEMENT', { tool: 'Write', policyIds: ['p1'] }),
      entry('approval', 'IMPLEMENT', { action: 'approved' }, { actor: 'person:dana' }),
      refusal('IMPLEMENT', 'APPROVAL_REQUIRED'),
      entry('approval', 'IMPLEMENT', { action: 'approved' }, { actor: 'person:dana' }),
      refusal('IMPLEMENT', 'LEASE_HELD'),
    ];
    const rates = byGate(entries);
    assert.deepEqual(rates['g1'], [1, 1, 0, 1]);
    // The approval a move waits for meets Gate 5's block; it does not override it.
    assert.deepEqual(rates['g5'], [1, 0, 0, 0]);
    assert.equal(
      gateRates(entries).reduce((n, g) => n + g.blocks, 0),
      2,
      'a held lease is no gate',
    );
  });
});
