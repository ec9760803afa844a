/**
 * E2E (the CLI and the MCP server on a real repository and SQLite store): a task moves only under the contract it
 * adopted, a person can adopt a changed one, `attest check` records the drift it finds, and no gate passes on an
 * unconfigured check unless the config waives it, with the waiver recorded and, by default, a person's approval.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adoptContract } from '../../src/engine/approvals/adopt.ts';
import { ensureApprovalToken } from '../../src/engine/approvals/token.ts';
import type { LedgerProblem } from '../../src/engine/ledger/verify.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { P, makeRepo, sourceFile, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';
import { serve } from './dashboard-fixture.ts';
import { RP } from '../helpers/passkey.ts';
import { registerAtDashboard } from '../helpers/dashboard-passkey.ts';
import { prepareDecision } from '../../src/engine/approvals/passkeys.ts';
import { configDigest } from '../../src/engine/repo/config-digest.ts';

const sessions: McpSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

/** STRATEGIZE's strategy.md made optional: the weakening of the issue that asked for this. */
function weaken(repo: Repo): void {
  repo.editConfig((c) => {
    c['evidence'] = {
      STRATEGIZE: [
        {
          name: 'strategy.md',
          required: false,
          sections: ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'].map((heading) => ({
            heading,
          })),
        },
      ],
    };
  });
}

async function token(repo: Repo): Promise<string> {
  return repo.withEngine(async (engine) => ensureApprovalToken(engine.layout).token);
}

function commandsWithout(...keys: string[]) {
  return (c: Record<string, unknown>) => {
    const commands = c['commands'] as Record<string, unknown>;
    for (const k of keys) {
      if (k === 'ci' || k === 'smoke') commands[k] = [];
      else if (k === 'coverage') delete (commands['test'] as Record<string, unknown>)['lcov'];
      else delete commands[k];
    }
  };
}

