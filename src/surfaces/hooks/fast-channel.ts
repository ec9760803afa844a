/**
 * @module The hook daemon's second door, for the shell client bin/autopilot-hook, which cannot open a Unix socket
 * or compute an HMAC without starting a program: named pipes and files in `fast/` inside the repository's folder of
 * the per-user state (0700, masked inside the agent's wall), and a link to that folder under the repository's path.
 *
 * A client takes one of eight slots (its lock made with O_EXCL), writes its request to `<slot>.req` and says
 * `go <slot>` on the pipe `in`; the daemon checks the request's proof, answers into `<slot>.rep` and writes the
 * request's nonce to the pipe `<slot>.out`; the client reads the reply and says `done <slot>`, which frees the slot.
 * Each slot also has a pipe `<slot>.hash`, which the daemon never holds open: the client's one `sha384sum` reads
 * the reply's digest input from it, and freeing a slot wakes a hasher left waiting there by a client that died.
 *
 * The proofs, as the HMACs on the socket, but computable with `sha384sum`: SHA-384 over the daemon's secret (hex), a
 * label and the message. SHA-384 is truncated SHA-512, so a keyed digest of it cannot be extended to another message
 * (the length extension that makes a keyed SHA-256 unfit). The request carries its digest; the reply carries the digest
 * of the request's nonce and the reply, exit code and all. A process that takes the pipes or rewrites the files
 * without the secret can neither make a request the daemon accepts nor change or forge a reply the client accepts;
 * each nonce is answered once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrivateDir, hookIndexLink, type StateEnv, type UserStateLayout } from '../../engine/repo/user-state.ts';
import { HOOK_CLIENTS, type HookAnswer, type HookClient, type HookRequest } from './request.ts';
import { findRoot, startDir } from './root.ts';

/** The slots clients take; a hook that finds all of them taken asks through the Node hook instead. */
export const FAST_SLOTS = 8;
const VERSION = 'autopilot-hook-fast/1';
const LABEL = 'autopilot-hook-fast';
const MAX_REQUEST = 16 * 1024 * 1024;
// A slot whose client died before `done` is freed after this long.
const STALE_SLOT_MS = 60_000;

/** The shell client of this package: the daemon answers only it, as it answers only hooks of its own build. */
export const FAST_CLIENT = fileURLToPath(new URL('../../../bin/autopilot-hook', import.meta.url));

/** What the daemon does with a request that passed its checks: an answer, or `fallback` (the client runs the Node hook). */
export type FastAnswer = (request: HookRequest) => Promise<HookAnswer | 'fallback'>;

/** The open door: close it when the daemon leaves; sweep now and then to free the slots of clients that died. */
export interface FastChannel {
  sweep(): void;
  close(): void;
}

/** The keyed digest of a request (`label` 'request') or of a reply to the request with `nonce`. */
export function fastDigest(secret: Buffer, message: Buffer | string, nonce?: string): string {
  const head = nonce === undefined ? `${LABEL}\n` : `${LABEL}-reply\n${nonce}\n`;
  return createHash('sha384')
    .update(`${secret.toString('hex')}\n${head}`)
    .update(message)
    .update('\n')
    .digest('hex');
}

/** The request's length-prefixed fields (`<bytes>:<value>,` each), or undefined when it is not that. */
export function parseFields(buf: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const colon = buf.indexOf(0x3a, i);
    if (colon < 0 || colon - i > 10) return undefined;
    const len = buf.toString('latin1', i, colon);
    if (!/^\d+$/.test(len)) return undefined;
    const end = colon + 1 + Number(len);
    if (end >= buf.length || buf[end] !== 0x2c) return undefined;
    out.push(buf.subarray(colon + 1, end));
    i = end + 1;
  }
  return out;
}

interface Parsed {
  readonly nonce: string;
  readonly script: string;
  readonly request: HookRequest;
}

