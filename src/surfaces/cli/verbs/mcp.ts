/** @module `autopilot mcp [--http PORT] [--holder ID] [--role reviewer]`: the MCP server, over stdio or over Streamable HTTP on 127.0.0.1. */
import { AutopilotError, ErrorCode, ok, type Result } from '../../../core/errors.ts';
import { closeEngine, openEngine, type Engine } from '../../../engine/context.ts';
import { openStoreFor, runnerFor, forgeFor, sinkFor } from '../../compose.ts';
import { serveStdio, type ServerHandle } from '../../mcp/stdio.ts';
import { serveHttp } from '../../mcp/http.ts';
import { InFlight } from '../../mcp/tool.ts';
import { resolveHolder } from '../../mcp/holder.ts';
import {
  cwdOf,
  intOption,
  listenOn,
  resolveRole,
  serveUntilClosed,
  UsageError,
  type GlobalOptions,
  type VerbResult,
} from '../runtime.ts';

/** Diagnostics go to stderr: over stdio, stdout carries protocol messages only. */
function log(line: string): void {
  process.stderr.write(`autopilot mcp: ${line}\n`);
}

/**
 * Opens the engine once for the server's life. A repository that is not set up, or whose config
 * is invalid, still gets a server: every tool then answers CONFIG_INVALID, which an agent can
 * report, where a server that fails to start shows as a dead entry in its client.
 */
async function openOnce(cwd: string): Promise<Result<Engine>> {
  try {
    return ok(
      await openEngine({ cwd, openStore: openStoreFor, makeSink: sinkFor, makeRunner: runnerFor, openForge: forgeFor }),
    );
  } catch (err) {
    if (!(err instanceof AutopilotError) || err.code !== ErrorCode.CONFIG_INVALID) throw err;
    log(`${err.message}; every tool will answer CONFIG_INVALID`);
    return { ok: false, error: err.toRefusal() };
  }
}

export async function mcpVerb(opts: GlobalOptions & { http?: string }): Promise<VerbResult> {
  const port = intOption(opts.http, 'http');
  if (port !== undefined && port > 65535)
    throw new UsageError(`--http needs a port number up to 65535, got ${port}`, 'http');
  const chosen = resolveHolder({
    option: opts.holder,
    env: process.env,
    transport: port === undefined ? 'stdio' : 'http',
  });
  if (!chosen.ok) return chosen;
  const { holder } = chosen.value;
  const role = resolveRole(opts);
  if (role) log(`reviewer session: review_get and the review rubric only`);
  log(
    holder === undefined
      ? 'each MCP session holds leases of its own (name one holder with --holder or AUTOPILOT_HOLDER)'
      : `lease holder ${holder} (from ${chosen.value.source})`,
  );
  const engine = await openOnce(cwdOf(opts));
  const inFlight = new InFlight();
  let server: ServerHandle;
  try {
    if (port === undefined) {
      server = await serveStdio({
        engine,
        log,
        inFlight,
        ...(holder !== undefined ? { holder } : {}),
        ...(role ? { role } : {}),
      });
    } else {
      const listening = await listenOn(port, 'http', () =>
        serveHttp({
          engine,
          port,
          log,
          inFlight,
          ...(holder !== undefined ? { holder } : {}),
          ...(role ? { role } : {}),
        }),
      );
      if (!listening.ok) return listening;
      log(`serving MCP over Streamable HTTP at ${listening.value.url}`);
      server = listening.value;
    }
    await serveUntilClosed(server);
    // A call the client stopped waiting for still finishes: its ledger entry is written or rolled back whole.
    await inFlight.idle();
  } finally {
    if (engine.ok) await closeEngine(engine.value);
  }
  // Nothing more may reach stdout: over stdio it belonged to the protocol.
  return { ok: true, value: {}, text: '', streamed: true };
}
