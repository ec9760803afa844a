/**
 * E2E: the gates' rates through `autopilot metrics` on a real store whose ledger spans the baseline and the window
 * (test/e2e/gate-rates-fixture.ts): blocks per gate, the blocks a person overrode, and the baseline beside them.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { GateRatesReport } from '../../src/engine/telemetry/gate-rates.ts';
import type { Repo } from './helpers.ts';
import { ratesRepo } from './gate-rates-fixture.ts';

let repo: Repo;
before(async () => {
  repo = await ratesRepo();
});

const gate = (gates: GateRatesReport['gates'], id: string) => gates.find((g) => g.gate === id)!;

describe('metrics: the gates rates from the ledger', () => {
  it('per gate, the window against its baseline: blocks, overrides by a person, and their rates', async () => {
    const body = await repo.ok<{ gateRates: GateRatesReport }>(['metrics', '--window', '7d', '--baseline', '30d']);
    const { gates, baseline } = body.gateRates;
    // The window: T-1's skip (Gate 0) and its denied push (Gate 1), neither overridden.
    assert.deepEqual(
      gates.map((g) => [g.gate, g.blocks, g.overridden]),
      [
        ['g0', 1, 0],
        ['g1', 1, 0],
        ['g2', 0, 0],
        ['g3', 0, 0],
        ['g4', 0, 0],
        ['g5', 0, 0],
      ],
    );
    assert.equal(gate(gates, 'g0').falsePositiveGateRate, 0);
    assert.equal(gate(gates, 'g3').falsePositiveGateRate, null, 'no block, no rate');
    // The baseline: B-1's missing strategy (Gate 3) and its changed config (Gate 0), both lifted by the contract
    // the person adopted before B-1 left STRATEGIZE.
    assert.deepEqual(
      [gate(baseline.gates, 'g0'), gate(baseline.gates, 'g3')].map((g) => [
        g.blocks,
        g.overridden,
        g.falsePositiveGateRate,
      ]),
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
    );
    assert.equal(baseline.window.until, body.gateRates.window.since, 'the baseline ends where the window starts');
    assert.equal(Date.parse(baseline.window.until) - Date.parse(baseline.window.since), 30 * 86_400_000);

    // A window that reaches back to B-1 holds all four blocks, and no baseline before them.
    const wide = await repo.ok<{ gateRates: GateRatesReport }>(['metrics', '--window', '30d']);
    assert.deepEqual(
      wide.gateRates.gates.map((g) => [g.gate, g.blocks, g.overridden]).filter(([, b]) => b),
      [
        ['g0', 2, 1],
        ['g1', 1, 0],
        ['g3', 1, 1],
      ],
    );
    assert.ok(wide.gateRates.baseline.gates.every((g) => g.blocks === 0));
  });

  it('the text names both rates with the baseline in brackets; a bad --baseline is a usage error that names it', async () => {
    const text = await repo.run(['metrics']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /false_positive_gate_rate\s+spurious_block_rate/);
    assert.match(text.stdout, /^ {2}g0 +1 +0 +0 +0 +0\.0% +\(100\.0%\) +0\.0% +\(0\.0%\)$/m);
    const bad = await repo.refused(['metrics', '--baseline', 'a month'], 'USAGE', 1);
    assert.match(bad.message, /--baseline needs a duration/);
  });
});
