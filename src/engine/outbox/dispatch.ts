/**
 * @module The outbox dispatcher: claims due rows, checks whether each effect is already there, performs it, and
 * records the result as a ledger entry, so that a dispatcher killed at any point (before the send, during it, after
 * it and before the record) is followed by one that converges to exactly one effect. `autopilot outbox run` calls
 * it; so can any long-running process (serve, the hook daemon).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { existsSync, writeFileSync } from 'node:fs';
import {
  claimable,
  claimRow,
  DEFAULT_BACKOFF,
  deferRow,
  droppedRow,
  failRow,
  newOutboxRow,
  OutboxAction,
  OutboxState,
  sentRow,
  type Backoff,
  type OutboxRow,
  type PushPayload,
} from '../../core/outbox.ts';
import { PUSHED_COMMIT } from '../../core/config.ts';
import { appendOutboxEntry, type OutboxArtifact } from './entry.ts';
import { forgePayload, performForge, type Performed } from './forge-actions.ts';
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
   * `superseded`: the task moved on before it was sent, so it never will be; `skipped`: another dispatcher holds it;
   * `waiting`: what it needs is not there yet (the PR template), tried again at `nextAt` without counting a failure.
   */
  readonly outcome: 'sent' | 'found' | 'failed' | 'stopped' | 'superseded' | 'skipped' | 'waiting';
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
 * Sends every due row once, the rows its sends decide included (a failed row's next try waits for its backoff, so a
 * run never loops on one), and says what became of each; rows not due are left out. Rows another live dispatcher is
 * sending are left to it (`skipped`).
 */
export async function runOutbox(engine: Engine, actor: Actor, opts: DispatchOptions = {}): Promise<DispatchOutcome[]> {
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const out: DispatchOutcome[] = [];
  const seen = new Set<string>();
  // A row sent may decide the next (push, then open_pr, then comment and status): those go out in the same run.
  for (;;) {
    const due = await engine.store.listOutbox({
      states: [OutboxState.pending, OutboxState.failed, OutboxState.sending],
    });
    const fresh = due.filter((r) => !seen.has(r.key) && (opts.key === undefined || r.key === opts.key));
    if (fresh.length === 0) return out;
    for (const row of fresh) {
      seen.add(row.key);
      const outcome = await dispatchRow(engine, actor, row.key, backoff);
      if (outcome) out.push(outcome);
    }
  }
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
  await testPause('before-send', row.action);
  const performed = await perform(engine, row);
  if (performed.kind === 'failed') return fail(engine, actor, row, performed.error, performed.retryable, backoff);
  if (performed.kind === 'deferred') return defer(engine, row, performed.why);
  return record(engine, actor, row, performed);
}

/** Performs the row's action, or finds it done already. */
async function perform(engine: Engine, row: OutboxRow): Promise<Performed> {
  const pause = () => testPause('after-send', row.action);
  if (row.action === OutboxAction.push) {
    const payload = pushPayload(row.payload);
    if (payload) return performPush(engine, row, payload, pause);
  } else if (Object.hasOwn(OutboxAction, row.action)) {
    const payload = forgePayload(row.action, row.payload);
    if (payload) return performForge(engine, row, payload, pause);
  }
  return { kind: 'failed', error: `the row holds no ${row.action} this Autopilot can perform`, retryable: false };
}

/** The push: checked at the remote first, sent without force, read back; its evidence is the commit the remote holds. */
async function performPush(
  engine: Engine,
  row: OutboxRow,
  payload: PushPayload,
  pause: () => Promise<void>,
): Promise<Performed> {
  const failed = (error: string, retryable: boolean): Performed => ({ kind: 'failed', error, retryable });
  // 2. Check: a dispatcher that died after the push left the remote at the commit; then there is nothing to send.
  const before = await remoteCommit(engine, payload);
  if (!before.ok) return failed(before.error.message, true);
  const found = before.value === payload.commit;
  if (!found) {
    // Checked again at the last moment: the remote's default branch may have been renamed to this one meanwhile.
    if ((await defaultBranches(engine, payload.remote)).includes(payload.branch))
      return failed(`${payload.branch} is the default branch of ${payload.remote}: never pushed`, false);
    // 3. Send.
    const sent = await sendPush(engine, payload);
    await pause();
    if (!sent.ok) {
      // The push may have reached the remote before the failure: read it back rather than trust the exit code.
      const after = await remoteCommit(engine, payload);
      if (!after.ok || after.value !== payload.commit) return failed(sent.error.message, true);
    }
  }
  // 4. Read back what the remote holds before recording it.
  const held = await remoteCommit(engine, payload);
  if (!held.ok || held.value !== payload.commit)
    return failed(
      `the push returned, but ${payload.remote} holds ${held.ok ? (held.value ?? 'no such branch') : 'nothing readable'} at ${payload.branch}`,
      true,
    );
  // Read here: a git process has no place inside the transaction that records.
  const url = await remoteUrl(engine, payload.remote);
  const doc = {
    pushed: true,
    remote: payload.remote,
    remoteUrl: url,
    branch: payload.branch,
    commit: payload.commit,
    remoteCommit: payload.commit,
    outbox: row.key,
  };
  const next = { phase: payload.phase, branch: payload.branch, commit: payload.commit };
  return {
    kind: 'done',
    found,
    data: doc,
    evidence: { name: PUSHED_COMMIT, content: '' },
    ...(payload.forge ? { follow: [{ action: OutboxAction.open_pr, payload: next }] } : {}),
  };
}