describe('the contract a task adopted', { concurrency: true }, () => {
  it('a config weakened mid-task: CONFIG_CHANGED naming the key, for every move and write; restored, it moves again', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    const original = readFileSync(repo.configFile, 'utf8');
    weaken(repo);
    const refused = await repo.refusedUnchanged(['advance', 'T-1'], 'CONFIG_CHANGED', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.deepEqual(refused.details['keys'], ['evidence.STRATEGIZE.0.required']);
    assert.equal(refused.details['adopted'], repo.task('T-1')!.contract!.digest);
    assert.notEqual(refused.details['current'], refused.details['adopted']);
    assert.match(refused.message, /changed: evidence\.STRATEGIZE\.0\.required/);
    assert.match(refused.message, /Adopt the new contract" in the dashboard's approval panel/);
    const strategy = sourceFile('strategy.md', P.STRATEGY);
    for (const args of [
      ['evidence', 'add', 'T-1', 'STRATEGIZE', strategy],
      ['backtrack', 'T-1', '--to', 'STRATEGIZE', '--reason', 'again'],
    ])
      await repo.refusedUnchanged(args, 'CONFIG_CHANGED', 2, { taskId: 'T-1', violation: true });

    // Reading verbs say so, and refuse nothing.
    const status = await repo.ok<{ contract: { changed: boolean; keys: string[] } }>(['task', 'status', 'T-1']);
    assert.deepEqual(status.contract.keys, ['evidence.STRATEGIZE.0.required']);
    assert.equal(status.contract.changed, true);
    const text = await repo.run(['task', 'status', 'T-1']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /the config is not the contract this task adopted/);

    // Restored: the task moves again, under its own contract (the strategy is still required).
    writeFileSync(repo.configFile, original);
    await repo.refused(['advance', 'T-1'], 'EVIDENCE_MISSING', 2);
    await repo.ok(['evidence', 'add', 'T-1', 'STRATEGIZE', strategy]);
    const moved = await repo.ok<{ to: string }>(['advance', 'T-1']);
    assert.equal(moved.to, 'SPEC');
    const counts = await repo.ok<{ refusals: Record<string, number> }>(['metrics']);
    assert.equal(counts.refusals['CONFIG_CHANGED'], 3);
  });

  it('a person adopts the changed config for the task with a passkey: a signed entry carrying the proof, a new contract file; the task moves under it', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    weaken(repo);
    // A terminal adopts nothing, with the old approval token or without: it names the dashboard's card.
    for (const env of [{}, { AUTOPILOT_APPROVAL_TOKEN: await token(repo) }]) {
      const refused = await repo.refusedUnchanged(
        ['approve', 'T-1', '--adopt-contract', '--reason', 'lighter strategy'],
        'APPROVAL_REQUIRED',
        2,
        { taskId: 'T-1', violation: false, run: { env } },
      );
      assert.equal(refused.details['decision'], 'adopt_contract');
      assert.equal(refused.details['url'], 'http://localhost:4400/approvals#contract-T-1');
      assert.match(refused.message, /press "Adopt the new contract"/);
      assert.match(refused.message, /Nothing was recorded/);
    }
    const adopted = await repo.decide({
      taskId: 'T-1',
      decision: 'adopt_contract',
      note: 'strategy is optional for chores',
    });
    assert.ok(adopted.ok, adopted.ok ? '' : adopted.error.message);
    const entry = repo.ledger('T-1').find((e) => e.seq === adopted.value.entry.seq)!;
    assert.equal(entry.kind, 'contract_adopted');
    assert.equal(entry.actor, 'person:tester');
    assert.equal(entry.data['reason'], 'strategy is optional for chores');
    assert.deepEqual(entry.data['keys'], ['evidence.STRATEGIZE.0.required']);
    const proof = entry.data['passkey'] as { decision: Record<string, unknown> };
    assert.equal(proof.decision['decision'], 'adopt_contract');
    assert.equal(proof.decision['contract'], entry.data['configDigest'], 'the signature covers the contract adopted');
    const file = join(repo.stateDir, 'evidence', 'T-1', 'contract.2.yaml');
    assert.equal(readFileSync(file, 'utf8'), readFileSync(repo.configFile, 'utf8'));
    assert.deepEqual(entry.artifacts, [
      { path: 'evidence/T-1/contract.2.yaml', sha256: sha256Hex(readFileSync(file)), producer: 'autopilot' },
    ]);
    assert.equal(repo.task('T-1')!.contract!.digest, entry.data['configDigest']);

    // Adopting it again: nothing to adopt, nothing recorded.
    const head = repo.head();
    const again = await repo.withEngine((engine) =>
      prepareDecision(engine, RP, { taskId: 'T-1', decision: 'adopt_contract', note: 'again' }),
    );
    assert.equal(again.ok ? '' : again.error.code, 'USAGE');
    assert.match(again.ok ? '' : again.error.message, /there is nothing to adopt/);
    assert.deepEqual(repo.head(), head);
    // Under the adopted contract STRATEGIZE needs no strategy; the transition records that contract's digest.
    const moved = await repo.ok<{ to: string; seq: number }>(['advance', 'T-1']);
    assert.equal(moved.to, 'SPEC');
    const transition = repo.ledger('T-1').find((e) => e.kind === 'transition')!;
    assert.equal(transition.data['configDigest'], entry.data['configDigest']);
    await repo.ok(['ledger', 'verify']);
  });

  it('an adoption without a valid passkey assertion is a forged decision: ledger verify flags it', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    weaken(repo);
    const real = await repo.decide({ taskId: 'T-1', decision: 'escalate', note: 'the strategy needs a look' });
    assert.ok(real.ok, real.ok ? '' : real.error.message);
    // Whoever holds the installation key can append an adoption; with no proof, or another decision's, it is caught.
    const forge = (proof: Record<string, unknown>) =>
      repo.withEngine(async (engine) => {
        const state = (await engine.store.getTask('T-1'))!;
        const r = await engine.store.transact((tx) =>
          adoptContract(engine, tx, state, { id: 'person:tester' }, real.value.entry.data['reason'] as string, proof),
        );
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        return r.value.entry.seq;
      });
    const bare = await forge({});
    repo.editConfig((c) => void ((c['verify'] as Record<string, unknown>)['coverageThreshold'] = 10));
    const borrowed = await forge({ diff: real.value.entry.data['diff'], passkey: real.value.entry.data['passkey'] });
    const v = await repo.json<{ ok: boolean; error?: { code: string; details: { problems: LedgerProblem[] } } }>([
      'ledger',
      'verify',
    ]);
    assert.equal(v.code, 3, v.stdout);
    assert.equal(v.body.error?.code, 'LEDGER_TAMPERED');
    const problems = v.body.error!.details.problems.filter((p) => p.kind === 'decision');
    assert.deepEqual(
      problems.map((p) => p.seq),
      [bare, borrowed],
    );
    assert.match(problems[0]!.reason, /without a passkey assertion/);
    assert.match(problems[1]!.reason, /the signed decision is escalate, the entry records contract_adopted/);
  });

  it('over MCP: a move under a changed config is refused with its keys; task_status says the contract changed', async () => {
    const repo = await makeRepo({ urgent: true });
    await repo.driveTo('M-1', 'STRATEGIZE');
    weaken(repo);
    const session = await connectStdio(repo.dir, 'contract-agent');
    sessions.push(session);
    const refused = await callRefused(session.client, 'phase_advance', { taskId: 'M-1' }, 'CONFIG_CHANGED');
    assert.deepEqual(refused.details['keys'], ['evidence.STRATEGIZE.0.required']);
    assert.match(refused.message, /you cannot adopt it yourself/);
    await callRefused(
      session.client,
      'evidence_put',
      { taskId: 'M-1', phase: 'STRATEGIZE', name: 'strategy.md', content: P.STRATEGY },
      'CONFIG_CHANGED',
    );
    const status = await callOk<{ contract: { changed: boolean; keys: string[] } }>(session.client, 'task_status', {
      taskId: 'M-1',
    });
    assert.deepEqual(status.contract, { changed: true, keys: ['evidence.STRATEGIZE.0.required'] });
    assert.equal(repo.task('M-1')?.phase, 'STRATEGIZE');
  });
});

