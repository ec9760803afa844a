/** @module `autopilot serve [--port 4400]`: the dashboard and its HTTP API on 127.0.0.1, until Ctrl-C. */
import pc from 'picocolors';
import { closeEngine, openEngine } from '../../../engine/context.ts';
import { approvalTokenFile, ensureApprovalToken } from '../../../engine/approvals/token.ts';
import { openStoreFor, runnerFor, sinkFor, spanReaderFor } from '../../compose.ts';
import { serveDashboard } from '../../http/server.ts';
import {
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
  const e = await openEngine({ cwd: cwdOf(opts), openStore: openStoreFor, makeSink: sinkFor, makeRunner: runnerFor });
  const log = (line: string) => process.stderr.write(`autopilot serve: ${line}\n`);
  try {
    const { token, created } = ensureApprovalToken(e.layout);
    const tokenFile = approvalTokenFile(e.layout);
    const listening = await listenOn(port, 'port', () =>
      serveDashboard({ engine: e, spans: spanReaderFor(e.layout), port, log }),
    );
    if (!listening.ok) return listening;
    const server = listening.value;
    // The token travels in the fragment, which the browser never sends: it reaches the page, not a log.
    const signIn = `${server.url}#token=${encodeURIComponent(token)}`;
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, url: server.url, port: server.port, signInUrl: signIn, tokenFile, tokenCreated: created })}\n`,
      );
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
    await serveUntilClosed(server);
  } finally {
    await closeEngine(e);
  }
  return { ok: true, value: {}, text: '', streamed: true };
}
