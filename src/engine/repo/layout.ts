/** @module Where things live in a repository: the state folder and its parts. */
import { join } from 'node:path';
import { phaseDir } from '../../core/phases.ts';
import { userStateFor, type StateEnv, type UserStateLayout } from './user-state.ts';

export const CONFIG_DIR = '.autopilot';
export const CONFIG_FILE = 'config.yaml';

/**
 * The files `autopilot init` may write in a repository (besides git's hooks), relative to its root: a task
 * started before they are committed would hold them in its diff.
 */
export const INIT_FILES: readonly string[] = [
  `${CONFIG_DIR}/${CONFIG_FILE}`,
  '.gitignore',
  '.mcp.json',
  '.claude/settings.json',
  '.codex/hooks.json',
  '.cursor/hooks.json',
  'AGENTS.md',
  '.github/workflows/autopilot-gate.yml',
  '.gitlab/autopilot-gate.gitlab-ci.yml',
  '.gitlab-ci.yml',
];

/** The gate's own CI files as init writes them: the gate reads them from the base branch, never from the branch it judges. */
export const GATE_WORKFLOW_FILES: readonly string[] = [
  '.github/workflows/autopilot-gate.yml',
  '.gitlab/autopilot-gate.gitlab-ci.yml',
];

export interface Layout {
  /** The repository root. */
  readonly root: string;
  /** Absolute state folder (`.autopilot` unless the config moves it). */
  readonly stateDir: string;
  readonly configFile: string;
  readonly dbFile: string;
  /** This user's signing key pair and approval token: in the per-user state folder, never in the repository. */
  readonly keysDir: string;
  /**
   * `<stateDir>/keys`, where installations made before the per-user state folder kept the key pair and the token:
   * `init` moves them out, and `doctor` fails while a secret is left there.
   */
  readonly repoKeysDir: string;
  /** The repository's folder in the per-user state (keys, the ledger anchor, the hook daemon's socket and secret). */
  readonly user: UserStateLayout;
  readonly evidenceDir: string;
  readonly telemetryDir: string;
  readonly journalDir: string;
  readonly attestationsDir: string;
  /** The build and test tools' caches (Go's, pip's, npm's), the one part of the state folder a sandboxed command may write. */
  readonly cacheDir: string;
}

export function layoutFor(root: string, stateDir: string, env: StateEnv = process.env): Layout {
  const abs = join(root, stateDir);
  const user = userStateFor(root, env);
  return {
    root,
    stateDir: abs,
    configFile: join(root, CONFIG_DIR, CONFIG_FILE),
    dbFile: join(abs, 'autopilot.db'),
    keysDir: user.keysDir,
    repoKeysDir: join(abs, 'keys'),
    user,
    evidenceDir: join(abs, 'evidence'),
    telemetryDir: join(abs, 'telemetry'),
    journalDir: join(abs, 'journal'),
    attestationsDir: join(abs, 'attestations'),
    cacheDir: join(abs, 'cache'),
  };
}

/** Evidence path of an artifact relative to the state folder, with forward slashes (as the ledger records it). */
export function evidenceRel(taskId: string, phase: string, name: string): string {
  return `evidence/${taskId}/${phaseDir(phase)}/${name}`;
}
