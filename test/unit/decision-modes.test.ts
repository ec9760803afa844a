/**
 * A change of modes as a person signs it: the modes in force that differ between two configs (gates and policies,
 * defaults included), and the decision's `modes` field read from untrusted JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { parseDecision } from '../../src/core/decision.ts';
import { modesDiffering } from '../../src/engine/approvals/modes.ts';

const config = (extra: Record<string, unknown>): Config => {
  const r = parseConfig({ version: 1, ...extra });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const decision = (modes: unknown): Record<string, unknown> => ({
  v: 1,
  task: 'T-1',
  phase: 'STRATEGIZE',
  decision: 'change_modes',
  backtrackTo: null,
  diff: 'a'.repeat(64),
  note: 'g5 observes',
  answers: null,
  nonce: 'n',
  expires: '2026-01-01T00:00:00.000Z',
  origin: 'http://localhost:4400',
  rpId: 'localhost',
  contract: 'b'.repeat(64),
  modes,
});

describe('modes a person changes', () => {
  it('lists each mode in force that differs, from and to, with the defaults (enforce) filled in', () => {
    const before = config({ policies: { overrides: { 'repo.no-curl': 'observe' } } });
    const after = config({ gates: { g5: 'off', g2: 'enforce' }, policies: { mode: 'observe' } });
    assert.deepEqual(modesDiffering(before, after), [
      { key: 'gates.g5', from: 'enforce', to: 'off' },
      { key: 'policies.mode', from: 'enforce', to: 'observe' },
    ]);
    // The override left out now follows the new policies' mode, observe, as it was: no change for that policy.
    assert.deepEqual(modesDiffering(after, after), []);
  });

  it('a change_modes decision carries sorted modes of gates and policies that change; anything else is refused', () => {
    const good = [
      { key: 'gates.g5', from: 'enforce', to: 'observe' },
      { key: 'policies.overrides.repo.no-curl', from: 'enforce', to: 'off' },
    ];
    assert.ok(parseDecision(decision(good)).ok);
    const reason = (modes: unknown) => {
      const r = parseDecision(decision(modes));
      return r.ok ? 'ok' : r.reason;
    };
    assert.match(reason([]), /non-empty list/);
    assert.match(reason([good[1], good[0]]), /sorted by key/);
    assert.match(
      reason([{ key: 'commands.test', from: 'enforce', to: 'off' }]),
      /not the key of a gate's or policy's mode/,
    );
    assert.match(reason([{ key: 'gates.g5', from: 'enforce', to: 'enforce' }]), /must change/);
    assert.match(reason([{ key: 'gates.g5', from: 'enforce', to: 'lax' }]), /must change/);
    assert.match(reason([{ ...good[0], by: 'agent' }]), /exactly the fields key, from, to/);
    const { modes: _m, ...without } = decision(good);
    assert.ok(!parseDecision(without).ok, 'a change of modes without its modes is no decision');
  });
});
