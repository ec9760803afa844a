/**
 * @module Personas end to end: every task start and transition records the compiled prompt's digest and the
 * PersonaSpec's, MCP prompt_get serves that same prompt with the task's own context, and the config picks a
 * repository's own persona for a phase; a persona's tool allowlist narrows what its phase allows, through the CLI's
 * guard, the MCP tool_check and the Claude Code hook, each denial a recorded and counted violation.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { assertViolation, makeRepo, run, parseOne, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio } from './mcp-helpers.ts';

interface PromptRecord {
  phase: string;
  sha256: string;
  persona: { id: string; version: string; sha256: string };
  overlays: string[];
  tokens: number;
}

interface Compiled {
  compiled: { text: string; sha256: string; persona: { id: string; sha256: string }; overlays: string[] };
  prompt: string;
}

describe('personas and the compiled prompt', () => {
  it('records the prompt of each phase entered, and serves the same prompt over MCP', async () => {
    const repo = await makeRepo({
      config: (c) => {
        c['personas'] = {
          byPhase: { THINK: 'skeptic' },
          custom: [
            {
              id: 'skeptic',
              version: '1.2.0',
              role: 'skeptic',
              instructions: 'You look for the input that breaks the plan before anyone writes code for it.',
              phases: ['THINK'],
              rubric: ['Every edge case names the input and what the code must do with it.'],
            },
          ],
        };
      },
    });
    await repo.ok(['task', 'start', 'T-1', '--title', 'Count words']);
    await repo.driveTo('T-1', 'THINK');
    const entered = repo
      .ledger('T-1')
      .filter((x) => x.kind === 'task_started' || x.kind === 'transition')
      .map((x) => x.data['prompt'] as PromptRecord);
    assert.deepEqual(
      entered.map((p) => `${p.phase}:${p.persona.id}@${p.persona.version}`),
      ['STRATEGIZE:planner@1.1.0', 'SPEC:planner@1.1.0', 'PLAN:planner@1.1.0', 'THINK:skeptic@1.2.0'],
    );
    for (const p of entered) {
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.match(p.persona.sha256, /^[0-9a-f]{64}$/);
      assert.ok(p.tokens > 100);
    }
    // The prompt of each phase differs: its instructions, and the task's context as it grows.
    assert.equal(new Set(entered.map((p) => p.sha256)).size, entered.length);

    const mcp = await connectStdio(repo.dir);
    try {
      const think = await callOk<Compiled>(mcp.client, 'prompt_get', { taskId: 'T-1' });
      const recorded = entered.at(-1)!;
      assert.equal(think.compiled.persona.sha256, recorded.persona.sha256);
      assert.match(think.compiled.text, /^# Autopilot: THINK\n/);
      assert.ok(think.compiled.text.startsWith(think.prompt.trimEnd()), 'the stable instructions come first');
      assert.match(think.compiled.text, /## Your role: skeptic\nYou look for the input that breaks the plan/);
      // The task's own acceptance criteria and file map are its context.
      assert.match(think.compiled.text, /## Context: Acceptance criteria\n- /);
      assert.match(think.compiled.text, /## Context: Files the plan changes\n- src\/count\.js/);
      // The same task evidence gives the same prompt: what THINK was entered with is what prompt_get serves now.
      assert.equal(think.compiled.sha256, recorded.sha256);
      const again = await callOk<Compiled>(mcp.client, 'prompt_get', { taskId: 'T-1' });
      assert.equal(again.compiled.text, think.compiled.text);
      const spec = await callOk<Compiled>(mcp.client, 'prompt_get', { taskId: 'T-1', phase: 'SPEC' });
      assert.equal(spec.compiled.persona.id, 'planner');
    } finally {
      await mcp.close();
    }
  });
});

/** A persona for IMPLEMENT that only reads and writes evidence: the phase allows source edits, the persona does not. */
const READER = {
  id: 'pair-reader',
  version: '1.0.0',
  role: 'pair reader',
  instructions: 'You read the code beside the implementer and write down what you find; you change nothing.',
  phases: ['IMPLEMENT'],
  tools: { allow: ['read', 'search', 'write:evidence'] },
};

