/**
 * @module A person's decision as the bytes a passkey signs: its fields, their canonical JSON (RFC 8785), and how a
 * ledger entry must agree with the decision it records. Pure: hashing and signature checks live in the engine.
 */
import canonicalize from 'canonicalize';
import type { LedgerEntry } from './ledger.ts';
import { Role } from './review.ts';

/**
 * The decisions a person takes on a task. `adopt_contract` makes the config loaded now the task's contract, after
 * it changed mid-task (a `contract_adopted` entry). `adopt_gate_inputs` allows the gate's own files (its workflow) as
 * the task changes them, each named with the SHA-256 of its new content (a `gate_inputs_adopted` entry), which the
 * CI gate otherwise takes from the base branch only. `review` is a person's review rubric for the review phase, written
 * as that phase's rubric artifact (an `evidence` entry in the role `person`), which passes REVIEW as another hand's.
 * `change_modes` is an adoption limited to modes: the config loaded now differs from the task's contract only in the
 * mode of gates (`gates.g0`…`g5`) or of policies (`policies.mode`, `policies.overrides`), and the person signs each
 * change, from and to (a `contract_adopted` entry that records them in `data.modes`).
 */
export const DECISIONS = [
  'approve',
  'request_changes',
  'escalate',
  'abort',
  'adopt_contract',
  'adopt_gate_inputs',
  'review',
  'change_modes',
] as const;
export type Decision = (typeof DECISIONS)[number];

/** Decisions recorded as an entry of their own kind rather than as an `approval`. */
type OwnKind = 'abort' | 'adopt_contract' | 'adopt_gate_inputs' | 'review' | 'change_modes';

/**
 * The `action` an `approval` entry records for each decision (abort is a `task_aborted` entry instead, and the
 * adoptions `contract_adopted` and `gate_inputs_adopted` entries).
 */
export const ACTION_OF: Record<Exclude<Decision, OwnKind>, string> = {
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
   * For adopt_contract and change_modes only (absent from the other decisions): the digest of the config adopted, so
   * the signature covers which contract the person accepted.
   */
  readonly contract?: string;
  /** For change_modes only: each mode changed, sorted by key, as the person saw it. */
  readonly modes?: readonly ModeChange[];
  /**
   * For adopt_gate_inputs only (absent from the other decisions): the gate's files allowed, each with the SHA-256 of
   * the content allowed, sorted by path; the CI gate accepts a branch's change of such a file only at that digest.
   */
  readonly inputs?: readonly GateInput[];
  /**
   * For review only (absent from the other decisions): the rubric written, by its artifact name and the SHA-256 of
   * its bytes, so the signature covers what the person reviewed the task with.
   */
  readonly rubric?: SignedRubric;
}

/** A person's review rubric as signed: the artifact's name and the SHA-256 of its content. */
export interface SignedRubric {
  readonly name: string;
  readonly sha256: string;
}

/** A mode a person changed for a task: its config key (`gates.g5`, `policies.mode`, `policies.overrides.<id>`), from and to. */
export interface ModeChange {
  readonly key: string;
  readonly from: string;
  readonly to: string;
}

const MODE_WORDS = ['enforce', 'observe', 'off'];
const MODE_KEY = /^(gates\.g[0-5]|policies\.mode|policies\.overrides\.[^\s]{1,200})$/;

/** Why `v` is not a list of mode changes (sorted by key, each key once, modes enforce/observe/off, from ≠ to), or null. */
export function modeChangesProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0) return 'modes must be a non-empty list of {key, from, to}';
  let last = '';
  for (const item of v as unknown[]) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return 'each of modes must be an object';
    const m = item as Record<string, unknown>;
    if (Object.keys(m).sort().join(',') !== 'from,key,to') return 'each of modes has exactly the fields key, from, to';
    if (!str(m['key']) || !MODE_KEY.test(m['key']))
      return `${String(m['key'])} is not the key of a gate's or policy's mode`;
    if (!MODE_WORDS.includes(String(m['from'])) || !MODE_WORDS.includes(String(m['to'])) || m['from'] === m['to'])
      return `the mode of ${m['key']} must change from one of ${MODE_WORDS.join(', ')} to another`;
    if (m['key'] <= last) return 'modes must be sorted by key, each key once';
    last = m['key'];
  }
  return null;
}

