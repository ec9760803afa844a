import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresStore } from '../../src/adapters/postgres/index.ts';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.ts';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { checkChain } from '../../src/core/ledger.ts';
import { chainCrypto } from '../../src/engine/ledger/keys.ts';
import { startPostgres, type PgServer } from '../helpers/postgres.ts';
import { makeRepo, ROOT, tempDir, type ErrorBody } from './helpers.ts';

let server: Promise<PgServer> | undefined;
const pgServer = () => (server ??= startPostgres());
after(async () => {
  if (server) await (await server).dispose();
});

interface CopyBody {
  ok: true;
  from: string;
  to: string;
  entries: number;
  tasks: number;
  leases: number;
  keys: number;
  head: { seq: number; hash: string };
  verified: boolean;
}

describe('autopilot store', { concurrency: true }, () => {
  it('copies a SQLite store the engine made into PostgreSQL, verifies it, and the repository carries on there', async () => {
    const srv = await pgServer();
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'THINK');
    await repo.driveTo('T-2', 'SPEC');
    await repo.ok(['lease', 'acquire', 'T-2', '--holder', 'agent-b', '--ttl', '900']);
    const url = await srv.createDatabase();

    const copy = await repo.json<CopyBody>(['store', 'copy', '--from', `sqlite:${repo.dbFile}`, '--to', url]);
    assert.equal(copy.code, 0, copy.stderr);
    const sqlite = new SqliteStore(repo.dbFile, { readonly: true });
    const pg = await PostgresStore.open(url);
    try {
      const source = await sqlite.entries();
      assert.ok(source.length > 10);
      assert.equal(copy.body.entries, source.length);
      assert.equal(copy.body.tasks, 2);
      assert.equal(copy.body.leases, 2);
      assert.equal(copy.body.verified, true);
      assert.deepEqual(copy.body.head, await sqlite.head());
      // Checked again here, independently of the command's own verification.
      assert.deepEqual(await pg.entries(), source);
      assert.deepEqual(await pg.head(), await sqlite.head());
      assert.equal(checkChain(await pg.entries(), null, chainCrypto(await pg.keys())), null);
      assert.deepEqual(await pg.keys(), await sqlite.keys());
      assert.deepEqual(await pg.listTasks(), await sqlite.listTasks());
      assert.deepEqual(await pg.getLease('T-2'), await sqlite.getLease('T-2'));
      assert.equal((await pg.getLease('T-2'))?.holder, 'agent-b');
    } finally {
      await sqlite.close();
      await pg.close();
    }

    // A second copy into the same database is refused: it is not empty.
    const again = await repo.refused(['store', 'copy', '--from', `sqlite:${repo.dbFile}`, '--to', url], 'USAGE', 1);
    assert.match(again.message, /not empty/);

    // The repository now works on PostgreSQL: the whole ledger verifies there (evidence digests included) and the next step lands there.
    const env = { AUTOPILOT_STORE: url };
    const verified = await repo.ok<{ entries: number }>(['ledger', 'verify'], { env });
    assert.equal(verified.entries, copy.body.entries);
    await repo.ok(['lease', 'release', 'T-2', '--holder', 'agent-b'], { env });
    const onPg = await PostgresStore.open(url);
    try {
      assert.equal((await onPg.getLease('T-2'))?.holder, null);
      const last = (await onPg.entries({ newestFirst: true, limit: 1 }))[0];
      assert.equal(last?.seq, copy.body.entries + 1);
      assert.equal(last?.data['change'], 'released');
    } finally {
      await onPg.close();
    }
    assert.equal(repo.head()?.seq, copy.body.entries, 'the SQLite store was left as it was');
  });

  it('refuses to copy a source whose ledger does not verify, and writes nothing', async () => {
    const srv = await pgServer();
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const db = new Database(repo.dbFile);
    try {
      db.exec('DROP TRIGGER ledger_no_update');
      db.prepare(`UPDATE ledger SET data = '{"forged":true}' WHERE seq = 2`).run();
    } finally {
      db.close();
    }
    const url = await srv.createDatabase();
    const err = await repo.refused(
      ['store', 'copy', '--from', `sqlite:${repo.dbFile}`, '--to', url],
      'LEDGER_TAMPERED',
      3,
    );
    assert.match(err.message, /entry 2.*nothing was copied/);
    const pg = await PostgresStore.open(url);
    try {
      assert.equal(await pg.head(), null);
      assert.deepEqual(await pg.listTasks(), []);
    } finally {
      await pg.close();
    }
  });

  it('migrates the configured store and reports its versions; AUTOPILOT_STORE wins over store: in the config', async () => {
    const srv = await pgServer();
    const repo = await makeRepo();
    const versions = MIGRATIONS.map((m) => m.version);
    const fromConfig = await srv.createDatabase();
    const fromEnv = await srv.createDatabase();
    repo.editConfig((c) => (c['store'] = fromConfig));

    const first = await repo.ok<{ kind: string; applied: number[]; versions: number[] }>(['store', 'migrate']);
    assert.deepEqual(first, { ok: true, store: fromConfig, kind: 'postgres', applied: versions, versions });
    const second = await repo.run(['store', 'migrate']);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /up to date, nothing to apply; schema version \d+/);

    const viaEnv = await repo.ok<{ store: string; applied: number[] }>(['store', 'migrate'], {
      env: { AUTOPILOT_STORE: fromEnv },
    });
    assert.equal(viaEnv.store, fromEnv);
    assert.deepEqual(viaEnv.applied, versions);

    // Tasks go where AUTOPILOT_STORE points; without it, to the config's store, which must hold the history this
    // user's anchor names: an empty one beside it is a shadow store, refused before anything is written.
    await repo.ok(['task', 'start', 'T-env'], { env: { AUTOPILOT_STORE: fromEnv } });
    const shadow = await repo.refused(['task', 'start', 'T-config'], 'LEDGER_TAMPERED', 3);
    assert.match(shadow.message, /is empty, but this user's anchor .* holds entry \d+/);
    const ids = async (url: string) => {
      const s = await PostgresStore.open(url);
      try {
        return (await s.listTasks()).map((t) => t.taskId);
      } finally {
        await s.close();
      }
    };
    assert.deepEqual(await ids(fromEnv), ['T-env']);
    assert.deepEqual(await ids(fromConfig), []);
    assert.equal(repo.task('T-env'), undefined, 'nothing went to the embedded store');

    // The embedded store migrates itself; an unknown store is named as such.
    const sqlite = await repo.ok<{ kind: string; applied: null }>(['store', 'migrate'], {
      env: { AUTOPILOT_STORE: 'sqlite' },
    });
    assert.equal(sqlite.kind, 'sqlite');
    assert.equal(sqlite.applied, null);
    const bad = await repo.refused(['task', 'list'], 'CONFIG_INVALID', 1, { env: { AUTOPILOT_STORE: 'mysql://db/x' } });
    assert.match(bad.message, /AUTOPILOT_STORE must be sqlite, sqlite:<path> or a postgres:/);
  });

  it('tells a person what store copy and store migrate do, with examples', async () => {
    const repo = await makeRepo();
    for (const verb of ['copy', 'migrate']) {
      const help = await repo.run(['store', verb, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples:\n\s+\$ autopilot store /);
    }
    const missing = await repo.json<ErrorBody>(['store', 'copy', '--to', 'postgres://x@127.0.0.1:1/y']);
    assert.equal(missing.code, 1);
    assert.equal(missing.body.error.code, 'USAGE');
    const nowhere = tempDir('nowhere');
    const noFile = await repo.json<ErrorBody>([
      'store',
      'copy',
      '--from',
      `sqlite:${join(nowhere, 'missing.db')}`,
      '--to',
      'postgres://x@127.0.0.1:1/y',
    ]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.body.error.message, /no SQLite store at/);
  });

  it('never loads pg when the store is SQLite', () => {
    // A resolve hook that refuses `pg`: the embedded store opens anyway; a postgres:// store cannot.
    const dir = tempDir('nopg');
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      "export async function resolve(s, c, next) { if (s === 'pg') throw new Error('pg was loaded'); return next(s, c); }\n",
    );
    const script = join(dir, 'open.mts');
    writeFileSync(
      script,
      `import { register } from 'node:module';
       import { pathToFileURL } from 'node:url';
       register(pathToFileURL(${JSON.stringify(hook)}));
       const { openStoreAt, parseStoreSpec } = await import(${JSON.stringify(join(ROOT, 'src', 'surfaces', 'compose.ts'))});
       const store = await openStoreAt(parseStoreSpec(process.argv[2], ${JSON.stringify(dir)}));
       await store.close();
       console.log('opened');`,
    );
    const open = (spec: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', script, spec], { cwd: ROOT, encoding: 'utf8' });
    const sqlite = open(`sqlite:${join(dir, 'a.db')}`);
    assert.equal(sqlite.status, 0, sqlite.stderr);
    assert.match(sqlite.stdout, /opened/);
    const pg = open('postgres://nobody@127.0.0.1:1/none');
    assert.notEqual(pg.status, 0);
    assert.match(pg.stderr, /pg was loaded/);
  });
});
