/**
 * E2E: the agents' hooks through the real binary (`autopilot hook <client>
 * <event>` with the client's own JSON on stdin): Claude Code's PreToolUse, Stop,
 * SessionStart and UserPromptSubmit, Codex's and Cursor's answers, a denial
 * recorded in the ledger as `tool_blocked`, and failing closed on a corrupt
 * store, an invalid config, a malformed input and a missing repository.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P, makeRepo, parseOne, run, tempDir, type CliResult, type Repo } from './helpers.ts';

type Json = Record<string, unknown>;

/** Runs `autopilot hook <client> <event>` in the repository with `payload` on stdin, as the client would (no daemon: every run answers by itself). */
function hook(
  repo: Repo | string,
  client: string,
  event: string,
  payload: unknown,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  const dir = typeof repo === 'string' ? repo : repo.dir;
  const input = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return run(['hook', client, event], {
    cwd: dir,
    input,
    env: { AUTOPILOT_HOOK_DAEMON: '0', CLAUDE_PROJECT_DIR: undefined, ...env },
  });
}

/** A Claude Code PreToolUse payload. */
function claudeCall(repo: Repo, tool: string, input: Json, session = 'sess-1'): Json {
  return {
    session_id: session,
    transcript_path: '/tmp/t.jsonl',
    cwd: repo.dir,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: input,
    tool_use_id: 'toolu_1',
  };
}

function decisionOf(r: CliResult): { permissionDecision?: string; permissionDecisionReason?: string } {
  assert.equal(r.code, 0, `the hook exits 0 with its answer on stdout: ${r.stdout}${r.stderr}`);
  const body = parseOne<{
    hookSpecificOutput?: { hookEventName: string; permissionDecision?: string; permissionDecisionReason?: string };
  }>(r);
  if (body.hookSpecificOutput) assert.equal(body.hookSpecificOutput.hookEventName, 'PreToolUse');
  return body.hookSpecificOutput ?? {};
}