/** A gate input file as a person allowed it: its path in the repository and the SHA-256 of its content. */
export interface GateInput {
  readonly path: string;
  readonly sha256: string;
}

/** The signed bytes of a decision. */
export function decisionText(d: PersonDecision): string {
  const text = canonicalize(d);
  if (text === undefined) throw new Error('decision cannot be canonicalized');
  return text;
}

/** The role an evidence entry records when a person wrote it (a review rubric from the dashboard). */
export const PERSON_ROLE = Role.person;

/**
 * True when `x` records a person's decision: an approval with a decision's action, an abort (only a person stops
 * a task), a contract's adoption, or evidence written in the role of a person (a review). Whoever the entry names,
 * it needs a passkey assertion.
 */
export function isPersonDecision(x: Pick<LedgerEntry, 'kind' | 'data'>): boolean {
  if (x.kind === 'approval') return PERSON_ACTIONS.includes(String(x.data['action']));
  if (x.kind === 'evidence') return x.data['role'] === PERSON_ROLE;
  return x.kind === 'task_aborted' || x.kind === 'contract_adopted' || x.kind === 'gate_inputs_adopted';
}

/** The ledger entry kinds that can record a person's decision (see {@link isPersonDecision}). */
export const DECISION_KINDS = [
  'approval',
  'task_aborted',
  'contract_adopted',
  'gate_inputs_adopted',
  'evidence',
] as const;

const HEX64 = /^[0-9a-f]{64}$/;
const str = (v: unknown): v is string => typeof v === 'string';

/** Reads a decision from untrusted JSON; a message naming the first bad field otherwise. */
export function parseDecision(v: unknown): { ok: true; value: PersonDecision } | { ok: false; reason: string } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'the decision is not an object' };
  const d = v as Record<string, unknown>;
  const keys = Object.keys(d).sort().join(',');
  // An adoption also names what it adopts (the contract, or the gate's files); no other decision carries it.
  const fields =
    d['decision'] === 'adopt_contract'
      ? 'answers,backtrackTo,contract,decision,diff,expires,nonce,note,origin,phase,rpId,task,v'
      : d['decision'] === 'change_modes'
        ? 'answers,backtrackTo,contract,decision,diff,expires,modes,nonce,note,origin,phase,rpId,task,v'
        : d['decision'] === 'adopt_gate_inputs'
          ? 'answers,backtrackTo,decision,diff,expires,inputs,nonce,note,origin,phase,rpId,task,v'
          : d['decision'] === 'review'
            ? 'answers,backtrackTo,decision,diff,expires,nonce,note,origin,phase,rpId,rubric,task,v'
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
  if (
    (d['decision'] === 'adopt_contract' || d['decision'] === 'change_modes') &&
    (!str(d['contract']) || !HEX64.test(d['contract']))
  )
    return { ok: false, reason: "contract must be the adopted config's SHA-256 in hex" };
  if (d['decision'] === 'change_modes') {
    const bad = modeChangesProblem(d['modes']);
    if (bad) return { ok: false, reason: bad };
  }
  if (d['decision'] === 'adopt_gate_inputs') {
    const bad = gateInputsProblem(d['inputs']);
    if (bad) return { ok: false, reason: bad };
  }
  if (d['decision'] === 'review') {
    const r = d['rubric'] as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || Object.keys(r).sort().join(',') !== 'name,sha256')
      return { ok: false, reason: 'rubric must be an object {name, sha256}' };
    if (!str(r['name']) || r['name'] === '' || r['name'].includes('/'))
      return { ok: false, reason: "rubric's name must be an artifact name" };
    if (!str(r['sha256']) || !HEX64.test(r['sha256'])) return { ok: false, reason: "rubric's sha256 must be hex" };
  }
  if (d['backtrackTo'] !== null && !str(d['backtrackTo']))
    return { ok: false, reason: 'backtrackTo must be a phase or null' };
  if (d['answers'] !== null && !Number.isSafeInteger(d['answers']))
    return { ok: false, reason: 'answers must be a ledger seq or null' };
  return { ok: true, value: d as unknown as PersonDecision };
}

