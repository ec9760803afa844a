/**
 * @module Removal of a test's temporary folders when its process exits. A process the test started may still be
 * writing into one (a hook daemon that has not left yet), which makes a recursive removal fail with ENOTEMPTY: the
 * removal is retried, and what it still cannot remove is left in the temporary folder rather than fail a file whose
 * tests all passed.
 */
import { rmSync } from 'node:fs';

/** Removes `path` (recursively) when this process exits. */
export function removeOnExit(path: string): void {
  process.on('exit', () => removeNow(path));
}

/** Removes `path` now, retrying while something else still writes into it; never throws. */
export function removeNow(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  } catch {
    // Left in the temporary folder: the OS's to clean.
  }
}
