/**
 * @module Change impact on the repository: the paths a diff from a base commit changes (the working tree against
 * it, untracked files included), and what they reach in the atlas.
 */
import { ErrorCode, refuse, type Refusal } from '../../core/errors.ts';
import { git, resolveCommit } from '../repo/git.ts';

/**
 * The paths changed between `base` (a commit, HEAD when left out) and the working tree: modified, added, deleted
 * (their old paths) and renamed (both paths), and untracked files git does not ignore. An unknown base is a refusal.
 */
export async function changedPaths(
  root: string,
  base = 'HEAD',
): Promise<{ ok: true; value: { base: string; commit: string; paths: string[] } } | { ok: false; error: Refusal }> {
  const commit = await resolveCommit(root, base);
  if (!commit)
    return refuse(
      ErrorCode.USAGE,
      `--base ${JSON.stringify(base.slice(0, 120))} names no commit of this repository: give a branch, a tag or a commit id`,
      { argument: 'base', base: base.slice(0, 120) },
    );
  const diff = await git(root, ['diff', '--name-status', '-z', '--no-renames', commit, '--']);
  if (diff.code !== 0) throw new Error(`git diff ${commit} failed: ${diff.stderr.trim()}`);
  const parts = diff.stdout.split('\0').filter(Boolean);
  const paths = new Set<string>();
  for (let i = 0; i + 1 < parts.length; i += 2) paths.add(parts[i + 1]!);
  const untracked = await git(root, ['ls-files', '-z', '--others', '--exclude-standard']);
  if (untracked.code !== 0) throw new Error(`git ls-files failed: ${untracked.stderr.trim()}`);
  for (const p of untracked.stdout.split('\0')) if (p) paths.add(p);
  return { ok: true, value: { base, commit, paths: [...paths].sort() } };
}
