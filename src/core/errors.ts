/**
 * @module One error type and the contract's error codes. Expected refusals are
 * values (`Refusal`); bugs and integrity failures are thrown `AutopilotError`s.
 */

/**
 * The public error codes. `details` documents per code:
 * - PHASE_SKIP: `{ from, to, next }` the move asked for and the only legal next phase; a move back is refused with
 *   `taskId` and `back: true` too (backtrack is the way back), a backtrack forward with `taskId` and
 *   `remedy: { forward: true }`.
 * - PHASE_UNKNOWN: `{ phase, known }`.
 * - TASK_UNKNOWN: `{ taskId }`. TASK_EXISTS: `{ taskId, phase }`. TASK_DONE: `{ taskId, status }`.
 * - ESCALATED: `{ taskId, escalation, by, reason }`: a person escalated the task (entry `escalation`); it waits for a person.
 * - ABORTED: `{ taskId, status }`: a person aborted the task.
 * - EVIDENCE_MISSING / EVIDENCE_INVALID: `{ phase, findings: Finding[] }`; from a phase's gate also `taskId` and a
 *   `remedy` (`check`, and for failed commands `retry` or `backtrackTo`, with `failures`). From MONITOR's read of the
 *   release (thrown, nothing recorded): `{ taskId, phase, reason, remedy: { retry: 'advance' } }` with `reason`
 *   `not merged` or `closed unmerged` (EVIDENCE_MISSING, with `pull`, `url`) or `forge unreadable`
 *   (EVIDENCE_INVALID, with `forge`, `status`, `retryable`).
 * - EVIDENCE_PROTECTED: `{ taskId, phase, name, producer }`; `producer: 'sealed'` (a passed phase) with
 *   `remedy: { backtrackTo: phase }`.
 * - PATH_OUTSIDE_EVIDENCE: `{ name, reason }`.
 * - LEASE_HELD: `{ holder, expiresAt, phase }`; when another move of the same task (advance, verify) is running,
 *   also `reason: 'move-running'` and its `action`; when one ran while this one was checked, `reason: 'moved'`
 *   and `from`, the phase this one had read. LEASE_FENCED: `{ token, current }`. LEASE_REQUIRED: `{ taskId, phase, holder }`.
 * - PROMPT_DRIFT: `{ taskId, changes, baseline, phase, remedy: { person: 'attest' } }`. TOOL_NOT_ALLOWED_IN_PHASE: `{ tool, capabilities, phase }`.
 * - APPROVAL_REQUIRED: `{ taskId, phase, reasons, remedy }` (a person's decision, or the phase a change request
 *   names). VERIFY_FAILED: `{ taskId, commands, findings, failures, remedy }` (`retry: 'verify'` for the setup's
 *   failures, `backtrackTo` the implement phase for the code's).
 * - LEDGER_TAMPERED: `{ seq?, path?, reason }`. CONFIG_INVALID: `{ key, reason, file }`.
 * - TOOL_NOT_ALLOWED_FOR_PERSONA: `{ action, role, allowed }`: the session's role (`reviewer`) may not do `action`;
 *   `allowed` says what it may do (the review phase's rubric). From the guard, a call the phase allows but the
 *   phase's persona does not: `action: 'tool'`, `role`, `allowed` (the persona's capabilities), and `persona`
 *   (`{ id, version }`), `phase`, `tool`, `capabilities`, `missing`, `taskId`.
 * - USAGE: `{ argument }` (bad command-line or tool input that is not one of the above).
 * - CONFIG_CHANGED: `{ taskId, adopted, current, keys }`: the digest of the contract the task adopted, the digest of
 *   the config loaded now, and the dotted config keys that differ (`evidence.STRATEGIZE.0.required`).
 * - WAIVER_REQUIRED: `{ check, phase, fix }`: a check the phase relies on (`build`, `coverage`, `lint`, `ci`,
 *   `smoke`) is not configured and the config does not waive it; `fix` says how to configure or waive it.
 *
 * A refusal whose way out is a step of the process also carries `taskId` and `remedy` (a {@link Remedy}): the engine's
 * message names no command, and each surface says the step in its own terms (the command line its verbs, the MCP
 * server its tools, the hooks theirs).
 */
