/**
 * Unit: the MCP server over an in-memory linked transport with the official
 * client: the tool list (contract names, descriptions, schemas, annotations),
 * the phase prompts, the shape of results and refusals, and a server whose
 * repository could not be opened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { closeEngine, openEngine, type Engine } from '../../src/engine/context.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import { createAutopilotServer, httpSession, sessionActor, TOOLS } from '../../src/surfaces/mcp/server.ts';
import { makeRepo, PHASES } from '../e2e/helpers.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { AUTOPILOT_TOOLS } from '../../src/core/policy/mcp.ts';

const CONTRACT = [
  'task_start',
  'task_status',
  'phase_advance',
  'phase_backtrack',
  'evidence_put',
  'evidence_check',
  'lease_acquire',
  'lease_renew',
  'lease_release',
  'tool_check',
  'verify_run',
  'ledger_verify',
  'approval_request',
  'prompt_get',
  'review_get',
  'similar_tasks',
];

/** The contract's shared argument names; any other input property must be camelCase too. */
const SHARED = ['taskId', 'title', 'phase', 'to', 'reason', 'name', 'content', 'holder', 'ttlSeconds', 'tool', 'input'];

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema & { description?: string }>;
  required?: string[];
  additionalProperties?: unknown;
}

async function linked(engine: Parameters<typeof createAutopilotServer>[0]['engine'], holder?: string): Promise<Client> {
  const server = createAutopilotServer({ engine, session: 'unit', log: () => {}, ...(holder ? { holder } : {}) });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'unit test', version: '1.0.0' });
  await client.connect(b);
  return client;
}

const callTool = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args });

