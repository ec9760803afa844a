/**
 * @module Checking a person's decision from the ledger alone: the WebAuthn assertion it carries against the
 * credential a signed `person_registered` entry holds, over the canonical JSON of the decision the entry records.
 * `ledger verify`, the CI gate and the decision itself use the same check, so a decision verifies the same way
 * everywhere, without the server that took it.
 */
import { createHash } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import {
  decisionText,
  entryMismatch,
  isPersonDecision,
  parseDecision,
  type PersonDecision,
} from '../../core/decision.ts';
import type { LedgerEntry } from '../../core/ledger.ts';

/** What a `person_registered` entry's data holds. */
export interface RegisteredCredential {
  /** The person's name; their decisions are recorded as `person:<name>`. */
  readonly name: string;
  /** base64url credential id. */
  readonly credentialId: string;
  /** base64url COSE public key. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly rpId: string;
  readonly origin: string;
}

/** What a decision entry's `data.passkey` holds: enough to check it again anywhere. */
export interface PasskeyProof {
  readonly decision: PersonDecision;
  /** The browser's assertion, as @simplewebauthn/browser returns it. */
  readonly response: AuthenticationResponseJSON;
  /** The whole signed `person_registered` entry of the credential, so that a bundle carries it. */
  readonly registration: LedgerEntry;
}

/** The WebAuthn challenge of a decision: the SHA-256 of its canonical JSON, base64url. */
export function decisionChallenge(d: PersonDecision): string {
  return createHash('sha256').update(decisionText(d)).digest('base64url');
}

/** The credential a registration entry holds, or null when the entry is not a well-formed registration. */
export function credentialOf(x: LedgerEntry): RegisteredCredential | null {
  if (x.kind !== 'person_registered') return null;
  const d = x.data;
  const text = (k: string) => typeof d[k] === 'string' && (d[k] as string).length > 0;
  if (!text('name') || !text('credentialId') || !text('publicKey') || !text('rpId') || !text('origin')) return null;
  if (!Number.isSafeInteger(d['counter']) || !Array.isArray(d['transports'])) return null;
  return d as unknown as RegisteredCredential;
}

/** The registrations in `entries`, by credential id; the first registration of an id counts. */
export function registrationsOf(entries: Iterable<LedgerEntry>): Map<string, LedgerEntry> {
  const out = new Map<string, LedgerEntry>();
  for (const x of entries) {
    const c = credentialOf(x);
    if (c && !out.has(c.credentialId)) out.set(c.credentialId, x);
  }
  return out;
}

/** The proof an entry carries, unchecked; null when it carries none. */
export function proofOf(x: LedgerEntry): PasskeyProof | null {
  const p = x.data['passkey'];
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as PasskeyProof) : null;
}

export type DecisionCheck =
  | { readonly ok: true; readonly credentialId: string; readonly counter: number; readonly nonce: string }
  | { readonly ok: false; readonly reason: string };

const bad = (reason: string): DecisionCheck => ({ ok: false, reason });

/**
 * Checks one decision entry against the registration of its credential (from the chain, or from the bundle after
 * its signature was checked). Counters and nonces across entries are {@link DecisionReplay}'s.
 */
export async function checkDecision(x: LedgerEntry, registration: LedgerEntry | undefined): Promise<DecisionCheck> {
  const proof = proofOf(x);
  if (!proof) return bad("a person's decision without a passkey assertion: no person made it");
  const parsed = parseDecision(proof.decision);
  if (!parsed.ok) return bad(`its signed decision is malformed: ${parsed.reason}`);
  const d = parsed.value;
  const id = (proof.response as Partial<AuthenticationResponseJSON> | undefined)?.id;
  const embedded = proof.registration as Partial<LedgerEntry> | undefined;
  if (registration && (!embedded || embedded.hash !== registration.hash || embedded.seq !== registration.seq))
    return bad(`the registration it carries is not the ledger's registration of credential ${String(id)}`);
  if (registration && registration.seq >= x.seq)
    return bad(`its credential was registered after it (entry ${registration.seq})`);
  const cred = registration && credentialOf(registration);
  const person = cred ? `person:${cred.name}` : undefined;
  if (person && (x.actor !== person || (x.data['by'] !== undefined && x.data['by'] !== person)))
    return bad(`it names ${x.actor}, but credential ${String(id)} is ${person}'s`);
  const mismatch = entryMismatch(x, d);
  if (mismatch) return bad(`the entry does not match the signed decision: ${mismatch}`);
  return checkAssertion(d, proof.response, registration);
}

