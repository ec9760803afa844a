/**
 * @module Reads a zip entry by entry from disk, a chunk at a time: an ecosystem's OSV database (osv.dev's npm zip is
 * hundreds of megabytes) is never held whole in memory, only the entry being read.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Unzip, UnzipInflate } from 'fflate';

/** How much of the zip is read at a time. */
const CHUNK = 1024 * 1024;

/**
 * Calls `each` with the name and bytes of every entry whose name `want` accepts, in the zip's order; the others are
 * skipped without being inflated. Throws when the file is not a zip or an entry cannot be inflated.
 */
export function forEachZipEntry(
  path: string,
  want: (name: string) => boolean,
  each: (name: string, bytes: Uint8Array) => void,
): void {
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  let failure: Error | undefined;
  unzip.onfile = (file) => {
    if (!want(file.name)) return;
    const parts: Uint8Array[] = [];
    file.ondata = (err, data, final) => {
      if (err) {
        failure ??= new Error(`${file.name}: ${err.message}`);
        return;
      }
      parts.push(data);
      if (!final || failure) return;
      each(file.name, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      parts.length = 0;
    };
    file.start();
  };
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let position = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, position);
      // A zip opens with a local file header (or, empty, with the end of its directory): fflate skips anything else.
      if (position === 0 && (n < 4 || buf[0] !== 0x50 || buf[1] !== 0x4b)) throw new Error('not a zip file');
      position += n;
      // fflate keeps the pushed chunk's bytes it has not consumed yet, so each push gets a copy of its own.
      unzip.push(Uint8Array.prototype.slice.call(buf, 0, n), n === 0);
      if (failure) throw failure;
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
}
