/** @module Files on disk: reads that never follow a symlink, atomic writes, folder listings, digests. */
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  writeFileSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

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
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symlink' };
    if (code === 'EISDIR') return { kind: 'not-a-file' };
    throw err;
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
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
    throw err;
  }
}

/** Names of the entries of a phase folder, hidden temp files left out; [] when it does not exist. */
export function listFolder(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/** The SHA-256 of bytes or UTF-8 text, in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
