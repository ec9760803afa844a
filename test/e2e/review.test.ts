/**
 * E2E: REVIEW is not self-review, through a real MCP client over stdio and through the CLI. The fixture's hand
 * (`fixture`) works IMPLEMENT; a rubric it writes itself, or a reviewer session under the same hand, or a second hand
 * without the reviewer role, or a rubric changed on disk after the reviewer recorded it, keeps the task in REVIEW
 * (EVIDENCE_INVALID); a reviewer session with a hand of its own passes it. A reviewer writes nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertSameFiles, assertViolation, makeRepo, P, sourceFile, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';
import { requestApproval } from '../../src/engine/approvals/request.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import type { Actor } from '../../src/engine/context.ts';

interface Finding {
  file: string;
  rule: string;
  problem: string;
  fix: string;
}

const RUBRIC_PATH = (taskId: string) => `evidence/${taskId}/review/review_rubric.json`;

/** The review finding of a refusal to leave REVIEW: the one finding, on the rubric. */
function reviewFinding(details: Record<string, unknown>, taskId: string): Finding {
  const findings = details['findings'] as Finding[];
  assert.equal(findings.length, 1, JSON.stringify(findings));
  assert.equal(findings[0]!.file, RUBRIC_PATH(taskId));
  return findings[0]!;
}

/** The evidence entries that recorded the rubric: [holder, role]. */
function rubricWriters(repo: Repo, taskId: string): [unknown, unknown][] {
  return repo
    .ledger(taskId)
    .filter((e) => e.kind === 'evidence' && e.data['name'] === 'review_rubric.json')
    .map((e) => [e.data['holder'], e.data['role'] ?? null]);
}

const sessions: McpSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

async function connect(repo: Repo, name: string, args: string[]): Promise<McpSession> {
  const s = await connectStdio(repo.dir, name, { args });
  sessions.push(s);
  return s;
}

