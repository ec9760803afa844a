/** @module Driving Autopilot's own MCP server as an agent would: this package's `autopilot mcp` spawned over stdio, tool results read back as results or refusals. */
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ErrorCode, type Refusal, type Result } from '../../core/errors.ts';
import { packageVersion } from '../../engine/setup/package-info.ts';
import { PACKAGE_BIN } from '../hooks/launcher.ts';

/** This package's bin script (from the sources, the development entry that runs them through tsx). */
export const AUTOPILOT_BIN = PACKAGE_BIN;

export interface StdioConnection {
  readonly client: Client;
  /** The server's process id. */
  readonly pid: number | null;
  /** What the server wrote on stderr, for a report when something goes wrong. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Spawns `node bin/autopilot.js mcp` in `cwd` (with `args` after it: `--holder reviewer-1 --role reviewer`) and
 * connects an MCP client named `clientName` to it.
 */
export async function connectAutopilot(
  cwd: string,
  clientName: string,
  args: readonly string[] = [],
): Promise<StdioConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [AUTOPILOT_BIN, 'mcp', ...args],
    cwd,
    // The per-user state folder the caller uses, so that the server signs with the same key and moves the same anchor.
    env: {
      ...getDefaultEnvironment(),
      ...(process.env['XDG_STATE_HOME'] ? { XDG_STATE_HOME: process.env['XDG_STATE_HOME'] } : {}),
      NO_COLOR: '1',
    },
    stderr: 'pipe',
  });
  const chunks: Buffer[] = [];
  transport.stderr?.on('data', (b: Buffer) => chunks.push(b));
  const client = new Client({ name: clientName, version: packageVersion() });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => Buffer.concat(chunks).toString('utf8'),
    close: () => client.close(),
  };
}

/** Calls a tool and reads the answer back as the engine would have given it: the structured value, or the refusal. */
export async function callTool<T>(client: Client, name: string, args: Record<string, unknown>): Promise<Result<T>> {
  const r = await client.callTool({ name, arguments: args }, { timeout: 10 * 60_000 });
  const structured = r.structuredContent as Record<string, unknown> | undefined;
  if (!r.isError) return { ok: true, value: structured as T };
  if (structured && typeof structured['code'] === 'string')
    return { ok: false, error: structured as unknown as Refusal };
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { ok: false, error: { code: ErrorCode.USAGE, message: text, details: {} } };
}
