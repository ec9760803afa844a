/** @module `autopilot guard <TASK> --tool NAME [--input JSON]`: would this tool call be allowed now? */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { guardRefusalDetails, guardToolCall } from '../../../engine/task/guard.ts';
import { done, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

const CLIENTS = ['claude', 'codex', 'cursor', 'mcp', 'generic'] as const;

export async function guardVerb(
  taskId: string,
  opts: GlobalOptions & { tool: string; input?: string; client?: string },
): Promise<VerbResult> {
  let input: unknown = {};
  if (opts.input !== undefined) {
    try {
      input = JSON.parse(opts.input);
    } catch (err) {
      throw new UsageError(`--input is not JSON: ${(err as Error).message}`, 'input');
    }
  }
  const client = (opts.client ?? 'claude') as (typeof CLIENTS)[number];
  if (!CLIENTS.includes(client)) throw new UsageError(`--client must be one of ${CLIENTS.join(', ')}`, 'client');
  return withEngine(opts, async (engine, actor) => {
    const r = await guardToolCall(engine, actor, { taskId, client, tool: opts.tool, input });
    if (!r.ok) return r;
    const g = r.value;
    const caps = g.capabilities.join(', ') || 'none';
    if (g.decision === 'allow') return done(g, `${pc.green('allow')} ${opts.tool} in ${g.phase} (${caps})`);
    return {
      ok: false,
      text: `${g.decision === 'ask' ? pc.yellow('ask') : pc.red('deny')} ${opts.tool} in ${g.phase} (${caps})`,
      error: {
        code: g.code ?? ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
        message: g.reason,
        details: guardRefusalDetails(g, opts.tool),
      },
    };
  });
}
