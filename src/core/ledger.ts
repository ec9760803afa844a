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
  verify: 'verify',
  task_aborted: 'task_aborted',
  key: 'key',
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
  let expectSeq = prev ? prev.seq + 1 : 1;
  let expectPrev = prev ? prev.hash : GENESIS_HASH;
  for (const e of entries) {
    if (e.seq !== expectSeq) return { seq: e.seq, reason: `sequence gap: expected ${expectSeq}, found ${e.seq}` };
    if (e.prevHash !== expectPrev) return { seq: e.seq, reason: 'prevHash does not match the previous entry hash' };
    const hash = crypto.sha256(canonicalPayload(e));
    if (hash !== e.hash) return { seq: e.seq, reason: 'hash does not match the entry content' };
    if (signatures && !crypto.verify(e.keyId, e.hash, e.signature)) {
      return { seq: e.seq, reason: `signature does not verify with key ${e.keyId}` };
    }
    expectSeq = e.seq + 1;
    expectPrev = e.hash;
  }
  return null;
}
