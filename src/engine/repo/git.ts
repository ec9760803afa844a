/** @module git through execFile with argument arrays: base commits and the working-tree diff. */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function git(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<GitResult> {
  return gitWithInput(cwd, args, undefined, env);
}

/** {@link git}, with `input` written to its standard input (`--stdin` forms, `git patch-id`). */
export function gitWithInput(
  cwd: string,
  args: readonly string[],
  input: string | undefined,
  env: Record<string, string> = {},
): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      [...args],
      {
        cwd,
        env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' },
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
      },
    );
    // A git that exits before reading all of it closes the pipe: that is its answer, not an error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
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

/** The working tree against `base`: the diff and, when asked for, the git tree object of the working tree, both without the state folder. */
export interface WorkingTree {
  readonly patch: string;
  /** Tree id of the working tree as `git add -A` would stage it, the state folder left out (with `opts.tree`). */
  readonly tree?: string;
}

function stateExclude(root: string, stateDir: string): string | undefined {
  const exclude = relative(root, stateDir).split('\\').join('/');
  return exclude && !exclude.startsWith('..') ? exclude : undefined;
}

/**
 * The diff from `base` to the working tree, new untracked files included
 * (respecting .gitignore), leaving out the state folder and the paths in
 * `opts.exclude` (relative to the root), and with `opts.tree`
 * the tree id of that working tree (two more git runs). Uses a throw-away index
 * so the user's index is never touched.
 */
export async function workingTreeDiff(
  root: string,
  base: string,
  stateDir: string,
  opts: { tree?: boolean; exclude?: readonly string[] } = {},
): Promise<WorkingTree> {
  const gitDir = (await gitOk(root, ['rev-parse', '--absolute-git-dir'])).trim();
  const tmp = mkdtempSync(join(tmpdir(), 'autopilot-index-'));
  const index = join(tmp, 'index');
  try {
    if (existsSync(join(gitDir, 'index'))) copyFileSync(join(gitDir, 'index'), index);
    const env = { GIT_INDEX_FILE: index };
    const exclude = stateExclude(root, stateDir);
    const pathspec = ['--', '.', ...(exclude ? [`:(exclude)${exclude}`] : [])];
    await gitOk(root, ['add', '-A', ...pathspec], env);
    // What the test command wrote (its reports) is never part of the change: those paths are as the base has
    // them. (An exclude pathspec would not do: `git add` refuses one that names an ignored file.)
    if (opts.exclude?.length)
      await gitOk(root, ['reset', '-q', base, '--', ...opts.exclude.map((p) => `:(literal)${p}`)], env);
    const patch = await gitOk(
      root,
      [
        'diff',
        '--cached',
        '--no-color',
        '--no-ext-diff',
        '--no-renames',
        '--full-index',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        base,
        ...pathspec,
      ],
      env,
    );
    if (!opts.tree) return { patch };
    if (exclude) await gitOk(root, ['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', exclude], env);
    return { patch, tree: (await gitOk(root, ['write-tree'], env)).trim() };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The tree id of `commit` with the state folder left out, comparable to {@link WorkingTree.tree}; undefined when it cannot be read. */
export async function commitTree(root: string, commit: string, stateDir: string): Promise<string | undefined> {
  if (commit === EMPTY_TREE) return EMPTY_TREE;
  const tmp = mkdtempSync(join(tmpdir(), 'autopilot-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    await gitOk(root, ['read-tree', commit], env);
    const exclude = stateExclude(root, stateDir);
    if (exclude) await gitOk(root, ['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', exclude], env);
    return (await gitOk(root, ['write-tree'], env)).trim();
  } catch {
    return undefined;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The patch-id of a diff (`git patch-id --verbatim`): the same for the same change wherever it applies, since line
 * numbers and blob ids do not count, while every other character, white space included, does. Undefined for an empty diff.
 */
export async function patchId(root: string, patch: string): Promise<string | undefined> {
  if (patch === '') return undefined;
  const r = await gitWithInput(root, ['patch-id', '--verbatim'], patch);
  if (r.code !== 0) throw new AutopilotError(ErrorCode.INTERNAL, `git patch-id failed: ${r.stderr.trim()}`, {});
  return r.stdout.split(' ')[0] || undefined;
}

/** True when `ancestor` is `commit` or one of its ancestors. */
export async function isAncestor(root: string, ancestor: string, commit: string): Promise<boolean> {
  return (await git(root, ['merge-base', '--is-ancestor', ancestor, commit])).code === 0;
}

/** Whether `commit` holds the file `rel` (relative to the repository root). */
export async function commitHas(root: string, commit: string, rel: string): Promise<boolean> {
  return (await git(root, ['cat-file', '-e', `${commit}:${rel.split('\\').join('/')}`])).code === 0;
}

/** Those of `paths` (relative to the root) that are new or changed in the working tree or the index, against HEAD. */
export async function uncommitted(root: string, paths: readonly string[]): Promise<string[]> {
  const r = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]);
  if (r.code !== 0) return [];
  const found = new Set<string>();
  for (const rec of r.stdout.split('\0')) if (rec.length > 3) found.add(rec.slice(3));
  return paths.filter((p) => found.has(p));
}

export async function headCommit(cwd: string): Promise<string | undefined> {
  return resolveCommit(cwd, 'HEAD');
}

/** The content of `rel` at `commit`, or undefined when the commit has no such file (or it is not text git can show). */
export async function fileAtCommit(root: string, commit: string, rel: string): Promise<string | undefined> {
  if (commit === EMPTY_TREE) return undefined;
  const r = await git(root, ['cat-file', 'blob', `${commit}:${rel.split('\\').join('/')}`]);
  return r.code === 0 ? r.stdout : undefined;
}
