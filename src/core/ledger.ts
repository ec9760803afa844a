/**
 * @module Ledger entries, their canonical form and the pure chain check. Hashing
 * and signing come in as functions so that this module stays free of I/O.
 */
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export const EntryKind = {
  task_started: 'task_started',
  transition: 'transition',
  backtrack: 'backtrack',
  violation: 'violation',
  evidence: 'evidence',
  lease: 'lease',
  attestation: 'attestation',
  prompt_drift: 'prompt_drift',
  approval: 'approval',
  tool_blocked: 'tool_blocked',
  /** A call an observe-mode policy would have blocked; it went ahead. `data.wouldHave`, `data.policyIds`. */
  policy_observed: 'policy_observed',
  verify: 'verify',
  task_aborted: 'task_aborted',
  task_renamed: 'task_renamed',
  contract_adopted: 'contract_adopted',
  /** A person allowed the gate's own input files (its workflow) as a branch changes them: `data.inputs`. */
  gate_inputs_adopted: 'gate_inputs_adopted',
  key: 'key',
  person_registered: 'person_registered',
  /** The watchdog held the task for a person; `data.diary` is the loop diary. */
  task_held: 'task_held',
  /** The outbox sent an external side effect (or found it done) and records it; `data.outbox` names the row. */
  outbox: 'outbox',
  /**
   * An unhealthy MONITOR result proposes to send the task back: `data.to` (the phase), `data.reason` and
   * `data.unhealthy` (the failing checks). The approval request recorded after it names it (`data.proposal`): a person
   * requesting changes to that phase carries it out, approving declines it and leaves the task where it is.
   */
  backtrack_proposed: 'backtrack_proposed',
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export type Producer = 'agent' | 'autopilot';

/** An artifact named by an entry: a path relative to the state folder and its digest. */
export interface ArtifactRef {
  readonly path: string;
  readonly sha256: string;
  readonly producer: Producer;
}

/** What the engine decides to record; the chain fields are added at append time. */
export interface EntryDraft {
  readonly taskId: string | null;
  readonly kind: EntryKind;
  readonly fromPhase: string | null;
  readonly toPhase: string | null;
  readonly actor: string;
  readonly artifacts: readonly ArtifactRef[];
  readonly data: Readonly<Record<string, unknown>>;
}

export interface LedgerEntry extends EntryDraft {
  readonly seq: number;
  readonly prevHash: string;
  readonly ts: string;
  readonly keyId: string;
  readonly hash: string;
  readonly signature: string;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The RFC 8785 canonical JSON of every field but `hash` and `signature`: the bytes that are hashed. */
export function canonicalPayload(entry: Omit<LedgerEntry, 'hash' | 'signature'>): string {
  const { seq, prevHash, ts, taskId, kind, fromPhase, toPhase, actor, artifacts, data, keyId } = entry;
  const text = canonicalize({ seq, prevHash, ts, taskId, kind, fromPhase, toPhase, actor, artifacts, data, keyId });
  if (text === undefined) throw new Error('entry cannot be canonicalized');
  return text;
}

/**
 * The JSON texts an entry's `artifacts` and `data` were read from or sealed
 * with. When both are canonical (RFC 8785), the payload is these texts with the
 * scalar fields around them, and hashing needs no canonicalization.
 */
export interface PayloadParts {
  readonly artifacts: string;
  readonly data: string;
}

const PARTS = Symbol('payloadParts');

/**
 * Attaches the texts `entry.artifacts` and `entry.data` were parsed from (a
 * store) or serialised to (sealing). Non-enumerable: a copy made with spread,
 * `structuredClone` or JSON does not carry them, so an edited copy never
 * travels with the texts of the original.
 */
export function withPayloadParts<T extends object>(entry: T, parts: PayloadParts): T {
  Object.defineProperty(entry, PARTS, { value: parts, enumerable: false });
  return entry;
}

/** The texts attached by `withPayloadParts`, if any. */
export function payloadPartsOf(entry: object): PayloadParts | undefined {
  return (entry as { [PARTS]?: PayloadParts })[PARTS];
}

/** `JSON.stringify` of a string or null, as canonicalize writes it; undefined where canonicalize would differ or throw. */
function scalar(v: string | null): string | undefined {
  if (v === null) return 'null';
  return typeof v === 'string' && (v as string & { isWellFormed(): boolean }).isWellFormed()
    ? JSON.stringify(v)
    : undefined;
}

/**
 * The payload built from `parts` by concatenation, with the keys in canonical
 * order. It equals `canonicalPayload(entry)` when both parts are canonical
 * texts of the entry's values; undefined when a scalar field is one that
 * canonicalize would treat differently (undefined, a lone surrogate, a
 * non-finite seq), and the caller canonicalizes instead. A store's texts may be
 * non-canonical (older rows): a hash that does not match this payload must be
 * checked against `canonicalPayload` before the entry is called tampered.
 */
export function payloadFromParts(
  entry: Omit<LedgerEntry, 'hash' | 'signature' | 'artifacts' | 'data'>,
  parts: PayloadParts,
): string | undefined {
  const actor = scalar(entry.actor);
  const fromPhase = scalar(entry.fromPhase);
  const keyId = scalar(entry.keyId);
  const kind = scalar(entry.kind);
  const prevHash = scalar(entry.prevHash);
  const taskId = scalar(entry.taskId);
  const toPhase = scalar(entry.toPhase);
  const ts = scalar(entry.ts);
  if (
    actor === undefined ||
    fromPhase === undefined ||
    keyId === undefined ||
    kind === undefined ||
    prevHash === undefined ||
    taskId === undefined ||
    toPhase === undefined ||
    ts === undefined ||
    !Number.isFinite(entry.seq)
  ) {
    return undefined;
  }
  return `{"actor":${actor},"artifacts":${parts.artifacts},"data":${parts.data},"fromPhase":${fromPhase},"keyId":${keyId},"kind":${kind},"prevHash":${prevHash},"seq":${JSON.stringify(entry.seq)},"taskId":${taskId},"toPhase":${toPhase},"ts":${ts}}`;
}

/**
 * Seals the payload of an entry: its canonical text and the canonical texts of
 * its `artifacts` and `data`, which a store can keep as they are (so that a
 * later check hashes them without canonicalizing again).
 */
export function sealPayload(entry: Omit<LedgerEntry, 'hash' | 'signature'>): { text: string; parts?: PayloadParts } {
  const artifacts = canonicalize(entry.artifacts);
  const data = canonicalize(entry.data);
  const parts = artifacts !== undefined && data !== undefined ? { artifacts, data } : undefined;
  const text = parts && payloadFromParts(entry, parts);
  return text !== undefined && parts ? { text, parts } : { text: canonicalPayload(entry) };
}

/** The hash of an entry's payload: from its attached texts when they hash to `e.hash`, else from its canonical form. */
function payloadHash(entry: LedgerEntry, crypto: ChainCrypto): string {
  const parts = payloadPartsOf(entry);
  const fast = parts && payloadFromParts(entry, parts);
  if (fast !== undefined) {
    const hash = crypto.sha256(fast);
    if (hash === entry.hash) return hash;
  }
  return crypto.sha256(canonicalPayload(entry));
}

export interface ChainCrypto {
  sha256(text: string): string;
  /** True when `signature` is a valid signature by `keyId` over `hash`; false for unknown keys. */
  verify(keyId: string, hash: string, signature: string): boolean;
}

export interface ChainProblem {
  readonly seq: number;
  readonly reason: string;
}

/**
 * Checks a run of entries: sequence continuity, the link to `prev`, each hash and
 * (unless `signatures` is false) each signature. Returns the first problem found.
 */
export function checkChain(
  entries: readonly LedgerEntry[],
  prev: ChainHead | null,
  crypto: ChainCrypto,
  signatures = true,
): ChainProblem | null {
  const found = chainProblemAt(entries, prev, crypto, signatures);
  return found && { seq: found.seq, reason: found.reason };
}

/** `checkChain`, with the index in `entries` of the entry that has the problem. */
export function chainProblemAt(
  entries: readonly LedgerEntry[],
  prev: ChainHead | null,
  crypto: ChainCrypto,
  signatures = true,
): (ChainProblem & { readonly index: number }) | null {
  let expectSeq = prev ? prev.seq + 1 : 1;
  let expectPrev = prev ? prev.hash : GENESIS_HASH;
  for (let index = 0; index < entries.length; index++) {
    const e = entries[index]!;
    if (e.seq !== expectSeq)
      return { index, seq: e.seq, reason: `sequence gap: expected ${expectSeq}, found ${e.seq}` };
    if (e.prevHash !== expectPrev)
      return { index, seq: e.seq, reason: 'prevHash does not match the previous entry hash' };
    if (payloadHash(e, crypto) !== e.hash)
      return { index, seq: e.seq, reason: 'hash does not match the entry content' };
    if (signatures && !crypto.verify(e.keyId, e.hash, e.signature)) return { index, ...signatureProblem(e) };
    expectSeq = e.seq + 1;
    expectPrev = e.hash;
  }
  return null;
}

/** The problem of an entry whose signature does not verify. */
export function signatureProblem(e: Pick<LedgerEntry, 'seq' | 'keyId'>): ChainProblem {
  return { seq: e.seq, reason: `signature does not verify with key ${e.keyId}` };
}
