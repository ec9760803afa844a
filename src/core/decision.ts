/**
 * @module A person's decision as the bytes a passkey signs: its fields, their canonical JSON (RFC 8785), and how a
 * ledger entry must agree with the decision it records. Pure: hashing and signature checks live in the engine.
 */
import canonicalize from 'canonicalize';
import type { LedgerEntry } from './ledger.ts';

/**
 * The decisions a person takes on a task. `adopt_contract` makes the config loaded now the task's contract, after
 * it changed mid-task (a `contract_adopted` entry).
 */
export const DECISIONS = ['approve', 'request_changes', 'escalate', 'abort', 'adopt_contract'] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * The `action` an `approval` entry records for each decision (abort is a `task_aborted` entry instead, and an
 * adoption a `contract_adopted` entry).
 */
export const ACTION_OF: Record<Exclude<Decision, 'abort' | 'adopt_contract'>, string> = {
  approve: 'approved',
  request_changes: 'changes_requested',
  escalate: 'escalated',
};

/** Approval actions that only a person's decision may record. */
export const PERSON_ACTIONS: readonly string[] = Object.values(ACTION_OF);

/**
 * What a person signs. Its canonical JSON's SHA-256 is the WebAuthn challenge, so the assertion covers every field:
 * a changed note, diff digest, task or decision no longer matches the signature.
 */
export interface PersonDecision {
  readonly v: 1;
  readonly task: string;
  /** The phase the task was in. */
  readonly phase: string;
  readonly decision: Decision;
  /** For request_changes: where the agent must go back to; else null. */
  readonly backtrackTo: string | null;
  /** SHA-256 of the task's diff from its base commit when the person decided. */
  readonly diff: string;
  /** The person's note for the agent. */
  readonly note: string;
  /** The seq of the request this decision answers, or null when nothing was asked. */
  readonly answers: number | null;
  /** Single use: a second entry with the same nonce is a replay. */
  readonly nonce: string;
  /** RFC 3339; the decision must be recorded before then. */
  readonly expires: string;
  /** The dashboard's origin the browser signed for, e.g. `http://localhost:4400`. */
  readonly origin: string;
  /** The WebAuthn relying party id (a domain: `localhost`, or a team server's host name). */
  readonly rpId: string;
  /**
   * For adopt_contract only (absent from the other decisions): the digest of the config adopted, so the signature
   * covers which contract the person accepted.
   */
  readonly contract?: string;
}

/** The signed bytes of a decision. */
export function decisionText(d: PersonDecision): string {
  const text = canonicalize(d);
  if (text === undefined) throw new Error('decision cannot be canonicalized');
  return text;
}

/**
 * True when `x` records a person's decision: an approval with a decision's action, an abort (only a person stops
 * a task), or a contract's adoption. Whoever the entry names, it needs a passkey assertion.
 */
export function isPersonDecision(x: Pick<LedgerEntry, 'kind' | 'data'>): boolean {
  if (x.kind === 'approval') return PERSON_ACTIONS.includes(String(x.data['action']));
  return x.kind === 'task_aborted' || x.kind === 'contract_adopted';
}

/** The ledger entry kinds that can record a person's decision (see {@link isPersonDecision}). */
export const DECISION_KINDS = ['approval', 'task_aborted', 'contract_adopted'] as const;

const HEX64 = /^[0-9a-f]{64}$/;
const str = (v: unknown): v is string => typeof v === 'string';

/** Reads a decision from untrusted JSON; a message naming the first bad field otherwise. */
export function parseDecision(v: unknown): { ok: true; value: PersonDecision } | { ok: false; reason: string } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'the decision is not an object' };
  const d = v as Record<string, unknown>;
  const keys = Object.keys(d).sort().join(',');
  // An adoption also names the contract adopted; no other decision carries it.
  const fields =
    d['decision'] === 'adopt_contract'
      ? 'answers,backtrackTo,contract,decision,diff,expires,nonce,note,origin,phase,rpId,task,v'
      : 'answers,backtrackTo,decision,diff,expires,nonce,note,origin,phase,rpId,task,v';
  if (keys !== fields)
    return { ok: false, reason: `the decision has the fields ${keys}, not those of a version 1 decision` };
  if (d['v'] !== 1) return { ok: false, reason: 'the decision is not version 1' };
  if (!str(d['task']) || !str(d['phase']) || !str(d['note']) || !str(d['nonce']) || !str(d['origin']))
    return { ok: false, reason: 'task, phase, note, nonce and origin must be text' };
  if (!str(d['rpId']) || !str(d['expires']) || Number.isNaN(Date.parse(d['expires'])))
    return { ok: false, reason: 'rpId must be text and expires a time' };
  if (!DECISIONS.includes(d['decision'] as Decision))
    return { ok: false, reason: `decision must be one of ${DECISIONS.join(', ')}` };
  if (!str(d['diff']) || !HEX64.test(d['diff'])) return { ok: false, reason: 'diff must be a SHA-256 in hex' };
  if (d['decision'] === 'adopt_contract' && (!str(d['contract']) || !HEX64.test(d['contract'])))
    return { ok: false, reason: "contract must be the adopted config's SHA-256 in hex" };
  if (d['backtrackTo'] !== null && !str(d['backtrackTo']))
    return { ok: false, reason: 'backtrackTo must be a phase or null' };
  if (d['answers'] !== null && !Number.isSafeInteger(d['answers']))
    return { ok: false, reason: 'answers must be a ledger seq or null' };
  return { ok: true, value: d as unknown as PersonDecision };
}

/**
 * Where an entry and the decision it claims to record disagree, or null when they agree: the task, the phase, the
 * action, the note, the phase sent back to, the request answered and the diff digest must all be the signed ones.
 */
export function entryMismatch(x: LedgerEntry, d: PersonDecision): string | null {
  if (x.taskId !== d.task) return `the entry is about ${x.taskId ?? 'no task'}, the signed decision about ${d.task}`;
  if (x.fromPhase !== d.phase) return `the entry is in ${x.fromPhase}, the signed decision in ${d.phase}`;
  if (d.decision === 'abort') {
    if (x.kind !== 'task_aborted') return `the signed decision is an abort, the entry a ${x.kind}`;
  } else if (d.decision === 'adopt_contract') {
    if (x.kind !== 'contract_adopted') return `the signed decision adopts a contract, the entry is a ${x.kind}`;
    if (x.data['configDigest'] !== d.contract) return 'the contract adopted differs from the signed one';
  } else if (x.kind !== 'approval' || x.data['action'] !== ACTION_OF[d.decision]) {
    return `the signed decision is ${d.decision}, the entry records ${x.kind} ${String(x.data['action'] ?? '')}`.trim();
  }
  if (x.data['reason'] !== d.note) return 'the note differs from the signed one';
  if (x.data['diff'] !== d.diff) return 'the diff digest differs from the signed one';
  if ((x.data['backtrackTo'] ?? null) !== d.backtrackTo) return 'the phase to go back to differs from the signed one';
  if (d.decision !== 'abort' && d.decision !== 'adopt_contract' && (x.data['answers'] ?? null) !== d.answers)
    return 'the request answered differs from the signed one';
  if (Date.parse(x.ts) > Date.parse(d.expires)) return `recorded at ${x.ts}, after the decision expired (${d.expires})`;
  return null;
}
