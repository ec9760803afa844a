/**
 * @module Whether git's hooks are still the ones Autopilot installed: `init` records the folder git runs hooks from and
 * the digest of each hook it wrote, in the per-user state folder (out of the agent's reach behind the wall); `doctor`
 * and every move compare. A changed `core.hooksPath`, a hook replaced, emptied, removed or made non-executable means
 * commits and pushes are no longer checked, and is reported.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
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

/**
 * A file as `stat` sees it (device, inode, size, modification and change times in nanoseconds), 'absent' when there
 * is none; undefined when it changed within {@link RACY_NS} of `nowNs`. The change time cannot be set back by a
 * user, so a file whose identity is as before holds the bytes read then; one changed so recently that another change
 * could still fall within the same clock tick is read again, as git treats "racily clean" index entries.
 */
function identity(path: string, nowNs: bigint): string | undefined {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!st) return 'absent';
  if (nowNs - st.ctimeNs < RACY_NS || nowNs - st.mtimeNs < RACY_NS) return undefined;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
}

const RACY_NS = 2_000_000_000n;

/** What one move learnt of the hooks: each file's identity (see {@link identity}) when its content was read. */
interface Seen<T> {
  readonly key: string;
  readonly value: T;
}
const seenDirs = new Map<string, Seen<string | undefined>>();
const seenFiles = new Map<string, Seen<{ sha256: string; mode: number } | undefined>>();

/**
 * The config files whose content decides core.hooksPath, and the environment that names them: a change to any of
 * them asks git again. A config that includes another file is not followed: git is asked every time.
 */
function configFiles(root: string, gitDir: string, commonDir: string, env: NodeJS.ProcessEnv): string[] {
  const home = env['HOME'] ?? homedir();
  const xdg = env['XDG_CONFIG_HOME'] || join(home, '.config');
  return [
    join(commonDir, 'config'),
    join(gitDir, 'config.worktree'),
    env['GIT_CONFIG_GLOBAL'] ?? join(home, '.gitconfig'),
    join(xdg, 'git', 'config'),
    env['GIT_CONFIG_SYSTEM'] ?? '/etc/gitconfig',
    // A repository's .git may be a file naming its real folder (a worktree, a submodule).
    join(root, '.git'),
  ];
}

/**
 * {@link currentHooksDir}, asked of git only when a file that could change its answer changed since this process
 * last asked (every move checks the hooks: a git process each time cost more than the rest of the move).
 */
async function hooksDirOf(root: string, nowNs: bigint): Promise<string | undefined> {
  // git runs with this process's environment (see git.ts), whatever folder the state is looked for in.
  const env = process.env;
  const gitEnv = Object.entries(env)
    .filter(([k]) => k.startsWith('GIT_') || k === 'HOME' || k === 'XDG_CONFIG_HOME')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('\0');
  const seen = seenDirs.get(root);
  if (seen) {
    const [envKey, files, ids] = JSON.parse(seen.key) as [string, string[], (string | null)[]];
    if (envKey === gitEnv && files.every((f, i) => ids[i] !== null && identity(f, nowNs) === ids[i]))
      return seen.value === undefined ? undefined : real(seen.value);
  }
  const r = await git(root, ['rev-parse', '--git-path', 'hooks', '--git-dir', '--git-common-dir']);
  const [hooks, gitDir, commonDir] = r.stdout.split('\n').map((l) => l.trim());
  if (r.code !== 0 || !hooks || !gitDir || !commonDir) return undefined;
  const at = resolve(root, hooks);
  const files = configFiles(root, resolve(root, gitDir), resolve(root, commonDir), env);
  const ids = files.map((f) => identity(f, nowNs) ?? null);
  const includes = files.some((f) => {
    try {
      return statSync(f).isFile() && /\binclude/i.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
  if (!includes && ids.every((id) => id !== null))
    seenDirs.set(root, { key: JSON.stringify([gitEnv, files, ids]), value: at });
  else seenDirs.delete(root);
  return real(at);
}

/** A hook file's digest and mode, read again only when its identity changed; undefined when it is not there. */
function hookFile(path: string, nowNs: bigint): { sha256: string; mode: number } | undefined {
  const id = identity(path, nowNs);
  const seen = seenFiles.get(path);
  if (id !== undefined && seen?.key === id) return seen.value;
  let value: { sha256: string; mode: number } | undefined;
  try {
    value = { sha256: sha256Hex(readFileSync(path)), mode: statSync(path).mode };
  } catch {
    value = undefined;
  }
  // Read after the identity was taken: a change in between gives another identity next time, which reads again.
  if (id !== undefined && id !== 'absent' && value) seenFiles.set(path, { key: id, value });
  else seenFiles.delete(path);
  return value;
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

/**
 * What is wrong with git's hooks against the record; `recorded` false when init recorded nothing (older setups).
 * `nowMs` (the clock) tells files changed a moment ago, which are read again even when their identity is as before.
 */
export async function checkGitHooks(
  root: string,
  env: StateEnv = process.env,
  nowMs: number = Date.now(),
): Promise<{ readonly recorded: boolean; readonly problems: string[] }> {
  let record: GitHooksRecord;
  try {
    record = JSON.parse(readFileSync(recordFile(root, env), 'utf8')) as GitHooksRecord;
  } catch {
    return { recorded: false, problems: [] };
  }
  const nowNs = BigInt(Math.floor(nowMs)) * 1_000_000n;
  const problems: string[] = [];
  const dir = await hooksDirOf(root, nowNs);
  if (dir !== record.hooksDir)
    problems.push(
      `git runs hooks from ${dir ?? 'nowhere'} (core.hooksPath), not from ${record.hooksDir} where Autopilot installed them`,
    );
  for (const [name, digest] of Object.entries(record.hooks)) {
    const file = hookFile(join(record.hooksDir, name), nowNs);
    if (!file) {
      problems.push(`${name} was removed`);
      continue;
    }
    if (file.sha256 !== digest) problems.push(`${name} is not the hook Autopilot installed`);
    else if ((file.mode & 0o111) === 0) problems.push(`${name} is no longer executable`);
  }
  return { recorded: true, problems };
}
