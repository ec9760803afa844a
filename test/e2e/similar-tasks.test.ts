/**
 * @module The quality graph end to end: finished tasks with their own evidence and troubles in a real repository,
 * then `task similar` through the CLI, `similar_tasks` and `prompt_get`'s hints through a real MCP client over stdio,
 * and the hints' config left out of the task's contract.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { advance } from '../../src/engine/task/advance.ts';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { startTask } from '../../src/engine/task/start.ts';
import type { Actor, Engine } from '../../src/engine/context.ts';
import { makeRepo, parseOne, run, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio } from './mcp-helpers.ts';

function strategy(s: Record<'problem' | 'objectives' | 'scope' | 'nonGoals' | 'risks' | 'strategy', string>): string {
  return `# Strategy

## Problem
${s.problem}

## Objectives
${s.objectives}

## Scope
${s.scope}

## Non-goals
${s.nonGoals}

## Risks
${s.risks}

## Strategy
${s.strategy}
`;
}

const LOGIN = strategy({
  problem:
    'Attackers guess passwords against the login endpoint thousands of times a minute, and nothing slows them down.',
  objectives: '- Limit failed login attempts per account and per client address.\n- Answer 429 with Retry-After.',
  scope: 'The login handler in src/auth/login.ts and a small counter store for attempts kept in memory.',
  nonGoals: 'Captchas, multi-factor prompts and changes to how sessions are issued after a successful login.',
  risks: 'A shared office address could lock out honest colleagues when one of them mistypes a password repeatedly.',
  strategy: 'Count failures in a sliding window keyed by account and address, and refuse further login attempts early.',
});

const LOGIN_AGAIN = LOGIN.replace(
  'refuse further login attempts early.',
  'refuse further login attempts early; lock an account after ten failures until its owner resets the password.',
);

const CSV = strategy({
  problem:
    'Finance copies the monthly revenue report by hand into spreadsheets because the reports page cannot export it.',
  objectives: '- A download button producing comma separated values.\n- Columns matching the table on screen.',
  scope: 'The reports page controller in src/reports/export.ts and a serializer for quoted spreadsheet cells.',
  nonGoals: 'Excel workbooks, scheduled e-mail delivery of reports, and charts inside the exported download.',
  risks: 'Cells starting with an equals sign become formulas in spreadsheet programs, a known injection vector.',
  strategy: 'Stream rows through a serializer that quotes every cell and prefixes formula characters with a quote.',
});

const RESET = strategy({
  problem:
    'The password reset endpoint sends e-mails for every request, so attackers flood inboxes and guess reset tokens.',
  objectives: '- At most three reset mails an hour for one account.\n- Tell throttled callers when they may retry.',
  scope: 'The reset handler in src/auth/reset.ts, reusing the attempt counters the login endpoint keeps.',
  nonGoals: 'Changing the e-mail templates or the lifetime of the reset tokens that the messages carry.',
  risks: 'Legitimate owners who lost access may be refused when an attacker spends their allowance first.',
  strategy: 'Apply the sliding window of failed attempts to reset requests, keyed by account and address alike.',
});

interface Similar {
  compared: number;
  similar: {
    taskId: string;
    title: string;
    score: number;
    sharedTerms: string[];
    outcome: { status: string; refusals: { code: string; count: number }[]; backtracks: { reason: string }[] };
    lessons: string[];
  }[];
}

describe('similar past tasks (the quality graph)', () => {
  let repo: Repo;

  before(async () => {
    repo = await makeRepo();
    const put = (engine: Engine, actor: Actor, taskId: string, content: string) =>
      putEvidence(engine, actor, { taskId, phase: 'STRATEGIZE', name: 'strategy.md', content: Buffer.from(content) });
    // Login: went back once, was refused for missing evidence, and was aborted.
    await repo.fixture('T-LOGIN', async (engine, actor) => {
      assert.ok((await startTask(engine, actor, { taskId: 'T-LOGIN', title: 'Rate-limit the login endpoint' })).ok);
      assert.ok((await put(engine, actor, 'T-LOGIN', LOGIN)).ok);
      assert.ok((await advance(engine, actor, { taskId: 'T-LOGIN' })).ok);
      const back = await backtrack(engine, actor, {
        taskId: 'T-LOGIN',
        to: 'STRATEGIZE',
        reason: 'the strategy forgot to lock accounts after repeated password guesses',
      });
      assert.ok(back.ok, JSON.stringify(back));
      assert.equal((await advance(engine, actor, { taskId: 'T-LOGIN' })).ok, false);
      assert.ok((await put(engine, actor, 'T-LOGIN', LOGIN_AGAIN)).ok);
    });
    // CSV export: went through its first phase cleanly, then was dropped.
    await repo.fixture('T-CSV', async (engine, actor) => {
      assert.ok((await startTask(engine, actor, { taskId: 'T-CSV', title: 'Export the monthly report as CSV' })).ok);
      assert.ok((await put(engine, actor, 'T-CSV', CSV)).ok);
      assert.ok((await advance(engine, actor, { taskId: 'T-CSV' })).ok);
    });
    // The new task, still in STRATEGIZE.
    await repo.fixture('T-RESET', async (engine, actor) => {
      const title = 'Rate-limit the password reset endpoint';
      assert.ok((await startTask(engine, actor, { taskId: 'T-RESET', title })).ok);
      assert.ok((await put(engine, actor, 'T-RESET', RESET)).ok);
    });
    for (const taskId of ['T-LOGIN', 'T-CSV'])
      assert.ok((await repo.decide({ taskId, decision: 'abort', note: 'not this quarter' })).ok);
  });

  it('ranks the finished tasks by likeness and tells what went wrong, through the CLI', async () => {
    const body = await repo.ok<Similar>(['task', 'similar', 'T-RESET']);
    assert.equal(body.compared, 2, 'the two finished tasks; the active one is not compared');
    const [first, second] = body.similar;
    assert.equal(first?.taskId, 'T-LOGIN');
    assert.ok(!second || second.score < first.score);
    assert.deepEqual(first.outcome.refusals, [{ code: 'EVIDENCE_MISSING', count: 1 }]);
    assert.match(first.outcome.backtracks[0]?.reason ?? '', /lock accounts/);
    assert.equal(first.outcome.status, 'aborted');
    assert.ok(first.sharedTerms.includes('attempts') || first.sharedTerms.includes('rate'), first.sharedTerms.join());
    assert.ok(first.lessons.some((l) => /went back from SPEC to STRATEGIZE: the strategy forgot/.test(l)));
    assert.ok(first.lessons.includes('it was aborted'));

    const text = await repo.run(['task', 'similar', 'T-RESET']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /T-LOGIN "Rate-limit the login endpoint" \(similarity 0\.\d+, aborted\)/);
    assert.match(text.stdout, /refused: EVIDENCE_MISSING ×1/);

    const csv = await repo.ok<Similar>(['task', 'similar', '--title', 'spreadsheet export of the revenue report']);
    assert.equal(csv.similar[0]?.taskId, 'T-CSV');
    const none = await repo.ok<Similar>(['task', 'similar', '--title', 'kubernetes helm chart upgrade']);
    assert.deepEqual(none.similar, []);
  });

  it('refuses what it cannot answer, with a code', async () => {
    await repo.refused(['task', 'similar'], 'USAGE', 1);
    await repo.refused(['task', 'similar', 'T-RESET', '--min-score', '2'], 'USAGE', 1);
    await repo.refused(['task', 'similar', 'T-NONE'], 'TASK_UNKNOWN', 1);
  });

  it('answers MCP similar_tasks and adds the hint to prompt_get in the phases that hear it', async () => {
    const mcp = await connectStdio(repo.dir);
    try {
      const r = await callOk<Similar>(mcp.client, 'similar_tasks', { taskId: 'T-RESET', limit: 1 });
      assert.deepEqual(
        r.similar.map((s) => s.taskId),
        ['T-LOGIN'],
      );
      const byText = await callOk<Similar>(mcp.client, 'similar_tasks', {
        title: 'CSV download',
        files: ['src/reports/export.ts'],
      });
      assert.equal(byText.similar[0]?.taskId, 'T-CSV');
      await callRefused(mcp.client, 'similar_tasks', {}, 'USAGE');
      await callRefused(mcp.client, 'similar_tasks', { taskId: 'T-NONE' }, 'TASK_UNKNOWN');

      const prompt = await callOk<{ hints: string[]; prompt: string }>(mcp.client, 'prompt_get', {
        taskId: 'T-RESET',
      });
      assert.match(prompt.hints[0] ?? '', /^Similar past tasks/);
      assert.match(prompt.hints[1] ?? '', /^- T-LOGIN "Rate-limit the login endpoint" \(similarity 0\.\d+\): /);
      assert.doesNotMatch(prompt.prompt, /T-LOGIN/, 'the stable instructions never carry the hint');
    } finally {
      await mcp.close();
    }
    // Claude Code's session start hears it too.
    const start = await run(['hook', 'claude', 'SessionStart'], {
      cwd: repo.dir,
      input: JSON.stringify({ session_id: 's', hook_event_name: 'SessionStart', source: 'startup' }),
      env: { AUTOPILOT_HOOK_DAEMON: '0', AUTOPILOT_TASK: 'T-RESET', CLAUDE_PROJECT_DIR: undefined },
    });
    const context = parseOne<{ hookSpecificOutput: { additionalContext: string } }>(start).hookSpecificOutput;
    assert.match(context.additionalContext, /Similar past tasks[^\n]*\n- T-LOGIN "Rate-limit the login endpoint"/);
  });

  it('keeps the hints out of the contract: changing them moves no task to CONFIG_CHANGED', async () => {
    repo.editConfig((c) => {
      c['similarTasks'] = { phases: ['SPEC'], limit: 2 };
    });
    const mcp = await connectStdio(repo.dir);
    try {
      const quiet = await callOk<{ hints: string[] }>(mcp.client, 'prompt_get', { taskId: 'T-RESET' });
      assert.deepEqual(quiet.hints, [], 'STRATEGIZE no longer hears them');
      const moved = await callOk<{ task: { phase: string } }>(mcp.client, 'phase_advance', { taskId: 'T-RESET' });
      assert.equal(moved.task.phase, 'SPEC');
      const spec = await callOk<{ hints: string[] }>(mcp.client, 'prompt_get', { taskId: 'T-RESET' });
      assert.match(spec.hints.join('\n'), /T-LOGIN/);
    } finally {
      await mcp.close();
    }
    repo.editConfig((c) => {
      c['similarTasks'] = { phases: ['NOPE'] };
    });
    const err = await repo.refused(['task', 'similar', 'T-RESET'], 'CONFIG_INVALID', 1);
    assert.match(err.message, /similarTasks\.phases\.0: unknown phase NOPE/);
  });
});
