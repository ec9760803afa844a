/**
 * @module The hook daemon: a process per repository that keeps the engine's
 * code loaded, so that a hook, started for every tool call, costs little more
 * than starting Node. A hook asks it over a Unix socket in this user's state
 * folder (0700, masked inside the agent's wall); when there is none (or it runs
 * other code), the hook answers by itself and starts one for the next call. It
 * answers one request at a time with a freshly opened engine, and leaves after
 * ten idle minutes, when its repository goes away, or when a hook of another
 * build reaches it. AUTOPILOT_HOOK_DAEMON=0 turns it off. While it runs, it
 * also sends what the outbox holds (see outbox.ts).
 *
 * Both sides prove themselves with a secret the daemon creates when it starts
 * (32 random bytes, 0600, beside the socket): every request, `shutdown`
 * included, carries an HMAC of itself under a fresh nonce, never the secret, so
 * that a process posing as the daemon learns nothing it could reuse; every reply
 * carries an HMAC over that nonce and the reply. A request without a valid proof
 * is refused; a reply without a valid MAC is not trusted, and the hook judges
 * the call itself (failing closed when it cannot).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensurePrivateDir,
  MAX_SOCKET_PATH,
  userStateFor,
  type StateEnv,
  type UserStateLayout,
} from '../../engine/repo/user-state.ts';
import type { HookAnswer, HookRequest } from './request.ts';

// What a hook asks: its request, and which build of Autopilot it is.
interface DaemonRequest {
  readonly op: 'hook' | 'shutdown';
  readonly build: string;
  readonly request?: HookRequest;
}

/** What the daemon answers. */
export type DaemonReply =
  | { readonly answer: HookAnswer }
  | { readonly stale: true }
  | { readonly error: string }
  | { readonly stopped: true }
  | { readonly refused: string };

/** A request on the wire: the request's JSON text, a fresh nonce, and the proof (HMAC) over both. */
export interface SealedRequest {
  readonly v: 1;
  readonly nonce: string;
  readonly body: string;
  readonly proof: string;
}

/** A reply on the wire: the reply's JSON text and the MAC over the request's nonce and it. */
export interface SealedReply {
  readonly body: string;
  readonly mac?: string;
}

const MAX_REQUEST = 16 * 1024 * 1024;
const SECRET_BYTES = 32;

/** The build this code comes from: a daemon only answers hooks of its own build. */
export const BUILD_ID = buildId();

// The build as the code on disk is now: a daemon whose files were replaced (an upgrade) sends its clients away.
function buildId(): string {
  try {
    const file = fileURLToPath(import.meta.url);
    const st = statSync(file);
    return `${file}:${st.size}:${Math.trunc(st.mtimeMs)}`;
  } catch {
    return 'unknown';
  }
}

/**
 * The daemon's socket for a repository, in this user's state folder (made 0700 on the way); undefined where that
 * cannot be had (Windows, a folder that is someone else's or a symlink, a path too long for a socket).
 */
export function socketPathFor(root: string, env: StateEnv = process.env): string | undefined {
  return daemonPaths(root, env)?.socket;
}

/** The daemon's socket and secret file for a repository (see {@link socketPathFor}). */
export function daemonFilesFor(
  root: string,
  env: StateEnv = process.env,
): { readonly socket: string; readonly secret: string } | undefined {
  const paths = daemonPaths(root, env);
  return paths && { socket: paths.socket, secret: paths.secret };
}

/**
 * What a hook adds to its answer when something on the daemon's socket did not prove it is the daemon: a person
 * looking at the hook's output learns that the socket is held by another process.
 */
export const UNTRUSTED_DAEMON_NOTE =
  "Autopilot: what listens on the hook daemon's socket did not prove it is Autopilot's daemon (its reply had no valid MAC under the daemon's secret), so its answer was not used and this hook judged the call itself. Find the process that holds the socket in this user's state folder (`ss -xlp` names it) and stop it.\n";

interface DaemonPaths {
  readonly user: UserStateLayout;
  readonly socket: string;
  readonly secret: string;
}

