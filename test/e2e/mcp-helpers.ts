/**
 * @module End-to-end helpers for the MCP server: the official client over real
 * stdio against `autopilot mcp` spawned in a repository, and tool calls that
 * must succeed or must be refused with a code.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { STATE_HOME } from '../helpers/state-home.ts';
import { binary } from './helpers.ts';

export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** A tool result, narrowed to what the tests read. */
interface ToolResult {
  readonly isError?: boolean;
  readonly structuredContent?: unknown;
  readonly content: readonly { type: string; text?: string }[];
}

export interface McpSession {
  readonly client: Client;
  /** The server's process id: its session, over stdio. */
  readonly pid: number;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** Errors the client saw on the connection (a stray line on stdout would be one). */
  readonly errors: Error[];
  close(): Promise<void>;
}

/** What else the server is started with: arguments after `mcp` (`--holder ID`), variables (AUTOPILOT_HOLDER). */
export interface StdioOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Spawns `node bin/autopilot.js mcp` in `dir` and connects the official client to it over stdio. */
export async function connectStdio(
  dir: string,
  clientName = 'e2e-agent',
  opts: StdioOptions = {},
): Promise<McpSession> {
  const bin = await binary();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', ...(opts.args ?? [])],
    cwd: dir,
    env: { ...getDefaultEnvironment(), XDG_STATE_HOME: STATE_HOME, NO_COLOR: '1', ...opts.env },
    stderr: 'pipe',
  });
  const chunks: Buffer[] = [];
  transport.stderr?.on('data', (b: Buffer) => chunks.push(b));
  const client = new Client({ name: clientName, version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  const pid = transport.pid;
  assert.ok(pid, 'the server process runs');
  return { client, pid, errors, stderr: () => Buffer.concat(chunks).toString('utf8'), close: () => client.close() };
}

/** Calls a tool that must succeed; returns its structured content, checking the text copy of it. */
export async function callOk<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  onprogress?: (p: { progress: number; message?: string }) => void,
): Promise<T> {
  const r = (await client.callTool(
    { name, arguments: args },
    { timeout: 120_000, ...(onprogress ? { onprogress, resetTimeoutOnProgress: true } : {}) },
  )) as ToolResult;
  assert.notEqual(
    r.isError,
    true,
    `${name} ${JSON.stringify(args).slice(0, 200)} should succeed: ${r.content.map((c) => c.text).join('\n')}`,
  );
  assert.ok(r.structuredContent && typeof r.structuredContent === 'object', `${name}: structured content`);
  assert.deepEqual(
    JSON.parse(r.content[r.content.length - 1]?.text ?? 'null'),
    r.structuredContent,
    `${name}: the text copy of the structured content`,
  );
  return r.structuredContent as T;
}

/** Calls a tool that must be refused with `code`; returns `{code, message, details}`. */
export async function callRefused(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  code: string,
): Promise<Refusal> {
  const r = (await client.callTool({ name, arguments: args }, { timeout: 120_000 })) as ToolResult;
  assert.equal(
    r.isError,
    true,
    `${name} ${JSON.stringify(args).slice(0, 200)} should be refused with ${code}: ${r.content
      .map((c) => c.text)
      .join('\n')
      .slice(0, 500)}`,
  );
  const error = r.structuredContent as Refusal;
  assert.ok(error && typeof error === 'object', `${name}: a refusal carries structured content`);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'message']);
  assert.equal(error.code, code, `${name}: ${error.message}`);
  assert.ok(error.message.length > 20, `${name}: a message that says what to do next`);
  assert.match(r.content[0]?.text ?? '', new RegExp(`^refused: ${code}: `));
  assert.equal(typeof error.details, 'object');
  return error;
}

/** True once the process is gone; false if it is still there after `withinMs` (a generous bound that only catches a hang). */
export async function exited(pid: number, withinMs = 30_000): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
