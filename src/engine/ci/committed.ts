/** @module Reading files as committed at a commit, byte for byte, and the public keys committed for the gate. */
import { createPublicKey } from 'node:crypto';
import { keyIdOf } from '../ledger/keys.ts';
import { readCommitted } from '../repo/committed.ts';
import { git } from '../repo/git.ts';

export { readCommitted, type Blob } from '../repo/committed.ts';

/** Public keys committed under `dir` at `commit`, by key id; a key filed under another key's id is left out. */
export async function committedKeys(root: string, commit: string, dir: string): Promise<Map<string, string>> {
  const listing = await git(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', dir]);
  const names =
    listing.code === 0
      ? listing.stdout.split('\0').filter((p) => p.startsWith(dir) && /^[^/]+\.pub\.pem$/.test(p.slice(dir.length)))
      : [];
  const blobs = await readCommitted(root, commit, names);
  const keys = new Map<string, string>();
  names.forEach((name, i) => {
    const b = blobs[i]!;
    const keyId = name.slice(dir.length, -'.pub.pem'.length);
    if (b.kind !== 'file') return;
    try {
      if (keyIdOf(createPublicKey(b.bytes)) === keyId) keys.set(keyId, b.bytes.toString('utf8'));
    } catch {
      // not a public key: it verifies nothing
    }
  });
  return keys;
}

/** Parses JSON evidence read from a commit; undefined when absent or not JSON. */
export function readJson(bytes: Buffer | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
