/**
 * E2E: the repository's Cedar policies through the real binary: `policy explain` and `policy test`, the guard verb,
 * MCP `tool_check` over stdio and Claude Code's hook denying by a repository policy with its id and the set's digest in the ledger, observe
 * mode letting a call through with what it would have blocked on the record, and a corrupt policy file refused as
 * CONFIG_INVALID naming its file and line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeRepo, parseOne, run, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio } from './mcp-helpers.ts';

const NO_PUSH = `// Pushes go through the outbox, never straight from the agent.
@id("no-push")
@reason("pushes go through the outbox")
forbid (principal, action, resource is Autopilot::ToolCall)
when { resource.capabilities.contains("vcs:push") && principal.kind == "agent" };

@id("lockfile-needs-a-person")
forbid (principal, action == Autopilot::Action::"call", resource)
when { resource.paths.contains("package-lock.json") };
`;

const CASES = `cases:
  - name: no push in PR
    phase: PR
    tool: Bash
    input: { command: git push origin main }
    expect: deny
  - name: a person may push
    phase: PR
    tool: Bash
    input: { command: git push origin main }
    actor: person
    expect: allow
  - name: the lockfile is held for a person
    phase: IMPLEMENT
    tool: Write
    input: { file_path: package-lock.json, content: "{}" }
    expect: ask
  - phase: SPEC
    tool: Read
    input: { file_path: README.md }
    expect: allow
`;

async function policyRepo(mode?: 'observe'): Promise<Repo> {
  const repo = await makeRepo(mode ? { config: (c) => void (c['policies'] = { mode }) } : {});
  repo.write('.autopilot/policies/main.cedar', NO_PUSH);
  return repo;
}

function claudeBash(repo: Repo, command: string): Record<string, unknown> {
  return {
    session_id: 'sess-p',
    transcript_path: '/tmp/t.jsonl',
    cwd: repo.dir,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: 'toolu_p',
  };
}

function hook(repo: Repo, payload: unknown) {
  return run(['hook', 'claude', 'PreToolUse'], {
    cwd: repo.dir,
    input: JSON.stringify(payload),
    env: { AUTOPILOT_HOOK_DAEMON: '0', CLAUDE_PROJECT_DIR: undefined },
  });
}

describe('policy as code', { concurrency: true }, () => {
  it('policy explain names the deciding policy with its file and line; policy test passes and fails on the cases', async () => {
    const repo = await policyRepo();
    const push = ['policy', 'explain', '--phase', 'PR', '--tool', 'Bash', '--input', '{"command":"git push"}'];
    const denied = await repo.ok<{
      decision: string;
      table: string;
      policies: { id: string; file: string; line: number }[];
    }>(push);
    assert.deepEqual([denied.decision, denied.table], ['deny', 'allow']);
    assert.deepEqual(denied.policies, [
      {
        id: 'no-push',
        effect: 'forbid',
        file: '.autopilot/policies/main.cedar',
        line: 2,
        mode: 'enforce',
        reason: 'pushes go through the outbox',
      },
    ]);
    const read = await repo.ok<{ decision: string; policies: { id: string }[] }>([
      'policy',
      'explain',
      '--phase',
      'SPEC',
      '--tool',
      'Read',
      '--input',
      '{"file_path":"README.md"}',
    ]);
    assert.deepEqual([read.decision, read.policies.map((p) => p.id)], ['allow', ['tools.call.SPEC']]);

    repo.write('.autopilot/policies/cases.yaml', CASES);
    const passed = await repo.ok<{ passed: number; failed: number }>(['policy', 'test']);
    assert.deepEqual([passed.passed, passed.failed], [4, 0]);
    repo.write('wrong.yaml', CASES.replace('expect: ask', 'expect: allow'));
    const err = await repo.refused(['policy', 'test', 'wrong.yaml'], 'VERIFY_FAILED', 2);
    assert.match(err.message, /the lockfile is held for a person \(ask, expected allow\)/);
    const text = await repo.run(['policy', 'test', 'wrong.yaml']);
    assert.equal(text.code, 2);
    assert.match(text.stdout, /FAIL the lockfile is held for a person: ask \(expected allow\)/);
    assert.match(text.stdout, /3 of 4 cases pass/);
    const bad = await repo.refused(['policy', 'test', 'nope.yaml'], 'CONFIG_INVALID', 1);
    assert.match(bad.message, /nope\.yaml: no such file/);
    repo.write('bad-case.yaml', 'cases:\n  - phase: PR\n    tool: Bash\n    expect: maybe\n');
    const badCase = await repo.refused(['policy', 'test', 'bad-case.yaml'], 'CONFIG_INVALID', 1);
    assert.equal(badCase.details['key'], 'cases.0.expect');
    await repo.refused([...push.slice(0, 3), 'NOPE', ...push.slice(4)], 'PHASE_UNKNOWN', 1);
  });

  it('the hook denies by a repository policy and the ledger records the policy ids and the set digest', async () => {
    const repo = await policyRepo();
    await repo.driveTo('T-1', 'PR');
    const head = repo.head()!.seq;
    const r = await hook(repo, claudeBash(repo, 'git push origin main'));
    assert.equal(r.code, 0, r.stderr);
    const out = parseOne<{ hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string } }>(r);
    assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
    assert.match(
      out.hookSpecificOutput.permissionDecisionReason,
      /denied by policy no-push \(\.autopilot\/policies\/main\.cedar:2/,
    );
    const [entry] = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.equal(entry?.kind, 'tool_blocked');
    assert.deepEqual(entry?.data['policyIds'], ['no-push']);
    assert.equal(entry?.data['policyVerdict'], 'deny');
    assert.match(String(entry?.data['policyDigest']), /^[0-9a-f]{64}$/);

    // The guard verb answers the same, with the policy in its refusal's details; a commit is still allowed in PR.
    const g = await repo.refused(
      ['guard', 'T-1', '--tool', 'Bash', '--input', '{"command":"git push"}'],
      'TOOL_NOT_ALLOWED_IN_PHASE',
      2,
    );
    const policy = g.details['policy'] as { ids: string[]; verdict: string; digest: string };
    assert.deepEqual([policy.ids, policy.verdict, policy.digest], [['no-push'], 'deny', entry?.data['policyDigest']]);
    const commit = await repo.ok<{ decision: string; policy: { ids: string[] } }>([
      'guard',
      'T-1',
      '--tool',
      'Bash',
      '--input',
      '{"command":"git commit -m x"}',
    ]);
    assert.deepEqual([commit.decision, commit.policy.ids], ['allow', ['tools.call.PR']]);
  });

  it('MCP tool_check answers by the policies, with their ids in the refusal and the allowed result', async () => {
    const repo = await policyRepo();
    await repo.driveTo('T-1', 'PR');
    const session = await connectStdio(repo.dir);
    try {
      const push = await callRefused(
        session.client,
        'tool_check',
        { taskId: 'T-1', tool: 'Bash', input: { command: 'git push origin main' }, client: 'claude' },
        'TOOL_NOT_ALLOWED_IN_PHASE',
      );
      assert.deepEqual((push.details['policy'] as { ids: string[] }).ids, ['no-push']);
      assert.match(push.message, /no-push/);
      const commit = await callOk<{ decision: string; policy: { ids: string[]; digest: string } }>(
        session.client,
        'tool_check',
        { taskId: 'T-1', tool: 'Bash', input: { command: 'git commit -m x' }, client: 'claude' },
      );
      assert.deepEqual([commit.decision, commit.policy.ids], ['allow', ['tools.call.PR']]);
      assert.equal(commit.policy.digest, (push.details['policy'] as { digest: string }).digest);
    } finally {
      await session.close();
    }
  });

  it('observe mode lets the call through and records what the policy would have blocked', async () => {
    const repo = await policyRepo('observe');
    await repo.driveTo('T-1', 'PR');
    const head = repo.head()!.seq;
    const r = await hook(repo, claudeBash(repo, 'git push origin main'));
    const out = parseOne<{ hookSpecificOutput: { permissionDecision: string } }>(r);
    assert.equal(out.hookSpecificOutput.permissionDecision, 'allow');
    const entries = repo.ledger('T-1').filter((e) => e.seq > head);
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['policy_observed'],
    );
    assert.deepEqual(
      [entries[0]?.data['decision'], entries[0]?.data['wouldHave'], entries[0]?.data['policyIds']],
      ['allow', 'deny', ['no-push']],
    );
  });

  it('a policy file changed during a task is CONFIG_CHANGED: the policies are part of the contract the task adopted', async () => {
    const repo = await policyRepo();
    await repo.driveTo('T-1', 'STRATEGIZE');
    repo.write(
      '.autopilot/policies/main.cedar',
      NO_PUSH.replace('principal.kind == "agent"', 'principal.kind == "ci"'),
    );
    const refused = await repo.refused(['advance', 'T-1'], 'CONFIG_CHANGED', 2);
    assert.deepEqual(refused.details['keys'], ['policies.sources.main.cedar']);
    repo.write('.autopilot/policies/main.cedar', NO_PUSH);
    await repo.refused(['advance', 'T-1'], 'EVIDENCE_MISSING', 2);
  });

  it('a corrupt policy file is CONFIG_INVALID naming the file and line, for every verb and the hook', async () => {
    const repo = await policyRepo();
    repo.write('.autopilot/policies/broken.cedar', '@id("x")\npermit (principal, action, resource)\nwhen { 1 + };\n');
    const err = await repo.refused(['task', 'start', 'T-9', '--title', 'x'], 'CONFIG_INVALID', 1);
    assert.deepEqual([err.details['file'], err.details['line']], ['.autopilot/policies/broken.cedar', 3]);
    assert.match(err.message, /^\.autopilot\/policies\/broken\.cedar:3: /);
    await repo.refused(['policy', 'explain', '--phase', 'PR', '--tool', 'Read'], 'CONFIG_INVALID', 1);
    // The hook fails closed: Claude Code's blocking exit code, and the file and line in what the agent reads.
    const r = await hook(repo, claudeBash(repo, 'ls'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Autopilot cannot check this \(\.autopilot\/policies\/broken\.cedar:3: unexpected token/);
  });
});