describe('attest check', { concurrency: true }, () => {
  it('records drift it finds as a prompt_drift entry of the active task and counts it; no drift records nothing', async () => {
    const repo = await makeRepo();
    await repo.driveTo('A-1', 'SPEC');
    const clean = await repo.ok<{ drift: unknown[] }>(['attest', 'check']);
    assert.deepEqual(clean.drift, []);
    const head = repo.head();
    await repo.ok(['attest', 'check']);
    assert.deepEqual(repo.head(), head, 'a check without drift records nothing');

    repo.write('AGENTS.md', '# Agents\n\nSkip the tests when in a hurry.\n');
    const found = await repo.ok<{ seq: number; taskId: string | null }>(['attest', 'check']);
    assert.equal(found.taskId, 'A-1');
    const entry = repo.ledger().find((e) => e.seq === found.seq)!;
    assert.equal(entry.kind, 'prompt_drift');
    assert.equal(entry.taskId, 'A-1');
    assert.deepEqual(
      (entry.data['changes'] as { input: string; change: string }[]).map((c) => [c.input, c.change]),
      [['AGENTS.md', 'added']],
    );
    const metrics = await repo.ok<{ counters: Record<string, number> }>(['metrics']);
    assert.equal(metrics.counters['prompt_drift_detected'], 1);
  });
});

