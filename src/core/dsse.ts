/** @module in-toto Statement v1 for a ledger entry, and the DSSE pre-authentication encoding. */
import type { LedgerEntry } from './ledger.ts';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://autopilot.dev/attestation/ledger-entry/v1';

export interface Statement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly { name: string; digest: { sha256: string } }[];
  readonly predicateType: typeof PREDICATE_TYPE;
  readonly predicate: LedgerEntry;
}

export interface Envelope {
  readonly payloadType: string;
  /** Base64 of the statement's JSON. */
  readonly payload: string;
  readonly signatures: readonly { keyid: string; sig: string }[];
}

/** The entry's artifacts are the subjects; an entry without artifacts is its own subject. */
export function statementFor(entry: LedgerEntry): Statement {
  const subject = entry.artifacts.length
    ? entry.artifacts.map((a) => ({ name: a.path, digest: { sha256: a.sha256 } }))
    : [{ name: `ledger/${entry.seq}`, digest: { sha256: entry.hash } }];
  return { _type: STATEMENT_TYPE, subject, predicateType: PREDICATE_TYPE, predicate: entry };
}

const utf8 = new TextEncoder();

/** DSSE v1 PAE: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.byteLength} ${payloadType} ${payload.byteLength} `);
  const out = new Uint8Array(head.byteLength + payload.byteLength);
  out.set(head, 0);
  out.set(payload, head.byteLength);
  return out;
}
