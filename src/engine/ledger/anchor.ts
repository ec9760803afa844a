/**
 * @module The anchored head: after every commit that appends to the ledger, its new head (seq and hash, with the
 * first entry's hash and where the store was) is written to this user's state folder, outside the repository and
 * out of the agent's reach. A store whose chain does not hold the anchored head (wiped, truncated, replaced by
 * another or an empty file, rewritten, a shadow store named by AUTOPILOT_STORE) is found out by `ledger verify` and
 * `doctor`, and is not written to: the same task cannot quietly start again on a fresh store.
 *
 * The anchor only grows. A store may be ahead of it (another machine of a team, or a process killed between its
 * commit and the anchor's write), never behind it nor on another chain.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { ChainHead, LedgerEntry } from '../../core/ledger.ts';
import type { Store, StoreTx } from '../../ports/store.ts';
import { ensurePrivateDir, type UserStateLayout } from '../repo/user-state.ts';

/** What the anchor file holds. */
export interface Anchor {
  readonly version: 1;
  readonly seq: number;
  readonly hash: string;
  /** The hash of entry 1: tells a truncated chain (same first entry) from another chain. */
  readonly first: string;
  /** Where the store was when this head was anchored (`sqlite:<file>`, a URL without its password). */
  readonly store: string;
  /** When it was written (for a person reading the file; nothing depends on it). */
  readonly at: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads the anchor: null when there is none; throws LEDGER_TAMPERED when the file is not one Autopilot wrote. */
export function readAnchor(file: string): Anchor | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: Partial<Anchor> | undefined;
  try {
    value = JSON.parse(text) as Partial<Anchor>;
  } catch {
    value = undefined;
  }
  if (
    !value ||
    value.version !== 1 ||
    !Number.isSafeInteger(value.seq) ||
    (value.seq ?? 0) < 1 ||
    !HEX64.test(String(value.hash)) ||
    !HEX64.test(String(value.first)) ||
    typeof value.store !== 'string'
  ) {
    throw new AutopilotError(
      ErrorCode.LEDGER_TAMPERED,
      `the ledger's anchor ${file} is not a file Autopilot wrote; a person should look at it (and at the store) before removing it`,
      { reason: 'anchor unreadable', anchor: file },
    );
  }
  return value as Anchor;
}

/** Why a store does not hold the anchored head. */
export type AnchorReason = 'wiped' | 'truncated' | 'replaced' | 'rewritten';

/** A store that does not hold the anchored head: the reason, and a message that says what is wrong (see {@link anchorFix}). */
export interface AnchorFinding {
  readonly reason: AnchorReason;
  readonly message: string;
  readonly anchor: Anchor;
}

const short = (hash: string) => hash.slice(0, 16);

/** The entry at `seq`, or undefined. */
async function entryAt(store: Pick<Store, 'entries'>, seq: number): Promise<LedgerEntry | undefined> {
  const [entry] = await store.entries({ fromSeq: seq, limit: 1 });
  return entry?.seq === seq ? entry : undefined;
}

/** The fix every anchor finding ends with. */
export function anchorFix(file: string): string {
  return `restore the store from a backup, or point \`store\` (or AUTOPILOT_STORE) back at the real one. Only if that history is truly lost, a person (never the agent) accepts a new one by removing ${file}; committed bundles and commit trailers still name the old history`;
}

/**
 * Checks that the store's chain holds the anchored head at its seq. Null when it does (the store may be ahead);
 * else what happened to it, as far as the store shows.
 */
export async function checkAnchor(
  store: Pick<Store, 'head' | 'entries' | 'location'>,
  anchor: Anchor,
  file: string,
): Promise<AnchorFinding | null> {
  const head = await store.head();
  const here = store.location ? ` (${store.location})` : '';
  const there =
    anchor.store && anchor.store !== store.location ? `; the anchor was written through ${anchor.store}` : '';
  const anchored = `this user's anchor (${file}) holds entry ${anchor.seq} (${short(anchor.hash)})`;
  const finding = (reason: AnchorReason, what: string): AnchorFinding => ({
    reason,
    message: `${what}${there}`,
    anchor,
  });
  if (!head)
    return finding(
      'wiped',
      `the store${here} is empty, but ${anchored}: the store was wiped or replaced by an empty one`,
    );
  const first = await entryAt(store, 1);
  const sameChain = first?.hash === anchor.first;
  if (head.seq < anchor.seq) {
    return sameChain
      ? finding(
          'truncated',
          `the store${here} ends at entry ${head.seq}, but ${anchored}: entries were removed (cut off its end, or erased and the rest chained again)`,
        )
      : finding(
          'replaced',
          `the store${here} holds another chain, ending at entry ${head.seq}, but ${anchored}: the store was replaced`,
        );
  }
  const at = head.seq === anchor.seq ? head : await entryAt(store, anchor.seq);
  if (at?.hash === anchor.hash) return null;
  return sameChain
    ? finding(
        'rewritten',
        `the store${here} holds another entry ${anchor.seq} (${short(at?.hash ?? '-')}) than ${anchored}: its history was rewritten (re-signed or edited) from that entry on or before it`,
      )
    : finding(
        'replaced',
        `the store${here} holds another chain than the one ${anchored} belongs to: the store was replaced`,
      );
}