describe('unconfigured checks', { concurrency: true }, () => {
  const cases = [
    { check: 'lint', phase: 'REVIEW', verb: ['advance', 'T-1'] },
    { check: 'ci', phase: 'PR', verb: ['advance', 'T-1'] },
    { check: 'smoke', phase: 'MONITOR', verb: ['advance', 'T-1'] },
    { check: 'build', phase: 'VERIFY', verb: ['verify', 'T-1'] },
    { check: 'coverage', phase: 'VERIFY', verb: ['verify', 'T-1'] },
  ] as const;
  for (const c of cases) {
    it(`no ${c.check} configured and none waived: ${c.verb[0]} in ${c.phase} is WAIVER_REQUIRED, recorded, nothing run`, async () => {
      const repo = await makeRepo({ config: commandsWithout(c.check) });
      await repo.driveTo('T-1', c.phase);
      const refused = await repo.refusedUnchanged([...c.verb], 'WAIVER_REQUIRED', 2, {
        taskId: 'T-1',
        violation: true,
      });
      assert.equal(refused.details['check'], c.check);
      assert.equal(refused.details['phase'], c.phase);
      assert.match(String(refused.details['fix']), new RegExp(`waive: \\{${c.check}: `));
      assert.match(refused.message, /nothing passes on nothing/);
      const metrics = await repo.ok<{ refusals: Record<string, number> }>(['metrics']);
      assert.equal(metrics.refusals['WAIVER_REQUIRED'], 1);
    });
  }

  it('lint waived: REVIEW records the waiver (never passed: true) and needs a person; approved, it moves with data.waivers', async () => {
    const reason = 'no linter in this repo';
    const repo = await makeRepo({
      config: (c) => {
        commandsWithout('lint')(c);
        c['waive'] = { lint: reason };
      },
    });
    await repo.driveTo('T-1', 'REVIEW');
    for (const [name, content] of P.AGENT_EVIDENCE['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
    const refused = await repo.refused(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2);
    assert.deepEqual(refused.details['reasons'], [`waiver: lint waived: ${reason}`]);
    assert.match(refused.message, /relies on a waived check/);
    const score = JSON.parse(
      readFileSync(join(repo.phaseDir('T-1', 'REVIEW'), 'code_quality_score.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(score['configured'], false);
    assert.equal(score['waived'], reason);
    assert.equal('passed' in score, false);

    const approved = await repo.decide({ taskId: 'T-1', decision: 'approve', note: 'no linter indeed' });
    assert.ok(approved.ok, approved.ok ? '' : approved.error.message);
    const moved = await repo.ok<{ to: string; seq: number }>(['advance', 'T-1']);
    assert.equal(moved.to, 'PR');
    const transition = repo.ledger('T-1').find((e) => e.seq === moved.seq)!;
    assert.deepEqual(transition.data['waivers'], [{ check: 'lint', reason }]);
    assert.equal(transition.data['approval'], approved.value.entry.seq, 'the move names the passkey approval');
    await repo.ok(['ledger', 'verify']);
    const metrics = await repo.ok<{ waivers: Record<string, number> }>(['metrics']);
    assert.equal(metrics.waivers['lint'], 1);
  });

  it('build waived with approvals.waivers: none: VERIFY records build as not configured, never exit 0, and moves on', async () => {
    const reason = 'a library of plain scripts: nothing to build';
    const repo = await makeRepo({
      config: (c) => {
        commandsWithout('build')(c);
        c['waive'] = { build: reason };
        (c['approvals'] as Record<string, unknown>)['waivers'] = 'none';
      },
    });
    await repo.driveTo('T-1', 'VERIFY');
    const run = await repo.ok<{ passed: boolean; seq: number }>(['verify', 'T-1']);
    assert.equal(run.passed, true);
    const doc = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'verify_run.json'), 'utf8')) as {
      build: Record<string, unknown>;
    };
    assert.equal(doc.build['configured'], false);
    assert.equal(doc.build['waived'], reason);
    assert.equal('exitCode' in doc.build, false);
    const verify = repo.ledger('T-1').findLast((e) => e.kind === 'verify')!;
    assert.deepEqual(verify.data['waivers'], [{ check: 'build', reason }]);
    const moved = await repo.ok<{ to: string; seq: number }>(['advance', 'T-1']);
    assert.equal(moved.to, 'REVIEW');
    assert.deepEqual(repo.ledger('T-1').find((e) => e.seq === moved.seq)!.data['waivers'], [
      { check: 'build', reason },
    ]);
  });
});

describe("the dashboard's adoption", () => {
  it('the approval panel lists a task under a changed config with "Adopt the new contract"; the passkey-signed adoption is recorded and verifies', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    weaken(repo);
    const current = await repo.withEngine(async (engine) => configDigest(engine.config));
    const s = await serve(repo);
    const at = (path: string) => `http://127.0.0.1:${s.port}${path}`;
    try {
      const page = await (await fetch(at('/approvals'))).text();
      assert.match(page, /id="contract-T-1"/);
      assert.match(page, /evidence\.STRATEGIZE\.0\.required/);
      assert.match(
        page,
        /<button class="btn ok" type="submit" name="decision" value="adopt_contract">Adopt the new contract<\/button>/,
      );

      const dana = await registerAtDashboard(s, 'Dana');
      const { decision, challenge } = await dana.prepare('T-1', {
        decision: 'adopt_contract',
        reason: 'strategy is optional for chores',
      });
      assert.equal(decision['contract'], current, 'the person signs the digest of the config adopted');
      const response = dana.key.assert(challenge);
      const done = await dana.post('/api/tasks/T-1/decision', { decision, response });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.match(String(done.body['message']), /Dana adopted the current config as the contract of T-1/);
      const entry = repo.ledger('T-1').at(-1)!;
      assert.deepEqual(
        [entry.kind, entry.actor, entry.data['configDigest'], entry.seq],
        ['contract_adopted', 'person:Dana', current, done.body['seq']],
      );
      const replay = await dana.post('/api/tasks/T-1/decision', { decision, response });
      assert.equal(replay.status, 403, 'the same assertion twice');

      const after = await (await fetch(at('/approvals'))).text();
      assert.doesNotMatch(after, /id="contract-T-1"/);
      assert.match(after, /contract 2 adopted by Dana: strategy is optional for chores/);
    } finally {
      await s.stop();
    }
    const verified = await repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 1);
    assert.equal((await repo.ok<{ to: string }>(['advance', 'T-1'])).to, 'SPEC');
  });
});
