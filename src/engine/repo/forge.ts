/**
 * @module Which forge a task's PR goes to, and the token Autopilot reaches it with: read from the environment of the
 * process that dispatches (AUTOPILOT_FORGE_TOKEN, else the forge's own: GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN) or
 * from the per-user state folder (0600), which the agent's wall hides; never passed to an evidence command (see
 * FORGE_TOKEN_VARS), never logged.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { isForgeKind, parseRemoteUrl, parseRepository, remoteForgeOf, repoOfPath } from '../../core/forge.ts';
import type { Forge, ForgeKind } from '../../ports/forge.ts';
import { git } from './git.ts';
import type { Engine } from '../context.ts';

/** The variables a forge token may be in; kept out of every command Autopilot runs for evidence or behind the wall. */
export const FORGE_TOKEN_VARS: readonly string[] = [
  'AUTOPILOT_FORGE_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GITLAB_TOKEN',
  'GITEA_TOKEN',
];

/** Each forge's own token variable, read after AUTOPILOT_FORGE_TOKEN. */
const TOKEN_VAR: Readonly<Record<ForgeKind, string>> = {
  github: 'GITHUB_TOKEN',
  gitlab: 'GITLAB_TOKEN',
  gitea: 'GITEA_TOKEN',
};

/** Each forge's name in messages. */
const FORGE_NAME: Readonly<Record<ForgeKind, string>> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };

/** What opening a forge needs of an engine: its config, its layout (root, token file) and its forge client. */
export type ForgeHost = Pick<Engine, 'config' | 'layout' | 'forge'>;

/** What the PR's side effects go through: a forge, `git` (a push only) or `manual` (none). */
export type PrMode = 'manual' | 'git' | ForgeKind;

/** The remote's URL as git has it, or null when there is no such remote. */
export async function remoteUrlOf(root: string, remote: string): Promise<string | null> {
  const r = await git(root, ['remote', 'get-url', '--', remote]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * The config's `pr.mode`, with `auto` settled by the remote's URL: the forge its host runs (github.com, gitlab.com,
 * or a host named in `pr.forges`); git-only for any other remote.
 */
export async function resolvePrMode(engine: ForgeHost): Promise<PrMode> {
  const mode = engine.config.pr?.mode ?? 'manual';
  if (mode !== 'auto') return mode;
  const url = await remoteUrlOf(engine.layout.root, engine.config.pr?.remote ?? 'origin');
  return (url ? remoteForgeOf(url, engine.config.pr?.forges ?? {})?.kind : undefined) ?? 'git';
}

/**
 * The token: AUTOPILOT_FORGE_TOKEN, else the forge's own variable (GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN), in this
 * process's environment; else the file in the per-user
 * state folder, which must be this user's alone (0600). Refused (CONFIG_INVALID, key `forge-token`) when none is set
 * or the file is open to others; the message never holds the token.
 */
export function readForgeToken(
  engine: ForgeHost,
  env: NodeJS.ProcessEnv = process.env,
  kind: ForgeKind = 'github',
): Result<string> {
  for (const name of ['AUTOPILOT_FORGE_TOKEN', TOKEN_VAR[kind]]) {
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
      `no forge token: set AUTOPILOT_FORGE_TOKEN (or ${TOKEN_VAR[kind]}) in the environment of the process that dispatches the outbox, or write it to ${file} with mode 0600`,
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
 * The forge of the repository: the one `pr.mode` names (or `auto` finds), at `pr.repository` or the repository the
 * remote's URL names, through `pr.apiUrl` or the host's usual API path. Refused when the engine has no forge wired,
 * the mode names no forge, the repository or the API cannot be told, or there is no token.
 */
export async function openForge(engine: ForgeHost): Promise<Result<Forge>> {
  const pr = engine.config.pr;
  const remote = pr?.remote ?? 'origin';
  if (!engine.forge)
    return refuse(ErrorCode.INTERNAL, 'no forge client is wired into this process', { key: 'pr.mode' });
  const kind = await resolvePrMode(engine);
  if (!isForgeKind(kind))
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `pr.mode is ${pr?.mode ?? 'manual'}${pr?.mode === 'auto' ? ` and the remote "${remote}" is on no known forge` : ''}, so there is no forge to ask: set pr.mode to github, gitlab or gitea (or name the remote's host in pr.forges)`,
      { key: 'pr.mode', reason: 'no forge', mode: kind },
    );
  const url = await remoteUrlOf(engine.layout.root, remote);
  const parts = url ? parseRemoteUrl(url) : null;
  const repo = pr?.repository ? parseRepository(pr.repository, kind) : parts ? repoOfPath(kind, parts.segments) : null;
  if (!repo)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      pr?.repository
        ? `pr.repository "${pr.repository}" is not a ${FORGE_NAME[kind]} repository: write it as owner/name${kind === 'gitlab' ? ' (or group/subgroup/name)' : ''}`
        : `the remote "${remote}" does not name a ${FORGE_NAME[kind]} repository, so the pull request has nowhere to go: name it in pr.repository (owner/name)`,
      { key: 'pr.repository', reason: 'repository unknown', remote },
    );
  const apiUrl = pr?.apiUrl ?? defaultApiUrl(kind, parts);
  if (!apiUrl)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `the ${FORGE_NAME[kind]} API cannot be told from the remote "${remote}": set pr.apiUrl (for example https://git.example.com/api/${kind === 'gitlab' ? 'v4' : 'v1'})`,
      { key: 'pr.apiUrl', reason: 'api unknown', remote },
    );
  const token = readForgeToken(engine, process.env, kind);
  if (!token.ok) return token;
  return ok(await engine.forge({ kind, repo, apiUrl, token: token.value }));
}

/** The API a host serves by default: GitHub's public API, GitLab's `/api/v4`, Gitea's and Forgejo's `/api/v1`. */
function defaultApiUrl(kind: ForgeKind, parts: { host: string } | null): string | null {
  if (kind === 'github')
    return !parts || parts.host === 'github.com' ? 'https://api.github.com' : `https://${parts.host}/api/v3`;
  return parts ? `https://${parts.host}/api/${kind === 'gitlab' ? 'v4' : 'v1'}` : null;
}
