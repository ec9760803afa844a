/**
 * @module The folder a sandboxed command works in: a scratch copy of the
 * repository (its installed dependencies bound read-only, not copied), or the
 * repository itself read-only with a scratch folder for each report folder.
 * Either way the command sees it at the repository's own path, so that paths in
 * its reports (lcov's) mean the same inside and out.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Mount } from './args.ts';

export type WorkspaceMode = 'readonly' | 'copy';

export interface Workspace {
  /** What stands for `cwd` on this side: the copy, or the scratch folder holding the report folders. */
  readonly dir: string;
  readonly mounts: Mount[];
  /** The scratch root, removed by {@link dropWorkspace}. */
  readonly scratch: string;
}

export interface WorkspaceRequest {
  readonly mode: WorkspaceMode;
  readonly cwd: string;
  /** Absolute paths the command must not see (the state folder; the per-user state, with the signing key). */
  readonly hide: readonly string[];
  /** Files, relative to cwd, the command writes for the caller. */
  readonly outputs: readonly string[];
  /**
   * Absolute folders the command may write, bound read-write at their own path even inside a hidden folder
   * (the tools' caches under the state folder); made when missing.
   */
  readonly writable?: readonly string[];
  /** Where scratch folders are made. */
  readonly scratchBase: string;
  /** GNU cp. */
  readonly cp: string;
  /** In a copy: bind (installed dependencies bound read-only, the default) or copy them with the rest. */
  readonly dependencies?: 'bind' | 'copy';
}

/** Something about the request that the workspace cannot do; the command does not run. */
export class WorkspaceError extends Error {}

/** `rel` inside `root` with forward slashes, or undefined when it is not strictly inside. */
function inside(root: string, abs: string): string | undefined {
  const rel = relative(root, abs);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
}

function cpBatch(cp: string, sources: readonly string[], dest: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      cp,
      ['-a', '--reflink=auto', '-t', dest, '--', ...sources],
      { maxBuffer: 1024 * 1024 },
      (err, _out, stderr) =>
        err
          ? fail(new WorkspaceError(`could not copy the repository: ${stderr.trim().split('\n')[0] || err.message}`))
          : done(),
    );
  });
}

/**
 * Copies the tree at `src` into the existing folder `dest`, leaving out the
 * paths in `exclude` (relative, forward slashes) and walking only into the
 * folders above them; everything else goes by whole entries through `cp -a
 * --reflink=auto`, which clones blocks where the file system can.
 */
export async function copyTree(cp: string, src: string, dest: string, exclude: readonly string[]): Promise<void> {
  const whole: string[] = [];
  for (const name of readdirSync(src)) {
    if (exclude.includes(name)) continue;
    const below = exclude.filter((x) => x.startsWith(`${name}/`)).map((x) => x.slice(name.length + 1));
    const abs = join(src, name);
    if (below.length > 0 && lstatSync(abs).isDirectory()) {
      mkdirSync(join(dest, name), { mode: lstatSync(abs).mode & 0o7777 });
      await copyTree(cp, abs, join(dest, name), below);
    } else {
      whole.push(abs);
    }
  }
  for (let i = 0; i < whole.length; i += 500) await cpBatch(cp, whole.slice(i, i + 500), dest);
}

function outputRel(cwd: string, rel: string): string {
  const r = inside(cwd, resolve(cwd, rel));
  if (!r) throw new Error(`output ${rel} is not inside ${cwd}`);
  return r;
}

