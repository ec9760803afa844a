/**
 * @module The integrity of one committed attestation bundle: each DSSE envelope and
 * its signature, each entry's hash and ed25519 signature, and the links between
 * entries. What it yields (the entries) is only read further when nothing here failed.
 */
import { ErrorCode } from '../../core/errors.ts';
import { GENESIS_HASH, checkChain, type LedgerEntry } from '../../core/ledger.ts';
import type { Config } from '../../core/config.ts';
import { envelopeVerifier } from '../ledger/bundle.ts';
import { chainCrypto } from '../ledger/keys.ts';
import { readCommitted } from './committed.ts';
import type { CiProblem } from './report.ts';

/** What every check of a branch reads: the checkout, HEAD, the committed config and keys, the state folder. */
export interface GateContext {
  readonly root: string;
  readonly head: string;
  /** The merge-base of HEAD and the base ref: where the branch's own change starts. */
  readonly mergeBase: string;
  /** The config committed at HEAD. */
  readonly config: Config;
  /** Public keys committed at HEAD, by key id. */
  readonly keys: Map<string, string>;
  /** A path relative to the state folder, made relative to the repository root. */
  readonly inState: (p: string) => string;
  /**
   * The keys a passkey registration must be signed by for a person's review to count: the trusted keys (the CI
   * variable), else the keys committed on the base branch; never a key the branch brought.
   */
  readonly trustedKeyIds: ReadonlySet<string>;
}

/** A bundle, opened: its entries in order, every key id that signed, and what is wrong with it. */
export interface OpenedBundle {
  readonly entries: LedgerEntry[];
  readonly keyIds: Set<string>;
  readonly problems: CiProblem[];
}

/** Reads the bundle at HEAD and checks envelopes, entries and chain; every problem found is LEDGER_TAMPERED. */
export async function openBundle(ctx: GateContext, taskId: string, path: string): Promise<OpenedBundle> {
  const problems: CiProblem[] = [];
  const entries: LedgerEntry[] = [];
  const keyIds = new Set<string>();
  const tampered = (p: Omit<CiProblem, 'taskId' | 'code' | 'file'>) =>
    problems.push({ taskId, code: ErrorCode.LEDGER_TAMPERED, file: path, ...p });

  const [blob] = await readCommitted(ctx.root, ctx.head, [path]);
  if (blob?.kind !== 'file') {
    tampered({ check: 'bundle', reason: 'the bundle is not a committed file at HEAD' });
    return { entries, keyIds, problems };
  }
  const lines = blob.bytes.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) tampered({ check: 'bundle', reason: 'the bundle is empty' });

  const open = envelopeVerifier(ctx.keys);
  const crypto = chainCrypto(ctx.keys);
  let prev: LedgerEntry | undefined;
  lines.forEach((text, i) => {
    // The envelope: its shape and its DSSE signature.
    const line = open(text, i + 1);
    line.keyIds.forEach((k) => keyIds.add(k));
    for (const p of line.problems)
      tampered({
        check: p.kind === 'signature' ? 'signature' : 'bundle',
        line: line.line,
        reason: p.reason,
        ...(line.entry ? { seq: line.entry.seq } : {}),
      });
    const entry = line.entry;
    if (!entry) return;
    keyIds.add(entry.keyId);
    const at = { line: line.line, seq: entry.seq };
    // The link to the entry before it.
    if (prev && entry.seq !== prev.seq + 1)
      tampered({ check: 'chain', ...at, reason: `sequence gap: entry ${prev.seq} is followed by entry ${entry.seq}` });
    else if (prev && entry.prevHash !== prev.hash)
      tampered({ check: 'chain', ...at, reason: `prevHash does not match the hash of entry ${prev.seq}` });
    else if (!prev && entry.seq === 1 && entry.prevHash !== GENESIS_HASH)
      tampered({ check: 'chain', ...at, reason: 'the first entry of the ledger must link to the genesis hash' });
    // The entry on its own: its hash over the canonical payload, then its ed25519 signature.
    const own = checkChain(
      [entry],
      entry.seq === 1 ? null : { seq: entry.seq - 1, hash: entry.prevHash },
      crypto,
      false,
    );
    if (own) tampered({ check: 'chain', ...at, reason: own.reason });
    else if (!crypto.verify(entry.keyId, entry.hash, entry.signature))
      tampered({ check: 'signature', ...at, reason: `the entry's signature does not verify with key ${entry.keyId}` });
    entries.push(entry);
    prev = entry;
  });
  const first = entries[0];
  if (first && (first.taskId !== taskId || first.kind !== 'task_started')) {
    tampered({
      check: 'chain',
      seq: first.seq,
      line: 1,
      reason: `the bundle must start with the task's first entry (task_started of ${taskId}), not a ${first.kind} of ${first.taskId ?? 'no task'}`,
    });
  }
  return { entries, keyIds, problems };
}
