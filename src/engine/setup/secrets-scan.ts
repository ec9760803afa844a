/**
 * @module Secrets that must not be in a repository: a private ed25519 key (PKCS#8 PEM, the form Autopilot writes) or
 * this user's approval token, anywhere in the files git tracks or would add, and anywhere in the state folder (whose
 * keys/ is git-ignored, which is where older installations kept both). The agent reads the repository; a secret
 * there is a secret it holds. `doctor` fails on each one found, naming the file.
 */
import { createPrivateKey } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { git } from '../repo/git.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Layout } from '../repo/layout.ts';

/** One secret found: the file (relative to the root) and what it holds. */
export interface SecretFound {
  readonly path: string;
  readonly what: 'private key' | 'approval token';
}

/** Files larger than this are not read: a key or a token pasted into one is a line of a small file. */
const MAX_BYTES = 1024 * 1024;

const PEM_BLOCK = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/g;

/** True when the text holds a PKCS#8 PEM block that is an ed25519 private key. */
export function holdsEd25519Key(text: string): boolean {
  for (const block of text.match(PEM_BLOCK) ?? []) {
    try {
      if (createPrivateKey(block).asymmetricKeyType === 'ed25519') return true;
    } catch {
      // a block that does not parse is no key
    }
  }
  return false;
}

/** The state folder's files, its caches and the store left out (large, and written by tools or by Autopilot itself). */
function stateFiles(layout: Layout): string[] {
  const skip = new Set([layout.cacheDir, layout.telemetryDir]);
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 12 || skip.has(dir)) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = join(dir, name);
      if (dir === layout.stateDir && name.startsWith('autopilot.db')) continue;
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(abs, depth + 1);
      else if (st.isFile()) out.push(abs);
    }
  };
  walk(layout.stateDir, 0);
  return out;
}

/**
 * Looks for a private key or the approval token (`token`, this user's, when there is one) in the repository: the
 * files `git ls-files -co --exclude-standard` lists, and the state folder.
 */
export async function findRepoSecrets(layout: Layout, token: string | undefined): Promise<SecretFound[]> {
  const listed = await git(layout.root, ['ls-files', '-z', '-c', '-o', '--exclude-standard']);
  const files = new Set<string>(
    listed.code === 0
      ? listed.stdout
          .split('\0')
          .filter(Boolean)
          .map((p) => join(layout.root, p))
      : [],
  );
  for (const f of stateFiles(layout)) files.add(f);
  const found: SecretFound[] = [];
  for (const abs of [...files].sort()) {
    const path = relative(layout.root, abs).split(sep).join('/');
    const named = abs.split(sep).pop() === 'approval-token';
    const file = readNoFollow(abs, MAX_BYTES);
    if (file.kind !== 'file') {
      if (named) found.push({ path, what: 'approval token' });
      continue;
    }
    const text = file.bytes.toString('latin1');
    if (holdsEd25519Key(text)) found.push({ path, what: 'private key' });
    else if (named || (token && token.length >= 16 && text.includes(token)))
      found.push({ path, what: 'approval token' });
  }
  return found;
}
