/**
 * @module Evidence on disk: safe paths inside `<stateDir>/evidence/<TASK>/<phase>/`,
 * reads that never follow a symlink, atomic writes, digests.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ErrorCode, ok, refuse, type Result } from '../core/errors.ts';
import { phaseDir } from '../core/phases.ts';
import type { Layout } from './layout.ts';
import { sha256Hex } from './keys.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The absolute folder of a task's phase; refuses if any part of it is a symlink or not a folder. */
export function phaseFolder(layout: Layout, taskId: string, phase: string): Result<string> {
  const parts = [taskId, phaseDir(phase)];
  let dir = layout.evidenceDir;
  for (const part of ['', ...parts]) {
    dir = part ? join(dir, part) : dir;
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // not created yet: nothing to follow
    }
    if (st.isSymbolicLink() || !st.isDirectory()) {
      return refuse(ErrorCode.PATH_OUTSIDE_EVIDENCE, `${dir} is a symlink or not a folder; evidence folders must be real folders`, {
        name: dir,
        reason: 'symlink',
      });
    }
  }
  return ok(dir);
}

/** Checks an artifact name: a plain file name, so that it cannot resolve outside its phase folder. */
export function checkArtifactName(name: string): Result<string> {
  if (!NAME.test(name) || name.includes('..')) {
    return refuse(
      ErrorCode.PATH_OUTSIDE_EVIDENCE,
      `"${name.slice(0, 100)}" is not a plain file name: use letters, digits, ".", "-", "_" (no folders, no "..", at most 128)`,
      { name: name.slice(0, 200), reason: name.includes('/') || name.includes(sep) || name.includes('..') ? 'path' : 'characters' },
    );
  }
  return ok(name);
}

export type ReadOutcome =
  | { readonly kind: 'file'; readonly bytes: Buffer; readonly sha256: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'symlink' }
  | { readonly kind: 'not-a-file' }
  | { readonly kind: 'too-large'; readonly size: number };

/** Reads a file without following a symlink (O_NOFOLLOW), refusing more than `maxBytes`. */
export function readNoFollow(path: string, maxBytes: number): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symlink' };
    if (code === 'EISDIR') return { kind: 'not-a-file' };
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'not-a-file' };
    if (st.size > maxBytes) return { kind: 'too-large', size: st.size };
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, bytes, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const data = off === st.size ? bytes : bytes.subarray(0, off);
    return { kind: 'file', bytes: data, sha256: sha256Hex(data) };
  } finally {
    closeSync(fd);
  }
}

/** Writes a file atomically (temp file + rename in the same folder); creates the folder. */
export function writeAtomic(dir: string, name: string, content: string | Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, join(dir, name));
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
    throw e;
  }
}

/** Names of the entries of a phase folder, hidden temp files left out; [] when it does not exist. */
export function listFolder(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}
