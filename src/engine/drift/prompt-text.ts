/**
 * @module The compiled prompts' texts, kept content-addressed in the state folder's prompts/ cache so that a page can
 * show what a phase was told: the ledger records only their digests, and a text is shown only when it still hashes to
 * the digest the ledger recorded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeForDigest } from '../../core/drift.ts';
import { sha256Hex, writeAtomic } from '../repo/files.ts';

const DIGEST = /^[0-9a-f]{64}$/;

/** The folder of the texts: a cache, ignored by git like the atlas, never evidence. */
export function promptsDir(stateDir: string): string {
  return join(stateDir, 'prompts');
}

/**
 * Keeps the normalised text whose sha256 is `textSha256`, once: a text already there is not written again, so a
 * move costs one `existsSync` when its prompt was seen before.
 */
export function storePromptText(stateDir: string, text: string, textSha256: string): void {
  if (!DIGEST.test(textSha256)) return;
  const dir = promptsDir(stateDir);
  const file = `${textSha256}.txt`;
  if (existsSync(join(dir, file))) return;
  if (!existsSync(join(dir, '.gitignore')))
    writeAtomic(dir, '.gitignore', '# The compiled prompts of autopilot: a cache, checked against the ledger.\n*\n');
  writeAtomic(dir, file, normalizeForDigest(text));
}

/** A stored text read against the digest the ledger recorded for it. */
export type StoredPrompt =
  | { readonly state: 'matches'; readonly text: string }
  | { readonly state: 'missing' }
  | { readonly state: 'mismatch'; readonly sha256: string };

/** The text stored for `textSha256`, shown only when its bytes still hash to it. */
export function readPromptText(stateDir: string, textSha256: string): StoredPrompt {
  if (!DIGEST.test(textSha256)) return { state: 'missing' };
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(promptsDir(stateDir), `${textSha256}.txt`));
  } catch {
    return { state: 'missing' };
  }
  const sha256 = sha256Hex(bytes);
  return sha256 === textSha256 ? { state: 'matches', text: bytes.toString('utf8') } : { state: 'mismatch', sha256 };
}
