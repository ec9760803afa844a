/**
 * @module What the wall around an agent's commands hides and what it makes read-only, for one repository and phase:
 * the plan the composition root hands to bubblewrap. Hidden: the per-user state folder (the signing key, the approval
 * token, the anchored ledger head, the hook daemon's socket and secret), and in the state folder the store, an older
 * installation's keys, archives, telemetry and caches. Read-only: the config, the
 * evidence and the bundles, git's hooks and config, the agent settings Autopilot wrote and AGENTS.md (a mount cannot
 * protect only Autopilot's section of it, so the whole file is read-only inside). The work tree is writable only in a
 * phase that allows `write:source`; the network only in one that allows `net`.
 */
import { realpathSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../../core/config.ts';
import { allowedCapabilities } from '../../core/policy/tool-policy.ts';
import { git } from './git.ts';
import { CONFIG_DIR, type Layout } from './layout.ts';
import { userStateRoot, type StateEnv } from './user-state.ts';

/** Agent settings that Autopilot writes (or that configure an agent's hooks), relative to the root: read-only inside. */
export const AGENT_SETTINGS: readonly string[] = ['.claude', '.mcp.json', '.codex', '.cursor/hooks.json', 'AGENTS.md'];

/** Settings in the home folder that can switch an agent's hooks or git's hooks off, relative to it: read-only inside. */
export const USER_SETTINGS: readonly string[] = ['.claude', '.codex', '.cursor', '.gitconfig', '.config/git'];

/** The mounts of one walled command, before bubblewrap turns them into arguments. Paths are absolute and real. */
export interface WallPlan {
  readonly root: string;
  readonly phase: string;
  readonly writableTree: boolean;
  /**
   * The repository's git folder, bound read-write over a read-only work tree when the phase commits but does not
   * write source (PR): a commit writes objects, refs and the index. Its hooks and config stay read-only.
   */
  readonly writableGit?: string;
  readonly network: boolean;
  readonly writable: readonly string[];
  readonly hidden: readonly string[];
  readonly hiddenDirs: readonly string[];
  readonly shown: readonly string[];
  readonly readonly: readonly string[];
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** git's hooks folder and config file(s), real paths (core.hooksPath and a worktree's common folder included). */
export async function gitControlPaths(root: string): Promise<string[]> {
  const r = await git(root, ['rev-parse', '--git-path', 'hooks', '--git-common-dir', '--git-dir']);
  if (r.code !== 0) return [];
  const [hooks, common, gitDir] = r.stdout.split('\n').map((l) => l.trim());
  const out: string[] = [];
  if (hooks) out.push(resolve(root, hooks));
  if (common) out.push(join(resolve(root, common), 'config'));
  if (gitDir) out.push(join(resolve(root, gitDir), 'config.worktree'));
  return out.map(real);
}

/** Archives of stale evidence (`evidence/<TASK>/.stale`), hidden inside the read-only evidence folder. */
function staleArchives(evidenceDir: string): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(evidenceDir);
  } catch {
    return [];
  }
  return tasks.map((t) => join(evidenceDir, t, '.stale'));
}

/** Plans the wall of a phase: what the agent's command sees, writes and reaches, with the phase's capabilities or fewer. */
export async function planWall(
  layout: Layout,
  config: Config,
  phase: string,
  env: StateEnv,
  capabilities: readonly string[] = allowedCapabilities(config, phase),
): Promise<WallPlan> {
  const caps = capabilities;
  const root = real(layout.root);
  const stateDir = join(root, layout.stateDir.slice(layout.root.length));
  const configDir = join(root, CONFIG_DIR);
  const home = env['HOME'] && isAbsolute(env['HOME']) ? real(env['HOME']) : undefined;
  const writable = [...new Set([...(home && home !== '/' ? [home] : []), real('/tmp'), real('/var/tmp')])];
  const evidence = join(stateDir, 'evidence');
  return {
    root,
    phase,
    writableTree: caps.includes('write:source'),
    ...(!caps.includes('write:source') && caps.includes('vcs:commit') && isDir(join(root, '.git'))
      ? { writableGit: join(root, '.git') }
      : {}),
    network: caps.includes('net'),
    writable,
    // The state folder (and the config folder, when the state lives elsewhere) is hidden whole; the parts the agent
    // may read are bound back read-only below.
    hidden: [...new Set([stateDir, configDir]), ...staleArchives(evidence)],
    // The per-user state folder whole: the keys, the token, the anchor, and the hook daemon's socket and secret (its
    // socket lives there, or under its `s/` folder where the path would be too long for a socket).
    // The default one too, when XDG_STATE_HOME points elsewhere: its keys are this user's all the same.
    hiddenDirs: [
      ...new Set([
        real(userStateRoot(env)),
        ...(home && home !== '/' ? [real(join(home, '.local', 'state', 'autopilot'))] : []),
      ]),
    ],
    shown: [
      join(configDir, 'config.yaml'),
      join(configDir, '.gitignore'),
      join(stateDir, '.gitignore'),
      evidence,
      join(stateDir, 'attestations'),
      join(stateDir, 'journal'),
    ],
    readonly: [
      ...AGENT_SETTINGS.map((p) => join(root, p)),
      ...(await gitControlPaths(root)),
      // The clients' and git's settings in the home folder: a command could switch the hooks off there
      // (`disableAllHooks`, a global core.hooksPath) instead of in the repository.
      ...(home ? USER_SETTINGS.map((p) => join(home, p)) : []),
      ...(env['XDG_CONFIG_HOME'] && isAbsolute(env['XDG_CONFIG_HOME']) ? [join(env['XDG_CONFIG_HOME'], 'git')] : []),
    ],
  };
}
