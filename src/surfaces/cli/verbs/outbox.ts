/** @module `autopilot outbox list|run|retry|drop`: the external side effects the process decided, for operators. */
import { runOutbox, type DispatchOutcome } from '../../../engine/outbox/dispatch.ts';
import { listOutbox, operateOutbox } from '../../../engine/outbox/operate.ts';
import type { OutboxRow } from '../../../core/outbox.ts';
import { done, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

function describeRow(r: OutboxRow): string {
  const p = r.payload;
  const what =
    r.action === 'push'
      ? `push ${String(p['commit']).slice(0, 12)} to ${String(p['remote'])}/${String(p['branch'])}`
      : r.action;
  const when =
    r.state === 'failed'
      ? `, next try ${r.nextAt}`
      : r.state === 'sent'
        ? `, recorded in entry ${r.resultSeq}`
        : r.state === 'sending'
          ? `, claimed by pid ${r.claimPid} on ${r.claimHost} at ${r.claimedAt}`
          : '';
  const error = r.lastError ? `\n    ${r.lastError}` : '';
  return `${r.key}  ${r.state}  ${what} (attempts ${r.attempts}${when})${error}`;
}

export async function outboxList(opts: GlobalOptions & { task?: string; state?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const states = opts.state
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const r = await listOutbox(engine, { ...(opts.task ? { taskId: opts.task } : {}), ...(states ? { states } : {}) });
    if (!r.ok) return r;
    const text = r.value.length ? r.value.map(describeRow).join('\n') : 'the outbox is empty';
    return done({ rows: r.value }, text);
  });
}

const SAID: Record<DispatchOutcome['outcome'], string> = {
  sent: 'sent and recorded',
  found: 'found done already (a run before this one sent it), now recorded',
  failed: 'failed, will be tried again',
  stopped: 'stopped: a person decides (autopilot outbox retry KEY --reason …, or drop)',
  superseded: 'dropped: the task moved on before it was sent',
  skipped: 'left to the dispatcher that holds it',
  waiting: 'waiting for what it needs, tried again',
};

export async function outboxRun(opts: GlobalOptions & { key?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    const outcomes = await runOutbox(engine, actor, opts.key ? { key: opts.key } : {});
    const lines = outcomes.map(
      (o) =>
        `${o.key}: ${SAID[o.outcome]}${o.seq !== undefined ? ` (entry ${o.seq})` : ''}${o.nextAt ? ` at ${o.nextAt}` : ''}${o.error ? `\n    ${o.error}` : ''}`,
    );
    const bad = outcomes.some((o) => o.outcome === 'failed' || o.outcome === 'stopped');
    return {
      ok: true,
      value: { outcomes },
      text: lines.length ? lines.join('\n') : 'nothing in the outbox is due',
      // Like `alerts`: not a refusal, but a script must see that something did not go out.
      ...(bad ? { exitCode: 2 } : {}),
    };
  });
}

export async function outboxOperate(
  op: 'retry' | 'drop',
  key: string,
  opts: GlobalOptions & { reason: string },
): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    const r = await operateOutbox(engine, actor, op, key, opts.reason);
    if (!r.ok) return r;
    const text =
      op === 'retry'
        ? `${key} is pending again; autopilot outbox run sends it`
        : `${key} is dropped; it will not be sent`;
    return done({ row: r.value }, text);
  });
}
