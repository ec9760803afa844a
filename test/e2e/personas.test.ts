/**
 * @module Personas end to end: every task start and transition records the compiled prompt's digest and the
 * PersonaSpec's, MCP prompt_get serves that same prompt with the task's own context, and the config picks a
 * repository's own persona for a phase.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeRepo } from './helpers.ts';
import { callOk, connectStdio } from './mcp-helpers.ts';

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
      ['STRATEGIZE:planner@1.0.0', 'SPEC:planner@1.0.0', 'PLAN:planner@1.0.0', 'THINK:skeptic@1.2.0'],
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
