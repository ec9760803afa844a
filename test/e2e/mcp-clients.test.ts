/**
 * E2E: `autopilot mcp` over real stdio with the clients agents are built on:
 * the TypeScript SDK 1.x (which validates a refusal's structuredContent
 * against the tool's outputSchema), the SDK 2.x, and the MCP Inspector's CLI.
 * Each lists the tools (their schemas must be accepted), calls one that
 * succeeds and one that is refused, and gets both intact.
 */
import { TOOLS } from '../../src/surfaces/mcp/server.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client as Sdk1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as Sdk1Stdio, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { STATE_HOME } from '../helpers/state-home.ts';
import { binary, makeRepo, ROOT, tempDir, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';

const sessions: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

/** The refusal a skip from STRATEGIZE to IMPLEMENT must arrive as, whichever the client. */
function assertSkip(repo: Repo, error: { code: string; message: string; details: Record<string, unknown> }): void {
  assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'message']);
  assert.equal(error.code, 'PHASE_SKIP');
  assert.match(
    error.message,
    /^cannot skip from STRATEGIZE to IMPLEMENT: the next phase is SPEC; pass SPEC, PLAN, THINK first\. Next: .*phase_advance/,
  );
  assert.doesNotMatch(error.message, /\.\./, 'one period between the message and its next step');
  const { seq, ...rest } = error.details;
  assert.deepEqual(rest, { from: 'STRATEGIZE', to: 'IMPLEMENT', next: 'SPEC' });
  const entry = repo.ledger().find((e) => e.seq === seq);
  assert.equal(entry?.kind, 'violation', 'the refusal names the ledger entry that records it');
  assert.equal(entry.data['code'], 'PHASE_SKIP');
}

/** Every contract tool, listed with an object-typed output schema that admits the refusal shape. */
function assertListed(tools: readonly { name: string; outputSchema?: unknown }[]): void {
  assert.equal(tools.length, TOOLS.length);
  for (const t of tools) {
    const out = t.outputSchema as { type?: string; anyOf?: { properties?: Record<string, unknown> }[] };
    assert.equal(out.type, 'object', `${t.name}: MCP wants an object at the root`);
    assert.equal(out.anyOf?.length, 2, `${t.name}: the success shape or the refusal shape`);
    assert.deepEqual(Object.keys(out.anyOf?.[1]?.properties ?? {}).sort(), ['code', 'details', 'message']);
  }
}