describe('REVIEW is not self-review', { concurrency: true }, () => {
  it('over MCP: the implementer cannot pass its own review; a reviewer session with a hand of its own can, and writes nothing else', async () => {
    const repo = await makeRepo({ urgent: true });
    const taskId = 'R-1';
    await repo.driveTo(taskId, 'REVIEW');
    const agent = await connect(repo, 'e2e-agent', ['--holder', 'fixture']);
    const rubric = { taskId, phase: 'REVIEW', name: 'review_rubric.json', content: P.RUBRIC };

    // The hand that worked IMPLEMENT writes the rubric: stored, but REVIEW does not pass on it.
    await callOk(agent.client, 'evidence_put', rubric);
    // evidence_check says so before the move does.
    const checked = await callOk<{ passed: boolean; findings: Finding[] }>(agent.client, 'evidence_check', { taskId });
    assert.equal(checked.passed, false);
    assert.ok(checked.findings.some((x) => x.rule === 'self-review' && x.file === RUBRIC_PATH(taskId)));
    const own = await callRefused(agent.client, 'phase_advance', { taskId }, 'EVIDENCE_INVALID');
    const self = reviewFinding(own.details, taskId);
    assert.equal(self.rule, 'self-review');
    assert.match(self.problem, /written by fixture .*also worked IMPLEMENT/);
    assert.match(own.message, /autopilot mcp --holder reviewer-1 --role reviewer/);
    assert.match(own.message, /person review the task in the dashboard/);
    assertViolation(repo, taskId, 'EVIDENCE_INVALID', 0);

    // The reviewer role does not make the implementer's own hand a reviewer.
    const sameHand = await connect(repo, 'e2e-same-hand', ['--holder', 'fixture', '--role', 'reviewer']);
    await callOk(sameHand.client, 'evidence_put', rubric);
    const again = await callRefused(agent.client, 'phase_advance', { taskId }, 'EVIDENCE_INVALID');
    assert.equal(reviewFinding(again.details, taskId).rule, 'self-review');

    // A second working agent cannot even write while the implementer holds the task (the CLI test covers its rubric).
    const other = await connect(repo, 'e2e-other', ['--holder', 'agent-b']);
    const lease = await callRefused(other.client, 'evidence_put', rubric, 'LEASE_HELD');
    assert.equal(lease.details['holder'], 'fixture');

    // The reviewer: its own hand and the reviewer role; it sees only the tools of a review.
    const reviewer = await connect(repo, 'e2e-reviewer', ['--holder', 'reviewer-1', '--role', 'reviewer']);
    const tools = (await reviewer.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(tools, [
      'evidence_check',
      'evidence_put',
      'ledger_verify',
      'prompt_get',
      'review_get',
      'task_status',
    ]);
    const packet = await callOk<{
      review: { by: string; phase: string; artifact: string; of: string };
      implementers: string[];
      you: string;
      artifacts: { phase: string; name: string; hand: string; text: string | null; matchesLedger: boolean }[];
    }>(reviewer.client, 'review_get', { taskId });
    assert.deepEqual(packet.review, { by: 'either', phase: 'REVIEW', artifact: 'review_rubric.json', of: 'IMPLEMENT' });
    assert.ok(packet.implementers.includes('fixture'), packet.implementers.join(', '));
    assert.equal(packet.you, 'reviewer-1');
    const byName = new Map(packet.artifacts.map((a) => [a.name, a]));
    assert.match(byName.get('git_diff.patch')?.text ?? '', /src\/count\.js/);
    assert.equal(byName.get('spec.md')?.text, P.SPEC);
    assert.ok(byName.get('test_results.json')?.text?.includes('"failed": 0'));
    assert.ok(packet.artifacts.every((a) => a.matchesLedger));
    assert.equal(byName.get('review_rubric.json')?.hand, 'fixture');

    // It may write the rubric and nothing else: another file, another phase's move, are refused and recorded.
    const before = repo.head()!.seq;
    const notes = await callRefused(
      reviewer.client,
      'evidence_put',
      { taskId, phase: 'REVIEW', name: 'notes.md', content: 'looks fine to me overall' },
      'TOOL_NOT_ALLOWED_FOR_PERSONA',
    );
    assert.deepEqual(notes.details['allowed'], { phase: 'REVIEW', name: 'review_rubric.json' });
    assert.match(notes.message, /Next: this session is a reviewer/);
    assertViolation(repo, taskId, 'TOOL_NOT_ALLOWED_FOR_PERSONA', before);
    await callRefused(
      reviewer.client,
      'evidence_put',
      { taskId, phase: 'IMPLEMENT', name: 'git_diff.patch', content: 'diff' },
      'TOOL_NOT_ALLOWED_FOR_PERSONA',
    );
    await assert.rejects(
      reviewer.client.callTool({ name: 'phase_advance', arguments: { taskId } }),
      /Tool phase_advance not found/,
      'a reviewer session has no phase_advance',
    );

    await callOk(reviewer.client, 'evidence_put', rubric);
    // The file changed on disk after the reviewer recorded it is not the reviewer's.
    writeFileSync(join(repo.stateDir, RUBRIC_PATH(taskId)), P.RUBRIC.replace('"pass": true', '"pass": true '));
    const changed = await callRefused(agent.client, 'phase_advance', { taskId }, 'EVIDENCE_INVALID');
    const f = reviewFinding(changed.details, taskId);
    assert.equal(f.rule, 'review-writer');
    assert.match(f.problem, /changed outside evidence_put/);

    await callOk(reviewer.client, 'evidence_put', rubric);
    const moved = await callOk<{ from: string; to: string }>(agent.client, 'phase_advance', { taskId });
    assert.deepEqual([moved.from, moved.to], ['REVIEW', 'PR']);
    assert.deepEqual(rubricWriters(repo, taskId), [
      ['fixture', null],
      ['fixture', 'reviewer'],
      ['reviewer-1', 'reviewer'],
      ['reviewer-1', 'reviewer'],
    ]);
    const verified = await repo.ok<{ problems: unknown[] }>(['ledger', 'verify']);
    assert.deepEqual(verified.problems, []);
  });

  it('through the CLI: --role reviewer (or AUTOPILOT_ROLE) writes the rubric and nothing else; the implementer cannot review itself', async () => {
    const repo = await makeRepo({ urgent: true });
    const taskId = 'R-2';
    await repo.driveTo(taskId, 'REVIEW');
    const rubric = sourceFile('review_rubric.json', P.RUBRIC);
    const asAgent = ['--holder', 'fixture'];

    await repo.ok([...asAgent, 'evidence', 'add', taskId, 'REVIEW', rubric]);
    const own = await repo.refused([...asAgent, 'advance', taskId], 'EVIDENCE_INVALID', 2);
    assert.equal(reviewFinding(own.details, taskId).rule, 'self-review');

    // Another working agent, not a reviewer: the rule wants a reviewer (or a person). It takes the task's lease first.
    await repo.ok([...asAgent, 'lease', 'release', taskId]);
    await repo.ok(['--holder', 'agent-b', 'evidence', 'add', taskId, 'REVIEW', rubric]);
    const unrolled = await repo.refused(['--holder', 'agent-b', 'advance', taskId], 'EVIDENCE_INVALID', 2);
    const role = reviewFinding(unrolled.details, taskId);
    assert.equal(role.rule, 'review-role');
    assert.match(role.problem, /written by agent-b .*without the reviewer role; review\.by is either/);
    await repo.ok(['--holder', 'agent-b', 'lease', 'release', taskId]);

    const reviewer = ['--holder', 'reviewer-1', '--role', 'reviewer'];
    const head = repo.head()!.seq;
    await repo.refusedUnchanged([...reviewer, 'advance', taskId], 'TOOL_NOT_ALLOWED_FOR_PERSONA', 2, {
      taskId,
      violation: true,
    });
    await repo.refusedUnchanged(
      [...reviewer, 'evidence', 'add', taskId, 'REVIEW', sourceFile('notes.md', 'fine by me, all of it')],
      'TOOL_NOT_ALLOWED_FOR_PERSONA',
      2,
      { taskId, violation: true },
    );
    // Every other write, move, lease or verify is refused, and recorded in the ledger like any refusal, and counted.
    const before = await repo.ok<{ counters: Record<string, number>; refusals: Record<string, number> }>(['metrics']);
    for (const [action, args] of [
      ['backtrack', ['backtrack', taskId, '--to', 'IMPLEMENT', '--reason', 'the reviewer wants to rewrite it']],
      ['lease_acquire', ['lease', 'acquire', taskId]],
      ['verify', ['verify', taskId]],
      ['task_rename', ['task', 'rename', taskId, '--title', 'What the reviewer would call it']],
      ['task_start', ['task', 'start', taskId, '--title', 'again']],
    ] as const) {
      const seq = repo.head()!.seq;
      const err = await repo.refusedUnchanged([...reviewer, ...args], 'TOOL_NOT_ALLOWED_FOR_PERSONA', 2, {
        taskId,
        violation: true,
      });
      assert.match(err.message, /a reviewer session may not/);
      const recorded = assertViolation(repo, taskId, 'TOOL_NOT_ALLOWED_FOR_PERSONA', seq);
      assert.deepEqual([recorded.data['action'], recorded.fromPhase], [action, 'REVIEW']);
      assert.equal(err.details['seq'], recorded.seq, 'the refusal names its ledger entry');
    }
    // The approval request is an MCP tool a reviewer session does not have; the engine refuses and records it as well.
    const asked = repo.head()!.seq;
    const request = await repo.withEngine((engine) =>
      requestApproval(
        engine,
        { id: 'mcp:reviewer', holder: 'reviewer-1', role: 'reviewer' },
        { taskId, reason: 'ship' },
      ),
    );
    assert.equal(request.ok ? '' : request.error.code, 'TOOL_NOT_ALLOWED_FOR_PERSONA');
    assert.equal(
      assertViolation(repo, taskId, 'TOOL_NOT_ALLOWED_FOR_PERSONA', asked).data['action'],
      'approval_request',
    );
    assert.ok(repo.head()!.seq > head);
    const after = await repo.ok<{ counters: Record<string, number>; refusals: Record<string, number> }>(['metrics']);
    assert.equal(
      (after.refusals['TOOL_NOT_ALLOWED_FOR_PERSONA'] ?? 0) - (before.refusals['TOOL_NOT_ALLOWED_FOR_PERSONA'] ?? 0),
      6,
    );
    assert.equal((after.counters['tool_calls_blocked'] ?? 0) - (before.counters['tool_calls_blocked'] ?? 0), 6);
    // A task the reviewer names that does not exist has nothing to record the refusal against.
    const none = repo.head()!.seq;
    await repo.refused([...reviewer, 'task', 'start', 'R-9'], 'TOOL_NOT_ALLOWED_FOR_PERSONA', 2);
    assert.equal(repo.head()!.seq, none);
    const bad = await repo.refused(['--role', 'boss', 'task', 'list'], 'USAGE', 1);
    assert.match(bad.message, /--role must be reviewer/);
    // Nobody passes for a person on the command line or over MCP: a person's rubric needs their passkey.
    const files = repo.snapshot();
    for (const [args, env] of [
      [['--holder', 'agent-c', '--role', 'person', 'evidence', 'add', taskId, 'REVIEW', rubric], {}],
      [['--holder', 'agent-c', 'evidence', 'add', taskId, 'REVIEW', rubric], { AUTOPILOT_ROLE: 'person' }],
      [['--role', 'person', 'mcp'], {}],
    ] as const) {
      const err = await repo.refused(args, 'USAGE', 1, { env });
      assert.match(err.message, /cannot be person: a person's review is written in the dashboard/);
    }
    // Nor in-process: the engine's evidence write refuses a role it does not hand out, and writes nothing.
    const forged = await repo.withEngine((engine) =>
      putEvidence(engine, { id: 'agent-c', holder: 'agent-c', role: 'person' } as unknown as Actor, {
        taskId,
        phase: 'REVIEW',
        name: 'review_rubric.json',
        content: Buffer.from(P.RUBRIC),
      }),
    );
    assert.equal(forged.ok ? '' : forged.error.code, 'TOOL_NOT_ALLOWED_FOR_PERSONA');
    assert.ok(
      repo.ledger(taskId).every((x) => x.data['role'] !== 'person'),
      'no entry of the task is in the role of a person',
    );
    assertSameFiles(files, repo.snapshot(), 'the repository after the attempts to write as a person');

    // AUTOPILOT_ROLE does what --role does.
    await repo.ok(['evidence', 'add', taskId, 'REVIEW', rubric], {
      env: { AUTOPILOT_HOLDER: 'reviewer-1', AUTOPILOT_ROLE: 'reviewer' },
    });
    const moved = await repo.ok<{ from: string; to: string }>([...asAgent, 'advance', taskId]);
    assert.deepEqual([moved.from, moved.to], ['REVIEW', 'PR']);
    assert.deepEqual(rubricWriters(repo, taskId), [
      ['fixture', null],
      ['agent-b', null],
      ['reviewer-1', 'reviewer'],
    ]);
    const verified = await repo.ok<{ problems: unknown[] }>(['ledger', 'verify']);
    assert.deepEqual(verified.problems, []);
  });

  it('review.by in the config: an unknown value or phase is CONFIG_INVALID naming the key; person and agent load', async () => {
    const repo = await makeRepo();
    const original = readFileSync(repo.configFile, 'utf8');
    for (const [review, key] of [
      [{ by: 'robots' }, 'review.by'],
      [{ phase: 'AUDIT' }, 'review.phase'],
      [{ of: 'PR' }, 'review.of'],
    ] as const) {
      repo.editConfig((c) => void (c['review'] = review));
      const err = await repo.refused(['task', 'list'], 'CONFIG_INVALID', 1);
      assert.equal(err.details['key'], key, JSON.stringify(review));
      writeFileSync(repo.configFile, original);
    }
    repo.editConfig((c) => void (c['review'] = { by: 'agent' }));
    await repo.ok(['task', 'list']);
    repo.editConfig((c) => void (c['review'] = { by: 'person' }));
    await repo.ok(['task', 'list']);
  });
});
