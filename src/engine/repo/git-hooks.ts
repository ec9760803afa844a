/**
 * @module Whether git's hooks are still the ones Autopilot installed: `init` records the folder git runs hooks from and
 * the digest of each hook it wrote, in the per-user state folder (out of the agent's reach behind the wall); `doctor`
 * and every move compare. A changed `core.hooksPath`, a hook replaced, emptied, removed or made non-executable means
 * commits and pushes are no longer checked, and is reported.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git } from './git.ts';
import { sha256Hex } from './files.ts';
import { userStateFor, type StateEnv } from './user-state.ts';

/** The hooks Autopilot installs. */
export const GIT_HOOK_NAMES = ['pre-commit', 'commit-msg', 'pre-push'] as const;

/** What init recorded. */
export interface GitHooksRecord {
  /** The real path of the folder git ran hooks from. */
  readonly hooksDir: string;
  /** sha256 of each hook file. */
  readonly hooks: Readonly<Record<string, string>>;
}

function recordFile(root: string, env: StateEnv): string {
  return join(userStateFor(root, env).dir, 'git-hooks.json');
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The folder git runs this repository's hooks from (core.hooksPath when set), real path; undefined outside git. */
export async function currentHooksDir(root: string): Promise<string | undefined> {
  const r = await git(root, ['rev-parse', '--git-path', 'hooks']);
  return r.code === 0 && r.stdout.trim() ? real(resolve(root, r.stdout.trim())) : undefined;
}

/** Records the hooks as they are now (after init wrote them); returns the record, or undefined outside git. */
export async function recordGitHooks(root: string, env: StateEnv = process.env): Promise<GitHooksRecord | undefined> {
  const hooksDir = await currentHooksDir(root);
  if (!hooksDir) return undefined;
  const hooks: Record<string, string> = {};
  for (const name of GIT_HOOK_NAMES) {
    const path = join(hooksDir, name);
    if (existsSync(path)) hooks[name] = sha256Hex(readFileSync(path));
  }
  const record: GitHooksRecord = { hooksDir, hooks };
  const file = recordFile(root, env);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return record;
}

/** What is wrong with git's hooks against the record; `recorded` false when init recorded nothing (older setups). */
export async function checkGitHooks(
  root: string,
  env: StateEnv = process.env,
): Promise<{ readonly recorded: boolean; readonly problems: string[] }> {
  let record: GitHooksRecord;
  try {
    record = JSON.parse(readFileSync(recordFile(root, env), 'utf8')) as GitHooksRecord;
  } catch {
    return { recorded: false, problems: [] };
  }
  const problems: string[] = [];
  const dir = await currentHooksDir(root);
  if (dir !== record.hooksDir)
    problems.push(
      `git runs hooks from ${dir ?? 'nowhere'} (core.hooksPath), not from ${record.hooksDir} where Autopilot installed them`,
    );
  for (const [name, digest] of Object.entries(record.hooks)) {
    const path = join(record.hooksDir, name);
    if (!existsSync(path)) {
      problems.push(`${name} was removed`);
      continue;
    }
    if (sha256Hex(readFileSync(path)) !== digest) problems.push(`${name} is not the hook Autopilot installed`);
    else if ((statSync(path).mode & 0o111) === 0) problems.push(`${name} is no longer executable`);
  }
  return { recorded: true, problems };
}