describe('agent hooks', { concurrency: true }, () => {
  it('Claude Code PreToolUse: an Edit of the source in SPEC is denied and recorded as tool_blocked; an allowed shell command runs behind the wall', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const head = repo.head()!.seq;
    const denied = decisionOf(
      await hook(
        repo,
        'claude',
        'PreToolUse',
        claudeCall(repo, 'Edit', { file_path: repo.path('src', 'slug.js'), old_string: 'a', new_string: 'b' }),
      ),
    );
    assert.equal(denied.permissionDecision, 'deny');
    assert.match(
      denied.permissionDecisionReason ?? '',
      /^Autopilot \(task T-1 is in SPEC\): Edit src\/slug\.js is write:source, allowed only in IMPLEMENT; finish SPEC and advance first/,
    );
    const blocked = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.equal(blocked.length, 1);
    const [entry] = blocked;
    assert.equal(entry?.kind, 'tool_blocked');
    assert.equal(entry?.actor, 'hook:claude:sess-1');
    assert.equal(entry?.fromPhase, 'SPEC');
    assert.deepEqual(
      [entry?.data['decision'], entry?.data['client'], entry?.data['tool'], entry?.data['code']],
      ['deny', 'claude', 'Edit', 'TOOL_NOT_ALLOWED_IN_PHASE'],
    );
    assert.match(denied.permissionDecisionReason ?? '', new RegExp(`ledger entry ${entry?.seq}`));

    // Allowed: reading, and writing the task's own evidence. A shell command is allowed behind the wall (the same
    // command, run by autopilot exec); a file tool gets no decision, so Claude Code's own permissions still apply.
    const read = parseOne<{ hookSpecificOutput: Json }>(
      await hook(repo, 'claude', 'PreToolUse', claudeCall(repo, 'Bash', { command: 'git status && ls src' })),
    ).hookSpecificOutput;
    assert.equal(read['permissionDecision'], 'allow');
    const updated = read['updatedInput'] as Json;
    assert.match(
      String(updated['command']),
      / exec --task T-1 --phase SPEC --holder claude:sess-1 -- bash -c 'git status && ls src'$/,
    );
    assert.deepEqual(
      decisionOf(
        await hook(
          repo,
          'claude',
          'PreToolUse',
          claudeCall(repo, 'Write', { file_path: join(repo.phaseDir('T-1', 'SPEC'), 'notes.md'), content: 'x' }),
        ),
      ),
      {},
    );
    const push = decisionOf(
      await hook(repo, 'claude', 'PreToolUse', claudeCall(repo, 'Bash', { command: 'git push origin main' })),
    );
    assert.equal(push.permissionDecision, 'deny');
    assert.match(push.permissionDecisionReason ?? '', /vcs:push/);
    assert.equal(repo.ledger('T-1').filter((e) => e.seq > head && e.kind === 'tool_blocked').length, 2);
  });

  it('Claude Code PreToolUse in IMPLEMENT lets the edit through; AUTOPILOT_TASK picks the task and an unknown one is denied', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'IMPLEMENT');
    await repo.driveTo('T-2', 'SPEC');
    const edit = claudeCall(repo, 'Edit', {
      file_path: repo.path('src', 'count.js'),
      old_string: 'a',
      new_string: 'b',
    });
    // Two active tasks and no AUTOPILOT_TASK: judged as in the first phase, with the reason why.
    const ambiguous = decisionOf(await hook(repo, 'claude', 'PreToolUse', edit));
    assert.equal(ambiguous.permissionDecision, 'deny');
    assert.match(
      ambiguous.permissionDecisionReason ?? '',
      /2 active tasks: the call is judged as in STRATEGIZE; name the task: set AUTOPILOT_TASK to the task you work on/,
    );
    assert.deepEqual(decisionOf(await hook(repo, 'claude', 'PreToolUse', edit, { AUTOPILOT_TASK: 'T-1' })), {});
    assert.equal(
      decisionOf(await hook(repo, 'claude', 'PreToolUse', edit, { AUTOPILOT_TASK: 'T-2' })).permissionDecision,
      'deny',
    );
    const unknown = decisionOf(await hook(repo, 'claude', 'PreToolUse', edit, { AUTOPILOT_TASK: 'T-9' }));
    assert.equal(unknown.permissionDecision, 'deny');
    assert.match(
      unknown.permissionDecisionReason ?? '',
      /AUTOPILOT_TASK names T-9, and there is no such task; start it with: autopilot task start T-9/,
    );
  });

  it('without a task, PreToolUse judges by the first phase and says how to start one; nothing is recorded', async () => {
    const repo = await makeRepo();
    const r = decisionOf(
      await hook(
        repo,
        'claude',
        'PreToolUse',
        claudeCall(repo, 'Write', { file_path: repo.path('src', 'new.js'), content: 'x' }),
      ),
    );
    assert.equal(r.permissionDecision, 'deny');
    assert.match(
      r.permissionDecisionReason ?? '',
      /no active task: the call is judged as in STRATEGIZE; start a task first: call the MCP tool task_start with a taskId and a title \(or run `autopilot task start T-1/,
    );
    assert.deepEqual(repo.ledger(), []);
    const context = parseOne<{ hookSpecificOutput: { hookEventName: string; additionalContext: string } }>(
      await hook(repo, 'claude', 'SessionStart', {
        session_id: 's',
        hook_event_name: 'SessionStart',
        source: 'startup',
      }),
    );
    assert.equal(context.hookSpecificOutput.hookEventName, 'SessionStart');
    assert.match(context.hookSpecificOutput.additionalContext, /no task is active in this repository/);
    assert.match(context.hookSpecificOutput.additionalContext, /call the MCP tool task_start/);
    assert.deepEqual(
      parseOne(
        await hook(repo, 'claude', 'Stop', { session_id: 's', hook_event_name: 'Stop', stop_hook_active: false }),
      ),
      {},
    );
  });

  it("Claude Code Stop blocks while the phase's evidence falls short, never twice in a row, and lets a finished phase stop", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const stop = (active: boolean) =>
      hook(repo, 'claude', 'Stop', {
        session_id: 's',
        transcript_path: '/tmp/t.jsonl',
        hook_event_name: 'Stop',
        stop_hook_active: active,
      });
    const blocked = parseOne<{ decision: string; reason: string }>(await stop(false));
    assert.equal(blocked.decision, 'block');
    assert.match(
      blocked.reason,
      /^Autopilot: task T-1 is in SPEC and the phase's evidence does not meet the contract yet:\n- evidence\/T-1\/spec\/spec\.md: /,
    );
    assert.match(blocked.reason, /call phase_advance/);
    // stop_hook_active: Claude Code is already continuing because of a Stop hook.
    assert.deepEqual(parseOne(await stop(true)), {});
    await repo.put('T-1', 'SPEC', 'spec.md', P.SPEC);
    assert.deepEqual(parseOne(await stop(false)), {});
  });

  it('SessionStart and UserPromptSubmit add the task, its phase and its rules as context', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const start = parseOne<{ hookSpecificOutput: { hookEventName: string; additionalContext: string } }>(
      await hook(repo, 'claude', 'SessionStart', {
        session_id: 's',
        hook_event_name: 'SessionStart',
        source: 'startup',
      }),
    );
    assert.equal(start.hookSpecificOutput.hookEventName, 'SessionStart');
    assert.match(
      start.hookSpecificOutput.additionalContext,
      /^Autopilot: task T-1 "fixture task" is in SPEC \(phase 2 of 9\)\./,
    );
    assert.match(start.hookSpecificOutput.additionalContext, /spec\.md/);
    assert.match(start.hookSpecificOutput.additionalContext, /# Autopilot: SPEC/);
    assert.match(
      start.hookSpecificOutput.additionalContext,
      /Capabilities allowed in SPEC: read, search, write:evidence/,
    );
    const prompt = parseOne<{ hookSpecificOutput: { hookEventName: string; additionalContext: string } }>(
      await hook(repo, 'claude', 'UserPromptSubmit', {
        session_id: 's',
        hook_event_name: 'UserPromptSubmit',
        prompt: 'add wordCount',
      }),
    );
    assert.equal(prompt.hookSpecificOutput.hookEventName, 'UserPromptSubmit');
    assert.match(prompt.hookSpecificOutput.additionalContext, /task T-1 "fixture task" is in SPEC/);
    assert.match(
      prompt.hookSpecificOutput.additionalContext,
      /Allowed in SPEC: read, search, write:evidence; other tool calls are denied/,
    );
  });

  it('a capability a person may approve: Claude Code asks; Codex, which cannot ask, denies', async () => {
    const repo = await makeRepo({ config: (c) => void (c['tools'] = { ask: ['write:source'] }) });
    await repo.driveTo('T-1', 'SPEC');
    const edit = claudeCall(repo, 'Edit', { file_path: repo.path('src', 'slug.js'), old_string: 'a', new_string: 'b' });
    const claude = decisionOf(await hook(repo, 'claude', 'PreToolUse', edit));
    assert.equal(claude.permissionDecision, 'ask');
    assert.match(claude.permissionDecisionReason ?? '', /ask for approval/);
    const codex = decisionOf(
      await hook(repo, 'codex', 'PreToolUse', {
        ...edit,
        turn_id: 't1',
        model: 'gpt-5',
        tool_name: 'Bash',
        tool_input: { command: 'sed -i s/a/b/ src/slug.js' },
      }),
    );
    assert.equal(codex.permissionDecision, 'deny');
    assert.match(codex.permissionDecisionReason ?? '', /Codex hooks cannot ask a person, so the call is denied/);
    assert.deepEqual(
      repo
        .ledger('T-1')
        .filter((e) => e.kind === 'tool_blocked')
        .map((e) => e.data['decision']),
      ['ask', 'ask'],
    );
  });

  it("Codex PreToolUse: apply_patch's patch (tool_input.command) is checked; answers carry only Codex's fields", async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const base = {
      session_id: 'cx-1',
      turn_id: 'turn-1',
      transcript_path: null,
      cwd: repo.dir,
      hook_event_name: 'PreToolUse',
      model: 'gpt-5',
      tool_use_id: 'call-1',
    };
    const patch = '*** Begin Patch\n*** Update File: src/slug.js\n@@\n-a\n+b\n*** End Patch\n';
    const r = await hook(repo, 'codex', 'PreToolUse', {
      ...base,
      tool_name: 'apply_patch',
      tool_input: { command: patch },
    });
    assert.equal(r.code, 0);
    const body = parseOne<Json>(r);
    assert.deepEqual(Object.keys(body), ['hookSpecificOutput']);
    const out = body['hookSpecificOutput'] as Json;
    assert.deepEqual(Object.keys(out).sort(), ['hookEventName', 'permissionDecision', 'permissionDecisionReason']);
    assert.equal(out['permissionDecision'], 'deny');
    assert.match(String(out['permissionDecisionReason']), /src\/slug\.js is write:source/);
    assert.deepEqual(
      parseOne(
        await hook(repo, 'codex', 'PreToolUse', {
          ...base,
          tool_name: 'Bash',
          tool_input: { command: 'git diff --stat' },
        }),
      ),
      {},
    );
    const entry = repo.ledger('T-1').find((e) => e.kind === 'tool_blocked');
    assert.deepEqual(
      [entry?.actor, entry?.data['client'], entry?.data['tool']],
      ['hook:codex:cx-1', 'codex', 'apply_patch'],
    );
    const stop = parseOne<{ decision?: string }>(
      await hook(repo, 'codex', 'Stop', {
        ...base,
        hook_event_name: 'Stop',
        stop_hook_active: false,
        last_assistant_message: 'done',
      }),
    );
    assert.equal(stop.decision, 'block');
  });

  it('Cursor: permissions for shell, MCP and reads; afterFileEdit out of phase recorded; one stop follow-up; session context', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const base = {
      conversation_id: 'conv-1',
      generation_id: 'gen-1',
      model: 'claude-4',
      cursor_version: '2.0.77',
      workspace_roots: [repo.dir],
      user_email: null,
    };
    const answer = async (event: string, extra: Json) => {
      const r = await hook(repo, 'cursor', event, { ...base, hook_event_name: event, ...extra });
      assert.equal(r.code, 0, r.stderr);
      return parseOne<Json>(r);
    };
    const push = await answer('beforeShellExecution', { command: 'git push origin main', cwd: repo.dir });
    assert.equal(push['permission'], 'deny');
    assert.match(
      String(push['agent_message']),
      /^Autopilot \(task T-1 is in SPEC\): git push is vcs:push, allowed only in PR/,
    );
    assert.equal(push['user_message'], push['agent_message']);
    assert.deepEqual(await answer('beforeShellExecution', { command: 'ls -la src', cwd: repo.dir }), {
      permission: 'allow',
    });
    assert.deepEqual(
      await answer('beforeReadFile', { file_path: repo.path('src', 'slug.js'), content: 'secret', attachments: [] }),
      { permission: 'allow' },
    );
    assert.equal(
      (
        await answer('preToolUse', {
          tool_name: 'Write',
          tool_input: { file_path: repo.path('src', 'x.js'), content: 'x' },
        })
      )['permission'],
      'deny',
    );
    const before = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked').length;
    const r = await hook(repo, 'cursor', 'afterFileEdit', {
      ...base,
      hook_event_name: 'afterFileEdit',
      file_path: repo.path('src', 'slug.js'),
      edits: [{ old_string: 'a', new_string: 'b' }],
    });
    assert.deepEqual(parseOne(r), {});
    assert.match(r.stderr, /src\/slug\.js was edited out of phase/);
    const after = repo.ledger('T-1').filter((e) => e.kind === 'tool_blocked');
    assert.equal(after.length, before + 1);
    assert.deepEqual(
      [after.at(-1)?.data['client'], after.at(-1)?.data['tool'], after.at(-1)?.actor],
      ['cursor', 'afterFileEdit', 'hook:cursor:conv-1'],
    );
    const followUp = await answer('stop', { status: 'completed', loop_count: 0 });
    assert.match(String(followUp['followup_message']), /task T-1 is in SPEC/);
    assert.deepEqual(await answer('stop', { status: 'completed', loop_count: 1 }), {});
    assert.deepEqual(await answer('stop', { status: 'aborted', loop_count: 0 }), {});
    assert.match(
      String((await answer('sessionStart', {}))['additional_context']),
      /task T-1 "fixture task" is in SPEC/,
    );
  });

  it('fails closed on a corrupt store: every client denies and says to run autopilot doctor', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'IMPLEMENT');
    // A damaged database file, swapped in the way a crash or a bad copy would leave it.
    writeFileSync(
      repo.path('.autopilot', 'broken.db'),
      'SQLite format 3\u0000 but nothing after the header is right'.repeat(40),
    );
    renameSync(repo.path('.autopilot', 'broken.db'), repo.dbFile);
    const edit = claudeCall(repo, 'Edit', {
      file_path: repo.path('src', 'count.js'),
      old_string: 'a',
      new_string: 'b',
    });
    const claude = await hook(repo, 'claude', 'PreToolUse', edit);
    assert.equal(claude.code, 2, 'exit 2: Claude Code blocks the call and shows stderr to the agent');
    assert.equal(claude.stdout, '');
    assert.match(
      claude.stderr,
      /^Autopilot cannot check this \(.+\), so it denies until that is repaired\. Run `autopilot doctor` in \S+ to see what is wrong and how to fix it\./,
    );
    const codex = await hook(repo, 'codex', 'PreToolUse', {
      ...edit,
      tool_name: 'Bash',
      tool_input: { command: 'ls' },
    });
    assert.equal(codex.code, 2);
    assert.match(codex.stderr, /autopilot doctor/);
    const cursor = await hook(repo, 'cursor', 'beforeShellExecution', {
      conversation_id: 'c',
      hook_event_name: 'beforeShellExecution',
      workspace_roots: [repo.dir],
      command: 'ls',
      cwd: repo.dir,
    });
    assert.equal(cursor.code, 2);
    assert.equal(parseOne<Json>(cursor)['permission'], 'deny');
    const stop = parseOne<{ decision: string; reason: string }>(
      await hook(repo, 'claude', 'Stop', { session_id: 's', hook_event_name: 'Stop', stop_hook_active: false }),
    );
    assert.deepEqual([stop.decision, /autopilot doctor/.test(stop.reason)], ['block', true]);
    const git = await run(['hook', 'git', 'pre-commit'], { cwd: repo.dir, env: { AUTOPILOT_HOOK_DAEMON: '0' } });
    assert.equal(git.code, 1);
    assert.match(git.stderr, /^autopilot: Autopilot cannot check this/);
  });

  it('fails closed on an invalid config, a malformed input and a repository without Autopilot', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'IMPLEMENT');
    const edit = claudeCall(repo, 'Edit', {
      file_path: repo.path('src', 'count.js'),
      old_string: 'a',
      new_string: 'b',
    });
    const malformed = await hook(repo, 'claude', 'PreToolUse', '{"tool_name": "Edit", ');
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /the hook input is not the JSON Claude Code sends/);
    repo.editConfig((c) => void (c['leases'] = { mode: 'sometimes' }));
    const r = await hook(repo, 'claude', 'PreToolUse', edit);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /leases\.mode/);
    assert.match(r.stderr, /Run `autopilot doctor`/);
    const context = parseOne<{ systemMessage: string; hookSpecificOutput: { additionalContext: string } }>(
      await hook(repo, 'claude', 'SessionStart', { session_id: 's', hook_event_name: 'SessionStart' }),
    );
    assert.match(context.systemMessage, /autopilot doctor/);
    const elsewhere = tempDir('no-autopilot');
    const none = await hook(elsewhere, 'claude', 'PreToolUse', { ...edit, cwd: elsewhere });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no \.autopilot\/config\.yaml at or above/);
  });
});
