/**
 * @module A merge made on the forge, for the test forges: a real commit in the bare repository Autopilot pushed to,
 * as the forge's merge button makes it (a merge commit with both heads as parents, or one squashed commit), and the
 * base branch moved to it.
 */
import { execFileSync } from 'node:child_process';

const gitIn = (bare: string, args: readonly string[]): string =>
  execFileSync('git', ['--git-dir', bare, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Forge',
      GIT_AUTHOR_EMAIL: 'forge@example.test',
      GIT_COMMITTER_NAME: 'Forge',
      GIT_COMMITTER_EMAIL: 'forge@example.test',
    },
  }).trim();

/**
 * Merges `head` into `base` in `bare` and returns the new commit of `base`: a merge commit of the two (its parents the
 * base and the head), or with `squash` one commit whose only parent is the base. Throws when the branches conflict.
 */
export function mergeInBare(bare: string, base: string, head: string, opts: { squash?: boolean } = {}): string {
  const baseSha = gitIn(bare, ['rev-parse', '--verify', `refs/heads/${base}^{commit}`]);
  const headSha = gitIn(bare, ['rev-parse', '--verify', `refs/heads/${head}^{commit}`]);
  const tree = gitIn(bare, ['merge-tree', '--write-tree', baseSha, headSha]).split('\n')[0]!;
  const parents = opts.squash ? ['-p', baseSha] : ['-p', baseSha, '-p', headSha];
  const message = opts.squash ? `${head} (squashed)` : `Merge branch '${head}' into ${base}`;
  const merged = gitIn(bare, ['commit-tree', tree, ...parents, '-m', message]);
  gitIn(bare, ['update-ref', `refs/heads/${base}`, merged, baseSha]);
  return merged;
}
