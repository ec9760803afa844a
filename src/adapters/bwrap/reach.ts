/**
 * @module As root the command runs as `nobody`, with the capabilities to read
 * and write what root could; but programs that ask access(2) first (git, shells
 * searching PATH) get nobody's answer, and nobody may not enter a folder like
 * /root. On the way to the paths the command needs (its workspace, HOME, PATH),
 * each such folder is replaced by an open, read-only tmpfs holding its entries,
 * bound back read-only.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Mount } from './args.ts';

/** The sandbox has its own of these; what is below them on this side does not matter. */
const PRIVATE_ROOTS = ['/tmp', '/run', '/dev', '/proc'];
/** A folder with more entries than this is left closed rather than rebuilt entry by entry. */
const MAX_ENTRIES = 2000;

function closedToOthers(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && (st.mode & 0o001) === 0;
  } catch {
    return false;
  }
}

function selfAndAncestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '/' && p !== '.'; p = dirname(p)) out.push(p);
  return out;
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The mounts that open every folder nobody cannot enter on the way to (and at) each of `paths`, outermost first. */
export function openWay(paths: readonly string[]): Mount[] {
  const closed = new Set<string>();
  for (const p of paths) {
    const r = real(p);
    if (!r) continue;
    for (const d of selfAndAncestors(r)) {
      if (PRIVATE_ROOTS.some((root) => d === root || d.startsWith(`${root}/`))) continue;
      if (closedToOthers(d)) closed.add(d);
    }
  }
  const mounts: Mount[] = [];
  // Outermost first: an inner folder's tmpfs goes on a mount point made in its parent's.
  for (const dir of [...closed].sort((a, b) => a.split('/').length - b.split('/').length)) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    if (entries.length > MAX_ENTRIES) continue;
    mounts.push({ kind: 'tmpfs', dest: dir });
    for (const name of entries) {
      const child = join(dir, name);
      if (closed.has(child)) {
        mounts.push({ kind: 'dir', dest: child });
        continue;
      }
      try {
        const st = lstatSync(child);
        if (st.isSymbolicLink()) mounts.push({ kind: 'symlink', target: readlinkSync(child), dest: child });
        else if (st.isDirectory() || st.isFile()) mounts.push({ kind: 'ro-bind', src: child, dest: child });
      } catch {
        // gone meanwhile
      }
    }
    mounts.push({ kind: 'remount-ro', dest: dir });
  }
  return mounts;
}
