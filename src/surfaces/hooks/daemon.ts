/**
 * @module The hook daemon: a process per repository that keeps the engine's
 * code loaded, so that a hook, started for every tool call, costs little more
 * than starting Node. A hook asks it over a Unix socket in a folder only this
 * user can open; when there is none (or it runs other code), the hook answers
 * by itself and starts one for the next call. It answers one request at a time
 * with a freshly opened engine, and leaves after ten idle minutes, when its
 * repository goes away, or when a hook of another build reaches it.
 * AUTOPILOT_HOOK_DAEMON=0 turns it off.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HookAnswer, HookRequest } from './request.ts';

// What a hook sends: its request, and which build of Autopilot it is.
interface DaemonRequest {
  readonly op: 'hook' | 'shutdown';
  readonly build: string;
  readonly request?: HookRequest;
}

// What the daemon answers.
type DaemonReply =
  { readonly answer: HookAnswer } | { readonly stale: true } | { readonly error: string } | { readonly stopped: true };

const MAX_REQUEST = 16 * 1024 * 1024;

/** The build this code comes from: a daemon only answers hooks of its own build. */
export const BUILD_ID = (() => {
  try {
    const file = fileURLToPath(import.meta.url);
    const st = statSync(file);
    return `${file}:${st.size}:${Math.trunc(st.mtimeMs)}`;
  } catch {
    return 'unknown';
  }
})();

// FNV-1a (64-bit) of a string, hex: a short, stable socket name for a repository.
function fnv1a(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * The daemon's socket for a repository, in `$XDG_RUNTIME_DIR/autopilot-<uid>/`
 * (else the temporary folder's), which must be this user's and closed to others;
 * undefined where that cannot be had (Windows, someone else's folder).
 */
export function socketPathFor(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const uid = process.getuid();
  const runtime = env['XDG_RUNTIME_DIR'];
  const dir = join(runtime && isAbsolute(runtime) ? runtime : tmpdir(), `autopilot-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const path = join(dir, `hooks-${fnv1a(root)}.sock`);
  return Buffer.byteLength(path) < 100 ? path : undefined;
}

function exchange(path: string, message: DaemonRequest, timeoutMs: number): Promise<DaemonReply | undefined> {
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (reply: DaemonReply | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(reply);
    };
    const socket = createConnection(path);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('connect', () => socket.end(`${JSON.stringify(message)}\n`));
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => finish(undefined));
    socket.on('end', () => {
      try {
        finish(JSON.parse(Buffer.concat(chunks).toString('utf8')) as DaemonReply);
      } catch {
        finish(undefined);
      }
    });
  });
}

/** Whether hooks may use a daemon here. */
export function daemonWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['AUTOPILOT_HOOK_DAEMON'] !== '0';
}

/**
 * Asks the repository's daemon to answer. Undefined when there is no daemon,
 * it is of another build (it leaves), or it does not answer in time: the hook
 * then answers by itself.
 */
export async function askDaemon(request: HookRequest, timeoutMs = 20_000): Promise<HookAnswer | undefined> {
  const path = socketPathFor(request.root);
  if (!path || !existsSync(path)) return undefined;
  const reply = await exchange(path, { op: 'hook', build: BUILD_ID, request }, timeoutMs);
  return reply && 'answer' in reply ? reply.answer : undefined;
}

/** Asks the repository's daemon to leave; true when one was there and said so. */
export async function stopDaemon(root: string): Promise<boolean> {
  const path = socketPathFor(root);
  if (!path || !existsSync(path)) return false;
  const reply = await exchange(path, { op: 'shutdown', build: BUILD_ID }, 5_000);
  return !!reply && 'stopped' in reply;
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

/** Runs the daemon for `root` until it is idle, its repository is gone, or it is told to leave. */
export async function serveDaemon(root: string): Promise<void> {
  const path = socketPathFor(root);
  if (!path) return;
  const idleMs = Math.max(1, Number(process.env['AUTOPILOT_HOOK_DAEMON_IDLE_SECONDS'] ?? 600)) * 1000;
  // Load everything a hook needs before listening, so that the first request is as fast as the rest.
  const { runHook, EngineCache } = await import('./run.ts');
  const cache = new EngineCache();
  await Promise.all([import('./claude.ts'), import('./codex.ts'), import('./cursor.ts'), import('./git.ts')]);
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
  let last = Date.now();
  let queue: Promise<void> = Promise.resolve();
  const leave = () => {
    clearInterval(ticker);
    server.close();
    queue = queue.then(() => cache.drop());
  };
  const reply = (socket: Socket, r: DaemonReply) => socket.end(`${JSON.stringify(r)}\n`);
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
      last = Date.now();
      let message: DaemonRequest;
      try {
        message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DaemonRequest;
      } catch {
        return reply(socket, { error: 'not a request' });
      }
      if (message.op === 'shutdown') {
        reply(socket, { stopped: true });
        return leave();
      }
      if (message.build !== BUILD_ID) {
        reply(socket, { stale: true });
        return leave();
      }
      const request = message.request;
      if (!request || request.root !== root) return reply(socket, { error: 'another repository' });
      queue = queue.then(async () => {
        try {
          reply(socket, { answer: await runHook(request, cache) });
        } catch (err) {
          reply(socket, { error: (err as Error).message });
        }
        last = Date.now();
      });
    });
  });
  const ticker = setInterval(
    () => {
      if (Date.now() - last > idleMs || !existsSync(join(root, '.autopilot', 'config.yaml')) || !existsSync(path))
        leave();
    },
    Math.min(15_000, idleMs),
  );
  await new Promise<void>((done) => server.on('close', () => done()));
  await queue;
}
