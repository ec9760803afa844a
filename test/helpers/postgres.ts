/**
 * @module A throw-away PostgreSQL server for tests and the benchmark: a fresh
 * cluster in a temporary folder, listening on a free port on 127.0.0.1 (its
 * unix socket in the same folder), stopped and removed at the end. Run as
 * root, the server runs as the `postgres` system user, since initdb and
 * postgres refuse root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { removeNow } from './remove-on-exit.ts';

/** The newest PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin, or null when none are installed. */
export function findPgBin(root = '/usr/lib/postgresql'): string | null {
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** The uid and gid the server runs as: the `postgres` user when this process is root, else this process's own. */
function serverUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error('running as root, but there is no `postgres` user to run the server as');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function run(bin: string, args: string[], cwd: string, user: { uid: number; gid: number } | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      ...(user ?? {}),
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${out}`)),
    );
  });
}

export interface PgServer {
  readonly port: number;
  /** The folder holding the cluster, its log and its socket. */
  readonly dir: string;
  /** A URL for `database` on this server (superuser, trust authentication). */
  url(database?: string): string;
  /** Creates a new empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Creates a new empty schema in the `postgres` database and returns a URL whose sessions work in it (quicker than a database). */
  createSchema(): Promise<string>;
  /** Runs SQL through a short-lived connection to `target`: a database name on this server, or a URL from `url`, `createDatabase` or `createSchema`. */
  sql(target: string, text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
  /** pg_ctl stop -m immediate: the postmaster and every session end at once, without a checkpoint, as in a crash. */
  stopImmediate(): Promise<void>;
  start(): Promise<void>;
  /** pg_ctl restart: every session is cut. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * Starts a throw-away PostgreSQL server. Throws when no PostgreSQL binaries are installed. `durable`: a commit is
 * in the WAL before it returns (synchronous_commit on), so a server stopped at once keeps every commit a client
 * was told of, as a real one does; crash tests need it.
 */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PgServer> {
  const bin = findPgBin();
  if (!bin)
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: apt-get install -y postgresql');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  await run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    dir,
    user,
  );
  // Durability settings are off: the cluster lives for one test run, and the machine does not crash under it. A
  // server stopped at once (stopImmediate) loses what sits in its own WAL buffers unless commits wait for the WAL.
  const commit = opts.durable ? 'on' : 'off';
  const serverOpts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=${commit} -c full_page_writes=off -c max_connections=200`;
  const pgCtl = (...args: string[]) =>
    run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '30', ...args], dir, user);
  const stopNow = () => {
    try {
      execFileSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], {
        stdio: 'ignore',
        cwd: dir,
        ...(user ?? {}),
      });
    } catch {
      // not running
    }
  };
  let disposed = false;
  // A test process that dies without dispose() must not leave a server running.
  const onExit = () => {
    if (disposed) return;
    stopNow();
    removeNow(dir);
  };
  process.on('exit', onExit);
  const withLog = async (p: Promise<string>) => {
    try {
      return await p;
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`${(err as Error).message}\n--- server log ---\n${tail}`);
    }
  };
  await withLog(pgCtl('-o', serverOpts, 'start'));

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const sql = async (target: string, text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: target.includes('://') ? target : url(target) });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  let n = 0;
  return {
    port,
    dir,
    url,
    sql,
    async createDatabase() {
      const name = `ap_${process.pid}_${++n}`;
      await sql('postgres', `CREATE DATABASE ${name}`);
      return url(name);
    },
    async createSchema() {
      const name = `ap_${process.pid}_${++n}`;
      await sql('postgres', `CREATE SCHEMA ${name}`);
      return `${url('postgres')}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
    },
    stop: async () => void (await withLog(pgCtl('-m', 'fast', 'stop'))),
    stopImmediate: async () => void (await withLog(pgCtl('-m', 'immediate', 'stop'))),
    start: async () => void (await withLog(pgCtl('-o', serverOpts, 'start'))),
    restart: async () => void (await withLog(pgCtl('-m', 'fast', '-o', serverOpts, 'restart'))),
    async dispose() {
      if (disposed) return;
      stopNow();
      disposed = true;
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