export const ErrorCode = {
  PHASE_SKIP: 'PHASE_SKIP',
  PHASE_UNKNOWN: 'PHASE_UNKNOWN',
  TASK_UNKNOWN: 'TASK_UNKNOWN',
  TASK_EXISTS: 'TASK_EXISTS',
  TASK_DONE: 'TASK_DONE',
  ESCALATED: 'ESCALATED',
  ABORTED: 'ABORTED',
  EVIDENCE_MISSING: 'EVIDENCE_MISSING',
  EVIDENCE_INVALID: 'EVIDENCE_INVALID',
  EVIDENCE_PROTECTED: 'EVIDENCE_PROTECTED',
  PATH_OUTSIDE_EVIDENCE: 'PATH_OUTSIDE_EVIDENCE',
  LEASE_HELD: 'LEASE_HELD',
  LEASE_REQUIRED: 'LEASE_REQUIRED',
  LEASE_FENCED: 'LEASE_FENCED',
  PROMPT_DRIFT: 'PROMPT_DRIFT',
  TOOL_NOT_ALLOWED_IN_PHASE: 'TOOL_NOT_ALLOWED_IN_PHASE',
  APPROVAL_REQUIRED: 'APPROVAL_REQUIRED',
  VERIFY_FAILED: 'VERIFY_FAILED',
  LEDGER_TAMPERED: 'LEDGER_TAMPERED',
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_CHANGED: 'CONFIG_CHANGED',
  WAIVER_REQUIRED: 'WAIVER_REQUIRED',
  TOOL_NOT_ALLOWED_FOR_PERSONA: 'TOOL_NOT_ALLOWED_FOR_PERSONA',
  USAGE: 'USAGE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The way out of a refusal, as facts (`details.remedy`): each surface renders it in its own terms.
 * - `backtrackTo`: go back to this phase (to fix the code there, or to change evidence that is sealed).
 * - `retry`: once the config or the machine is fixed, run this step of the task again (`verify` or `advance`).
 * - `forward`: the task moves forward with an advance, not a backtrack.
 * - `person`: a person's act the task waits for: a decision in the dashboard's approval panel (`dashboard`), or
 *   recording the changed instructions as the new baseline (`attest`).
 * - `check`: the phase's evidence can be checked on its own first, finding by finding.
 */
export interface Remedy {
  readonly backtrackTo?: string;
  readonly retry?: 'verify' | 'advance';
  readonly forward?: true;
  readonly person?: 'dashboard' | 'attest';
  readonly check?: true;
}

/** The remedy in a refusal's details, when it carries one. */
export function remedyOf(details: Record<string, unknown>): Remedy | undefined {
  const r = details['remedy'];
  return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Remedy) : undefined;
}

/** A refusal: an expected "no" with a code, a message that says what to do next, and details. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Refusal };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function refuse(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): { ok: false; error: Refusal } {
  return { ok: false, error: { code, message, details } };
}

/** Thrown for integrity failures, corrupt state and bugs; refusals travel as `Result` values instead. */
export class AutopilotError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AutopilotError';
    this.code = code;
    this.details = details;
  }
  toRefusal(): Refusal {
    return { code: this.code, message: this.message, details: this.details };
  }
}

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.USAGE,
  ErrorCode.INTERNAL,
  ErrorCode.CONFIG_INVALID,
  ErrorCode.PHASE_UNKNOWN,
  ErrorCode.TASK_UNKNOWN,
]);

/** Exit code for a code, as the contract defines: 1 usage/internal, 2 refused, 3 integrity. */
export function exitCodeFor(code: ErrorCode): 1 | 2 | 3 {
  if (code === ErrorCode.LEDGER_TAMPERED) return 3;
  if (USAGE_CODES.has(code)) return 1;
  return 2;
}