/** Makes the workspace of one command run. */
export async function makeWorkspace(req: WorkspaceRequest): Promise<Workspace> {
  const outputs = req.outputs.map((o) => outputRel(req.cwd, o));
  const hidden = req.hide.map((h) => inside(req.cwd, h)).filter((h): h is string => h !== undefined);
  const writable = (req.writable ?? []).map((w) => resolve(w));
  for (const w of writable) mkdirSync(w, { recursive: true });
  const scratch = mkdtempSync(join(req.scratchBase, 'autopilot-sandbox-'));
  const dir = join(scratch, 'ws');
  try {
    mkdirSync(dir, { mode: 0o755 });
    const mounts: Mount[] = [];
    if (req.mode === 'copy') {
      // .git is history, not the working tree: bound read-only, so that git commands still work.
      const gitDir = isDir(join(req.cwd, '.git'));
      // Installed dependencies are not the change under test: bound read-only rather than copied for every command.
      const deps = req.dependencies === 'copy' ? [] : dependencyFolders(req.cwd, hidden);
      await copyTree(req.cp, req.cwd, dir, [...hidden, ...(gitDir ? ['.git'] : []), ...deps]);
      for (const o of outputs) {
        rmSync(join(dir, o), { force: true, recursive: true });
        // Reporters that do not make their folder (node --test's) would fail on a fresh checkout.
        mkdirSync(dirname(join(dir, o)), { recursive: true });
      }
      mounts.push({ kind: 'bind', src: dir, dest: req.cwd });
      if (gitDir) {
        mkdirSync(join(dir, '.git'));
        mounts.push({ kind: 'ro-bind', src: join(req.cwd, '.git'), dest: join(req.cwd, '.git') });
      }
      for (const d of deps) bindDependencies(req.cwd, dir, d, mounts);
      // A writable folder inside the copy (a cache under the hidden state folder) needs its mount point there.
      for (const w of writable) {
        const rel = inside(req.cwd, w);
        if (rel !== undefined) mkdirSync(join(dir, rel), { recursive: true });
        mounts.push({ kind: 'bind', src: w, dest: w });
      }
    } else {
      mounts.push({ kind: 'ro-bind', src: req.cwd, dest: req.cwd });
      for (const h of hidden) {
        const abs = join(req.cwd, h);
        if (isDir(abs)) hideFolder(abs, writable, mounts);
      }
      for (const w of writable) mounts.push({ kind: 'bind', src: w, dest: w });
      // Each report folder gets a scratch folder of its own; the outermost one covers those inside it.
      const folders = [...new Set(outputs.map((o) => dirname(o)))].sort((a, b) => a.length - b.length);
      const bound: string[] = [];
      for (const f of folders) {
        if (f === '.') {
          const o = outputs.find((x) => dirname(x) === '.');
          throw new WorkspaceError(
            `a read-only workspace cannot take ${o} at the top of the repository: write reports into a folder, or set sandbox.workspace: copy`,
          );
        }
        mkdirSync(join(dir, f), { recursive: true });
        if (bound.some((b) => f.startsWith(`${b}/`))) continue;
        bound.push(f);
        // The mount point must exist in the read-only repository: an empty folder is all Autopilot adds.
        mkdirSync(join(req.cwd, f), { recursive: true });
        mounts.push({ kind: 'bind', src: join(dir, f), dest: join(req.cwd, f) });
      }
    }
    // A folder the repository links to from its top level (a node_modules shared from elsewhere) is bound read-only
    // at its real path, so that the link leads somewhere inside too: /tmp, for one, is the sandbox's own.
    for (const target of linkedFolders(req.cwd)) {
      const hides = (h: string) => {
        const a = resolve(h);
        return a === target || inside(a, target) !== undefined || inside(target, a) !== undefined;
      };
      if (!req.hide.some(hides) && inside(req.cwd, target) === undefined)
        mounts.push({ kind: 'ro-bind', src: target, dest: target });
    }
    // A hidden folder outside the repository (the per-user state, with the signing key and the approval token) is
    // an empty read-only tmpfs, whichever the mode; one that holds the repository itself cannot be hidden.
    // A writable folder inside it (the tools' caches in the state folder, when the command runs elsewhere, as
    // mutants do) keeps its place: its mount point is made in the tmpfs, then it is bound again over it.
    for (const h of req.hide) {
      const abs = resolve(h);
      if (inside(req.cwd, abs) !== undefined || abs === resolve(req.cwd) || inside(abs, req.cwd) !== undefined)
        continue;
      if (!isDir(abs)) continue;
      for (const w of hideFolder(abs, writable, mounts)) mounts.push({ kind: 'bind', src: w, dest: w });
    }
    return { dir, mounts, scratch };
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
}

/** Folders of installed packages, looked for this deep in the tree (a monorepo's packages/x/node_modules). */
const DEPENDENCY_FOLDER = 'node_modules';
const DEPENDENCY_DEPTH = 3;

/**
 * Where tools keep caches inside node_modules (Babel's and nyc's `.cache`, Vite's and Vitest's `.vite`): each gets a
 * tmpfs of its own in the sandbox, so that a tool that writes its cache there works, and nothing it writes stays.
 */
const DEPENDENCY_CACHES = ['.cache', '.vite'] as const;

/**
 * The real folders of installed packages in `root` (relative, forward slashes), outside the `hidden` paths and
 * outside one another. A symbolic link to one is copied as a link, as before.
 */
export function dependencyFolders(root: string, hidden: readonly string[] = []): string[] {
  const found: string[] = [];
  const walk = (rel: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name === '.git') continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (hidden.some((h) => path === h || path.startsWith(`${h}/`))) continue;
      if (e.name === DEPENDENCY_FOLDER) found.push(path);
      else if (depth < DEPENDENCY_DEPTH && !e.name.startsWith('.')) walk(path, depth + 1);
    }
  };
  walk('', 1);
  return found.sort();
}

