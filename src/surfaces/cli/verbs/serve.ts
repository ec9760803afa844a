/**
 * @module `autopilot serve [--port 4400]`: the dashboard and its HTTP API on 127.0.0.1, addressed as
 * http://localhost:PORT, until Ctrl-C; prints the one-time code a person registers a passkey with, and sends what
 * the outbox holds while it runs.
 */
import pc from 'picocolors';
import { closeEngine, openEngine } from '../../../engine/context.ts';
import { openStoreFor, probeWall, runnerFor, forgeFor, sinkFor, spanReaderFor } from '../../compose.ts';
import { serveDashboard } from '../../http/server.ts';
import {
  cliActor,
  cwdOf,
  intOption,
  listenOn,
  serveUntilClosed,
  UsageError,
  type GlobalOptions,
  type VerbResult,
} from '../runtime.ts';

/** The default port of the dashboard. */
export const DEFAULT_PORT = 4400;

export async function serveVerb(opts: GlobalOptions & { port?: string }): Promise<VerbResult> {
  const port = intOption(opts.port, 'port') ?? DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port needs a port number up to 65535, got ${port}`, 'port');
  const e = await openEngine({
    cwd: cwdOf(opts),
    openStore: openStoreFor,
    makeSink: sinkFor,
    makeRunner: runnerFor,
    openForge: forgeFor,
  });
  const log = (line: string) => process.stderr.write(`autopilot serve: ${line}\n`);
  // Codes after the first go to the terminal as they are issued (the first is part of the start-up text).
  let started = false;
  const printCode = (code: string, why: string) => {
    if (started) log(`new registration code ${code} (${why}); valid 15 minutes, single use`);
  };
  try {
    const listening = await listenOn(port, 'port', () =>
      serveDashboard({
        engine: e,
        spans: spanReaderFor(e.layout),
        port,
        log,
        printCode,
        wallStatus: probeWall,
        dispatchAs: cliActor(opts),
      }),
    );
    if (!listening.ok) return listening;
    const server = listening.value;
    started = true;
    const { code, expires } = server.registrationCode;
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, url: server.url, port: server.port, registrationCode: code, registrationCodeExpires: expires })}\n`,
      );
    } else {
      process.stdout.write(
        [
          `${pc.bold('Autopilot dashboard')}  ${server.url}`,
          '',
          `A person's decision is signed with their passkey. To register one, open ${server.url}register`,
          `and type this one-time code (single use, valid 15 minutes; a new one is printed here after):`,
          `  ${pc.bold(code)}`,
          '',
          pc.dim('Listening on 127.0.0.1 only (open it as localhost: passkeys need a domain). Ctrl-C stops.'),
          '',
        ].join('\n'),
      );
    }
    await serveUntilClosed(server);
  } finally {
    await closeEngine(e);
  }
  return { ok: true, value: {}, text: '', streamed: true };
}