/**
 * Checks a WebAuthn assertion over decision `d` against a registration entry: the credential is the registered one,
 * the relying party and origin agree with it, and the signature covers the decision's challenge with the user verified.
 */
export async function checkAssertion(
  d: PersonDecision,
  response: unknown,
  registration: LedgerEntry | undefined,
): Promise<DecisionCheck> {
  const r = response as Partial<AuthenticationResponseJSON> | undefined;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || !r.response || typeof r.response !== 'object')
    return bad('its assertion is malformed');
  const cred = registration && credentialOf(registration);
  if (!cred || cred.credentialId !== r.id) return bad(`its credential ${r.id} is not registered in the ledger`);
  if (d.rpId !== cred.rpId) return bad(`signed for relying party ${d.rpId}, registered for ${cred.rpId}`);
  let host = '';
  try {
    host = new URL(d.origin).hostname;
  } catch {
    // not a URL: refused below
  }
  if (host !== d.rpId) return bad(`its origin ${d.origin} is not on ${d.rpId}`);
  try {
    const v = await verifyAuthenticationResponse({
      response: r as AuthenticationResponseJSON,
      expectedChallenge: decisionChallenge(d),
      expectedOrigin: d.origin,
      expectedRPID: d.rpId,
      credential: { id: cred.credentialId, publicKey: Buffer.from(cred.publicKey, 'base64url'), counter: 0 },
      requireUserVerification: true,
    });
    if (!v.verified) return bad('its passkey assertion does not verify');
    return { ok: true, credentialId: cred.credentialId, counter: v.authenticationInfo.newCounter, nonce: d.nonce };
  } catch (err) {
    return bad(`its passkey assertion does not verify: ${(err as Error).message}`);
  }
}

/** Nonces and signature counters across decisions, in ledger order: a nonce used twice, or a counter that does not grow, is a replay. */
export class DecisionReplay {
  readonly #nonces = new Map<string, number>();
  readonly #counters = new Map<string, number>();

  /** The counter last seen for a credential (0 when none). */
  counter(credentialId: string): number {
    return this.#counters.get(credentialId) ?? 0;
  }

  /** True when `nonce` was used by an earlier decision. */
  used(nonce: string): number | undefined {
    return this.#nonces.get(nonce);
  }

  /** Records a checked decision; the reason it is a replay, or null. */
  see(seq: number, check: { credentialId: string; counter: number; nonce: string }): string | null {
    const earlier = this.#nonces.get(check.nonce);
    if (earlier !== undefined) return `its nonce was already used by entry ${earlier}: a replayed assertion`;
    this.#nonces.set(check.nonce, seq);
    const last = this.counter(check.credentialId);
    // Authenticators that keep no counter report 0 every time; one that counts must count up.
    if ((check.counter > 0 || last > 0) && check.counter <= last)
      return `its signature counter ${check.counter} does not exceed ${last}, the credential's last: a replayed or cloned credential`;
    this.#counters.set(check.credentialId, Math.max(last, check.counter));
    return null;
  }
}

/**
 * Checks every person's decision among `entries` (in ledger order) against the registrations that precede it;
 * one problem per bad entry.
 */
export async function checkDecisions(
  entries: readonly LedgerEntry[],
  registrations: ReadonlyMap<string, LedgerEntry>,
): Promise<{ seq: number; taskId: string | null; reason: string }[]> {
  const problems: { seq: number; taskId: string | null; reason: string }[] = [];
  const replay = new DecisionReplay();
  for (const x of entries) {
    if (!isPersonDecision(x)) continue;
    const id = proofOf(x)?.response?.id;
    const check = await checkDecision(x, typeof id === 'string' ? registrations.get(id) : undefined);
    const reason = check.ok ? replay.see(x.seq, check) : check.reason;
    if (reason)
      problems.push({ seq: x.seq, taskId: x.taskId, reason: `entry ${x.seq} is not a person's decision: ${reason}` });
  }
  return problems;
}
