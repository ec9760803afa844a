/** @module git through execFile with argument arrays: base commits and the working-tree diff. */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AutopilotError, ErrorCode } from '../core/errors.ts';

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function git(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      [...args],
      { cwd, env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
      },
    );
  });
}

async function gitOk(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const r = await git(cwd, args, env);
  if (r.code !== 0) throw new AutopilotError(ErrorCode.INTERNAL, `git ${args[0]} failed: ${r.stderr.trim()}`, { args });
  return r.stdout;
}

export async function isGitRepo(cwd: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--is-inside-work-tree'])).stdout.trim() === 'true';
}

/** Resolves a ref to a commit id; undefined when it does not name a commit (or the repo has none yet). */
export async function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The empty tree: the base of a repository that has no commit yet. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The diff from `base` to the working tree, new untracked files included
 * (respecting .gitignore), leaving out the state folder. Uses a throw-away
 * index so the user's index is never touched.
 */
export async function workingTreeDiff(root: string, base: string, stateDir: string): Promise<string> {
  const gitDir = (await gitOk(root, ['rev-parse', '--absolute-git-dir'])).trim();
  const tmp = mkdtempSync(join(tmpdir(), 'autopilot-index-'));
  const index = join(tmp, 'index');
  try {
    if (existsSync(join(gitDir, 'index'))) copyFileSync(join(gitDir, 'index'), index);
    const env = { GIT_INDEX_FILE: index };
    const exclude = relative(root, stateDir).split('\\').join('/');
    const pathspec = ['--', '.', ...(exclude && !exclude.startsWith('..') ? [`:(exclude)${exclude}`] : [])];
    await gitOk(root, ['add', '-A', ...pathspec], env);
    return await gitOk(root, ['diff', '--cached', '--no-color', '--no-ext-diff', '--no-renames', '--full-index', '--src-prefix=a/', '--dst-prefix=b/', base, ...pathspec], env);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function headCommit(cwd: string): Promise<string | undefined> {
  return resolveCommit(cwd, 'HEAD');
}
