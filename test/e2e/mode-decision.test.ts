/**
 * E2E: a person changes a gate's and a policy's mode for a running task. The config changes only modes, the task's
 * move is refused (CONFIG_CHANGED) until a person signs the modes, from and to, with a passkey; the terminal (the
 * agent's way) records nothing; a change of more than modes needs the whole contract adopted; the task then moves
 * under the new modes, and the metrics count the block as one a person overrode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GateRatesReport } from '../../src/engine/telemetry/gate-rates.ts';
import { makeRepo, type Repo } from './helpers.ts';
import { serve } from './dashboard-fixture.ts';
import { RP } from '../helpers/passkey.ts';
import { prepareDecision } from '../../src/engine/approvals/passkeys.ts';

const MODES = [
  { key: 'gates.g5', from: 'enforce', to: 'observe' },
  { key: 'policies.mode', from: 'enforce', to: 'observe' },
];

function relax(repo: Repo, more?: (c: Record<string, unknown>) => void): void {
  repo.editConfig((c) => {
    c['gates'] = { g5: 'observe' };
    c['policies'] = { ...((c['policies'] as object | undefined) ?? {}), mode: 'observe' };
    more?.(c);
  });
}

describe("modes changed by a person's decision during a task", () => {
  it('the move waits for the signed modes, the terminal records nothing, then the task moves under them', async () => {
    const repo = await makeRepo();
    await repo.ok(['task', 'start', 'T-1']);
    relax(repo);
    const refused = await repo.refused(['advance', 'T-1'], 'CONFIG_CHANGED', 2);
    assert.deepEqual(refused.details['keys'], ['gates', 'policies']);

    // The dashboard offers the modes, from and to, rather than a contract as a whole.
    const s = await serve(repo);
    try {
      const page = await (await fetch(`http://127.0.0.1:${s.port}/approvals`)).text();
      assert.match(
        page,
        /<li data-mode="gates\.g5"><span class="mono small">gates\.g5<\/span>: enforce → observe<\/li>/,
      );
      assert.match(page, /<li data-mode="policies\.mode">/);
      assert.match(
        page,
        /<button class="btn ok" type="submit" name="decision" value="change_modes">Change the modes<\/button>/,
      );
    } finally {
      await s.stop();
    }

    // The agent's way, a terminal, cannot decide: it is pointed to the dashboard and nothing is recorded.
    const head = repo.head();
    const terminal = await repo.refused(
      ['approve', 'T-1', '--change-modes', '--reason', 'observe g5'],
      'APPROVAL_REQUIRED',
      2,
    );
    assert.equal(terminal.details['decision'], 'change_modes');
    assert.equal(terminal.details['url'], 'http://localhost:4400/approvals#contract-T-1');
    assert.deepEqual(repo.head(), head);

    const decided = await repo.decide({ taskId: 'T-1', decision: 'change_modes', note: 'g5 observes this week' });
    assert.ok(decided.ok, decided.ok ? '' : decided.error.message);
    const entry = repo.ledger('T-1').find((e) => e.seq === decided.value.entry.seq)!;
    assert.equal(entry.kind, 'contract_adopted');
    assert.equal(entry.actor, 'person:tester');
    assert.deepEqual(entry.data['modes'], MODES);
    const signed = (entry.data['passkey'] as { decision: Record<string, unknown> }).decision;
    assert.deepEqual(signed['modes'], MODES, 'the signature covers each mode, from and to');
    assert.equal(signed['contract'], entry.data['configDigest']);

    // The move goes on under the new modes: its transition names the adopted contract.
    await repo.driveTo('T-1', 'SPEC');
    const moved = repo.ledger('T-1').find((e) => e.kind === 'transition')!;
    assert.ok(moved.seq > entry.seq);
    assert.equal(moved.data['configDigest'], entry.data['configDigest']);
    await repo.ok(['ledger', 'verify']);

    // The block the person lifted counts as overridden in Gate 0's rate.
    const m = await repo.ok<{ gateRates: GateRatesReport }>(['metrics', '--window', '1d']);
    const g0 = m.gateRates.gates.find((g) => g.gate === 'g0')!;
    assert.deepEqual([g0.blocks, g0.overridden, g0.falsePositiveGateRate], [1, 1, 1]);
  });

  it('a config that changes more than modes cannot be taken as a change of modes; nothing is recorded', async () => {
    const repo = await makeRepo();
    await repo.ok(['task', 'start', 'T-1']);
    relax(repo, (c) => {
      const sections = ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'].map((heading) => ({
        heading,
      }));
      c['evidence'] = { STRATEGIZE: [{ name: 'strategy.md', required: false, sections }] };
    });
    const head = repo.head();
    const prepare = () =>
      repo.withEngine((engine) => prepareDecision(engine, RP, { taskId: 'T-1', decision: 'change_modes', note: 'g5' }));
    const r = await prepare();
    assert.equal(r.ok ? 'ok' : r.error.code, 'USAGE');
    assert.match(r.ok ? '' : r.error.message, /changes more than modes for T-1 \(evidence\.STRATEGIZE[^)]*\)/);
    assert.match(r.ok ? '' : r.error.message, /adopts the whole contract instead/);
    assert.deepEqual(repo.head(), head);

    // Only how a mode is written changed (enforce named, as it was by default): nothing to sign as a change of modes.
    repo.editConfig((c) => {
      delete c['evidence'];
      c['gates'] = { g5: 'enforce' };
      delete c['policies'];
    });
    const same = await prepare();
    assert.match(same.ok ? '' : same.error.message, /the modes in force are those of T-1's contract/);
    assert.deepEqual(repo.head(), head);
  });
});
