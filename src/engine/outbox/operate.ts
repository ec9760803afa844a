/** @module What an operator does with the outbox: list its rows, put a stopped one back in line, drop one. */
import { decideOperator, OUTBOX_STATES, type OutboxRow, type OutboxState } from '../../core/outbox.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { appendOutboxEntry } from './entry.ts';
import type { Actor, Engine } from '../context.ts';

export interface OutboxListRequest {
  readonly taskId?: string;
  /** State names, checked against the known ones. */
  readonly states?: readonly string[];
}

/** The rows, oldest first; an unknown state name is a USAGE refusal naming the known ones. */
export async function listOutbox(engine: Engine, req: OutboxListRequest = {}): Promise<Result<OutboxRow[]>> {
  const unknown = req.states?.find((s) => !OUTBOX_STATES.includes(s as OutboxState));
  if (unknown !== undefined)
    return refuse(ErrorCode.USAGE, `no outbox state "${unknown}"; the states are ${OUTBOX_STATES.join(', ')}`, {
      argument: 'state',
    });
  return ok(
    await engine.store.listOutbox({
      ...(req.taskId !== undefined ? { taskId: req.taskId } : {}),
      ...(req.states ? { states: req.states as OutboxState[] } : {}),
    }),
  );
}

/**
 * `retry`: a failed, stopped or dropped row goes back to pending with its attempts reset; `drop`: a row not yet
 * sent is given up. Either is recorded as an `outbox` entry naming the person, with their reason.
 */
export async function operateOutbox(
  engine: Engine,
  actor: Actor,
  op: 'retry' | 'drop',
  key: string,
  reason: string,
): Promise<Result<OutboxRow>> {
  if (reason.trim().length < 3)
    return refuse(ErrorCode.USAGE, `outbox ${op} needs --reason with a few words on why`, { argument: 'reason' });
  return engine.store.transact(async (tx): Promise<Result<OutboxRow>> => {
    const now = (await tx.now?.()) ?? engine.clock.now();
    const row = await tx.getOutbox(key);
    const d = decideOperator(row, key, op, now);
    if (!d.ok) return d;
    await appendOutboxEntry(engine, tx, actor, d.value, op === 'retry' ? 'retried' : 'dropped', {
      reason: reason.slice(0, 2000),
    });
    await tx.putOutbox(d.value);
    return ok(d.value);
  });
}
