/**
 * @module Is this the store's whole history? Three records outside the store name heads its chain must hold: this
 * user's anchored head (see anchor.ts), the `Autopilot-Ledger` trailers of the commits on HEAD, and the committed
 * attestation bundles. A store that lacks one of them was wiped, truncated, replaced or rewritten: `ledger verify`
 * and `doctor` say so (LEDGER_TAMPERED) instead of "0 entries, green".
 *
 * Trailers and bundles count only where this installation's keys signed the entry they name: a teammate's commits
 * and bundles (their own store, their own key) say nothing about this store.
 */
import { relative, sep } from 'node:path';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Store } from '../../ports/store.ts';
import { readCommitted } from '../repo/committed.ts';
import { git } from '../repo/git.ts';
import type { Layout } from '../repo/layout.ts';
import { anchorFix, checkAnchor, readAnchor, type AnchorReason } from './anchor.ts';

/**
 * The trailer commit-msg adds besides `Autopilot-Ledger: <hash>`: `Autopilot-Entry: <seq> <key id>`. Its name shares
 * no prefix with the other's: git's `--if-exists replace` takes a trailer whose name starts another's for the same.
 */
export const ENTRY_TRAILER = 'Autopilot-Entry';
export const HASH_TRAILER = 'Autopilot-Ledger';

/** The `Autopilot-Entry` value for an entry. */
export function entryTrailer(entry: Pick<LedgerEntry, 'seq' | 'keyId'>): string {
  return `${entry.seq} ${entry.keyId}`;
}

/** One way the store falls short of its history. */
export interface HistoryProblem {
  readonly kind: 'history';
  /** Where the missing head is named: the anchor, a commit's trailer, a committed bundle. */
  readonly source: 'anchor' | 'trailer' | 'bundle';
  /** What is wrong. */
  readonly reason: string;
  /** How to repair it. */
  readonly fix: string;
  /** The seq of the entry the store should hold. */
  readonly seq?: number;
  /** The bundle (relative to the root) or the commit. */
  readonly path?: string;
  /** Why, when the anchor tells. */
  readonly finding?: AnchorReason;
}

/** What the history is checked with. */
export interface HistoryInput {
  readonly layout: Layout;
  readonly store: Pick<Store, 'head' | 'entries' | 'keys' | 'location'>;
  /** This installation's key ids (the signer's, when it could be loaded): trailers and bundles signed by others are not this store's. */
  readonly keyIds: Iterable<string>;
}

/** Commits on HEAD searched for trailers, newest first. */
const TRAILER_COMMITS = 200;
/** Bundles read: those of the newest commits that changed any. The chain links the rest to them. */
const BUNDLES = 10;

const short = (hash: string) => hash.slice(0, 16);
const RESTORE = 'restore the store from a backup, or point `store` (or AUTOPILOT_STORE) back at the real one';

async function entryAt(store: HistoryInput['store'], seq: number): Promise<LedgerEntry | undefined> {
  const [entry] = await store.entries({ fromSeq: seq, limit: 1 });
  return entry?.seq === seq ? entry : undefined;
}

/** Every way the store falls short of the history recorded outside it; [] when it holds all of it (or none is recorded). */
export async function historyProblems(input: HistoryInput): Promise<HistoryProblem[]> {
  const problems: HistoryProblem[] = [];
  const file = input.layout.user.anchorFile;
  try {
    const anchor = readAnchor(file);
    const finding = anchor ? await checkAnchor(input.store, anchor, file) : null;
    if (finding)
      problems.push({
        kind: 'history',
        source: 'anchor',
        seq: finding.anchor.seq,
        finding: finding.reason,
        reason: finding.message,
        fix: anchorFix(file),
      });
  } catch (err) {
    problems.push({ kind: 'history', source: 'anchor', reason: (err as Error).message, fix: anchorFix(file) });
  }
  const ours = new Set([...input.keyIds, ...(await input.store.keys()).keys()]);
  const named = [...(await trailerHeads(input.layout.root)), ...(await bundleHeads(input.layout, ours))];
  for (const n of named) {
    if (!ours.has(n.keyId)) continue;
    const at = await entryAt(input.store, n.seq);
    if (at?.hash === n.hash) continue;
    const what = at
      ? `another entry ${n.seq} (${short(at.hash)}): the store was replaced or its history rewritten`
      : `no entry ${n.seq}: the store was wiped, truncated or replaced`;
    problems.push({
      kind: 'history',
      source: n.source,
      seq: n.seq,
      path: n.where,
      reason: `${n.source === 'trailer' ? `commit ${n.where.slice(0, 12)}` : `the committed bundle ${n.where}`} names ledger entry ${n.seq} (${short(n.hash)}, signed by this installation's key ${n.keyId}), but the store${input.store.location ? ` (${input.store.location})` : ''} holds ${what}`,
      fix: `${RESTORE}; ${n.source === 'trailer' ? 'a commit made on a shadow store names its entries: the real store never held them' : 'a bundle written from another store is not this history'}`,
    });
  }
  return problems;
}

