/** @module `autopilot serve [--port 4400]`: the dashboard and its HTTP API on 127.0.0.1, until Ctrl-C. */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { closeEngine, openEngine } from '../../../engine/context.ts';
import { approvalTokenFile, ensureApprovalToken } from '../../../engine/approval-token.ts';
import { openStoreFor, runnerFor, sinkFor } from '../../compose.ts';
import { serveDashboard, type DashboardHandle } from '../../http/server.ts';
import { cwdOf, intOption, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

/** The default port of the dashboard. */
export const DEFAULT_PORT = 4400;

export async function serveVerb(opts: GlobalOptions & { port?: string }): Promise<VerbResult> {
  const port = intOption(opts.port, 'port') ?? DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port needs a port number up to 65535, got ${port}`, 'port');
  const e = await openEngine({ cwd: cwdOf(opts), openStore: openStoreFor, makeSink: sinkFor, makeRunner: runnerFor });
  const log = (line: string) => process.stderr.write(`autopilot serve: ${line}\n`);
  try {
    const { token, created } = ensureApprovalToken(e.layout);
    const tokenFile = approvalTokenFile(e.layout);
    let server: DashboardHandle;
    try {
      server = await serveDashboard({ engine: e, port, log });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
      return { ok: false, error: { code: ErrorCode.USAGE, message: `cannot listen on 127.0.0.1:${port} (${code}); pick another port with --port PORT`, details: { argument: 'port' } } };
    }
    // The token travels in the fragment, which the browser never sends: it reaches the page, not a log.
    const signIn = `${server.url}#token=${encodeURIComponent(token)}`;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, url: server.url, port: server.port, signInUrl: signIn, tokenFile, tokenCreated: created })}\n`);
    } else {
      process.stdout.write(
        [
          `${pc.bold('Autopilot dashboard')}  ${server.url}`,
          '',
          `Approvals need a person's token. Open this sign-in URL yourself (it holds the token; do not share it):`,
          `  ${signIn}`,
          `The token is in ${tokenFile} (mode 0600${created ? ', created now' : ''}); the agent is never given it.`,
          '',
          pc.dim('Serving on 127.0.0.1 only. Ctrl-C stops.'),
          '',
        ].join('\n'),
      );
    }
    const stop = () => void server.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await server.closed;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    await closeEngine(e);
  }
  return { ok: true, value: {}, text: '', streamed: true };
}