/**
 * Binds the repository's dependency folder `rel` read-only over its empty place in the copy, with a writable tmpfs
 * for each tool cache in it. A cache folder that is not there yet is made in the repository (an empty folder, the
 * mount point the tmpfs needs), or left out where it cannot be.
 */
function bindDependencies(cwd: string, copy: string, rel: string, mounts: Mount[]): void {
  mkdirSync(join(copy, rel), { recursive: true });
  const src = join(cwd, rel);
  mounts.push({ kind: 'ro-bind', src, dest: src });
  for (const cache of DEPENDENCY_CACHES) {
    const abs = join(src, cache);
    try {
      if (!isDir(abs)) mkdirSync(abs);
    } catch {
      continue;
    }
    if (isDir(abs)) mounts.push({ kind: 'tmpfs', dest: abs, readonly: false });
  }
}

/**
 * Hides `abs` behind an empty read-only tmpfs. The writable folders inside it get their mount points first, because a
 * read-only tmpfs takes none afterwards; they are returned, for the caller to bind over those points.
 */
function hideFolder(abs: string, writable: readonly string[], mounts: Mount[]): string[] {
  const within = writable.filter((w) => inside(abs, w) !== undefined);
  mounts.push({ kind: 'tmpfs', dest: abs, readonly: within.length === 0 });
  if (within.length === 0) return within;
  for (const w of within) {
    const parts = inside(abs, w)!.split('/');
    for (let i = 1; i <= parts.length; i++) mounts.push({ kind: 'dir', dest: join(abs, ...parts.slice(0, i)) });
  }
  mounts.push({ kind: 'remount-ro', dest: abs });
  return within;
}

/** The real folders the top-level symbolic links of `dir` lead to. */
function linkedFolders(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    // A linked .git stays behind: history is bound on purpose where it is wanted, and a tool that finds one it
    // cannot use as this user (Go's VCS stamping, as nobody) fails the command.
    if (name === '.git') continue;
    const p = join(dir, name);
    try {
      if (!lstatSync(p).isSymbolicLink()) continue;
      const target = realpathSync(p);
      if (isDir(target)) out.push(target);
    } catch {
      // a dangling link leads nowhere here either
    }
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Removes a workspace's scratch folder and everything the command left in it. */
export async function dropWorkspace(ws: Pick<Workspace, 'scratch'>): Promise<void> {
  await rm(ws.scratch, { recursive: true, force: true, maxRetries: 2 });
}