describe('MCP with real clients over stdio', () => {
  it('SDK 1.x: lists the tools, gets a success and a refusal intact', async () => {
    const repo = await makeRepo();
    const transport = new Sdk1Stdio({
      command: process.execPath,
      args: [await binary(), 'mcp'],
      cwd: repo.dir,
      env: { ...getDefaultEnvironment(), XDG_STATE_HOME: STATE_HOME, NO_COLOR: '1' },
      stderr: 'pipe',
    });
    const client = new Sdk1Client({ name: 'sdk1-agent', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (err) => errors.push(err);
    await client.connect(transport);
    sessions.push(client);

    // listTools compiles every output schema into a validator: one it cannot compile would throw here.
    const { tools } = await client.listTools();
    assertListed(tools);

    const started = await client.callTool({ name: 'task_start', arguments: { taskId: 'S1-1', title: 'sdk one' } });
    assert.notEqual(started.isError, true, JSON.stringify(started.content));
    const value = started.structuredContent as { task: { taskId: string; title: string; phase: string }; seq: number };
    assert.deepEqual([value.task.taskId, value.task.title, value.task.phase], ['S1-1', 'sdk one', 'STRATEGIZE']);
    assert.equal(repo.ledger().find((e) => e.seq === value.seq)?.kind, 'task_started');

    // Before the refusal shape was part of the outputSchema, this call threw -32602 in the client.
    const refused = await client.callTool({ name: 'phase_advance', arguments: { taskId: 'S1-1', to: 'IMPLEMENT' } });
    assert.equal(refused.isError, true);
    const error = refused.structuredContent as { code: string; message: string; details: Record<string, unknown> };
    assertSkip(repo, error);
    const content = refused.content as { type: string; text: string }[];
    assert.equal(content[0]?.text, `refused: PHASE_SKIP: ${error.message}`);
    assert.deepEqual(JSON.parse(content[1]?.text ?? 'null'), error);

    // An unknown argument: before, the SDK's own check answered a bare text with no code.
    const wrong = await client.callTool({ name: 'task_status', arguments: { task_id: 'S1-1' } });
    assert.equal(wrong.isError, true);
    assertUsage(wrong.structuredContent, 'task_status', 'task_id');
    assert.deepEqual(errors, []);
  });

  it('SDK 2.x: lists the tools, gets a success and a refusal intact', async () => {
    const repo = await makeRepo();
    const s: McpSession = await connectStdio(repo.dir, 'sdk2-agent');
    sessions.push(s);
    assertListed((await s.client.listTools()).tools);
    const value = await callOk<{ task: { title: string } }>(s.client, 'task_start', { taskId: 'S2-1', title: 'two' });
    assert.equal(value.task.title, 'two');
    assertSkip(repo, await callRefused(s.client, 'phase_advance', { taskId: 'S2-1', to: 'IMPLEMENT' }, 'PHASE_SKIP'));
    assert.deepEqual(s.errors, []);
  });

  it('MCP Inspector CLI: lists the tools with no portability error, gets a success and a refusal intact', async () => {
    const repo = await makeRepo();
    const listed = await inspector(repo, ['--method', 'tools/list', '--strict']);
    assert.equal(listed.code, 0, `tools/list --strict: ${listed.stderr}`);
    assertListed((JSON.parse(listed.stdout) as { tools: { name: string; outputSchema?: unknown }[] }).tools);
    assert.match(listed.stderr, /\b0 errors\b/);

    const started = await inspector(repo, toolCall('task_start', { taskId: 'I-1', title: 'inspected' }));
    assert.equal(started.code, 0, started.stderr);
    const ok = JSON.parse(started.stdout) as { isError?: boolean; structuredContent: { task: { title: string } } };
    assert.equal(ok.isError, undefined);
    assert.equal(ok.structuredContent.task.title, 'inspected');

    const refused = await inspector(repo, toolCall('phase_advance', { taskId: 'I-1', to: 'IMPLEMENT' }));
    // The Inspector's exit code for a tool result with isError (5), after printing the result in full.
    assert.equal(refused.code, 5, refused.stderr);
    const result = JSON.parse(refused.stdout) as {
      isError: boolean;
      structuredContent: Parameters<typeof assertSkip>[1];
    };
    assert.equal(result.isError, true);
    assertSkip(repo, result.structuredContent);
    assert.doesNotMatch(refused.stderr, /output schema|-32602/i);

    const wrong = await inspector(repo, toolCall('task_status', { taskId: 'I-1', verbose: 'yes' }));
    assert.equal(wrong.code, 5, wrong.stderr);
    assertUsage(
      (JSON.parse(wrong.stdout) as { structuredContent: unknown }).structuredContent,
      'task_status',
      'verbose',
    );
  });
});

/** A refusal of arguments the tool's schema does not allow: USAGE, naming the argument, the tool's own listed. */
function assertUsage(structured: unknown, tool: string, argument: string): void {
  const error = structured as { code: string; message: string; details: { known: string[] } };
  assert.equal(error.code, 'USAGE', JSON.stringify(structured));
  assert.match(
    error.message,
    new RegExp(`^invalid arguments for ${tool}: .*\\bunknown argument: ${argument}\\b.*\\. Next: `),
  );
  assert.ok(error.details.known.includes('taskId'));
}

function toolCall(name: string, args: Record<string, string>): string[] {
  return [
    '--method',
    'tools/call',
    '--tool-name',
    name,
    '--tool-arg',
    ...Object.entries(args).map(([k, v]) => `${k}=${v}`),
  ];
}

/** The Inspector's launcher as `npx @modelcontextprotocol/inspector --cli` runs it, one server process a call. */
const INSPECTOR = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);

async function inspector(repo: Repo, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = await binary();
  const home = tempDir('inspector-home');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // The server's command first: --tool-arg takes every word after it.
      // The server gets this test's per-user state folder (the key init made), not one under the throw-away home.
      [
        INSPECTOR,
        '--cli',
        '--cwd',
        repo.dir,
        '-e',
        `XDG_STATE_HOME=${STATE_HOME}`,
        process.execPath,
        bin,
        'mcp',
        ...args,
      ],
      {
        cwd: repo.dir,
        // Its catalog and anything else it keeps go to a throw-away home, never the user's.
        env: { PATH: process.env['PATH'] ?? '', HOME: home, MCP_CATALOG_PATH: join(home, 'mcp.json'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
