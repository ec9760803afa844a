/**
 * @module The per-user state folder: where what proves a person or signs the ledger lives, outside the repository
 * (the signing key, approval secrets, the hook daemon's socket and secret, the ledger's anchored head). The agent's
 * commands run behind a wall in which this whole folder is invisible, so nothing in it can be read or replaced from
 * inside; the repository's `.autopilot/` holds only what may be committed or is checked against what lives here.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';

/** The environment the folder is found from. */
export type StateEnv = Readonly<Record<string, string | undefined>>;

/**
 * The root of every repository's per-user state: `$XDG_STATE_HOME/autopilot`, else `~/.local/state/autopilot`
 * (the XDG base directory specification's default). A relative XDG_STATE_HOME is ignored, as the specification says.
 */
export function userStateRoot(env: StateEnv = process.env): string {
  const xdg = env['XDG_STATE_HOME'];
  const base = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'autopilot');
}

/** A repository's name in the per-user state: its folder name and a digest of its real path, so that moves are noticed. */
export function repoStateId(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // not there (yet): the path as given
  }
  const name =
    basename(real)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 40) || 'repo';
  return `${name}-${createHash('sha256').update(real).digest('hex').slice(0, 16)}`;
}

/** Where one repository's per-user state lives, and its parts. */
export interface UserStateLayout {
  /** `<userStateRoot>/repos/<repoStateId>`, mode 0700. */
  readonly dir: string;
  /** The ledger's signing key pair (private key 0600). */
  readonly keysDir: string;
  /** The ledger head this user last saw committed, so that a wiped or replaced store is noticed. */
  readonly anchorFile: string;
  /** The hook daemon's socket and the secret both sides prove themselves with. */
  readonly daemonSocket: string;
  readonly daemonSecretFile: string;
}

export function userStateFor(root: string, env: StateEnv = process.env): UserStateLayout {
  const dir = join(userStateRoot(env), 'repos', repoStateId(root));
  return {
    dir,
    keysDir: join(dir, 'keys'),
    anchorFile: join(dir, 'anchor.json'),
    daemonSocket: join(dir, 'daemon.sock'),
    daemonSecretFile: join(dir, 'daemon.secret'),
  };
}
