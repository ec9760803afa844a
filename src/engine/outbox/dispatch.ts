/**
 * @module The outbox dispatcher: claims due rows, checks whether each effect is already there, performs it, and
 * records the result as a ledger entry, so that a dispatcher killed at any point (before the send, during it, after
 * it and before the record) is followed by one that converges to exactly one effect. `autopilot outbox run` calls
 * it; so can any long-running process (serve, the hook daemon).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { writeFileSync } from 'node:fs';
import {
  claimable,
  claimRow,
  DEFAULT_BACKOFF,
  droppedRow,
  failRow,
  OutboxAction,
  OutboxState,
  sentRow,
  type Backoff,
  type OutboxRow,
  type PushPayload,
} from '../../core/outbox.ts';
import { PUSHED_COMMIT } from '../../core/config.ts';
import { append } from '../ledger/record.ts';
import { sha256Hex, writeAtomic } from '../repo/files.ts';
import { evidenceRel } from '../repo/layout.ts';
import { phaseFolder } from '../evidence/folder.ts';
import { git } from '../repo/git.ts';
import { defaultBranches, pushPayload, remoteCommit, sendPush } from './push.ts';
import type { Actor, Engine } from '../context.ts';

const HOST = hostname();

/** What became of one row in a run. */
export interface DispatchOutcome {
  readonly key: string;
  readonly taskId: string;
  readonly action: string;
  /**
   * `sent`: performed and recorded; `found`: the effect was there already (a dispatcher died after performing it)
   * and is now recorded; `failed`: will be tried again at `nextAt`; `stopped`: waits for a person;
   * `superseded`: the task moved on before it was sent, so it never will be; `skipped`: another dispatcher holds it.
   */
  readonly outcome: 'sent' | 'found' | 'failed' | 'stopped' | 'superseded' | 'skipped';
  readonly seq?: number;
  readonly error?: string;
  readonly nextAt?: string;
}

export interface DispatchOptions {
  readonly backoff?: Backoff;
  /** Only this row. */
  readonly key?: string;
}

/** The points a test may stop a dispatcher at; see {@link testPause}. */
export type PausePoint = 'before-send' | 'after-send';

/**
 * Sends every due row once (a failed row's next try waits for its backoff, so a run never loops on one), and says
 * what became of each; rows not due are left out. Rows another live dispatcher is sending are left to it (`skipped`).
 */
export async function runOutbox(engine: Engine, actor: Actor, opts: DispatchOptions = {}): Promise<DispatchOutcome[]> {
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const due = await engine.store.listOutbox({ states: [OutboxState.pending, OutboxState.failed, OutboxState.sending] });
  const out: DispatchOutcome[] = [];
  for (const row of due) {
    if (opts.key !== undefined && row.key !== opts.key) continue;
    const outcome = await dispatchRow(engine, actor, row.key, backoff);
    if (outcome) out.push(outcome);
  }
  return out;
}