/** A request file's content, checked: its proof under `secret`, its fields, a fresh nonce. */
export function openFastRequest(
  secret: Buffer,
  file: Buffer,
  fresh: (nonce: string) => boolean,
): Parsed | { refused: string } {
  const nl = file.indexOf(0x0a);
  if (nl !== 96) return { refused: 'no proof' };
  const proof = file.subarray(0, nl);
  const message = file.subarray(nl + 1);
  if (!timingSafeEqual(proof, Buffer.from(fastDigest(secret, message))))
    return { refused: "no valid proof with the daemon's secret" };
  const fields = parseFields(message);
  if (!fields || fields.length < 9) return { refused: 'not a request' };
  const text = fields.map((f) => f.toString('utf8'));
  const [version, nonce, client, event, script, cwd, root, count] = text as [string, ...string[]];
  const n = Number(count);
  if (version !== VERSION || !Number.isInteger(n) || fields.length !== 9 + 2 * n) return { refused: 'not a request' };
  if (!/^[0-9a-f]{32}$/.test(nonce!) || !fresh(nonce!)) return { refused: 'this request was answered before' };
  if (!(HOOK_CLIENTS as readonly string[]).includes(client!) || client === 'git') return { refused: 'not a client' };
  const env: Record<string, string> = {};
  for (let k = 0; k < n; k++) env[text[8 + 2 * k]!] = text[9 + 2 * k]!;
  const request: HookRequest = {
    client: client as HookClient,
    event: event!,
    args: [],
    stdin: text[8 + 2 * n]!,
    root: root!,
    cwd: cwd!,
    env,
  };
  return { nonce: nonce!, script: resolve(cwd!, script!), request };
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Opens the door for the daemon of `root`, whose per-user folder is `user`; undefined where it cannot be had
 * (no `mkfifo`, a path too long for the link): clients then ask through the Node hook.
 */
export function openFastChannel(opts: {
  readonly root: string;
  readonly user: UserStateLayout;
  readonly secret: Buffer;
  readonly fresh: (nonce: string) => boolean;
  readonly answer: FastAnswer;
  readonly env?: StateEnv;
}): FastChannel | undefined {
  const { root, user, secret } = opts;
  const link = hookIndexLink(root, opts.env);
  if (!link) return undefined;
  const fast = join(user.dir, 'fast');
  const at = (name: string) => join(fast, name);
  const slots = Array.from({ length: FAST_SLOTS }, (_, k) => k);
  let inFd = -1;
  const outFds: number[] = [];
  let reader: Socket | undefined;
  const busy = new Set<number>();
  try {
    rmSync(fast, { recursive: true, force: true });
    ensurePrivateDir(user, fast);
    execFileSync('mkfifo', ['-m', '600', at('in'), ...slots.flatMap((k) => [at(`${k}.out`), at(`${k}.hash`)])], {
      stdio: 'ignore',
    });
    // Both ends open read-write and non-blocking: a client's open never waits for the other side, and a pipe
    // nobody writes to never reads as closed.
    inFd = openSync(at('in'), constants.O_RDWR | constants.O_NONBLOCK);
    for (const k of slots) outFds.push(openSync(at(`${k}.out`), constants.O_RDWR | constants.O_NONBLOCK));
    ensurePrivateDir(user, dirname(link));
    const tmp = `${link}.${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(user.dir, tmp);
    renameSync(tmp, link);
    writeFileSync(at('pid'), `${process.pid}\n`, { mode: 0o600 });
  } catch {
    for (const fd of [inFd, ...outFds]) if (fd >= 0) closeSync(fd);
    rmSync(fast, { recursive: true, force: true });
    return undefined;
  }

  // A client's hasher that waits on its slot's `.hash` pipe for a reply it will never get (the client died) ends
  // when a writer comes and goes; nobody waiting there is ENXIO. The daemon never keeps that pipe open itself.
  const wake = (k: number) => {
    try {
      closeSync(openSync(at(`${k}.hash`), constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody waits
    }
  };

  const free = (k: number) => {
    busy.delete(k);
    wake(k);
    // Whatever a client that went away left in its pipe must not reach the next one.
    const scrap = Buffer.alloc(4096);
    try {
      while (readSync(outFds[k]!, scrap, 0, scrap.length, null) > 0);
    } catch {
      // empty (EAGAIN)
    }
    for (const name of [`${k}.rep`, `${k}.req`, `${k}.lock`]) rmSync(at(name), { force: true });
  };

  // The reply is written to a file this call creates (O_EXCL, never through a link another process of the user
  // planted at its name, which would make the daemon write where that link points), then renamed into place.
  const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const reply = (k: number, nonce: string, text: string) => {
    const tmp = at(`.${k}.rep`);
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, CREATE, 0o600);
    try {
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, at(`${k}.rep`));
    writeSync(outFds[k]!, `${nonce}\n`);
  };

  const serve = async (k: number) => {
    let file: Buffer;
    try {
      if (statSync(at(`${k}.req`)).size > MAX_REQUEST) throw new Error('too large');
      file = readFileSync(at(`${k}.req`));
    } catch {
      busy.delete(k);
      return;
    }
    const opened = openFastRequest(secret, file, opts.fresh);
    if ('refused' in opened) {
      // The client waits for its nonce, which a refused request may not have: it runs the Node hook after its
      // timeout, or at once when the nonce was read.
      const nonce = /^\d+:[^,]*,32:([0-9a-f]{32}),/.exec(file.subarray(97, 97 + 64).toString('latin1'))?.[1];
      try {
        if (nonce) reply(k, nonce, `- refused 0\n${opened.refused}`);
      } catch {
        // the client falls back after its timeout
      }
      busy.delete(k);
      return;
    }
    const { nonce, script, request } = opened;
    let answer: HookAnswer | 'fallback' = 'fallback';
    // The same repository the Node hook would find, asked by this package's client: else the Node hook answers.
    if (
      request.root === root &&
      findRoot(startDir(request.client, request.stdin, request.cwd, request.env)) === root &&
      realOrSelf(script) === realOrSelf(FAST_CLIENT)
    )
      answer = await opts.answer(request);
    // An answer with a NUL byte, which bash cannot hold, goes the Node hook's way too.
    let text = '- fallback 0\n';
    if (answer !== 'fallback' && !answer.stdout.includes('\0') && !answer.stderr.includes('\0')) {
      const head = `${answer.exitCode & 0xff} ${Buffer.byteLength(answer.stdout)}`;
      const body = `${answer.stdout}${answer.stderr}`;
      text = `${fastDigest(secret, `${head}\n${body}`, nonce)} ${head}\n${body}`;
    }
    try {
      reply(k, nonce, text);
    } catch {
      free(k);
    }
  };

  let pending = '';
  reader = new Socket({ fd: inFd, readable: true, writable: false });
  reader.on('error', () => {});
  reader.on('data', (b: Buffer) => {
    pending += b.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = /^(go|done) ([0-9]+)$/.exec(line);
      const k = m ? Number(m[2]) : -1;
      if (!m || k >= FAST_SLOTS) continue;
      if (m[1] === 'done') free(k);
      else if (!busy.has(k)) {
        busy.add(k);
        void serve(k);
      }
    }
    if (pending.length > 4096) pending = '';
  });

  return {
    sweep() {
      for (const k of slots) {
        let pid = NaN;
        let age = 0;
        try {
          age = Date.now() - statSync(at(`${k}.lock`)).mtimeMs;
          pid = Number(readFileSync(at(`${k}.lock`), 'utf8').trim());
        } catch {
          continue;
        }
        if (age < STALE_SLOT_MS) continue;
        let alive = false;
        try {
          alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
        } catch {
          alive = false;
        }
        if (!alive) free(k);
      }
    },
    close() {
      for (const k of slots) wake(k);
      reader?.destroy();
      reader = undefined;
      for (const fd of outFds) {
        try {
          closeSync(fd);
        } catch {
          // closed
        }
      }
      rmSync(fast, { recursive: true, force: true });
      try {
        if (readlinkSync(link) === user.dir) unlinkSync(link);
      } catch {
        // another daemon's, or gone
      }
    },
  };
}