interface NamedHead {
  readonly source: 'trailer' | 'bundle';
  /** The commit or the bundle's path. */
  readonly where: string;
  readonly seq: number;
  readonly hash: string;
  readonly keyId: string;
}

/** The heads the newest commits on HEAD name in their trailers (one a commit, newest first). */
async function trailerHeads(root: string): Promise<NamedHead[]> {
  const r = await git(root, [
    'log',
    `-n${TRAILER_COMMITS}`,
    `--grep=^${ENTRY_TRAILER}: `,
    `--format=%H%x1f%(trailers:key=${HASH_TRAILER},valueonly,separator=%x20)%x1f%(trailers:key=${ENTRY_TRAILER},valueonly,separator=%x20)%x1e`,
    'HEAD',
    '--',
  ]);
  if (r.code !== 0) return []; // no commit yet, or not a repository: nothing named
  const heads: NamedHead[] = [];
  for (const record of r.stdout.split('\x1e')) {
    const [commit, hashes, entries] = record.trim().split('\x1f');
    // The last trailer of each kind is the one commit-msg wrote (it replaces, so there is one).
    const hash = hashes?.trim().split(/\s+/).pop() ?? '';
    const m = /(\d+) ([A-Za-z0-9_-]{1,64})\s*$/.exec(entries?.trim() ?? '');
    if (!commit || !m || !/^[0-9a-f]{64}$/.test(hash)) continue;
    heads.push({ source: 'trailer', where: commit, seq: Number(m[1]), hash, keyId: m[2]! });
  }
  return heads;
}

/** The last entry signed by one of `ours` in each of the newest committed bundles. */
async function bundleHeads(layout: Layout, ours: ReadonlySet<string>): Promise<NamedHead[]> {
  const dir = relative(layout.root, layout.attestationsDir).split(sep).join('/');
  if (dir.startsWith('..')) return [];
  const r = await git(layout.root, [
    'log',
    '-n50',
    '--format=',
    '--name-only',
    '--diff-filter=AM',
    'HEAD',
    '--',
    `${dir}/*.jsonl`,
  ]);
  if (r.code !== 0) return [];
  const paths = [
    ...new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((p) => p.startsWith(`${dir}/`) && /^[^/]+\.jsonl$/.test(p.slice(dir.length + 1))),
    ),
  ].slice(0, BUNDLES);
  const blobs = await readCommitted(layout.root, 'HEAD', paths);
  const heads: NamedHead[] = [];
  paths.forEach((path, i) => {
    const blob = blobs[i]!;
    if (blob.kind !== 'file') return; // deleted since: the CI gate judges what a branch removes
    const lines = blob.bytes.toString('utf8').split('\n');
    for (let j = lines.length - 1; j >= 0; j--) {
      const entry = entryOfLine(lines[j]!);
      if (entry && ours.has(entry.keyId)) {
        heads.push({ source: 'bundle', where: path, ...entry });
        break;
      }
    }
  });
  return heads;
}

/** The seq, hash and key of the entry a bundle line carries, without checking its envelope (the CI gate does). */
export function entryOfLine(line: string): { seq: number; hash: string; keyId: string } | undefined {
  if (!line.trim()) return undefined;
  try {
    const envelope = JSON.parse(line) as { payload?: unknown };
    if (typeof envelope.payload !== 'string') return undefined;
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicate?: { seq?: unknown; hash?: unknown; keyId?: unknown };
    };
    const p = statement.predicate;
    if (!p || !Number.isSafeInteger(p.seq) || typeof p.hash !== 'string' || typeof p.keyId !== 'string')
      return undefined;
    return { seq: p.seq as number, hash: p.hash, keyId: p.keyId };
  } catch {
    return undefined;
  }
}