/** True when the row's claim names a process on this host that no longer runs. */
function claimGone(row: OutboxRow): boolean {
  if (row.claimHost !== HOST || row.claimPid === null) return false;
  if (row.claimPid === process.pid) return false;
  try {
    process.kill(row.claimPid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What became of the row; undefined when it was not due (a failed row waiting for its backoff, or done meanwhile). */
async function dispatchRow(
  engine: Engine,
  actor: Actor,
  key: string,
  backoff: Backoff,
): Promise<DispatchOutcome | undefined> {
  const token = randomUUID();
  // 1. Claim, in a transaction: the row is ours until we record or another takes over a claim whose process died.
  type Claimed = { skipped: OutboxRow | undefined } | { superseded: OutboxRow; reason: string } | { row: OutboxRow };
  const claimed = await engine.store.transact(async (tx): Promise<Claimed> => {
    const row = await tx.getOutbox(key);
    const now = (await tx.now?.()) ?? engine.clock.now();
    if (!row || !claimable(row, now, claimGone(row), backoff)) return { skipped: row };
    // A decision the task has moved past is not carried out; one that may have been sent already is checked first.
    const task = await tx.getTask(row.taskId);
    const current = task?.status === 'active' && task.phaseEpoch === row.epoch;
    if (!current && row.state !== OutboxState.sending) {
      const reason = `superseded: task ${row.taskId} moved on (${task ? (task.status === 'active' ? `now in ${task.phase}` : task.status) : 'gone'}) before it was sent`;
      await tx.putOutbox(droppedRow(row, reason, now));
      return { superseded: row, reason };
    }
    const mine = claimRow(row, token, HOST, process.pid, now);
    await tx.putOutbox(mine);
    return { row: mine };
  });
  if ('skipped' in claimed) {
    const r = claimed.skipped;
    if (r?.state !== OutboxState.sending) return undefined;
    return { key, taskId: r.taskId, action: r.action, outcome: 'skipped' };
  }
  if ('superseded' in claimed) {
    const r = claimed.superseded;
    return { key, taskId: r.taskId, action: r.action, outcome: 'superseded', error: claimed.reason };
  }
  const row = claimed.row;
  await testPause('before-send');
  const payload = row.action === OutboxAction.push ? pushPayload(row.payload) : undefined;
  if (!payload)
    return fail(engine, actor, row, `the row holds no ${row.action} this Autopilot can perform`, false, backoff);

  // 2. Check: a dispatcher that died after the push left the remote at the commit; then there is nothing to send.
  const before = await remoteCommit(engine, payload);
  if (!before.ok) return fail(engine, actor, row, before.error.message, true, backoff);
  const found = before.value === payload.commit;
  if (!found) {
    // Checked again at the last moment: the remote's default branch may have been renamed to this one meanwhile.
    if ((await defaultBranches(engine, payload.remote)).includes(payload.branch))
      return fail(
        engine,
        actor,
        row,
        `${payload.branch} is the default branch of ${payload.remote}: never pushed`,
        false,
        backoff,
      );
    // 3. Send.
    const sent = await sendPush(engine, payload);
    await testPause('after-send');
    if (!sent.ok) {
      // The push may have reached the remote before the failure: read it back rather than trust the exit code.
      const after = await remoteCommit(engine, payload);
      if (!after.ok || after.value !== payload.commit)
        return fail(engine, actor, row, sent.error.message, true, backoff);
    }
  }
  // 4. Record: read back what the remote holds, then the entry and the row's new state in one transaction.
  const held = await remoteCommit(engine, payload);
  if (!held.ok || held.value !== payload.commit)
    return fail(
      engine,
      actor,
      row,
      `the push returned, but ${payload.remote} holds ${held.ok ? (held.value ?? 'no such branch') : 'nothing readable'} at ${payload.branch}`,
      true,
      backoff,
    );
  return record(engine, actor, row, payload, found);
}

/** Records a done push: the entry (with the pushed commit as PR evidence while the decision is current) and the row. */
async function record(
  engine: Engine,
  actor: Actor,
  row: OutboxRow,
  p: PushPayload,
  found: boolean,
): Promise<DispatchOutcome> {
  // Read before the transaction: a git process has no place inside one.
  const url = await remoteUrl(engine, p.remote);
  return engine.store.transact(async (tx): Promise<DispatchOutcome> => {
    const now = (await tx.now?.()) ?? engine.clock.now();
    const current = await tx.getOutbox(row.key);
    // Another dispatcher took the row over (this one was thought dead): it checks the remote and records.
    if (current?.claimToken !== row.claimToken)
      return { key: row.key, taskId: row.taskId, action: row.action, outcome: 'skipped' };
    const task = await tx.getTask(row.taskId);
    const evidence = task?.status === 'active' && task.phaseEpoch === row.epoch && task.phase === p.phase;
    const doc = {
      pushed: true,
      remote: p.remote,
      remoteUrl: url,
      branch: p.branch,
      commit: p.commit,
      remoteCommit: p.commit,
      outbox: row.key,
      at: now.toISOString(),
    };
    let artifacts: { path: string; sha256: string; producer: 'autopilot' }[] = [];
    if (evidence) artifacts = [writeEvidence(engine, row.taskId, p.phase, `${JSON.stringify(doc, null, 2)}\n`)];
    const entry = await append(engine, tx, {
      taskId: row.taskId,
      kind: 'outbox',
      fromPhase: task?.phase ?? null,
      toPhase: null,
      actor: actor.id,
      artifacts,
      data: { ...doc, action: row.action, result: found ? 'found' : 'sent', attempts: row.attempts },
    });
    await tx.putOutbox(sentRow(current, entry.seq, now));
    return { key: row.key, taskId: row.taskId, action: row.action, outcome: found ? 'found' : 'sent', seq: entry.seq };
  });
}

/** Records a failed attempt: the row waits for its backoff, or for a person when no retry can help. */
async function fail(
  engine: Engine,
  actor: Actor,
  row: OutboxRow,
  error: string,
  retryable: boolean,
  backoff: Backoff,
): Promise<DispatchOutcome> {
  return engine.store.transact(async (tx): Promise<DispatchOutcome> => {
    const now = (await tx.now?.()) ?? engine.clock.now();
    const current = await tx.getOutbox(row.key);
    if (current?.claimToken !== row.claimToken)
      return { key: row.key, taskId: row.taskId, action: row.action, outcome: 'skipped' };
    const next = failRow(current, error, retryable, now, backoff);
    const task = await tx.getTask(row.taskId);
    const entry = await append(engine, tx, {
      taskId: row.taskId,
      kind: 'outbox',
      fromPhase: task?.phase ?? null,
      toPhase: null,
      actor: actor.id,
      artifacts: [],
      data: {
        outbox: row.key,
        action: row.action,
        result: next.state,
        attempts: next.attempts,
        error: next.lastError,
        ...(next.state === OutboxState.failed ? { nextAt: next.nextAt } : {}),
      },
    });
    await tx.putOutbox(next);
    return {
      key: row.key,
      taskId: row.taskId,
      action: row.action,
      outcome: next.state === OutboxState.failed ? 'failed' : 'stopped',
      seq: entry.seq,
      error,
      ...(next.state === OutboxState.failed ? { nextAt: next.nextAt } : {}),
    };
  });
}

/** Writes the push's evidence into the phase folder, inside the transaction that records it. */
function writeEvidence(engine: Engine, taskId: string, phase: string, content: string) {
  const folder = phaseFolder(engine.layout, taskId, phase);
  if (!folder.ok) throw new Error(folder.error.message);
  writeAtomic(folder.value, PUSHED_COMMIT, content);
  return {
    path: evidenceRel(taskId, phase, PUSHED_COMMIT),
    sha256: sha256Hex(content),
    producer: 'autopilot' as const,
  };
}

async function remoteUrl(engine: Engine, remote: string): Promise<string | null> {
  const r = await git(engine.layout.root, ['remote', 'get-url', '--', remote]);
  // A URL may carry a password (https://user:token@host/…): keep it out of the ledger.
  return r.code === 0 ? r.stdout.trim().replace(/\/\/[^/@]*@/, '//') : null;
}

/**
 * A test-only stop, for the crash tests: when AUTOPILOT_TEST_OUTBOX_PAUSE names this point, the dispatcher writes
 * its pid to the file AUTOPILOT_TEST_OUTBOX_PAUSE_FILE and waits there for good, so that a test can kill -9 it at
 * exactly this point. Unset (always, outside tests), it does nothing.
 */
async function testPause(point: PausePoint): Promise<void> {
  if (process.env['AUTOPILOT_TEST_OUTBOX_PAUSE'] !== point) return;
  const file = process.env['AUTOPILOT_TEST_OUTBOX_PAUSE_FILE'];
  if (file) writeFileSync(file, `${process.pid}\n`);
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}