describe('MCP server, in memory', () => {
  let engine: Engine;
  let client: Client;

  before(async () => {
    const repo = await makeRepo();
    engine = await openEngine({ runner: new ProcessRunner(), cwd: repo.dir, openStore: openStoreFor });
    client = await linked({ ok: true, value: engine });
  });
  after(async () => {
    await client.close();
    await closeEngine(engine);
  });

  it('lists exactly the contract tools, and none that approves', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...CONTRACT].sort());
    assert.deepEqual(TOOLS.map((t) => t.name).sort(), [...CONTRACT].sort());
    // The hooks judge a call of each by the policy's table of Autopilot's own tools: one missing there is denied.
    assert.deepEqual(Object.keys(AUTOPILOT_TOOLS).sort(), [...CONTRACT].sort());
    for (const t of tools) assert.doesNotMatch(t.name, /approve|reject|decide|grant/);
  });

  it('describes every tool for a model: what it does, when to call it, what a refusal looks like', async () => {
    const { tools } = await client.listTools();
    for (const t of tools) {
      const d = t.description ?? '';
      assert.ok(d.length > 200, `${t.name}: a description that says what, when and how it refuses`);
      assert.match(d, /Call it/, `${t.name}: when to call it`);
      assert.match(d, /Refused with [A-Z_]+/, `${t.name}: which refusals`);
      assert.match(d, /isError true and structuredContent \{code, message, details\}/, `${t.name}: the refusal shape`);
      assert.ok(t.title, `${t.name}: a title`);
    }
  });

  it('gives every tool an input and an output schema, with camelCase arguments shared across tools', async () => {
    const { tools } = await client.listTools();
    const taskIdMeaning = new Set<string>();
    for (const t of tools) {
      const input = t.inputSchema as JsonSchema;
      assert.equal(input.type, 'object', t.name);
      assert.equal(input.additionalProperties, false, `${t.name}: unknown arguments are refused, not ignored`);
      for (const [key, prop] of Object.entries(input.properties ?? {})) {
        assert.match(key, /^[a-z][a-zA-Z0-9]*$/, `${t.name}.${key} is camelCase`);
        assert.ok(prop.description, `${t.name}.${key} is described`);
        if (key === 'taskId' && t.name !== 'tool_check') taskIdMeaning.add(String(prop.description));
      }
      // The success shape or the refusal shape, with an object at the root as MCP requires.
      const output = t.outputSchema as (JsonSchema & { anyOf?: JsonSchema[] }) | undefined;
      assert.equal(output?.type, 'object', `${t.name}: an output schema`);
      const [success, refusal] = output?.anyOf ?? [];
      assert.equal(output?.anyOf?.length, 2, `${t.name}: success or refusal`);
      assert.ok(Object.keys(success?.properties ?? {}).length > 0, `${t.name}: output properties`);
      assert.equal(success?.additionalProperties, false, `${t.name}: a strict success shape`);
      assert.deepEqual(refusal?.required?.sort(), ['code', 'details', 'message'], `${t.name}: the refusal shape`);
      assert.equal(refusal?.additionalProperties, false, `${t.name}: a strict refusal shape`);
      const codes = (refusal?.properties?.['code'] as { enum?: string[] } | undefined)?.enum ?? [];
      assert.ok(codes.includes('PHASE_SKIP') && codes.includes('INTERNAL'), `${t.name}: every refusal code`);
    }
    // One meaning for `taskId` wherever it is required (tool_check's is optional: the only active task).
    assert.equal(taskIdMeaning.size, 1);
    const props = (name: string) =>
      Object.keys((tools.find((t) => t.name === name)?.inputSchema as JsonSchema).properties ?? {});
    assert.deepEqual(props('evidence_put').sort(), ['content', 'name', 'phase', 'taskId', 'token']);
    assert.deepEqual(props('tool_check').sort(), ['client', 'input', 'taskId', 'tool']);
    assert.deepEqual(props('phase_backtrack').sort(), ['reason', 'taskId', 'to', 'token']);
    assert.deepEqual(props('lease_acquire').sort(), ['phase', 'taskId', 'ttlSeconds']);
    assert.deepEqual(props('task_start').sort(), ['base', 'domain', 'labels', 'persona', 'taskId', 'title']);
    for (const t of tools)
      for (const key of props(t.name))
        if (!SHARED.includes(key))
          assert.ok(
            [
              'token',
              'summary',
              'client',
              'base',
              'files',
              'limit',
              'minScore',
              'domain',
              'labels',
              'persona',
            ].includes(key),
            `${t.name}.${key}`,
          );
    const required = (name: string) =>
      ((tools.find((t) => t.name === name)?.inputSchema as JsonSchema).required ?? []).sort();
    assert.deepEqual(required('evidence_put'), ['content', 'name', 'phase', 'taskId']);
    assert.deepEqual(required('tool_check'), ['input', 'tool']);
  });

  it('annotates every tool with all four hints, read-only exactly for the tools that change nothing', async () => {
    const { tools } = await client.listTools();
    const readOnly = new Set([
      'task_status',
      'evidence_check',
      'ledger_verify',
      'prompt_get',
      'review_get',
      'similar_tasks',
    ]);
    for (const t of tools) {
      const a = t.annotations ?? {};
      for (const hint of ['readOnlyHint', 'idempotentHint', 'destructiveHint', 'openWorldHint'] as const)
        assert.equal(typeof a[hint], 'boolean', `${t.name}.${hint}`);
      assert.equal(a.readOnlyHint, readOnly.has(t.name), `${t.name}.readOnlyHint`);
      assert.equal(a.openWorldHint, false, `${t.name} stays in the repository`);
      if (a.readOnlyHint) assert.equal(a.destructiveHint, false, t.name);
    }
    const hint = (name: string) => tools.find((t) => t.name === name)?.annotations;
    assert.equal(hint('phase_backtrack')?.destructiveHint, true);
    assert.equal(hint('phase_advance')?.destructiveHint, false);
    assert.equal(hint('lease_acquire')?.idempotentHint, true);
  });

  it('offers a prompt for every phase, whose first message is the stable phase instructions', async () => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => p.name),
      PHASES.map((p) => `phase-${p.toLowerCase()}`),
    );
    const spec = await client.getPrompt({ name: 'phase-spec', arguments: {} });
    assert.equal(spec.messages.length, 1);
    const text = spec.messages[0]?.content.type === 'text' ? spec.messages[0].content.text : '';
    assert.match(text, /^# Autopilot: SPEC/);
    assert.match(text, /spec\.md/);
    assert.match(text, /Allowed tools/);
    const withTask = await client.getPrompt({ name: 'phase-spec', arguments: { taskId: 'NOPE-1' } });
    assert.equal(withTask.messages.length, 2);
    assert.deepEqual(withTask.messages[0], spec.messages[0]);
  });

  it('answers with structured content that matches the output schema, and refuses with {code, message, details}', async () => {
    const started = await client.callTool({ name: 'task_start', arguments: { taskId: 'U-1', title: 'unit' } });
    assert.equal(started.isError, undefined);
    const value = started.structuredContent as {
      task: { taskId: string; phase: string };
      seq: number;
      evidence: string[];
    };
    assert.deepEqual([value.task.taskId, value.task.phase, value.evidence], ['U-1', 'STRATEGIZE', ['strategy.md']]);
    assert.equal(started.content.length, 2);
    assert.deepEqual(JSON.parse((started.content[1] as { text: string }).text), value);

    const again = await client.callTool({ name: 'task_start', arguments: { taskId: 'U-1' } });
    assert.equal(again.isError, true);
    const error = again.structuredContent as { code: string; message: string; details: Record<string, unknown> };
    assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'message']);
    assert.equal(error.code, 'TASK_EXISTS');
    assert.match(error.message, /Next: read it with task_status/);
    assert.deepEqual(error.details, { taskId: 'U-1', phase: 'STRATEGIZE' });
    assert.match((again.content[0] as { text: string }).text, /^refused: TASK_EXISTS: /);

    const status = await client.callTool({ name: 'task_status', arguments: { taskId: 'U-1' } });
    assert.equal((status.structuredContent as { holder: string }).holder, sessionActor('unit test', 'unit').holder);
  });

  it('takes leases as the holder the server was given, in every session', async () => {
    const named = await linked({ ok: true, value: engine }, 'agent-z');
    try {
      await callTool(named, 'task_start', { taskId: 'U-2', title: 'named holder' });
      const status = await callTool(named, 'task_status', { taskId: 'U-2' });
      assert.equal((status.structuredContent as { holder: string }).holder, 'agent-z');
    } finally {
      await named.close();
    }
  });

  it('refuses unknown arguments instead of ignoring them, with the code USAGE and the known ones', async () => {
    const r = await client.callTool({ name: 'task_status', arguments: { task_id: 'U-1' } });
    assert.equal(r.isError, true);
    const error = r.structuredContent as { code: string; message: string; details: Record<string, unknown> };
    assert.equal(error.code, 'USAGE');
    assert.match(
      error.message,
      /^invalid arguments for task_status: taskId: missing \(string required\); unknown argument: task_id\. Next: call the tool again/,
    );
    assert.deepEqual(error.details['known'], ['taskId']);
    assert.match((r.content[0] as { text: string }).text, /^refused: USAGE: /);
  });

  it('refuses an argument of the wrong type the same way, naming it', async () => {
    const r = await client.callTool({ name: 'phase_advance', arguments: { taskId: 7 } });
    const error = r.structuredContent as { code: string; details: { issues: { path: string }[] } };
    assert.equal(r.isError, true);
    assert.equal(error.code, 'USAGE');
    assert.deepEqual(
      error.details.issues.map((i) => i.path),
      ['taskId'],
    );
  });
});

