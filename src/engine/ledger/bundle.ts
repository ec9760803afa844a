/** @module Attestation bundles: a task's stretch of the ledger chain as DSSE envelopes, and the public keys that check them, in files committed with the work. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { INTOTO_PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, preAuthEncoding, statementFor } from '../../core/dsse.ts';
import { EntryKind, type LedgerEntry } from '../../core/ledger.ts';
import { checkTaskId } from '../../core/task.ts';
import { envelopeFor } from './export.ts';
import { keyIdOf, signatureBytes } from './keys.ts';
import { readNoFollow, writeAtomic } from '../repo/files.ts';
import { readCommitted } from '../repo/committed.ts';
import { entryOfLine } from './history.ts';
import type { Engine } from '../context.ts';

/** The bundle of a task, relative to the state folder. */
export function bundleRel(taskId: string): string {
  return `attestations/${taskId}.jsonl`;
}

/** Where a public key that checks bundles is committed, relative to the state folder (`keys/` itself stays git-ignored). */
export function publicKeyRel(keyId: string): string {
  return `attestations/keys/${keyId}.pub.pem`;
}

/** What a bundle write produced. */
export interface BundleWritten {
  /** The bundle, relative to the repository root. */
  readonly path: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly entries: number;
  /** Key ids whose public keys were written next to it (entry signers and the envelope signer). */
  readonly keys: string[];
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BATCH = 2000;

/**
 * Writes `<stateDir>/attestations/<TASK>.jsonl`: one DSSE envelope a line for every
 * entry of the global chain from the task's first entry to the head, so that the
 * chain can be checked without the store, and the public key of every signer to
 * `<stateDir>/attestations/keys/`. A failure is a refusal value: the move that
 * asked for the bundle has already been recorded.
 */
export async function writeBundle(engine: Engine, taskId: string): Promise<Result<BundleWritten>> {
  const id = checkTaskId(taskId);
  if (!id.ok) return id;
  const path = relative(engine.layout.root, join(engine.layout.stateDir, bundleRel(taskId)))
    .split(sep)
    .join('/');
  try {
    const first = (await engine.store.entries({ taskId, limit: 1 }))[0];
    if (!first)
      return refuse(ErrorCode.TASK_UNKNOWN, `no ledger entries for task ${taskId}; nothing to attest`, { taskId });
    for (const dir of [engine.layout.attestationsDir, join(engine.layout.attestationsDir, 'keys')]) {
      if (isSymlink(dir)) {
        return refuse(
          ErrorCode.PATH_OUTSIDE_EVIDENCE,
          `${dir} is a symlink; the attestation folder must be a real folder`,
          { name: dir, reason: 'symlink' },
        );
      }
    }
    const lines: string[] = [];
    const chain: { seq: number; hash: string }[] = [];
    const signers = new Set<string>([engine.signer.keyId]);
    let from = first.seq;
    let last = first.seq;
    for (;;) {
      const batch = await engine.store.entries({ fromSeq: from, limit: BATCH });
      if (batch.length === 0) break;
      for (const entry of batch) {
        lines.push(JSON.stringify(envelopeFor(engine, entry)));
        chain.push({ seq: entry.seq, hash: entry.hash });
        signers.add(entry.keyId);
      }
      last = batch[batch.length - 1]!.seq;
      from = last + 1;
    }
    // A bundle only grows: the one committed (or written before) must be the start of this one. Written from another
    // chain (a shadow store named by AUTOPILOT_STORE, a replaced store), it would overwrite the real history.
    for (const [label, text] of await earlierBundles(engine, path)) {
      const diverge = divergence(text, chain);
      if (diverge !== null) {
        return refuse(
          ErrorCode.LEDGER_TAMPERED,
          `the ${label} bundle ${path} holds entries this store's chain does not (from its line ${diverge + 1} on): this store${engine.store.location ? ` (${engine.store.location})` : ''} is not the one that wrote it, so the bundle was left as it is. Run the task against the real store (check \`store\` and AUTOPILOT_STORE), or have a person look at both`,
          { reason: 'bundle of another chain', path, line: diverge + 1 },
        );
      }
    }
    const known = await engine.store.keys();
    const missing: string[] = [];
    const pems = new Map<string, string>();
    for (const keyId of [...signers].sort()) {
      const pem = keyId === engine.signer.keyId ? engine.signer.publicKeyPem : known.get(keyId);
      if (!pem || !KEY_ID.test(keyId)) missing.push(keyId);
      else pems.set(keyId, pem);
    }
    if (missing.length > 0) {
      return refuse(
        ErrorCode.LEDGER_TAMPERED,
        `the store has no public key for ${missing.join(', ')}, which signed entries of ${taskId}; its bundle would not verify`,
        {
          reason: 'unknown key',
          keys: missing,
        },
      );
    }
    for (const [keyId, pem] of pems) writeAtomic(join(engine.layout.attestationsDir, 'keys'), `${keyId}.pub.pem`, pem);
    writeAtomic(engine.layout.attestationsDir, `${taskId}.jsonl`, `${lines.join('\n')}\n`);
    return ok({ path, fromSeq: first.seq, toSeq: last, entries: lines.length, keys: [...pems.keys()] });
  } catch (err) {
    return refuse(
      ErrorCode.INTERNAL,
      `the attestation bundle ${path} could not be written: ${(err as Error).message}`,
      { taskId, path },
    );
  }
}

/** The task's bundle as committed at HEAD and as it is in the work tree, where there is one. */
async function earlierBundles(engine: Engine, path: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  try {
    const [blob] = await readCommitted(engine.layout.root, 'HEAD', [path]);
    if (blob?.kind === 'file') out.push(['committed', blob.bytes.toString('utf8')]);
  } catch {
    // no git history to read: nothing committed
  }
  const file = readNoFollow(join(engine.layout.root, path), 1024 * 1024 * 1024);
  if (file.kind === 'file') out.push(['written', file.bytes.toString('utf8')]);
  return out;
}

/** The index of the first line of `text` that is not the entry at the same place in `chain`, or null when `text` is a start of it. */
function divergence(text: string, chain: readonly { seq: number; hash: string }[]): number | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i < lines.length; i++) {
    const entry = entryOfLine(lines[i]!);
    if (!entry || entry.seq !== chain[i]?.seq || entry.hash !== chain[i]?.hash) return i;
  }
  return null;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const entrySchema = z
  .object({
    seq: z.number().int().min(1),
    prevHash: hex64,
    hash: hex64,
    ts: z.string(),
    taskId: z.string().nullable(),
    kind: z.enum(Object.values(EntryKind) as [EntryKind, ...EntryKind[]]),
    fromPhase: z.string().nullable(),
    toPhase: z.string().nullable(),
    actor: z.string(),
    artifacts: z.array(
      z.object({ path: z.string().min(1), sha256: hex64, producer: z.enum(['agent', 'autopilot']) }).strict(),
    ),
    data: z.record(z.string(), z.unknown()),
    keyId: z.string(),
    signature: z.string(),
  })
  .strict();

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
});

const statementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string(), digest: z.object({ sha256: z.string() }) })),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.unknown(),
});

/** One line of a bundle, opened: the entry it carries (when it could be read) and what is wrong with the envelope. */
export interface OpenedLine {
  /** 1-based line number in the bundle. */
  readonly line: number;
  readonly entry?: LedgerEntry;
  /** The key ids that signed the envelope. */
  readonly keyIds: string[];
  readonly problems: { readonly kind: 'envelope' | 'signature'; readonly reason: string }[];
}

/** Verifies DSSE envelopes against a set of public keys (PEM by key id); a key filed under another key's id is no key. */
export function envelopeVerifier(publicKeys: ReadonlyMap<string, string>) {
  const cache = new Map<string, KeyObject | null>();
  const keyFor = (keyId: string): KeyObject | null => {
    if (!cache.has(keyId)) {
      let key: KeyObject | null = null;
      const pem = publicKeys.get(keyId);
      if (pem) {
        try {
          key = createPublicKey(pem);
          if (keyIdOf(key) !== keyId) key = null;
        } catch {
          key = null;
        }
      }
      cache.set(keyId, key);
    }
    return cache.get(keyId) ?? null;
  };
  /** Opens one bundle line: envelope shape, DSSE signature, statement shape, entry shape, subjects. */
  return (text: string, line: number): OpenedLine => {
    const problems: OpenedLine['problems'] = [];
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { line, keyIds: [], problems: [{ kind: 'envelope', reason: 'not JSON' }] };
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success)
      return {
        line,
        keyIds: [],
        problems: [{ kind: 'envelope', reason: 'not a DSSE envelope (payloadType, payload, signatures)' }],
      };
    const { payloadType, payload, signatures } = env.data;
    const keyIds = signatures.map((s) => s.keyid);
    if (payloadType !== INTOTO_PAYLOAD_TYPE)
      problems.push({ kind: 'envelope', reason: `payloadType is ${payloadType}, not ${INTOTO_PAYLOAD_TYPE}` });
    const body = Buffer.from(payload, 'base64');
    const pae = preAuthEncoding(payloadType, body);
    const known = signatures.filter((s) => keyFor(s.keyid));
    if (known.length === 0) {
      problems.push({
        kind: 'signature',
        reason: `the envelope is signed by unknown key ${keyIds.join(', ')}: no committed public key has that id`,
      });
    } else if (!known.some((s) => safeVerify(pae, keyFor(s.keyid)!, s.sig))) {
      problems.push({
        kind: 'signature',
        reason: `the envelope's DSSE signature by ${known.map((s) => s.keyid).join(', ')} does not verify`,
      });
    }
    let statement: z.infer<typeof statementSchema>;
    try {
      const parsed = statementSchema.safeParse(JSON.parse(body.toString('utf8')));
      if (!parsed.success)
        return {
          line,
          keyIds,
          problems: [
            ...problems,
            { kind: 'envelope', reason: 'the payload is not an in-toto Statement v1 of a ledger entry' },
          ],
        };
      statement = parsed.data;
    } catch {
      return { line, keyIds, problems: [...problems, { kind: 'envelope', reason: 'the payload is not JSON' }] };
    }
    const entry = entrySchema.safeParse(statement.predicate);
    if (!entry.success) {
      const issue = entry.error.issues[0];
      return {
        line,
        keyIds,
        problems: [
          ...problems,
          {
            kind: 'envelope',
            reason: `the predicate is not a ledger entry (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'})`,
          },
        ],
      };
    }
    const value = entry.data as LedgerEntry;
    if (JSON.stringify(statement.subject) !== JSON.stringify(statementFor(value).subject)) {
      problems.push({ kind: 'envelope', reason: "the statement's subjects do not match the entry's artifacts" });
    }
    return { line, entry: value, keyIds, problems };
  };
}

function safeVerify(data: Uint8Array, key: KeyObject, sig: string): boolean {
  const bytes = signatureBytes(sig);
  if (!bytes) return false;
  try {
    return verify(null, data, key, bytes);
  } catch {
    return false;
  }
}
