/**
 * @module Who an MCP server holds leases as: the one place that names the lease
 * holder of `autopilot mcp`, from its option, the environment or the session.
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';

/** How long a holder id may be; ledger entries and refusals repeat it. */
export const MAX_HOLDER_LENGTH = 200;

/** Where the holder came from, for the server's log line and for tests. */
export type HolderSource = '--holder' | 'AUTOPILOT_HOLDER' | 'CLAUDE_CODE_SESSION_ID' | 'session';

export interface HolderChoice {
  /** The holder every session of this server takes leases as; undefined: each MCP session is its own holder. */
  readonly holder: string | undefined;
  readonly source: HolderSource;
}

export interface HolderInputs {
  /** `autopilot mcp --holder ID` (the command line's global option). */
  readonly option: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly transport: 'stdio' | 'http';
}

function checkHolder(value: string, source: HolderSource): Result<string> {
  const holder = value.trim();
  // Control characters would forge lines in the journal and the terminal; the length keeps entries small.
  if (holder.length === 0 || holder.length > MAX_HOLDER_LENGTH || /\p{Cc}/u.test(holder)) {
    return refuse(
      ErrorCode.USAGE,
      `${source} must be 1 to ${MAX_HOLDER_LENGTH} printable characters, got ${JSON.stringify(value.slice(0, 40))}; name the agent, e.g. --holder agent-a`,
      { argument: source === '--holder' ? 'holder' : source },
    );
  }
  return ok(holder);
}

/**
 * The lease holder of an MCP server, first of:
 * 1. `--holder ID`;
 * 2. `AUTOPILOT_HOLDER`;
 * 3. over stdio, `CLAUDE_CODE_SESSION_ID`, which Claude Code (2.1.154 on) sets
 *    for the stdio servers it starts, as `claude:<id>`: the holder its hooks
 *    take leases as, so a session's hooks and its MCP server hold one lease;
 *    over HTTP the variable would belong to whoever started the server, not
 *    to the clients that connect, so it is not read there;
 * 4. otherwise undefined: each MCP session holds leases of its own (the
 *    process over stdio, the Mcp-Session-Id over HTTP), which is right for a
 *    client that keeps one server for its session and wrong for one that
 *    starts a server per call: that client names its holder with 1 or 2.
 *
 * An empty option or variable counts as absent; one that is set but malformed
 * is a USAGE refusal, never silently replaced by the next source. Whether an
 * agent may claim a given holder is not decided here.
 */
export function resolveHolder(inputs: HolderInputs): Result<HolderChoice> {
  const named: [HolderSource, string | undefined][] = [
    ['--holder', inputs.option],
    ['AUTOPILOT_HOLDER', inputs.env['AUTOPILOT_HOLDER']],
  ];
  for (const [source, value] of named) {
    if (value === undefined || value === '') continue;
    const h = checkHolder(value, source);
    return h.ok ? ok({ holder: h.value, source }) : h;
  }
  const claude = inputs.env['CLAUDE_CODE_SESSION_ID'];
  if (inputs.transport === 'stdio' && claude) {
    const h = checkHolder(`claude:${claude}`, 'CLAUDE_CODE_SESSION_ID');
    return h.ok ? ok({ holder: h.value, source: 'CLAUDE_CODE_SESSION_ID' }) : h;
  }
  return ok({ holder: undefined, source: 'session' });
}
