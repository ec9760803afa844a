/**
 * @module What a person's approval of a policy's request approves: the policies the request named and the change it
 * was recorded for (the task diff's digest and its files with their line counts). An approval satisfies a policy that
 * asks only when it names that policy and was given for the change being decided, so an approval for one policy does
 * not pass another, and an approval given before the diff grew does not pass the new diff. Pure: the move out of the
 * implement phase and Gate 1 read the ledger and say what "the same change" means to them.
 */
import { isPersonDecision } from '../decision.ts';
import type { LedgerEntry } from '../ledger.ts';

/** A changed file as a policy's request records it. */
export interface StampedFile {
  readonly path: string;
  readonly added: number;
  readonly removed: number;
  /** The git blob id of the file's content (null for a deleted file); absent where it was not read. */
  readonly blob?: string | null;
}

/** The change a policy's request was recorded for. */
export interface ChangeStamp {
  /** SHA-256 of the task's diff when the request was recorded (what a person's decision signs as `diff`). */
  readonly digest: string;
  readonly files: readonly StampedFile[];
  /** How many files the change had; more than `files` lists when the list was cut. */
  readonly filesTotal: number;
}

/** Files a request lists at most; a change with more cannot be matched file by file (Gate 1 asks again). */
export const MAX_STAMPED_FILES = 1000;

/** The stamp of a change: its digest and its files, sorted by path. */
export function changeStamp(digest: string, files: readonly StampedFile[]): ChangeStamp {
  const sorted = [...files]
    .map((f) => ({
      path: f.path,
      added: f.added,
      removed: f.removed,
      ...(f.blob !== undefined ? { blob: f.blob } : {}),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { digest, files: sorted.slice(0, MAX_STAMPED_FILES), filesTotal: sorted.length };
}

/** A person's approval of a policy's request, with what the request named. */
export interface PolicyApproval {
  readonly approval: LedgerEntry;
  readonly request: LedgerEntry;
  readonly person: string;
  readonly policyIds: readonly string[];
  readonly change: ChangeStamp;
  /** The diff digest the person signed (`data.diff` of the approval). */
  readonly signedDiff: string;
}

const isStamp = (v: unknown): v is ChangeStamp => {
  const s = v as ChangeStamp | null;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.digest === 'string' &&
    typeof s.filesTotal === 'number' &&
    Array.isArray(s.files) &&
    s.files.every((f) => typeof f?.path === 'string' && typeof f.added === 'number' && typeof f.removed === 'number')
  );
};

/** The policy ids a policy's request names, or undefined for another request (a risk's, the agent's, an older one). */
export function requestedPolicies(x: LedgerEntry): { policyIds: string[]; change: ChangeStamp } | undefined {
  if (x.kind !== 'approval' || x.data['action'] !== 'requested' || x.data['by'] !== 'policy') return undefined;
  const ids = x.data['policyIds'];
  const change = x.data['change'];
  if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string') || !isStamp(change)) return undefined;
  return { policyIds: ids as string[], change };
}

/**
 * The approvals of policy requests among one task's entries, oldest first. Only a person's approval counts
 * (`trusted` says whether its passkey verified, where the caller checks that); a request for changes voids the
 * approvals before it. Approvals recorded before requests named their policies approve no policy.
 */
export function policyApprovals(
  entries: readonly LedgerEntry[],
  trusted: (x: LedgerEntry) => boolean = () => true,
): PolicyApproval[] {
  const requests = new Map<number, { entry: LedgerEntry; policyIds: string[]; change: ChangeStamp }>();
  let out: PolicyApproval[] = [];
  for (const x of entries) {
    if (x.kind !== 'approval') continue;
    const asked = requestedPolicies(x);
    if (asked) requests.set(x.seq, { entry: x, ...asked });
    const action = x.data['action'];
    if (action === 'changes_requested') out = out.filter((a) => a.approval.taskId !== x.taskId);
    if (action !== 'approved' || !isPersonDecision(x) || !x.actor.startsWith('person:') || !trusted(x)) continue;
    const request = requests.get(Number(x.data['answers']));
    if (!request || request.entry.taskId !== x.taskId) continue;
    out.push({
      approval: x,
      request: request.entry,
      person: x.actor,
      policyIds: request.policyIds,
      change: request.change,
      signedDiff: typeof x.data['diff'] === 'string' ? x.data['diff'] : '',
    });
  }
  return out;
}

/** How one asking policy stands: approved for this change, approved for another change only, or not approved. */
export type PolicyCover =
  | { readonly policyId: string; readonly status: 'approved'; readonly by: PolicyApproval }
  | { readonly policyId: string; readonly status: 'stale'; readonly by: PolicyApproval }
  | { readonly policyId: string; readonly status: 'none' };

/**
 * Each asking policy against the approvals: the newest approval that names it and was given for this change
 * (`sameChange`) approves it; one that names it for another change only makes it `stale` (the diff changed since).
 */
export function coverPolicies(
  asked: readonly string[],
  approvals: readonly PolicyApproval[],
  sameChange: (a: PolicyApproval, policyId: string) => boolean,
): PolicyCover[] {
  return asked.map((policyId) => {
    const naming = approvals.filter((a) => a.policyIds.includes(policyId));
    const good = naming.findLast((a) => sameChange(a, policyId));
    if (good) return { policyId, status: 'approved', by: good };
    const last = naming.at(-1);
    return last ? { policyId, status: 'stale', by: last } : { policyId, status: 'none' };
  });
}

/**
 * True when a request's change holds the parts a policy found on as `files` has them: each file named, and for the
 * whole diff (`(diff)`) every file of `files`, with the same line counts and, where both sides know it, the same
 * content (blob id). A cut list cannot show that.
 */
export function stampCovers(stamp: ChangeStamp, on: readonly string[], files: readonly StampedFile[]): boolean {
  if (stamp.filesTotal > stamp.files.length) return false;
  const stamped = new Map(stamp.files.map((f) => [f.path, f]));
  const same = (f: StampedFile | undefined) => {
    const s = f && stamped.get(f.path);
    const content = s?.blob === undefined || f?.blob === undefined || s.blob === f.blob;
    return !!s && s.added === f.added && s.removed === f.removed && content;
  };
  const byPath = new Map(files.map((f) => [f.path, f]));
  return on.every((part) =>
    part === '(diff)' ? files.length === stamp.filesTotal && files.every(same) : same(byPath.get(part)),
  );
}