/** An AutopilotError (LEDGER_TAMPERED) for a finding: a store that lost its anchored head is not written to. */
export function anchorError(finding: AnchorFinding, file: string): AutopilotError {
  return new AutopilotError(ErrorCode.LEDGER_TAMPERED, `${finding.message}. To repair: ${anchorFix(file)}`, {
    reason: finding.reason,
    anchor: file,
    anchored: { seq: finding.anchor.seq, hash: finding.anchor.hash },
  });
}

let reported = false;
function reportOnce(err: unknown): void {
  if (reported) return;
  reported = true;
  process.stderr.write(
    `autopilot: the ledger's anchored head could not be written (${(err as Error).message}); the entry is recorded, but a wiped store would not be noticed by this user's anchor until it is written again\n`,
  );
}

/**
 * The anchor's folder as this process last found it private (device, inode, owner, mode). Every commit writes the
 * anchor: checking each folder from the root down each time (a mkdir and an lstat a level) cost more than the write.
 * One lstat of the folder itself tells whether it is still the one checked; anything else checks it all again.
 */
const privateDirs = new Map<string, string>();

function identity(dir: string): string | undefined {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.uid}:${st.mode}` : undefined;
  } catch {
    return undefined;
  }
}

function ensureAnchorDir(user: UserStateLayout, dir: string): void {
  const known = privateDirs.get(dir);
  if (known !== undefined && identity(dir) === known) return;
  ensurePrivateDir(user, dir);
  const now = identity(dir);
  if (now !== undefined) privateDirs.set(dir, now);
}

/** Writes the anchor atomically (0600, in a 0700 folder). */
export function writeAnchor(user: UserStateLayout, anchor: Anchor): void {
  const file = user.anchorFile;
  ensureAnchorDir(user, dirname(file));
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(anchor)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
    throw err;
  }
}

/**
 * Moves the anchor to `head` unless it already holds a later entry. Two processes may write at once: the one that
 * finds a lower seq than its own after writing writes again, so that the anchor ends at the highest of them.
 */
export function advanceAnchor(user: UserStateLayout, head: ChainHead, first: string, store: string, now: Date): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = readAnchor(user.anchorFile);
    if (current && current.seq >= head.seq) return;
    writeAnchor(user, { version: 1, seq: head.seq, hash: head.hash, first, store, at: now.toISOString() });
  }
}

/**
 * The store with the anchor hooked to its commits: before a transaction, the store must hold the anchored head
 * (else LEDGER_TAMPERED is thrown and nothing is written); after a commit that appended entries, the anchor moves to
 * the last of them. Everything else passes through.
 */
export function anchored<S extends Store>(store: S, user: UserStateLayout): S {
  // The anchored head this process last saw the store hold: the chain only grows, so it need not be read again.
  let checked: string | undefined;
  let first: string | undefined;
  const guard = async (): Promise<void> => {
    const anchor = readAnchor(user.anchorFile);
    if (!anchor || checked === `${anchor.seq}:${anchor.hash}`) return;
    const finding = await checkAnchor(store, anchor, user.anchorFile);
    if (finding) throw anchorError(finding, user.anchorFile);
    checked = `${anchor.seq}:${anchor.hash}`;
    first = anchor.first;
  };
  const transact = async <T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> => {
    await guard();
    let last: LedgerEntry | undefined;
    const result = await store.transact((tx) => {
      last = undefined;
      const watched = new Proxy(tx, {
        get(target, prop) {
          if (prop === 'append') {
            return async (entry: LedgerEntry) => {
              await target.append(entry);
              last = entry;
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return fn(watched);
    });
    if (last) {
      const head: LedgerEntry = last;
      try {
        first ??= head.seq === 1 ? head.hash : (await entryAt(store, 1))?.hash;
        if (first) {
          advanceAnchor(user, head, first, store.location ?? '', new Date());
          checked = `${head.seq}:${head.hash}`;
        }
      } catch (err) {
        reportOnce(err);
      }
    }
    return result;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'transact') return transact;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
