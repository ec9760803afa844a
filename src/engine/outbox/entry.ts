/** @module The one way an outbox row's fate reaches the ledger: an `outbox` entry naming the row, its action and result. */
import type { OutboxRow } from '../../core/outbox.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { StoreTx } from '../../ports/store.ts';
import { append } from '../ledger/record.ts';
import type { Actor, Engine } from '../context.ts';

/** An artifact the entry records (evidence Autopilot wrote from the effect's result). */
export interface OutboxArtifact {
  readonly path: string;
  readonly sha256: string;
  readonly producer: 'autopilot';
}

/**
 * Appends the `outbox` entry of `row` inside `tx`: `result` says what became of it (`sent`, `found`, `failed`,
 * `stopped`, `retried`, `dropped`), `data` adds what the result has to say. The entry sits in the task's current phase.
 */
export async function appendOutboxEntry(
  engine: Engine,
  tx: StoreTx,
  actor: Actor,
  row: OutboxRow,
  result: string,
  data: Readonly<Record<string, unknown>>,
  artifacts: readonly OutboxArtifact[] = [],
): Promise<LedgerEntry> {
  const task = await tx.getTask(row.taskId);
  return append(engine, tx, {
    taskId: row.taskId,
    kind: 'outbox',
    fromPhase: task?.phase ?? null,
    toPhase: null,
    actor: actor.id,
    artifacts: [...artifacts],
    data: { ...data, outbox: row.key, action: row.action, result },
  });
}