/**
 * Records a done effect in one transaction: its evidence (while the decision is current), the entry, the rows it
 * decides, and the row sent.
 */
async function record(
  engine: Engine,
  actor: Actor,
  row: OutboxRow,
  done: Extract<Performed, { kind: 'done' }>,
): Promise<DispatchOutcome> {
  return engine.store.transact(async (tx): Promise<DispatchOutcome> => {
    const now = (await tx.now?.()) ?? engine.clock.now();
    const current = await tx.getOutbox(row.key);
    // Another dispatcher took the row over (this one was thought dead): it checks the effect and records.
    if (current?.claimToken !== row.claimToken)
      return { key: row.key, taskId: row.taskId, action: row.action, outcome: 'skipped' };
    const task = await tx.getTask(row.taskId);
    const phase = typeof row.payload['phase'] === 'string' ? row.payload['phase'] : null;
    const isCurrent = task?.status === 'active' && task.phaseEpoch === row.epoch && task.phase === phase;
    const data = row.action === OutboxAction.push ? { ...done.data, at: now.toISOString() } : done.data;
    let artifacts: OutboxArtifact[] = [];
    if (isCurrent && phase && done.evidence) {
      // The push's evidence is its record, with the time it was recorded.
      const content = row.action === OutboxAction.push ? `${JSON.stringify(data, null, 2)}\n` : done.evidence.content;
      artifacts = [writeEvidence(engine, row.taskId, phase, done.evidence.name, content)];
    }
    const result = done.found ? 'found' : 'sent';
    const entry = await appendOutboxEntry(
      engine,
      tx,
      actor,
      row,
      result,
      { ...data, attempts: row.attempts },
      artifacts,
    );
    // What this result decides, while the decision it follows is current: one row a step, whoever records it twice.
    if (isCurrent)
      for (const f of done.follow ?? [])
        await tx.addOutbox(newOutboxRow(row.taskId, row.epoch, f.action, f.payload, entry.seq, now));
    await tx.putOutbox(sentRow(current, entry.seq, now));
    return {
      key: row.key,
      taskId: row.taskId,
      action: row.action,
      outcome: done.found ? 'found' : 'sent',
      seq: entry.seq,
    };
  });
}

/**
 * Puts a row off without a failure or an entry: what it needs is not there yet. It is due again at once (the next run
 * looks again; a look is a file read), and a run never looks twice.
 */
async function defer(engine: Engine, row: OutboxRow, why: string): Promise<DispatchOutcome> {
  return engine.store.transact(async (tx): Promise<DispatchOutcome> => {
    const now = (await tx.now?.()) ?? engine.clock.now();
    const current = await tx.getOutbox(row.key);
    if (current?.claimToken !== row.claimToken)
      return { key: row.key, taskId: row.taskId, action: row.action, outcome: 'skipped' };
    const next = deferRow(current, why, 0, now);
    await tx.putOutbox(next);
    return {
      key: row.key,
      taskId: row.taskId,
      action: row.action,
      outcome: 'waiting',
      error: why,
      nextAt: next.nextAt,
    };
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
    const entry = await appendOutboxEntry(engine, tx, actor, row, next.state, {
      attempts: next.attempts,
      error: next.lastError,
      ...(next.state === OutboxState.failed ? { nextAt: next.nextAt } : {}),
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

/** Writes an effect's evidence into the phase folder, inside the transaction that records it. */
function writeEvidence(engine: Engine, taskId: string, phase: string, name: string, content: string): OutboxArtifact {
  const folder = phaseFolder(engine.layout, taskId, phase);
  if (!folder.ok) throw new Error(folder.error.message);
  writeAtomic(folder.value, name, content);
  return {
    path: evidenceRel(taskId, phase, name),
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
 * its pid to the file AUTOPILOT_TEST_OUTBOX_PAUSE_FILE and waits there, so that a test can kill -9 it at exactly this
 * point (of the action AUTOPILOT_TEST_OUTBOX_PAUSE_ACTION names, when set), or break something under it (the store
 * server) and let it go on: it goes on once the file AUTOPILOT_TEST_OUTBOX_RESUME_FILE exists, and never when that is
 * unset. Unset (always, outside tests), it does nothing.
 */
async function testPause(point: PausePoint, action: string): Promise<void> {
  if (process.env['AUTOPILOT_TEST_OUTBOX_PAUSE'] !== point) return;
  const only = process.env['AUTOPILOT_TEST_OUTBOX_PAUSE_ACTION'];
  if (only && only !== action) return;
  const file = process.env['AUTOPILOT_TEST_OUTBOX_PAUSE_FILE'];
  if (file) writeFileSync(file, `${process.pid}\n`);
  const resume = process.env['AUTOPILOT_TEST_OUTBOX_RESUME_FILE'];
  if (!resume) await new Promise<never>(() => setInterval(() => undefined, 60_000));
  else while (!existsSync(resume)) await new Promise((r) => setTimeout(r, 50));
}