/** Why `v` is not a list of gate inputs (sorted, distinct, relative paths with a SHA-256 each), or null when it is. */
export function gateInputsProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0) return 'inputs must be a non-empty list of {path, sha256}';
  let last = '';
  for (const item of v as unknown[]) {
    if (!item || typeof item !== 'object' || Array.isArray(item))
      return 'each of inputs must be an object {path, sha256}';
    const i = item as Record<string, unknown>;
    if (Object.keys(i).sort().join(',') !== 'path,sha256') return 'each of inputs has exactly the fields path, sha256';
    const path = i['path'];
    if (!str(path) || path === '' || path.startsWith('/') || path.split('/').some((p) => p === '..' || p === ''))
      return 'each input path must be a relative path inside the repository';
    if (!str(i['sha256']) || !HEX64.test(i['sha256'])) return `the sha256 of ${path} must be a SHA-256 in hex`;
    if (path <= last) return 'inputs must be sorted by path, each path once';
    last = path;
  }
  return null;
}

/** The canonical text of a list of gate inputs, for comparing two of them. */
function inputsText(v: unknown): string | undefined {
  return canonicalize(v ?? null);
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
  } else if (d.decision === 'change_modes') {
    if (x.kind !== 'contract_adopted') return `the signed decision changes modes, the entry is a ${x.kind}`;
    if (x.data['configDigest'] !== d.contract) return 'the contract adopted differs from the signed one';
    if (inputsText(x.data['modes']) !== inputsText(d.modes)) return 'the modes changed differ from the signed ones';
  } else if (d.decision === 'adopt_gate_inputs') {
    if (x.kind !== 'gate_inputs_adopted') return `the signed decision allows gate inputs, the entry is a ${x.kind}`;
    if (inputsText(x.data['inputs']) !== inputsText(d.inputs))
      return 'the gate inputs allowed differ from the signed ones';
  } else if (d.decision === 'review') {
    if (x.kind !== 'evidence' || x.data['role'] !== PERSON_ROLE)
      return `the signed decision is a review, the entry a ${x.kind} ${String(x.data['role'] ?? '')}`.trim();
    const a = x.artifacts.length === 1 ? x.artifacts[0]! : undefined;
    if (!a || !d.rubric || !a.path.endsWith(`/${d.rubric.name}`) || a.sha256 !== d.rubric.sha256)
      return 'the rubric recorded differs from the signed one';
  } else if (x.kind !== 'approval' || x.data['action'] !== ACTION_OF[d.decision]) {
    return `the signed decision is ${d.decision}, the entry records ${x.kind} ${String(x.data['action'] ?? '')}`.trim();
  }
  if (x.data['reason'] !== d.note) return 'the note differs from the signed one';
  if (x.data['diff'] !== d.diff) return 'the diff digest differs from the signed one';
  if ((x.data['backtrackTo'] ?? null) !== d.backtrackTo) return 'the phase to go back to differs from the signed one';
  if (
    d.decision !== 'abort' &&
    d.decision !== 'adopt_contract' &&
    d.decision !== 'change_modes' &&
    d.decision !== 'adopt_gate_inputs' &&
    d.decision !== 'review' &&
    (x.data['answers'] ?? null) !== d.answers
  )
    return 'the request answered differs from the signed one';
  if (Date.parse(x.ts) > Date.parse(d.expires)) return `recorded at ${x.ts}, after the decision expired (${d.expires})`;
  return null;
}
