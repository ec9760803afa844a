/**
 * @module The outbox's first action, git-only mode's push: deciding it (which remote, branch and commit; never the
 * default branch), checking whether the remote already holds it, and performing it with `git push`.
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { PushPayload } from '../../core/outbox.ts';
import { relative } from 'node:path';
import { git } from '../repo/git.ts';
import { resolvePrMode } from '../repo/forge.ts';
import { isForgeKind } from '../../core/forge.ts';
import type { ForgeKind } from '../../ports/forge.ts';
import type { Engine } from '../context.ts';

/** Branch names taken for the default one when the remote does not say which is its default. */
const USUAL_DEFAULTS = ['main', 'master'];

/** The remote's name in the config (`pr.remote`, default origin). */
export function pushRemote(engine: Engine): string {
  return engine.config.pr?.remote ?? 'origin';
}

/**
 * Whether the config asks Autopilot to push the task branch itself, and where it goes next: `git` (git-only mode),
 * a forge (then a pull request there), or null (`manual`: the agent does it all).
 */
export async function pushMode(engine: Engine): Promise<'git' | ForgeKind | null> {
  const mode = await resolvePrMode(engine);
  return mode === 'manual' ? null : mode;
}

/**
 * The push a move into PR decides: the repository's current branch and commit, to the configured remote. Refused
 * (CONFIG_INVALID, key `pr`) when the remote is not configured, HEAD is detached, or the branch is the remote's
 * default branch: Autopilot pushes task branches only; refused (EVIDENCE_MISSING) while work outside the state
 * folder is not committed, since the commit pushed must be the work reviewed.
 */
export async function planPush(engine: Engine, phase: string, forge?: ForgeKind): Promise<Result<PushPayload>> {
  const root = engine.layout.root;
  const remote = pushRemote(engine);
  const url = await git(root, ['remote', 'get-url', '--', remote]);
  if (url.code !== 0)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `Autopilot pushes the task branch to the remote "${remote}" (pr.remote), which this repository does not have: add it with git remote add ${remote} <url>, or name another in pr.remote`,
      { key: 'pr.remote', reason: 'no such remote', remote },
    );
  const branch = (await git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD'])).stdout.trim();
  if (!branch)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      'Autopilot pushes the task branch, but HEAD is detached: switch to the task branch (git switch -c task/<TASK>), then advance again',
      { key: 'pr', reason: 'detached HEAD' },
    );
  const defaults = await defaultBranches(engine, remote);
  if (defaults.includes(branch))
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `the task is on ${branch}, the default branch of "${remote}": Autopilot never pushes to it. Move the work to a task branch (git switch -c task/<TASK>), then advance again`,
      { key: 'pr', reason: 'default branch', branch, remote },
    );
  // The commit pushed is the work reviewed: changes left out of it would reach the remote nowhere.
  const state = relative(root, engine.layout.stateDir);
  const status = await git(root, [
    'status',
    '--porcelain=v1',
    '--untracked-files=all',
    '--',
    '.',
    ...(state && !state.startsWith('..') ? [`:(exclude)${state}`] : []),
  ]);
  const dirty = status.stdout.split('\n').filter(Boolean);
  if (status.code !== 0 || dirty.length > 0)
    return refuse(
      ErrorCode.EVIDENCE_MISSING,
      `Autopilot pushes the task branch's last commit, and ${dirty.length} changed file(s) are not committed (${dirty
        .slice(0, 5)
        .map((l) => l.slice(3))
        .join(', ')}): commit the work on ${branch}, then advance again`,
      {
        phase,
        findings: [
          {
            file: '(git)',
            rule: 'uncommitted',
            problem: `${dirty.length} changed file(s) outside the commit`,
            fix: `commit the work on ${branch}`,
          },
        ],
      },
    );
  const commit = (await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).stdout.trim();
  if (!commit)
    return refuse(ErrorCode.CONFIG_INVALID, 'Autopilot pushes a commit, and this repository has none yet', {
      key: 'pr',
      reason: 'no commit',
    });
  return ok({ remote, branch, commit, phase, ...(forge ? { forge } : {}) });
}

/**
 * The remote's default branch as the remote says (`ls-remote --symref HEAD`), else as this clone remembers it
 * (`refs/remotes/<remote>/HEAD`); the usual names when neither knows, so that an unreachable remote cannot make
 * main pushable.
 */
export async function defaultBranches(engine: Engine, remote: string): Promise<string[]> {
  const said = await git(engine.layout.root, ['ls-remote', '--symref', '--', remote, 'HEAD']);
  const m = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(said.stdout);
  if (said.code === 0 && m?.[1]) return [m[1]];
  const local = await git(engine.layout.root, ['symbolic-ref', '--quiet', '--short', `refs/remotes/${remote}/HEAD`]);
  const name = local.stdout.trim().slice(remote.length + 1);
  if (local.code === 0 && name) return [name];
  return USUAL_DEFAULTS;
}

/** What the remote holds at the row's branch: the commit, null for no such branch; an error when it cannot be asked. */
export async function remoteCommit(engine: Engine, p: PushPayload): Promise<Result<string | null>> {
  const r = await git(engine.layout.root, ['ls-remote', '--', p.remote, `refs/heads/${p.branch}`]);
  if (r.code !== 0)
    return refuse(ErrorCode.INTERNAL, `cannot read ${p.remote}: ${r.stderr.trim() || `git exited ${r.code}`}`, {
      remote: p.remote,
    });
  const line = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${p.branch}`));
  return ok(line ? line.split('\t')[0]! : null);
}

/** Pushes the row's commit to its branch on the remote, never with force: a branch that moved elsewhere is refused. */
export async function sendPush(engine: Engine, p: PushPayload): Promise<Result<void>> {
  const r = await git(engine.layout.root, [
    'push',
    '--porcelain',
    '--',
    p.remote,
    `${p.commit}:refs/heads/${p.branch}`,
  ]);
  if (r.code === 0) return ok(undefined);
  const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join(' | ');
  return refuse(ErrorCode.INTERNAL, `git push to ${p.remote} failed: ${why}`, { remote: p.remote, exitCode: r.code });
}

/** A push payload read back from a row; undefined when the row does not hold one (it was written by hand). */
export function pushPayload(payload: Readonly<Record<string, unknown>>): PushPayload | undefined {
  const { remote, branch, commit, phase, forge } = payload;
  if (typeof remote !== 'string' || typeof branch !== 'string' || typeof commit !== 'string') return undefined;
  if (typeof phase !== 'string' || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  if (remote.startsWith('-') || branch.startsWith('-')) return undefined;
  if (forge !== undefined && !isForgeKind(forge as string)) return undefined;
  return { remote, branch, commit, phase, ...(forge ? { forge: forge as ForgeKind } : {}) };
}
