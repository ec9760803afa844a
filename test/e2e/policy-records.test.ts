/**
 * E2E: every policy decision carries the policy ids and the set's digest, in the ledger and on the span, through the
 * real binary and Claude Code's hook: a denial (tool_blocked, tool.guard), an observe-mode decision (policy_observed
 * with the observed and the enforced decision, the span's observed ids) and a move (the transition entry and the
 * agent.state.transition span name the policy set the move was decided under).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evidenceFor } from '../helpers/evidence.ts';
import { makeRepo, parseOne, run, type Repo } from './helpers.ts';

const NO_PUSH = `@id("no-push")
@reason("pushes go through the outbox")
forbid (principal, action, resource is Autopilot::ToolCall)
when { resource.capabilities.contains("vcs:push") && principal.kind == "agent" };
`;

interface Span {
  name: string;
  attributes: Record<string, unknown>;
}

function spans(repo: Repo): Span[] {
  return readFileSync(join(repo.stateDir, 'telemetry', 'traces.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Span);
}

function push(repo: Repo) {
  return run(['hook', 'claude', 'PreToolUse'], {
    cwd: repo.dir,
    input: JSON.stringify({
      session_id: 'sess-r',
      transcript_path: '/tmp/t.jsonl',
      cwd: repo.dir,
      permission_mode: 'default',
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'git push origin main' },
      tool_use_id: 'toolu_r',
    }),
    env: { AUTOPILOT_HOOK_DAEMON: '0', CLAUDE_PROJECT_DIR: undefined },
  });
}

async function digestOf(repo: Repo): Promise<string> {
  const e = await repo.ok<{ digest: string }>(['policy', 'explain', '--phase', 'PR', '--tool', 'Read']);
  return e.digest;
}

describe('policy decisions on the record', { concurrency: true }, () => {
  it('a denial: tool_blocked and the tool.guard span carry the ids, the verdict and the digest', async () => {
    const repo = await makeRepo();
    repo.write('.autopilot/policies/main.cedar', NO_PUSH);
    await repo.driveTo('T-1', 'PR');
    const digest = await digestOf(repo);
    const head = repo.head()!.seq;
    const r = await push(repo);
    assert.equal(
      parseOne<{ hookSpecificOutput: { permissionDecision: string } }>(r).hookSpecificOutput.permissionDecision,
      'deny',
    );
    const [entry] = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.deepEqual(
      [entry?.kind, entry?.data['policyIds'], entry?.data['policyVerdict'], entry?.data['policyDigest']],
      ['tool_blocked', ['no-push'], 'deny', digest],
    );
    const span = spans(repo).find(
      (s) => s.name === 'tool.guard' && s.attributes['autopilot.ledger.seq'] === entry!.seq,
    );
    assert.ok(span, 'the denial has its span');
    assert.deepEqual(
      [
        span.attributes['autopilot.policy.ids'],
        span.attributes['autopilot.policy.verdict'],
        span.attributes['autopilot.policy.digest'],
      ],
      ['no-push', 'deny', digest],
    );
  });

  it('an observed decision: the entry holds what would have decided and what did; the span the observed ids', async () => {
    const repo = await makeRepo({ config: (c) => void (c['policies'] = { mode: 'observe' }) });
    repo.write('.autopilot/policies/main.cedar', NO_PUSH);
    await repo.driveTo('T-1', 'PR');
    const digest = await digestOf(repo);
    const head = repo.head()!.seq;
    await push(repo);
    const [entry] = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.equal(entry?.kind, 'policy_observed');
    assert.deepEqual(
      [entry?.data['policyIds'], entry?.data['policyVerdict'], entry?.data['policyDigest'], entry?.data['enforced']],
      [['no-push'], 'deny', digest, { policyIds: ['tools.call.PR'], policyVerdict: 'allow' }],
    );
    const span = spans(repo).find(
      (s) => s.name === 'tool.guard' && s.attributes['autopilot.policy.observed'] === 'deny',
    );
    assert.ok(span, 'the observed decision has its span');
    assert.deepEqual(
      [
        span.attributes['autopilot.policy.ids'],
        span.attributes['autopilot.policy.verdict'],
        span.attributes['autopilot.policy.observed_ids'],
        span.attributes['autopilot.policy.digest'],
      ],
      ['tools.call.PR', 'allow', 'no-push', digest],
    );
  });

  it('a move: the transition entry and its span name the policy set it was decided under', async () => {
    const repo = await makeRepo();
    repo.write('.autopilot/policies/main.cedar', NO_PUSH);
    await repo.driveTo('T-1', 'SPEC');
    const digest = await digestOf(repo);
    for (const [name, content] of evidenceFor(0)['SPEC'] ?? []) await repo.put('T-1', 'SPEC', name, content);
    await repo.ok(['advance', 'T-1']);
    const move = repo.ledger('T-1').findLast((e) => e.kind === 'transition');
    assert.deepEqual([move?.fromPhase, move?.toPhase, move?.data['policyDigest']], ['SPEC', 'PLAN', digest]);
    const span = spans(repo).find(
      (s) => s.name === 'agent.state.transition' && s.attributes['autopilot.ledger.seq'] === move!.seq,
    );
    assert.equal(span?.attributes['autopilot.policy.digest'], digest);
    // Another policy set is another digest: the record tells which set decided.
    repo.write('.autopilot/policies/main.cedar', NO_PUSH.replace('"agent"', '"ci"'));
    assert.notEqual(await digestOf(repo), digest);
  });
});