describe('MCP server without a usable repository', () => {
  it('still lists its tools, and every tool answers CONFIG_INVALID', async () => {
    const refusal = {
      code: 'CONFIG_INVALID' as const,
      message: 'no .autopilot/config.yaml at or above /x',
      details: { key: '(file)', reason: 'not initialised' },
    };
    const client = await linked({ ok: false, error: refusal });
    try {
      const { tools } = await client.listTools();
      assert.equal(tools.length, CONTRACT.length);
      for (const name of ['task_status', 'ledger_verify']) {
        const r = await client.callTool({ name, arguments: name === 'task_status' ? { taskId: 'T-1' } : {} });
        assert.equal(r.isError, true);
        const error = r.structuredContent as { code: string; message: string; details: unknown };
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /restart this MCP server/);
        assert.deepEqual(error.details, refusal.details);
      }
      assert.deepEqual((await client.listPrompts()).prompts, []);
    } finally {
      await client.close();
    }
  });
});

describe('sessionActor', () => {
  it('names the client and the session, and holds leases under that name', () => {
    assert.deepEqual(sessionActor('claude-code', '4242'), {
      id: 'mcp:claude-code:4242',
      holder: 'mcp:claude-code:4242',
      sessionId: '4242',
    });
    assert.equal(sessionActor('My Client/1', 's').id, 'mcp:My-Client-1:s');
    assert.equal(sessionActor(undefined, 's').id, 'mcp:client:s');
    assert.equal(sessionActor('', 's').id, 'mcp:client:s');
  });

  it('holds leases as the holder the server was given, and stays the session in the ledger', () => {
    assert.deepEqual(sessionActor('claude-code', '4242', 'agent-a'), {
      id: 'mcp:claude-code:4242',
      holder: 'agent-a',
      sessionId: '4242',
    });
  });

  it('names an HTTP session by a digest of its Mcp-Session-Id, never the id itself', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    assert.match(httpSession(id), /^[0-9a-f]{16}$/);
    assert.equal(httpSession(id), httpSession(id));
    assert.notEqual(httpSession(id), httpSession(`${id}x`));
    assert.ok(!id.includes(httpSession(id)));
  });
});