async function readerRepo(): Promise<Repo> {
  const repo = await makeRepo({
    config: (c) => {
      c['personas'] = { byPhase: { IMPLEMENT: 'pair-reader' }, custom: [READER] };
    },
  });
  await repo.driveTo('T-1', 'IMPLEMENT');
  return repo;
}

interface Metrics {
  counters: Record<string, number>;
  refusals: Record<string, number>;
}

describe("a persona's tool allowlist", () => {
  it('denies through the CLI guard a call the phase allows, records it as a violation and counts it', async () => {
    const repo = await readerRepo();
    const before = await repo.ok<Metrics>(['metrics']);
    const edit = ['guard', 'T-1', '--tool', 'Edit', '--input', JSON.stringify({ file_path: 'src/count.js' })];
    const error = await repo.refusedUnchanged(edit, 'TOOL_NOT_ALLOWED_FOR_PERSONA', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.match(
      error.message,
      /IMPLEMENT runs with the pair reader persona \(pair-reader@1\.0\.0\), which may not use write:source/,
    );
    assert.deepEqual(error.details['allowed'], ['read', 'search', 'write:evidence']);
    assert.deepEqual(error.details['missing'], ['write:source']);
    assert.deepEqual(error.details['persona'], { id: 'pair-reader', version: '1.0.0' });
    const recorded = assertViolation(repo, 'T-1', 'TOOL_NOT_ALLOWED_FOR_PERSONA', 0);
    assert.equal(recorded.data['action'], 'tool');
    assert.equal(recorded.fromPhase, 'IMPLEMENT');
    // What the persona allows goes through, and the phase's own denial keeps its code: the persona never widens.
    const read = await repo.ok<{ decision: string; persona: { id: string } }>([
      'guard',
      'T-1',
      '--tool',
      'Read',
      '--input',
      JSON.stringify({ file_path: 'src/count.js' }),
    ]);
    assert.equal(read.decision, 'allow');
    assert.equal(read.persona.id, 'pair-reader');
    const push = ['guard', 'T-1', '--tool', 'Bash', '--input', JSON.stringify({ command: 'git push origin main' })];
    await repo.refused(push, 'TOOL_NOT_ALLOWED_IN_PHASE', 2);
    const after = await repo.ok<Metrics>(['metrics']);
    assert.equal(
      (after.refusals['TOOL_NOT_ALLOWED_FOR_PERSONA'] ?? 0) - (before.refusals['TOOL_NOT_ALLOWED_FOR_PERSONA'] ?? 0),
      1,
    );
    // The persona's denial and the phase's push denial, once each.
    assert.equal((after.counters['tool_calls_blocked'] ?? 0) - (before.counters['tool_calls_blocked'] ?? 0), 2);
  });

  it('denies through MCP tool_check and the Claude Code hook, each a violation of the task', async () => {
    const repo = await readerRepo();
    const mcp = await connectStdio(repo.dir);
    try {
      const refused = await callRefused(
        mcp.client,
        'tool_check',
        { taskId: 'T-1', tool: 'Write', input: { file_path: 'src/new.js', content: 'x' }, client: 'claude' },
        'TOOL_NOT_ALLOWED_FOR_PERSONA',
      );
      assert.deepEqual(refused.details['missing'], ['write:source']);
      assert.match(refused.message, /Next: do this phase's work with the capabilities in details\.allowed/);
      assertViolation(repo, 'T-1', 'TOOL_NOT_ALLOWED_FOR_PERSONA', 0);
      const allowed = await callOk<{ decision: string }>(mcp.client, 'tool_check', {
        taskId: 'T-1',
        tool: 'Grep',
        input: { pattern: 'count' },
        client: 'claude',
      });
      assert.equal(allowed.decision, 'allow');
    } finally {
      await mcp.close();
    }
    const head = repo.head()!.seq;
    const r = await run(['hook', 'claude', 'PreToolUse'], {
      cwd: repo.dir,
      input: JSON.stringify({
        session_id: 'sess-p',
        cwd: repo.dir,
        hook_event_name: 'PreToolUse',
        tool_name: 'Edit',
        tool_input: { file_path: repo.path('src', 'count.js'), old_string: 'a', new_string: 'b' },
        tool_use_id: 'toolu_1',
      }),
      env: { AUTOPILOT_HOOK_DAEMON: '0', CLAUDE_PROJECT_DIR: undefined },
    });
    assert.equal(r.code, 0, r.stderr);
    const answer = parseOne<{ hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string } }>(
      r,
    );
    assert.equal(answer.hookSpecificOutput.permissionDecision, 'deny');
    assert.match(answer.hookSpecificOutput.permissionDecisionReason, /pair reader persona .* may not use write:source/);
    const recorded = assertViolation(repo, 'T-1', 'TOOL_NOT_ALLOWED_FOR_PERSONA', head);
    assert.equal(recorded.actor, 'hook:claude:sess-p');
  });
});

describe('routing a task to its persona and overlays', () => {
  it('records the persona, domains and labels a start names, and every prompt of the task follows them', async () => {
    const repo = await makeRepo({
      config: (c) => {
        c['personas'] = { custom: [READER] };
      },
    });
    // Bad routing is refused before anything is written.
    const unknownDomain = await repo.refusedUnchanged(['task', 'start', 'T-1', '--domain', 'blockchain'], 'USAGE', 1, {
      violation: false,
    });
    assert.equal(unknownDomain.details['argument'], 'domain');
    assert.match(unknownDomain.message, /no domain blockchain: a domain is an overlay id, one of orchestrator, web/);
    const unknownPersona = await repo.refusedUnchanged(['task', 'start', 'T-1', '--persona', 'wizard'], 'USAGE', 1, {
      violation: false,
    });
    assert.ok((unknownPersona.details['known'] as string[]).includes('pair-reader'));
    await repo.refusedUnchanged(['task', 'start', 'T-1', '--label', 'no spaces'], 'USAGE', 1, { violation: false });

    await repo.ok([
      'task',
      'start',
      'T-1',
      '--title',
      'Count words',
      '--persona',
      'generalist',
      '--domain',
      'api',
      '--label',
      'Security',
    ]);
    await repo.driveTo('T-1', 'SPEC');
    const [started, spec] = repo.ledger('T-1').filter((x) => x.kind === 'task_started' || x.kind === 'transition');
    assert.deepEqual(started!.data['routing'], { persona: 'generalist', domains: ['api'], labels: ['Security'] });
    for (const entered of [started!, spec!]) {
      const p = entered.data['prompt'] as PromptRecord;
      assert.equal(p.persona.id, 'generalist');
      assert.deepEqual(p.overlays, ['api@1.0.0', 'security@1.0.0']);
    }

    // A pinned persona serves only its own phases: pair-reader is for IMPLEMENT, so STRATEGIZE keeps the planner.
    await repo.ok(['task', 'start', 'T-2', '--title', 'Count words', '--persona', 'pair-reader']);
    const t2 = repo.ledger('T-2')[0]!;
    assert.equal((t2.data['prompt'] as PromptRecord).persona.id, 'planner');
    await repo.driveTo('T-2', 'IMPLEMENT');
    const entered = repo
      .ledger('T-2')
      .filter((x) => x.kind === 'transition')
      .at(-1)!;
    assert.equal((entered.data['prompt'] as PromptRecord).persona.id, 'pair-reader');
    // ...and its allowlist holds there, though the config gives IMPLEMENT the implementer.
    await repo.refusedUnchanged(
      ['guard', 'T-2', '--tool', 'Edit', '--input', JSON.stringify({ file_path: 'src/count.js' })],
      'TOOL_NOT_ALLOWED_FOR_PERSONA',
      2,
      { taskId: 'T-2', violation: true },
    );

    // MCP task_start takes the domain too.
    const mcp = await connectStdio(repo.dir);
    try {
      await callOk(mcp.client, 'task_start', { taskId: 'T-3', title: 'Style the page', domain: 'web' });
      await callRefused(mcp.client, 'task_start', { taskId: 'T-4', domain: ['nope'] }, 'USAGE');
    } finally {
      await mcp.close();
    }
    const t3 = repo.ledger('T-3')[0]!;
    assert.deepEqual(t3.data['routing'], { domains: ['web'], labels: [] });
    assert.deepEqual((t3.data['prompt'] as PromptRecord).overlays, ['web@1.0.0']);
    assert.equal(repo.ledger('T-4').length, 0);
  });
});

describe('prompt drift of personas, overlays and skill packs', () => {
  it('a changed overlay or skill pack is drift from the baseline: a warning where moves accept it, an error where they block', async () => {
    const overlay = {
      id: 'payments',
      version: '1.0.0',
      title: 'Payments',
      paths: ['**/billing/**'],
      text: 'Money moves exactly once: every charge has an idempotency key.',
    };
    const skill = {
      id: 'refunds',
      version: '1.0.0',
      title: 'Refunds',
      text: 'A refund is a new charge, never a delete.',
    };
    const repo = await makeRepo({
      config: (c) => {
        c['personas'] = { overlays: [overlay], skills: [skill] };
      },
    });
    await repo.driveTo('D-1', 'SPEC');
    const baseline = repo.ledger().find((e) => e.kind === 'attestation')!;
    assert.match((baseline.data['personas'] as Record<string, string>)['overlay:payments']!, /^[0-9a-f]{64}$/);
    assert.match((baseline.data['personas'] as Record<string, string>)['persona:planner']!, /^[0-9a-f]{64}$/);
    assert.match((baseline.data['personas'] as Record<string, string>)['skill:refunds']!, /^[0-9a-f]{64}$/);
    assert.match((baseline.data['personas'] as Record<string, string>)['skill:tests-first']!, /^[0-9a-f]{64}$/);
    assert.deepEqual((await repo.ok<{ drift: unknown[] }>(['attest', 'check'])).drift, []);

    // The same overlay with another text (and its version forgotten): the digest differs.
    repo.editConfig((c) => {
      c['personas'] = { overlays: [{ ...overlay, text: 'Charge first, reconcile later.' }], skills: [skill] };
    });
    const warned = await repo.ok<{ seq: number; drift: { input: string; change: string }[] }>(['attest', 'check']);
    assert.deepEqual(
      warned.drift.map((d) => [d.input, d.change]),
      [['overlay:payments', 'changed']],
    );
    const entry = repo.ledger().find((e) => e.seq === warned.seq)!;
    assert.equal(entry.kind, 'prompt_drift');
    assert.equal(entry.data['severity'], 'warning');
    const blocked = await repo.refused(['attest', 'check', '--phase', 'REVIEW'], 'PROMPT_DRIFT', 2);
    assert.deepEqual(
      (blocked.details['changes'] as { input: string }[]).map((d) => d.input),
      ['overlay:payments'],
    );
    // A changed skill pack is prompt drift by the same rules.
    repo.editConfig((c) => {
      c['personas'] = { overlays: [overlay], skills: [{ ...skill, text: 'Refund by deleting the charge.' }] };
    });
    const skillWarned = await repo.ok<{ drift: { input: string; change: string }[] }>(['attest', 'check']);
    assert.deepEqual(
      skillWarned.drift.map((d) => [d.input, d.change]),
      [['skill:refunds', 'changed']],
    );
    const skillBlocked = await repo.refused(['attest', 'check', '--phase', 'REVIEW'], 'PROMPT_DRIFT', 2);
    assert.deepEqual(
      (skillBlocked.details['changes'] as { input: string }[]).map((d) => d.input),
      ['skill:refunds'],
    );
    const metrics = await repo.ok<{ counters: Record<string, number> }>(['metrics']);
    assert.equal(metrics.counters['prompt_drift_detected'], 4);
  });
});

interface VariantMetrics {
  variants: {
    persona: string;
    variant: string;
    runs: number;
    passed: number;
    firstPass: number;
    firstPassRate: number | null;
    refusals: number;
    backtracks: number;
  }[];
}

describe('prompt variants of a persona', () => {
  it('draws one per task by its id, records it with every move, and reports outcomes per variant', async () => {
    const terse = 'You say what must change in as few words as it takes, and name the file each claim is about.';
    const repo = await makeRepo({
      config: (c) => {
        c['personas'] = {
          variants: {
            planner: [
              { id: 'control', weight: 1 },
              { id: 'terse', weight: 1, instructions: terse },
            ],
          },
        };
      },
    });
    // V-0 draws terse and V-1 control (pinned by the unit tests' draw); V-1 is refused once on its way.
    await repo.ok(['task', 'start', 'V-1', '--title', 'Count words']);
    await repo.refused(['advance', 'V-1'], 'EVIDENCE_MISSING', 2);
    await repo.ok(['lease', 'release', 'V-1']);
    await repo.driveTo('V-1', 'SPEC');
    await repo.ok(['task', 'start', 'V-0', '--title', 'Count words']);
    await repo.driveTo('V-0', 'PLAN');
    const moves = (t: string) =>
      repo
        .ledger(t)
        .filter((x) => x.kind === 'task_started' || x.kind === 'transition')
        .map((x) => x.data['prompt'] as PromptRecord & { variant: { id: string; sha256: string }; textSha256: string });
    assert.deepEqual(
      moves('V-1').map((p) => `${p.phase}:${p.variant.id}`),
      ['STRATEGIZE:control', 'SPEC:control'],
    );
    assert.deepEqual(
      moves('V-0').map((p) => `${p.phase}:${p.variant.id}`),
      ['STRATEGIZE:terse', 'SPEC:terse', 'PLAN:terse'],
    );
    const [control, tersely] = [moves('V-1')[0]!, moves('V-0')[0]!];
    assert.notEqual(control.variant.sha256, tersely.variant.sha256);
    // The prompt's digest covers the variant beside the text; the PersonaSpec's digest is the persona's own.
    assert.notEqual(control.sha256, control.textSha256);
    assert.equal(control.persona.sha256, tersely.persona.sha256);

    // What the agent is served is the variant's text, with the digest its move recorded.
    const mcp = await connectStdio(repo.dir);
    try {
      const served = await callOk<Compiled & { compiled: { variant: { id: string } } }>(mcp.client, 'prompt_get', {
        taskId: 'V-0',
      });
      assert.equal(served.compiled.variant.id, 'terse');
      assert.ok(served.compiled.text.includes(`## Your role: planner\n${terse}`));
      assert.equal(served.compiled.sha256, moves('V-0').at(-1)!.sha256);
    } finally {
      await mcp.close();
    }

    // The decision journal and the transition span name the same prompt, persona and variant.
    const entered = moves('V-0').at(-1)!;
    const journal = readFileSync(repo.path('.autopilot', 'journal', 'V-0.md'), 'utf8');
    assert.ok(
      journal.includes(`prompt \`${entered.sha256.slice(0, 12)}\` (persona planner@1.1.0 \``),
      journal.slice(-600),
    );
    assert.match(journal, /, variant terse\)/);
    // V-1 was started by the command line, whose sink writes the spans.
    const traces = readFileSync(repo.path('.autopilot', 'telemetry', 'traces.jsonl'), 'utf8');
    const span = traces
      .split('\n')
      .filter((l) => l.includes('agent.state.transition') && l.includes(moves('V-1')[0]!.sha256))
      .map((l) => JSON.stringify(JSON.parse(l)));
    assert.equal(span.length, 1, 'one transition span names the prompt');
    assert.ok(span[0]!.includes('"autopilot.persona.sha256"') && span[0]!.includes('"autopilot.prompt.variant"'));

    const m = await repo.ok<VariantMetrics>(['metrics']);
    assert.deepEqual(
      m.variants.map((v) => [v.variant, v.runs, v.passed, v.firstPass, v.firstPassRate, v.refusals, v.backtracks]),
      [
        ['control', 2, 1, 0, 0, 1, 0],
        ['terse', 3, 2, 2, 1, 0, 0],
      ],
    );
    const text = await run(['-C', repo.dir, 'metrics']);
    assert.match(
      text.stdout,
      /prompt variants\n\s+persona\/variant\s+runs\s+first pass\s+backtracks\s+refusals\s+time in phase/,
    );
    assert.match(text.stdout, /planner\/control\s+2\s+0\.0%\s+0\s+1\s/);
    assert.match(text.stdout, /planner\/terse\s+3\s+100\.0%\s+0\s+0\s/);
  });
});