function daemonPaths(root: string, env: StateEnv = process.env): DaemonPaths | undefined {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const user = userStateFor(root, env);
  if (Buffer.byteLength(user.daemonSocket) > MAX_SOCKET_PATH) return undefined;
  try {
    ensurePrivateDir(user, dirname(user.daemonSocket));
    ensurePrivateDir(user, dirname(user.daemonSecretFile));
  } catch {
    return undefined;
  }
  return { user, socket: user.daemonSocket, secret: user.daemonSecretFile };
}

/** The daemon's secret, when there is one this user alone can read (a regular file, 0600, of the right size). */
export function readDaemonSecret(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid)) return undefined;
    const text = Buffer.alloc(SECRET_BYTES * 2 + 1);
    const n = readSync(fd, text, 0, text.length, 0);
    const hex = text.subarray(0, n).toString('utf8').trim();
    return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new secret (atomically, 0600) and returns it: a daemon does so once it holds the socket (and the red-team
 * suite, to leave the secret a daemon that ran before would have left).
 */
export function newDaemonSecret(file: string): Buffer {
  const secret = randomBytes(SECRET_BYTES);
  const tmp = join(dirname(file), `.daemon.secret.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(tmp, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return secret;
}

const mac = (secret: Buffer, label: string, nonce: string, body: string) =>
  createHmac('sha256', secret).update(`autopilot-hook-${label}\0${nonce}\0${body}`).digest('hex');

function sameHex(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Seals a request with a fresh nonce and its proof. */
export function sealRequest(secret: Buffer, message: unknown, nonce = randomBytes(16).toString('hex')): SealedRequest {
  const body = JSON.stringify(message);
  return { v: 1, nonce, body, proof: mac(secret, 'request', nonce, body) };
}

/** The request a sealed one carries, when its proof holds; undefined otherwise. */
export function openRequest(secret: Buffer, sealed: unknown): { nonce: string; message: unknown } | undefined {
  const s = sealed as Partial<SealedRequest> | null;
  if (!s || typeof s !== 'object' || s.v !== 1 || typeof s.nonce !== 'string' || typeof s.body !== 'string')
    return undefined;
  if (!/^[0-9a-f]{32}$/.test(s.nonce) || !sameHex(s.proof, mac(secret, 'request', s.nonce, s.body))) return undefined;
  try {
    return { nonce: s.nonce, message: JSON.parse(s.body) as unknown };
  } catch {
    return undefined;
  }
}

/** Seals a reply to the request with `nonce`. */
export function sealReply(secret: Buffer, nonce: string, reply: DaemonReply): SealedReply {
  const body = JSON.stringify(reply);
  return { body, mac: mac(secret, 'reply', nonce, body) };
}

/** The reply a sealed one carries, when its MAC is the daemon's for this request's nonce; undefined otherwise. */
export function openReply(secret: Buffer, nonce: string, sealed: unknown): DaemonReply | undefined {
  const s = sealed as Partial<SealedReply> | null;
  if (!s || typeof s !== 'object' || typeof s.body !== 'string') return undefined;
  if (!sameHex(s.mac, mac(secret, 'reply', nonce, s.body))) return undefined;
  try {
    return JSON.parse(s.body) as DaemonReply;
  } catch {
    return undefined;
  }
}

// Sends one line, reads everything until the other side closes; undefined on an error or a timeout.
function exchange(path: string, line: string, timeoutMs: number): Promise<unknown> {
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (reply: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(reply);
    };
    const socket = createConnection(path);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_REQUEST) finish(undefined);
      else chunks.push(b);
    });
    socket.on('error', () => finish(undefined));
    socket.on('end', () => {
      try {
        finish(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        finish(undefined);
      }
    });
  });
}

/**
 * Sends a sealed request to the repository's daemon: `none` when there is no daemon (no socket, no secret, no
 * answer in time), `untrusted` when what answered did not prove it is the daemon, else its reply.
 */
async function ask(
  root: string,
  message: DaemonRequest,
  timeoutMs: number,
): Promise<{ kind: 'none' } | { kind: 'untrusted' } | { kind: 'reply'; reply: DaemonReply }> {
  const paths = daemonPaths(root);
  if (!paths || !existsSync(paths.socket)) return { kind: 'none' };
  const secret = readDaemonSecret(paths.secret);
  if (!secret) return { kind: 'none' };
  const sealed = sealRequest(secret, message);
  const raw = await exchange(paths.socket, JSON.stringify(sealed), timeoutMs);
  if (raw === undefined) return { kind: 'none' };
  const reply = openReply(secret, sealed.nonce, raw);
  return reply ? { kind: 'reply', reply } : { kind: 'untrusted' };
}

/** Whether hooks may use a daemon here. */
export function daemonWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['AUTOPILOT_HOOK_DAEMON'] !== '0';
}

/** What a hook got from the daemon: its answer, nothing (no daemon), or something that did not prove it is the daemon. */
export type DaemonAnswer =
  { readonly kind: 'answer'; readonly answer: HookAnswer } | { readonly kind: 'none' } | { readonly kind: 'untrusted' };

/**
 * Asks the repository's daemon to answer. `none` when there is no daemon, it is of another build (it leaves), or it
 * does not answer in time; `untrusted` when what listens on the socket does not prove it is the daemon. Either way
 * the hook answers by itself.
 */
export async function askDaemon(request: HookRequest, timeoutMs = 20_000): Promise<DaemonAnswer> {
  const r = await ask(request.root, { op: 'hook', build: BUILD_ID, request }, timeoutMs);
  if (r.kind !== 'reply') return r;
  return 'answer' in r.reply ? { kind: 'answer', answer: r.reply.answer } : { kind: 'none' };
}

/** Asks the repository's daemon to leave, with the proof it needs; true when the real daemon was there and said so. */
export async function stopDaemon(root: string): Promise<boolean> {
  const r = await ask(root, { op: 'shutdown', build: BUILD_ID }, 5_000);
  return r.kind === 'reply' && 'stopped' in r.reply;
}

/** Whether a daemon answers for the repository (for `autopilot doctor`). */
export async function daemonRunning(root: string): Promise<boolean> {
  const path = socketPathFor(root);
  if (!path || !existsSync(path)) return false;
  return new Promise((done) => {
    const socket = createConnection(path);
    socket.on('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/**
 * Starts the repository's daemon in the background, unless another hook
 * started one in the last half minute. `bin` is this package's bin script.
 */
export async function startDaemon(root: string, bin: string): Promise<void> {
  const path = socketPathFor(root);
  if (!path) return;
  const lock = `${path}.starting`;
  try {
    const fd = openSync(lock, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs < 30_000) return;
      unlinkSync(lock);
    } catch {
      return;
    }
    return startDaemon(root, bin);
  }
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [bin, 'hook', '--daemon', root], {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  child.on('error', () => {});
  child.unref();
}

function listen(server: Server, path: string): Promise<boolean> {
  return new Promise((done) => {
    const attempt = (retry: boolean) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE' || !retry) return done(false);
        // A socket file is there: a live daemon keeps it, a dead one left it behind.
        const probe = createConnection(path);
        probe.on('connect', () => {
          probe.destroy();
          done(false);
        });
        probe.on('error', () => {
          try {
            unlinkSync(path);
          } catch {
            // another daemon got there first
          }
          attempt(false);
        });
      });
      server.listen(path, () => done(true));
    };
    attempt(true);
  });
}

/** Nonces of requests already answered: a request sent again is refused. */
export class SeenNonces {
  readonly #seen = new Set<string>();
  /** True the first time a nonce is seen. */
  first(nonce: string): boolean {
    if (this.#seen.has(nonce)) return false;
    this.#seen.add(nonce);
    // A set that only grows would be a leak in a daemon that lives for days: the oldest go first.
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.values().next().value as string);
    return true;
  }
}

/** Runs the daemon for `root` until it is idle, its repository is gone, or it is told to leave. */
export async function serveDaemon(root: string): Promise<void> {
  const paths = daemonPaths(root);
  if (!paths) return;
  const path = paths.socket;
  const idleMs = Math.max(1, Number(process.env['AUTOPILOT_HOOK_DAEMON_IDLE_SECONDS'] ?? 600)) * 1000;
  // Load everything a hook needs before listening, so that the first request is as fast as the rest.
  const { runHook, EngineCache } = await import('./run.ts');
  const cache = new EngineCache();
  await Promise.all([import('./claude.ts'), import('./codex.ts'), import('./cursor.ts'), import('./git.ts')]);
  // And everything the daemon itself needs: between listening and taking connections nothing may wait, or a
  // connection made meanwhile would find no one to read it and hang until the daemon leaves.
  const [{ startDaemonDispatcher }, { openFastChannel }] = await Promise.all([
    import('./outbox.ts'),
    import('./fast-channel.ts'),
  ]);
  // A hook half-closes after its request; the answer goes back on the same connection.
  const server = createServer({ allowHalfOpen: true });
  const lock = `${path}.starting`;
  const listening = await listen(server, path);
  try {
    unlinkSync(lock);
  } catch {
    // none
  }
  if (!listening) return;
  // A new secret for every daemon, written once it holds the socket (a daemon that lost the race to another
  // must not change the secret the other one answers with).
  let secret: Buffer;
  try {
    secret = newDaemonSecret(paths.secret);
  } catch {
    server.close();
    return;
  }
  // The outbox goes out from here too (a push, a pull request), on an engine of its own; its sends are not hook
  // activity, so they never keep an idle daemon alive.
  const outbox = startDaemonDispatcher(root);
  const seen = new SeenNonces();
  let last = Date.now();
  let queue: Promise<void> = Promise.resolve();
  // The shell client's door (fast-channel.ts): the same queue, the same engine, the same nonces.
  const fast = openFastChannel({
    root,
    user: paths.user,
    secret,
    fresh: (nonce) => seen.first(nonce),
    answer: (request) =>
      new Promise((done) => {
        last = Date.now();
        queue = queue.then(async () => {
          if (buildId() !== BUILD_ID) {
            done('fallback');
            return leave();
          }
          try {
            done(await runHook(request, cache));
          } catch {
            done('fallback');
          }
          last = Date.now();
        });
      }),
  });
  const leave = () => {
    clearInterval(ticker);
    fast?.close();
    server.close();
    queue = queue.then(() => Promise.all([outbox.stop(), cache.drop()])).then(() => undefined);
  };
  const send = (socket: Socket, r: SealedReply) => socket.end(`${JSON.stringify(r)}\n`);
  server.on('connection', (socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('error', () => {});
    socket.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_REQUEST) socket.destroy();
      else chunks.push(b);
    });
    socket.on('end', () => {
      let sealed: unknown;
      try {
        sealed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        sealed = undefined;
      }
      const opened = openRequest(secret, sealed);
      if (!opened || !seen.first(opened.nonce)) {
        // No proof, a wrong one, or a request sent again: refused, unsealed (a refusal answers nothing), and the
        // daemon goes on as it was: `shutdown` needs the proof too.
        return send(socket, {
          body: JSON.stringify({
            refused: opened
              ? 'this request was answered before'
              : "this request does not prove it comes from a hook of this user (no valid proof with the daemon's secret)",
          } satisfies DaemonReply),
        });
      }
      last = Date.now();
      const reply = (r: DaemonReply) => send(socket, sealReply(secret, opened.nonce, r));
      const message = opened.message as Partial<DaemonRequest> | null;
      if (message?.op === 'shutdown') {
        reply({ stopped: true });
        return leave();
      }
      if (message?.build !== BUILD_ID) {
        reply({ stale: true });
        return leave();
      }
      const request = message.request;
      if (message.op !== 'hook' || !request || request.root !== root) return reply({ error: 'another repository' });
      queue = queue.then(async () => {
        try {
          reply({ answer: await runHook(request, cache) });
        } catch (err) {
          reply({ error: (err as Error).message });
        }
        last = Date.now();
      });
    });
  });
  const ticker = setInterval(
    () => {
      fast?.sweep();
      if (Date.now() - last > idleMs || !existsSync(join(root, '.autopilot', 'config.yaml')) || !existsSync(path))
        leave();
    },
    Math.min(15_000, idleMs),
  );
  await new Promise<void>((done) => server.on('close', () => done()));
  await queue;
}
