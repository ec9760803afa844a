/** @module Sealing and appending ledger entries, and recording refusals. */
import { loopHold, WATCHDOG } from './watchdog.ts';
import { sealPayload, withPayloadParts, type EntryDraft, type LedgerEntry } from '../../core/ledger.ts';
import { applyEntry, type TaskState } from '../../core/task.ts';
import type { Refusal } from '../../core/errors.ts';
import { ErrorCode } from '../../core/errors.ts';
import type { StoreTx } from '../../ports/store.ts';
import { Counter } from '../../ports/events.ts';
import { sha256Hex } from '../repo/files.ts';
import type { Actor, Engine } from '../context.ts';

/** Seals a draft on top of the transaction's head, appends it and updates the task projection. */
export async function append(engine: Engine, tx: StoreTx, draft: EntryDraft): Promise<LedgerEntry> {
  const head = await tx.head();
  const unsigned = {
    ...wellFormed(draft),
    seq: head ? head.seq + 1 : 1,
    prevHash: head ? head.hash : '0'.repeat(64),
    ts: engine.clock.now().toISOString(),
    keyId: engine.signer.keyId,
  };
  const payload = sealPayload(unsigned);
  const hash = sha256Hex(payload.text);
  const entry: LedgerEntry = { ...unsigned, hash, signature: engine.signer.sign(hash) };
  // The store keeps the canonical texts as they are: verifying hashes them without canonicalizing again.
  if (payload.parts) withPayloadParts(entry, payload.parts);
  await tx.append(entry);
  if (draft.taskId !== null) {
    const state = applyEntry(await tx.getTask(draft.taskId), entry);
    if (state) await tx.putTask(state);
  }
  return entry;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value && typeof value === 'object')
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(v));
  return false;
}

function replaceLoneSurrogates(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATES, '\ufffd');
  if (Array.isArray(value)) return value.map(replaceLoneSurrogates);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [replaceLoneSurrogates(k), replaceLoneSurrogates(v)]),
    );
  return value;
}

/**
 * The draft with every lone surrogate in its strings replaced by U+FFFD. An
 * agent's text (a phase name, a tool input, a reason) may hold one, and RFC 8785
 * has no canonical form for it: the entry could be neither hashed nor recorded.
 */
function wellFormed(draft: EntryDraft): EntryDraft {
  return hasLoneSurrogate(draft) ? (replaceLoneSurrogates(draft) as EntryDraft) : draft;
}

/** The counters a refusal with each code increments (`autopilot metrics` reconstructs them from the same table). */
export const COUNTER_FOR: Partial<Record<string, Counter[]>> = {
  [ErrorCode.PHASE_SKIP]: [Counter.phase_skips_attempted],
  [ErrorCode.EVIDENCE_MISSING]: [Counter.evidence_gate_failed, Counter.phase_validations_failed],
  [ErrorCode.EVIDENCE_INVALID]: [Counter.evidence_gate_failed, Counter.phase_validations_failed],
  [ErrorCode.VERIFY_FAILED]: [Counter.evidence_gate_failed, Counter.phase_validations_failed],
  [ErrorCode.WAIVER_REQUIRED]: [Counter.evidence_gate_failed, Counter.phase_validations_failed],
  [ErrorCode.EVIDENCE_PROTECTED]: [Counter.evidence_gate_failed],
  [ErrorCode.LEASE_HELD]: [Counter.phase_lease_contention],
  [ErrorCode.PROMPT_DRIFT]: [Counter.prompt_drift_detected],
  [ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE]: [Counter.tool_calls_blocked],
  // A reviewer session's write, move, lease or verify: a tool call its role does not allow.
  [ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA]: [Counter.tool_calls_blocked],
};

/** Records a refusal as a `violation` entry and tells the sink. Returns the refusal with the entry's seq. */
export async function recordRefusal(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  attempt: { action: string; to?: string | null },
  refusal: Refusal,
  startMs: number,
): Promise<Refusal> {
  const entry = await append(engine, tx, {
    taskId: state.taskId,
    kind: 'violation',
    fromPhase: state.phase,
    toPhase: attempt.to ?? null,
    actor: actor.id,
    artifacts: [],
    data: { action: attempt.action, code: refusal.code, message: refusal.message, details: refusal.details },
  });
  const endMs = Date.now();
  const base = {
    taskId: state.taskId,
    startMs,
    endMs,
    actor: actor.id,
    ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
  };
  engine.sink.emit({
    ...base,
    type: 'violation',
    phase: state.phase,
    to: attempt.to ?? null,
    code: refusal.code,
    message: refusal.message,
    seq: entry.seq,
  });
  for (const name of COUNTER_FOR[refusal.code] ?? []) {
    engine.sink.emit({
      ...base,
      type: 'counter',
      name,
      value: 1,
      attributes: { phase: state.phase, code: refusal.code },
    });
  }
  // A refusal because of a hold adds nothing the watchdog would look at.
  const moving = attempt.action === 'advance' || attempt.action === 'verify';
  const held =
    refusal.code === ErrorCode.ESCALATED ? undefined : await holdIfLooping(engine, tx, state, actor, entry, moving);
  if (!held) return { ...refusal, details: { ...refusal.details, seq: entry.seq } };
  return {
    ...refusal,
    message: `${refusal.message}. The watchdog now holds ${state.taskId} for a person: ${String(held.data['reason'])}`,
    details: { ...refusal.details, seq: entry.seq, heldBy: held.seq },
  };
}

/** Appends the watchdog's hold when the task loops (see watchdog.ts); yields it. */
export async function holdIfLooping(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  violation?: LedgerEntry,
  moving = false,
  holds?: readonly LedgerEntry[],
): Promise<LedgerEntry | undefined> {
  const draft = await loopHold(engine, state, actor, violation, moving, holds);
  if (!draft) return undefined;
  const held = await append(engine, tx, draft);
  const t = Date.now();
  engine.sink.emit({
    type: 'counter',
    name: Counter.tasks_held_by_watchdog,
    value: 1,
    attributes: { phase: state.phase },
    taskId: state.taskId,
    startMs: t,
    endMs: t,
    actor: WATCHDOG,
  });
  return held;
}
