/** @module Serving MCP over stdio: one session for the life of the process. */
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createAutopilotServer, maxMessageBytes, type AutopilotServerOptions } from './server.ts';

/** A running server: `closed` settles when the client goes away or `close` is called. */
export interface ServerHandle {
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Serves on this process's stdin and stdout; the session is the process id. */
export async function serveStdio(opts: Omit<AutopilotServerOptions, 'session'>): Promise<ServerHandle> {
  const server = createAutopilotServer({ ...opts, session: String(process.pid) });
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  server.server.onerror = (err) => opts.log(`stdio: ${err.message}`);
  await server.connect(new StdioServerTransport(undefined, undefined, { maxBufferSize: maxMessageBytes(opts.engine) }));
  return { closed, close: () => server.close() };
}
