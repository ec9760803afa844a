/**
 * E2E: an agent drives one task through all nine phases with the official MCP
 * client over real stdio (`autopilot mcp` spawned in a throw-away repository):
 * evidence, the gates, a failing VERIFY run, a backtrack, the fixed run, the
 * finish, and the ledger that records it under the session's actor.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { makeRepo, P, PHASES } from './helpers.ts';
import { callOk, callRefused, connectStdio, exited, type McpSession } from './mcp-helpers.ts';

interface Task {
  taskId: string;
  status: string;
  phase: string;
  visit: number;
  counts: { refusals: number; backtracks: number; skips: number };
}
interface Moved {
  from: string;
  to: string | null;
  done: boolean;
  seq: number;
  task: Task;
}

let session: McpSession | undefined;
let reviewer: McpSession | undefined;
after(async () => {
  await session?.close();
  await reviewer?.close();
});

it('takes a task from task_start to done through every phase, over stdio', async () => {
  const repo = await makeRepo({ urgent: true });
  session = await connectStdio(repo.dir, 'e2e-agent');
  const { client } = session;
  const taskId = 'T-1';
  const actor = `mcp:e2e-agent:${session.pid}`;
  const put = (phase: string, name: string, content: string) =>
    callOk<{ findings: unknown[]; path: string }>(client, 'evidence_put', { taskId, phase, name, content });
  const advance = (args: Record<string, unknown> = {}) => callOk<Moved>(client, 'phase_advance', { taskId, ...args });

  const started = await callOk<{ task: Task; evidence: string[] }>(client, 'task_start', {
    taskId,
    title: 'Add wordCount to textkit',
  });
  assert.deepEqual(
    [started.task.phase, started.task.status, started.evidence],
    ['STRATEGIZE', 'active', ['strategy.md']],
  );

  // The instructions stay the same text while the task's counters move.
  const prompt = await callOk<{ prompt: string; promptSha256: string; current: boolean; task: Task }>(
    client,
    'prompt_get',
    { taskId },
  );
  assert.match(prompt.prompt, /^# Autopilot: STRATEGIZE/);
  assert.equal(prompt.current, true);
  await callRefused(client, 'phase_advance', { taskId }, 'EVIDENCE_MISSING');
  const again = await callOk<typeof prompt>(client, 'prompt_get', { taskId });
  assert.equal(again.prompt, prompt.prompt);
  assert.equal(again.promptSha256, prompt.promptSha256);
  assert.equal(again.task.counts.refusals, prompt.task.counts.refusals + 1);

  assert.deepEqual((await put('STRATEGIZE', 'strategy.md', P.STRATEGY)).findings, []);
  const check = await callOk<{ passed: boolean; findings: unknown[] }>(client, 'evidence_check', { taskId });
  assert.deepEqual([check.passed, check.findings], [true, []]);
  let moved = await advance({ summary: 'strategy agreed' });
  assert.deepEqual([moved.from, moved.to, moved.done], ['STRATEGIZE', 'SPEC', false]);

  await put('SPEC', 'spec.md', P.SPEC);
  assert.equal((await advance({ to: 'plan' })).to, 'PLAN');
  await put('PLAN', 'plan.md', P.PLAN);
  await put('PLAN', 'file_map.json', P.FILE_MAP);
  assert.equal((await advance()).to, 'THINK');
  await put('THINK', 'edge_cases.md', P.EDGE_CASES);
  assert.equal((await advance()).to, 'IMPLEMENT');

  const own = await callRefused(
    client,
    'evidence_put',
    { taskId, phase: 'IMPLEMENT', name: 'git_diff.patch', content: 'diff --git a/x b/x\n' },
    'EVIDENCE_PROTECTED',
  );
  assert.equal(own.details['producer'], 'autopilot');

  // The agent writes the code itself; Autopilot takes the diff from git.
  repo.write('src/count.js', P.COUNT_BUGGY);
  repo.write('test/count.test.js', P.COUNT_TEST);
  moved = await advance();
  assert.equal(moved.to, 'VERIFY');
  assert.ok(existsSync(join(repo.phaseDir(taskId, 'IMPLEMENT'), 'git_diff.patch')));

  const failed = await callRefused(client, 'verify_run', { taskId }, 'VERIFY_FAILED');
  assert.match(failed.message, /Next: call phase_backtrack to IMPLEMENT/);
  assert.ok(Array.isArray(failed.details['findings']) && (failed.details['findings'] as unknown[]).length > 0);

  const back = await callOk<{ from: string; to: string; archived: { from: string; to: string }[]; task: Task }>(
    client,
    'phase_backtrack',
    {
      taskId,
      to: 'IMPLEMENT',
      reason: 'wordCount counts an empty word for leading white space',
    },
  );
  assert.deepEqual([back.from, back.to, back.task.counts.backtracks, back.task.visit], ['VERIFY', 'IMPLEMENT', 1, 2]);
  assert.ok(back.archived.some((a) => a.from.endsWith('implement/git_diff.patch') && a.to.includes('/.stale/1/')));

  repo.write('src/count.js', P.COUNT_FIXED);
  assert.equal((await advance()).to, 'VERIFY');
  // A client that asks for progress hears of each command as it starts and ends.
  const progress: { progress: number; message?: string }[] = [];
  const verified = await callOk<{
    passed: boolean;
    tests: { total: number; passed: number; failed: number };
    coverage: { percent: number };
  }>(client, 'verify_run', { taskId }, (p) => progress.push(p));
  assert.equal(verified.passed, true);
  const messages = progress.map((p) => p.message ?? '');
  assert.ok(
    messages.some((m) => /^running node scripts\/build\.js$/.test(m)),
    messages.join(' | '),
  );
  assert.ok(
    messages.some((m) => /^running node --test /.test(m)),
    messages.join(' | '),
  );
  assert.ok(
    messages.some((m) => /^node --test .*: exit 0 after [\d.]+ s$/.test(m)),
    messages.join(' | '),
  );
  assert.deepEqual(
    progress.map((p) => p.progress),
    progress.map((_, i) => i + 1),
    'progress only grows',
  );
  assert.ok(verified.tests.total > 0);
  assert.equal(verified.tests.failed, 0);
  assert.ok(verified.coverage.percent >= 80);

  assert.equal((await advance()).to, 'REVIEW');
  // REVIEW is not self-review: a second session, in the reviewer role, writes the rubric.
  reviewer = await connectStdio(repo.dir, 'e2e-reviewer', { args: ['--holder', 'reviewer-1', '--role', 'reviewer'] });
  await callOk(reviewer.client, 'evidence_put', {
    taskId,
    phase: 'REVIEW',
    name: 'review_rubric.json',
    content: P.RUBRIC,
  });
  assert.equal((await advance()).to, 'PR');
  await put('PR', 'pr_template_filled.md', P.PR_TEMPLATE);
  await put('PR', 'pr_url.txt', 'https://git.example.com/textkit/pull/1\n');
  assert.equal((await advance()).to, 'MONITOR');
  moved = await advance();
  assert.deepEqual([moved.from, moved.to, moved.done, moved.task.status], ['MONITOR', null, true, 'done']);

  const status = await callOk<{ task: Task; nextPhase: string | null; lease: unknown }>(client, 'task_status', {
    taskId,
  });
  assert.deepEqual([status.task.status, status.nextPhase], ['done', null]);
  await callRefused(
    client,
    'evidence_put',
    { taskId, phase: 'MONITOR', name: 'notes.md', content: 'late' },
    'TASK_DONE',
  );
  await callRefused(client, 'phase_advance', { taskId }, 'TASK_DONE');

  const ledger = await callOk<{ ok: boolean; tasks: number; entries: number; problems: unknown[] }>(
    client,
    'ledger_verify',
  );
  assert.deepEqual([ledger.ok, ledger.tasks, ledger.problems], [true, 1, []]);

  // The ledger, read from the file: every phase entered in order, once more after the backtrack, all by this session.
  const rows = repo.ledger(taskId);
  const entered = rows
    .filter((r) => r.kind === 'transition' || r.kind === 'task_started' || r.kind === 'backtrack')
    .map((r) => r.toPhase ?? 'DONE');
  assert.deepEqual(entered, [...PHASES.slice(0, 6), 'IMPLEMENT', 'VERIFY', ...PHASES.slice(6), 'DONE']);
  assert.ok(rows.some((r) => r.kind === 'verify' && r.data['passed'] === false));
  assert.ok(rows.some((r) => r.kind === 'lease' && r.data['holder'] === actor));
  const reviewerActor = `mcp:e2e-reviewer:${reviewer.pid}`;
  assert.deepEqual(
    rows
      .filter((r) => r.actor === reviewerActor)
      .map((r) => [r.kind, r.data['name'], r.data['holder'], r.data['role']]),
    [['evidence', 'review_rubric.json', 'reviewer-1', 'reviewer']],
  );
  assert.deepEqual(
    [...new Set(rows.filter((r) => r.kind !== 'attestation' && r.actor !== reviewerActor).map((r) => r.actor))],
    [actor],
  );
  assert.equal(ledger.entries, repo.head()?.seq);

  // Nothing but protocol messages reached stdout, and the server ends when the client goes.
  assert.deepEqual(session.errors, []);
  const pid = session.pid;
  await session.close();
  session = undefined;
  assert.equal(await exited(pid), true, 'the server exits when its client closes stdin');
});