describe("a persona's allowlist behind autopilot exec's wall, and in policy test and explain", () => {
  it('refuses what the persona may not do before it runs, and walls the rest in with the narrowed capabilities', async () => {
    const SCRIPTER = {
      id: 'scripter',
      version: '1.0.0',
      role: 'scripter',
      instructions: 'You run scripts that read the code and report on it; you change nothing.',
      phases: ['IMPLEMENT'],
      tools: { allow: ['read', 'search', 'write:evidence', 'exec'] },
    };
    const repo = await makeRepo({
      config: (c) => {
        c['personas'] = { custom: [SCRIPTER] };
      },
    });
    await repo.ok(['task', 'start', 'T-1', '--title', 'Count words', '--persona', 'scripter']);
    await repo.driveTo('T-1', 'IMPLEMENT');
    // A command that needs write:source, which IMPLEMENT allows and the persona does not: refused, recorded, not run.
    const error = await repo.refusedUnchanged(
      ['exec', '--task', 'T-1', '--', 'touch', 'src/x.js'],
      'TOOL_NOT_ALLOWED_FOR_PERSONA',
      2,
      { taskId: 'T-1', violation: true },
    );
    assert.deepEqual(error.details['missing'], ['write:source']);
    assert.match(error.message, /autopilot policy explain --phase IMPLEMENT --persona scripter --tool Bash/);
    assert.equal(existsSync(repo.path('src', 'x.js')), false);
    // A script the persona may run still meets a wall without write:source: the work tree is read-only to it.
    const write = `require('fs').writeFileSync('src/y.js', 'x')`;
    const walled = await run(['-C', repo.dir, 'exec', '--task', 'T-1', '--', 'node', '-e', write]);
    assert.notEqual(walled.code, 0, walled.stdout + walled.stderr);
    assert.equal(existsSync(repo.path('src', 'y.js')), false);
    const read = await run(['-C', repo.dir, 'exec', '--task', 'T-1', '--', 'ls', 'src']);
    assert.equal(read.code, 0, read.stderr);
    // The config's persona of IMPLEMENT (the implementer) keeps the phase's capabilities: the same script writes.
    const open = await run(['-C', repo.dir, 'exec', '--phase', 'IMPLEMENT', '--', 'node', '-e', write]);
    assert.equal(open.code, 0, open.stderr);
    assert.equal(existsSync(repo.path('src', 'y.js')), true);
    rmSync(repo.path('src', 'y.js'));

    // policy explain judges under the phase's persona, or the one named.
    const edit = ['policy', 'explain', '--phase', 'IMPLEMENT', '--tool', 'Edit', '--input', '{"file_path":"src/a.js"}'];
    const plain = await repo.ok<{ decision: string; persona: { id: string } }>(edit);
    assert.deepEqual([plain.decision, plain.persona.id], ['allow', 'implementer']);
    const narrowed = await repo.ok<{ decision: string; code: string; missing: string[] }>([
      ...edit,
      '--persona',
      'scripter',
    ]);
    assert.deepEqual(
      [narrowed.decision, narrowed.code, narrowed.missing],
      ['deny', 'TOOL_NOT_ALLOWED_FOR_PERSONA', ['write:source']],
    );
    await repo.refused([...edit, '--persona', 'wizard'], 'USAGE', 1);

    // policy test: a case's persona, else --persona, else the phase's.
    writeFileSync(
      repo.path('cases.yaml'),
      [
        'cases:',
        '  - { name: scripter edits, phase: IMPLEMENT, tool: Edit, input: { file_path: src/a.js }, persona: scripter, expect: deny }',
        '  - { name: edits, phase: IMPLEMENT, tool: Edit, input: { file_path: src/a.js }, expect: allow }',
      ].join('\n'),
    );
    const passed = await repo.ok<{ passed: number; cases: { code?: string }[] }>(['policy', 'test', 'cases.yaml']);
    assert.equal(passed.passed, 2);
    assert.equal(passed.cases[0]!.code, 'TOOL_NOT_ALLOWED_FOR_PERSONA');
    const failed = await repo.refused(['policy', 'test', 'cases.yaml', '--persona', 'scripter'], 'VERIFY_FAILED', 2);
    assert.match(failed.message, /edits \(deny, expected allow\)/);
  });
});
