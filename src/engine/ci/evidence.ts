/** @module Every live artifact of a task, as committed at HEAD, against the digest the ledger recorded for it. */
import { ErrorCode } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { gitWithInput } from '../repo/git.ts';
import { readCommitted } from './committed.ts';
import type { GateContext } from './check-bundle.ts';
import type { CiProblem } from './report.ts';

/** The evidence check of one task: how many files were compared, the ones that matched (by state-relative path), the problems. */
export interface CheckedEvidence {
  readonly artifacts: number;
  readonly files: Map<string, Buffer>;
  readonly problems: CiProblem[];
}

export async function checkEvidence(ctx: GateContext, state: TaskState, bundle: string): Promise<CheckedEvidence> {
  const taskId = state.taskId;
  const problems: CiProblem[] = [];
  const files = new Map<string, Buffer>();
  const live = Object.values(state.artifacts).sort((a, b) => a.path.localeCompare(b.path));
  // A path the ledger names must stay inside the state folder: it is read from the commit, never from outside it.
  const safe = live.filter((a) => {
    const ok =
      !a.path.includes('\n') && !a.path.startsWith('/') && !a.path.split('/').includes('..') && !a.path.includes('\\');
    if (!ok)
      problems.push({
        taskId,
        check: 'process',
        code: ErrorCode.PATH_OUTSIDE_EVIDENCE,
        file: bundle,
        reason: `entry ${a.seq} names the artifact path ${JSON.stringify(a.path)}, outside the evidence folder`,
      });
    return ok;
  });
  const blobs = await readCommitted(
    ctx.root,
    ctx.head,
    safe.map((a) => ctx.inState(a.path)),
  );
  const missing = safe.filter((_, i) => blobs[i]!.kind === 'missing').map((a) => ctx.inState(a.path));
  const hidden = await ignoredBy(ctx.root, missing);
  safe.forEach((a, i) => {
    const b = blobs[i]!;
    const file = ctx.inState(a.path);
    if (b.kind === 'missing') {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.EVIDENCE_MISSING,
        seq: a.seq,
        file,
        reason: missingReason(file, a.seq, hidden.get(file)),
      });
    } else if (b.kind !== 'file') {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `recorded by entry ${a.seq} as a file, but committed at HEAD as something else (a folder or a submodule)`,
      });
    } else if (b.sha256 !== a.sha256) {
      problems.push({
        taskId,
        check: 'evidence',
        code: ErrorCode.LEDGER_TAMPERED,
        seq: a.seq,
        file,
        reason: `changed after entry ${a.seq} recorded it (sha256 ${a.sha256.slice(0, 12)}… recorded, ${b.sha256.slice(0, 12)}… committed)`,
      });
    } else {
      files.set(a.path, b.bytes);
    }
  });
  return { artifacts: safe.length, files, problems };
}

/** What git ignores a path by: the pattern, and the file and line it is on. */
export interface IgnoreRule {
  readonly source: string;
  readonly line: number;
  readonly pattern: string;
}

/**
 * Why a file the ledger recorded is not committed, and the fix. Left out of a commit is a packaging slip, not
 * tampering: say what hid it, when a .gitignore pattern does, and how to put it in.
 */
export function missingReason(file: string, seq: number, rule: IgnoreRule | undefined): string {
  return `recorded by entry ${seq} but not committed at HEAD${rule ? `: the .gitignore pattern ${rule.pattern} (${rule.source}:${rule.line}) hides it` : ''}. Commit it: git add -f ${file}${rule ? ` (and run autopilot init, whose .gitignore lines keep the evidence committed)` : ''}`;
}

/** The ignore rule that hides each of `paths` in this checkout (`git check-ignore -v`), by path; paths no rule hides are left out. */
export async function ignoredBy(root: string, paths: readonly string[]): Promise<Map<string, IgnoreRule>> {
  const found = new Map<string, IgnoreRule>();
  if (paths.length === 0) return found;
  // Exit 1 means that no path is ignored; -z gives source, line, pattern and path, each ended by NUL.
  const r = await gitWithInput(root, ['check-ignore', '-v', '-z', '--no-index', '--stdin'], `${paths.join('\0')}\0`);
  const fields = r.stdout.split('\0');
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, line, pattern, path] = [fields[i]!, fields[i + 1]!, fields[i + 2]!, fields[i + 3]!];
    // A negated pattern that matched last means the path is not ignored.
    if (source !== '' && !pattern.startsWith('!')) found.set(path, { source, line: Number(line), pattern });
  }
  return found;
}
