/**
 * @module Which forge a task's PR goes to, and the token Autopilot reaches it with: read from the environment of the
 * process that dispatches (AUTOPILOT_FORGE_TOKEN, else GITHUB_TOKEN) or from the per-user state folder (0600), which
 * the agent's wall hides; never passed to an evidence command (see FORGE_TOKEN_VARS), never logged.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { githubRepoOf, parseRepository } from '../../core/forge.ts';
import type { Forge } from '../../ports/forge.ts';
import { git } from './git.ts';
import type { Engine } from '../context.ts';

/** The variables a forge token may be in; kept out of every command Autopilot runs for evidence or behind the wall. */
export const FORGE_TOKEN_VARS: readonly string[] = ['AUTOPILOT_FORGE_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN'];

/** What the PR's side effects go through: `github` (a forge), `git` (a push only) or `manual` (none). */
export type PrMode = 'manual' | 'git' | 'github';

/** The remote's URL as git has it, or null when there is no such remote. */
export async function remoteUrlOf(root: string, remote: string): Promise<string | null> {
  const r = await git(root, ['remote', 'get-url', '--', remote]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The config's `pr.mode`, with `auto` settled by the remote's URL (github.com: github; anything else: git). */
export async function resolvePrMode(engine: Engine): Promise<PrMode> {
  const mode = engine.config.pr?.mode ?? 'manual';
  if (mode !== 'auto') return mode;
  const url = await remoteUrlOf(engine.layout.root, engine.config.pr?.remote ?? 'origin');
  return url && githubRepoOf(url) ? 'github' : 'git';
}

/**
 * The token: AUTOPILOT_FORGE_TOKEN, else GITHUB_TOKEN, in this process's environment; else the file in the per-user
 * state folder, which must be this user's alone (0600). Refused (CONFIG_INVALID, key `forge-token`) when none is set
 * or the file is open to others; the message never holds the token.
 */
export function readForgeToken(engine: Engine, env: NodeJS.ProcessEnv = process.env): Result<string> {
  for (const name of ['AUTOPILOT_FORGE_TOKEN', 'GITHUB_TOKEN']) {
    const v = env[name]?.trim();
    if (v) return ok(v);
  }
  const file = engine.layout.user.forgeTokenFile;
  let mode: number;
  try {
    const st = lstatSync(file);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    mode = st.mode & 0o777;
  } catch {
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `no forge token: set AUTOPILOT_FORGE_TOKEN (or GITHUB_TOKEN) in the environment of the process that dispatches the outbox, or write it to ${file} with mode 0600`,
      { key: 'forge-token', reason: 'no token', file },
    );
  }
  if ((mode & 0o077) !== 0)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `the forge token file ${file} may be read by others (mode ${mode.toString(8)}): chmod 600 it, then try again`,
      { key: 'forge-token', reason: 'file open to others', file },
    );
  const token = readFileSync(file, 'utf8').trim();
  if (!token)
    return refuse(ErrorCode.CONFIG_INVALID, `the forge token file ${file} is empty: write the token into it`, {
      key: 'forge-token',
      reason: 'empty file',
      file,
    });
  return ok(token);
}

/**
 * The forge of the repository: GitHub, at `pr.repository` or the repository the remote's URL names. Refused when
 * the engine has no forge wired, the repository cannot be told, or there is no token.
 */
export async function openForge(engine: Engine): Promise<Result<Forge>> {
  const pr = engine.config.pr;
  const remote = pr?.remote ?? 'origin';
  if (!engine.forge)
    return refuse(ErrorCode.INTERNAL, 'no forge client is wired into this process', { key: 'pr.mode' });
  let repo = pr?.repository ? parseRepository(pr.repository) : null;
  if (!repo) {
    const url = await remoteUrlOf(engine.layout.root, remote);
    repo = url ? githubRepoOf(url) : null;
    if (!repo)
      return refuse(
        ErrorCode.CONFIG_INVALID,
        `the remote "${remote}" is not a github.com repository, so the pull request has nowhere to go: name it in pr.repository (owner/name)`,
        { key: 'pr.repository', reason: 'repository unknown', remote },
      );
  }
  const token = readForgeToken(engine);
  if (!token.ok) return token;
  return ok(
    await engine.forge({ kind: 'github', repo, apiUrl: pr?.apiUrl ?? 'https://api.github.com', token: token.value }),
  );
}
