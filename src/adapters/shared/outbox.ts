/** @module What the store adapters share of the outbox: its order, its filter, and the refusal of a missing row. */
import type { OutboxRow } from '../../core/outbox.ts';
import type { OutboxQuery } from '../../ports/store.ts';

/** Oldest first: by creation time, then key (code-point order, as the SQL stores sort with COLLATE "C" or BINARY). */
export function compareOutbox(a: OutboxRow, b: OutboxRow): number {
  const by = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return by(a.createdAt, b.createdAt) || by(a.key, b.key);
}

export function matchesOutbox(row: OutboxRow, q: OutboxQuery): boolean {
  return (
    (q.taskId === undefined || row.taskId === q.taskId) && (q.states === undefined || q.states.includes(row.state))
  );
}

/** Replacing a row that is not there is a bug of the caller's (rows are never deleted): thrown. */
export function missingOutboxRow(key: string): Error {
  return new Error(`no outbox row ${key} to replace`);
}

/** The outbox columns, in the order the SQL stores write them. */
export const OUTBOX_COLUMNS = [
  'key',
  'task_id',
  'action',
  'epoch',
  'payload',
  'state',
  'attempts',
  'next_at',
  'claim_token',
  'claim_host',
  'claim_pid',
  'claimed_at',
  'decided_seq',
  'result_seq',
  'last_error',
  'created_at',
  'updated_at',
] as const;

/** A row's values in `OUTBOX_COLUMNS` order, JSON columns as their text. */
export function outboxValues(r: OutboxRow): (string | number | null)[] {
  return [
    r.key,
    r.taskId,
    r.action,
    r.epoch,
    JSON.stringify(r.payload),
    r.state,
    r.attempts,
    r.nextAt,
    r.claimToken,
    r.claimHost,
    r.claimPid,
    r.claimedAt,
    r.decidedSeq,
    r.resultSeq,
    r.lastError,
    r.createdAt,
    r.updatedAt,
  ];
}
