/**
 * @module Serving MCP over Streamable HTTP on 127.0.0.1, one MCP session per
 * Mcp-Session-Id. Requests whose Host or Origin is not localhost are refused
 * (403) before anything else, which keeps a web page from reaching the server
 * through DNS rebinding.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  localhostHostValidation,
  localhostOriginValidation,
  NodeStreamableHTTPServerTransport,
} from '@modelcontextprotocol/node';
import type { McpServer } from '@modelcontextprotocol/server';
import { createAutopilotServer, maxMessageBytes, type AutopilotServerOptions } from './server.ts';
import type { ServerHandle } from './stdio.ts';

/** The path of the MCP endpoint. */
export const MCP_PATH = '/mcp';

export interface HttpServerHandle extends ServerHandle {
  /** The endpoint: `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  readonly port: number;
}

interface Session {
  readonly server: McpServer;
  readonly transport: NodeStreamableHTTPServerTransport;
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** Listens on 127.0.0.1:`port` (0 picks a free port). Rejects when the port cannot be bound. */
export async function serveHttp(
  opts: Omit<AutopilotServerOptions, 'session'> & { readonly port: number },
): Promise<HttpServerHandle> {
  const sessions = new Map<string, Session>();
  const validHost = localhostHostValidation();
  const validOrigin = localhostOriginValidation();

  const open = async (req: IncomingMessage, res: ServerResponse) => {
    const server = createAutopilotServer({ ...opts, session: 'http' });
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: maxMessageBytes(opts.engine),
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport });
        opts.log(`session ${id} opened`);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        opts.log(`session ${id} closed`);
      },
    });
    server.server.onerror = (err) => opts.log(`http: ${err.message}`);
    await server.connect(transport);
    server.server.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await transport.handleRequest(req, res);
    // Anything but an initialize leaves no session behind: nothing to keep.
    if (!transport.sessionId) await server.close();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!validHost(req, res) || !validOrigin(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) return reply(res, 404, `not found: the MCP endpoint is ${MCP_PATH}`);
    const header = req.headers['mcp-session-id'];
    const id = Array.isArray(header) ? header[0] : header;
    if (id === undefined) {
      if (req.method !== 'POST')
        return reply(res, 400, 'no Mcp-Session-Id: a session starts with a POST of initialize');
      return open(req, res);
    }
    const session = sessions.get(id);
    if (!session) return reply(res, 404, 'unknown or closed session: start a new one with initialize');
    await session.transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
  const close = async () => {
    for (const s of [...sessions.values()]) await s.server.close();
    sessions.clear();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}${MCP_PATH}`, port, closed, close };
}
