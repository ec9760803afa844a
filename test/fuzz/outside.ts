/** @module What the fuzz tests watch for writes: every file of a repository outside its state folder, and the folder around it. */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** A file that a shell-injection input would create if anything ran it as a command. */
export const SENTINEL = '/tmp/autopilot-fuzz-pwned';

/**
 * Every file and symlink of the repository but the state folder (`.autopilot/`)
 * and git's own (`.git/`, which `git diff` refreshes), relative path → sha256;
 * and the names in the folder that holds the repository.
 */
export function outsideState(repo: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(repo, abs);
      if (rel === '.autopilot' || rel === '.git') continue;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out.set(rel, '-> symlink');
      else if (st.isDirectory()) walk(abs);
      else out.set(rel, createHash('sha256').update(readFileSync(abs)).digest('hex'));
    }
  };
  walk(repo);
  const parent = dirname(repo);
  if (existsSync(parent)) for (const name of readdirSync(parent)) out.set(`../${name}`, 'present');
  return out;
}
