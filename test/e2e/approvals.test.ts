/**
 * E2E (in-process engine on a real repository and SQLite store): what a
 * person's approval covers. An approval answers the request it was given: an
 * approved tool call does not let a risky move through, and an agent's new
 * request after an approval is a new request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advance } from '../../src/engine/task/advance.ts';
import { requestApproval } from '../../src/engine/approvals/request.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { startTask } from '../../src/engine/task/start.ts';
import type { Engine } from '../../src/engine/context.ts';
import { AGENT, WORKFLOW, withAgent } from './dashboard-fixture.ts';
import { makeRepo, P } from './helpers.ts';
import { decideSoft, registerSoft, type SoftPasskey } from '../helpers/passkey.ts';

function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

async function riskyTask(): Promise<{
  run: <T>(fn: (engine: Engine) => Promise<T>) => Promise<T>;
  key: SoftPasskey;
  ledger: () => { seq: number; kind: string; toPhase: string | null; data: Record<string, unknown> }[];
}> {
  // Entering SPEC asks a person for a high-risk change; the CI workflow makes this change high-risk.
  const repo = await makeRepo({ config: (c) => void (c['approvals'] = { enter: ['SPEC'], minRisk: 'high' }) });
  repo.write('.github/workflows/ci.yml', WORKFLOW);
  const run = <T>(fn: (engine: Engine) => Promise<T>) => withAgent(repo, (engine) => fn(engine));
  const key = await run(async (engine) => {
    must(await startTask(engine, AGENT, { taskId: 'T-1', title: 'Run the tests in CI' }), 'start');
    must(
      await putEvidence(engine, AGENT, {
        taskId: 'T-1',
        phase: 'STRATEGIZE',
        name: 'strategy.md',
        content: Buffer.from(P.STRATEGY),
      }),
      'put',
    );
    return registerSoft(engine, 'Dana Reviewer');
  });
  return { run, key, ledger: () => repo.ledger('T-1') };
}

describe('approvals answer what they were asked', () => {
  it('an approved tool call does not approve the risky move; the move is asked for and approved on its own', async () => {
    const { run, key, ledger } = await riskyTask();
    await run(async (engine) => {
      const asked = must(
        await requestApproval(engine, AGENT, {
          taskId: 'T-1',
          reason: 'needs the yaml package',
          tool: 'Bash',
          input: { command: 'npm install yaml' },
        }),
        'request',
      );
      assert.equal(asked.created, true);
      const approved = must(
        await decideSoft(engine, key, { taskId: 'T-1', decision: 'approve', note: 'yaml is fine' }),
        'approve the tool call',
      );
      assert.equal(approved.entry.data['answers'], asked.entry.seq, 'the decision names the request it answers');
      assert.equal(approved.entry.toPhase, null);

      const refused = await advance(engine, AGENT, { taskId: 'T-1' });
      assert.equal(refused.ok, false);
      assert.equal(
        refused.ok ? '' : refused.error.code,
        'APPROVAL_REQUIRED',
        'the approval of a tool call is not an approval of entering SPEC',
      );
      const policy = ledger()
        .filter((x) => x.kind === 'approval')
        .at(-1)!;
      assert.deepEqual(
        [policy.data['action'], policy.data['by'], policy.toPhase],
        ['requested', 'policy', 'SPEC'],
        "the move's own request waits for a person",
      );

      const again = must(
        await requestApproval(engine, AGENT, {
          taskId: 'T-1',
          reason: 'please',
          tool: 'Bash',
          input: { command: 'npm install yaml' },
        }),
        'ask while the move waits',
      );
      assert.deepEqual(
        [again.created, again.status, again.entry.seq],
        [false, 'requested', policy.seq],
        'one request waits at a time',
      );

      const moveApproved = must(
        await decideSoft(engine, key, { taskId: 'T-1', decision: 'approve', note: 'the workflow only runs the tests' }),
        'approve the move',
      );
      assert.deepEqual([moveApproved.entry.toPhase, moveApproved.entry.data['answers']], ['SPEC', policy.seq]);
      const moved = await advance(engine, AGENT, { taskId: 'T-1' });
      assert.equal(moved.ok, true, moved.ok ? '' : moved.error.message);
    });
  });

  it("an agent's request for the move, approved, lets it through, also after another question was asked and approved", async () => {
    const { run, key } = await riskyTask();
    await run(async (engine) => {
      must(
        await requestApproval(engine, AGENT, { taskId: 'T-1', reason: 'the workflow is new', to: 'spec' }),
        'ask for the move',
      );
      must(await decideSoft(engine, key, { taskId: 'T-1', decision: 'approve', note: 'go ahead' }), 'approve');
      const same = must(
        await requestApproval(engine, AGENT, { taskId: 'T-1', reason: 'asking again', to: 'SPEC' }),
        'ask the same again',
      );
      assert.deepEqual([same.created, same.status], [false, 'approved'], 'the same question gets the standing answer');
      const other = must(
        await requestApproval(engine, AGENT, {
          taskId: 'T-1',
          reason: 'and a package',
          tool: 'Bash',
          input: { command: 'npm install yaml' },
        }),
        'ask another',
      );
      assert.deepEqual(
        [other.created, other.status],
        [true, 'requested'],
        'a different question is not answered by that approval',
      );
      must(
        await decideSoft(engine, key, { taskId: 'T-1', decision: 'approve', note: 'fine too' }),
        'approve the package',
      );
      // The move's approval still stands beside the package's.
      const moved = await advance(engine, AGENT, { taskId: 'T-1' });
      assert.equal(moved.ok, true, moved.ok ? '' : moved.error.message);
    });
  });

  it('a person who approves with nothing asked lets the next risky move of the visit through', async () => {
    const { run, key } = await riskyTask();
    await run(async (engine) => {
      const approved = must(
        await decideSoft(engine, key, { taskId: 'T-1', decision: 'approve', note: 'reviewed the plan with the team' }),
        'approve',
      );
      assert.equal(approved.entry.data['answers'], undefined);
      const moved = await advance(engine, AGENT, { taskId: 'T-1' });
      assert.equal(moved.ok, true, moved.ok ? '' : moved.error.message);
    });
  });
});
