/**
 * @module The per-user state folder: where what proves a person or signs the ledger lives, outside the repository
 * (the signing key, approval secrets, the hook daemon's socket and secret, the ledger's anchored head). The agent's
 * commands run behind a wall in which this whole folder is invisible, so nothing in it can be read or replaced from
 * inside; the repository's `.autopilot/` holds only what may be committed or is checked against what lives here.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

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
  /** {@link userStateRoot}: the folder that holds every repository's, which the agent's wall masks whole. */
  readonly root: string;
  /** `<userStateRoot>/repos/<repoStateId>`, mode 0700. */
  readonly dir: string;
  /** The ledger's signing key pair (private key 0600) and the approval token: the folder's secrets. */
  readonly keysDir: string;
  /** The approval token a person signs in to the dashboard with (0600). */
  readonly approvalTokenFile: string;
  /** The ledger head this user last saw committed, so that a wiped or replaced store is noticed. */
  readonly anchorFile: string;
  /**
   * The hook daemon's socket: `daemon.sock` in {@link dir}, or `<userStateRoot>/s/<16 hex>.sock` where that path is
   * longer than a Unix socket's path may be (never a shared folder such as /tmp).
   */
  readonly daemonSocket: string;
  /** The secret both sides of the daemon's socket prove themselves with (32 random bytes, 0600). */
  readonly daemonSecretFile: string;
  /** The forge's API token, when it is not in the environment (0600; see engine/repo/forge.ts). */
  readonly forgeTokenFile: string;
}

/** The longest socket path every Unix takes (Linux's sun_path is 108 bytes with its NUL, macOS's 104). */
export const MAX_SOCKET_PATH = 103;

export function userStateFor(root: string, env: StateEnv = process.env): UserStateLayout {
  const stateRoot = userStateRoot(env);
  const id = repoStateId(root);
  const dir = join(stateRoot, 'repos', id);
  const keysDir = join(dir, 'keys');
  const socket = join(dir, 'daemon.sock');
  return {
    root: stateRoot,
    dir,
    keysDir,
    approvalTokenFile: join(keysDir, 'approval-token'),
    anchorFile: join(dir, 'anchor.json'),
    daemonSocket:
      Buffer.byteLength(socket) <= MAX_SOCKET_PATH
        ? socket
        : join(stateRoot, 's', `${createHash('sha256').update(id).digest('hex').slice(0, 16)}.sock`),
    daemonSecretFile: join(dir, 'daemon.secret'),
    forgeTokenFile: join(keysDir, 'forge-token'),
  };
}

/**
 * Makes `dir` (by default the repository's folder; any folder under the state root) and every folder between it and
 * the state root, each mode 0700 and this user's; the folders above the root (`~/.local/state`) are made as the XDG
 * specification asks but left as they are. Throws when a folder on the way is a symlink or someone else's: a secret
 * is never written where another user could read or swap it.
 */
export function ensurePrivateDir(user: UserStateLayout, dir: string = user.dir): void {
  const rel = relative(user.root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${dir} is not inside the per-user state ${user.root}`);
  mkdirSync(dirname(user.root), { recursive: true, mode: 0o700 });
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  let path = user.root;
  for (const part of ['', ...(rel ? rel.split(sep) : [])]) {
    path = part ? join(path, part) : path;
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = lstatSync(path);
    if (!st.isDirectory()) throw new Error(`${path} is not a folder (a symlink?); move it aside`);
    if (uid !== undefined && st.uid !== uid) throw new Error(`${path} belongs to another user (uid ${st.uid})`);
    if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
  }
}

/**
 * The link the hook daemon keeps from the repository's path to its folder, `<userStateRoot>/by-root/<root>` with
 * `%` and `/` percent-encoded, so that the shell hook client finds the folder without hashing the path; undefined
 * where the encoded path is longer than a file name may be (that client then runs the Node hook).
 */
export function hookIndexLink(root: string, env: StateEnv = process.env): string | undefined {
  const name = root.replace(/%/g, '%25').replace(/\//g, '%2F');
  return Buffer.byteLength(name) > 255 ? undefined : join(userStateRoot(env), 'by-root', name);
}
