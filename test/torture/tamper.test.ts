/**
 * Tamper torture: random single-byte changes to a copy of the SQLite store and
 * to evidence files, each judged by `ledger verify`.
 *
 * A change to the store "changes meaning" when the logical content a verifier
 * reads differs from the original's, as read by full scans of a copy that
 * SQLite opens and reports no corruption in (`PRAGMA integrity_check`): the
 * ledger rows; each task row (its key and its stored state); and the public key
 * of every key id an entry names, as opening the store leaves it (Autopilot
 * files its own key again whenever it is missing). Lease and move claim rows (locks, not part
 * of the audit), the names and times of migrations and free or unused bytes do
 * not count; the versions of the migrations applied count with the schema.
 *
 * Each change is then one of: no meaning changed (verify must pass); meaning
 * changed (verify must fail, naming an entry, a task or a path); a store SQLite
 * reports as corrupt (verify must fail with a clear error: never pass, never
 * crash); or only the schema changed (its text, or the migrations the store
 * says it has), the data intact (a clear error or a pass, never a crash).
 *
 * A change to a sealed evidence file (one the ledger names, outside the current
 * phase of an active task, which is still being written) always changes
 * meaning, and verify must name that file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { AutopilotError } from '../../src/core/errors.ts';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { verifyLedger } from '../../src/engine/ledger/verify.ts';
import { makeRepo, parseOne, run, tempDir, type Repo } from '../e2e/helpers.ts';
import { openRepoEngine } from './harness.ts';
import { LONG, mulberry32, seedsFor, withSeed } from './random.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

const DB_TRIALS = LONG ? 3000 : 300;
const EVIDENCE_TRIALS = LONG ? 500 : 60;
/** Trials also judged by the real binary (a process each). */
const CLI_SAMPLE = LONG ? 60 : 8;

type Verdict =
  | { kind: 'ok' }
  | { kind: 'problems'; named: string[] }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'crash'; message: string };

/** What `ledger verify` says of the repository with the store at `dbFile`. */
async function verifyWith(repo: Repo, dbFile: string): Promise<Verdict> {
  try {
    const e = await openEngine({
      runner: new ProcessRunner(),
      cwd: repo.dir,
      openStore: async () => new SqliteStore(dbFile),
    });
    try {
      const report = await verifyLedger(e);
      if (report.ok) return { kind: 'ok' };
      return {
        kind: 'problems',
        named: report.problems.map((p) => `${p.kind}:${p.seq ?? ''}:${p.taskId ?? ''}:${p.path ?? ''}`),
      };
    } finally {
      await closeEngine(e).catch(() => {});
    }
  } catch (err) {
    if (err instanceof AutopilotError) return { kind: 'error', code: err.code, message: err.message };
    const e = err as { code?: string; message?: string };
    // SQLite's own refusals (SQLITE_CORRUPT, SQLITE_NOTADB, …) are clear errors; anything else is a crash.
    if (typeof e.code === 'string' && e.code.startsWith('SQLITE_'))
      return { kind: 'error', code: e.code, message: e.message ?? '' };
    return { kind: 'crash', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** The logical content of a store as a verifier reads it, or the corruption SQLite reports. */
function meaning(
  dbFile: string,
  ownKeyId: string,
  ownKey: string,
): { content: string; schema: string } | { corrupt: string } {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const check = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    if (check.join() !== 'ok') return { corrupt: check.slice(0, 3).join('; ') };
    // Rows as arrays of the named columns: SQLite names result columns as the schema spells them, and
    // a column's name in another case (which SQLite reads as the same column) is no change of data.
    const rows = <T extends unknown[]>(sql: string) => db!.prepare(sql).raw(true).all() as T[];
    const ledger = rows<unknown[]>(
      'SELECT seq, prev_hash, hash, ts, task_id, kind, from_phase, to_phase, actor, artifacts, data, key_id, signature FROM ledger NOT INDEXED ORDER BY seq',
    );
    const tasks = rows<[string, string]>('SELECT task_id, state FROM tasks NOT INDEXED ORDER BY task_id');
    const keys = new Map(rows<[string, string]>('SELECT key_id, public_key FROM keys NOT INDEXED'));
    if (!keys.has(ownKeyId)) keys.set(ownKeyId, ownKey);
    const used = [...new Set(ledger.map((r) => String(r[11])))].sort().map((id) => [id, keys.get(id) ?? null]);
    const schema = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all();
    // Which migrations the store says it has: a changed version number makes a migration run again over its own tables.
    const migrations = db.prepare('SELECT version FROM schema_migrations NOT INDEXED ORDER BY version').all();
    return { content: canonicalize({ ledger, tasks, used }) ?? '', schema: canonicalize({ schema, migrations }) ?? '' };
  } catch (err) {
    return { corrupt: (err as Error).message };
  } finally {
    db?.close();
  }
}

/** A repository with history worth tampering with: T-1 through VERIFY into REVIEW (Autopilot's own evidence), T-2 in SPEC after a backtrack. */
async function tamperRepo(): Promise<Repo> {
  const repo = await makeRepo();
  await repo.driveTo('T-1', 'REVIEW');
  await repo.driveTo('T-2', 'PLAN');
  await repo.fixture('T-2', async (engine, actor) => {
    const { backtrack } = await import('../../src/engine/task/backtrack.ts');
    const r = await backtrack(engine, actor, {
      taskId: 'T-2',
      to: 'SPEC',
      reason: 'tamper torture: an archive to tamper with',
    });
    assert.ok(r.ok);
  });
  return repo;
}

describe('tamper torture', () => {
  for (const seed of seedsFor('tamper-store'))
    it(
      `catches every single-byte change to the store that changes its meaning (${DB_TRIALS} trials) (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 240_000 },
      () =>
        withSeed(seed, 'torture/tamper', async () => {
          const random = mulberry32(seed);
          const repo = await tamperRepo();
          assert.ok(
            !existsSync(`${repo.dbFile}-wal`) || statSync(`${repo.dbFile}-wal`).size === 0,
            'the store is checkpointed: every byte is in the main file',
          );
          const e = await openRepoEngine(repo.dir);
          const own = { id: e.signer.keyId, pem: e.signer.publicKeyPem };
          assert.ok((await verifyLedger(e)).ok, 'the untouched store verifies');
          await closeEngine(e);
          const original = readFileSync(repo.dbFile);
          const base = meaning(repo.dbFile, own.id, own.pem);
          assert.ok('content' in base);
          const dir = tempDir('tamper');
          const tally = { none: 0, changed: 0, corrupt: 0, schema: 0 };
          const misses: string[] = [];
          let cli = 0;
          for (let t = 0; t < DB_TRIALS; t++) {
            const copy = join(dir, `trial-${t}.db`);
            const bytes = Buffer.from(original);
            const at = Math.floor(random() * bytes.length);
            const before = bytes[at]!;
            bytes[at] = random() < 0.5 ? before ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
            if (bytes[at] === before) bytes[at] = before ^ 0x01;
            writeFileSync(copy, bytes);
            const m = meaning(copy, own.id, own.pem);
            const cls =
              'corrupt' in m
                ? 'corrupt'
                : m.content !== base.content
                  ? 'changed'
                  : m.schema !== base.schema
                    ? 'schema'
                    : 'none';
            tally[cls]++;
            const what = `byte ${at} (page ${Math.floor(at / 4096) + 1}) ${before} → ${bytes[at]}, ${cls}${'corrupt' in m ? `: ${m.corrupt}` : ''} (seed ${seed})`;
            const verdict = await verifyWith(repo, copy);
            if (verdict.kind === 'crash') misses.push(`${what}: verify crashed: ${verdict.message}`);
            else if (cls === 'schema')
              continue; // the data is intact, the schema's text is not: a clear error or a pass, never a crash
            else if (cls === 'none' && verdict.kind !== 'ok')
              misses.push(`${what}: verify failed on a store whose meaning is intact: ${JSON.stringify(verdict)}`);
            else if (cls !== 'none' && verdict.kind === 'ok') misses.push(`${what}: verify passed`);
            else if (verdict.kind === 'problems' && verdict.named.length === 0)
              misses.push(`${what}: verify failed without naming anything`);
            // Some trials through the real binary, which must exit 3 (or 0 when nothing changed), print one JSON object, and no stack.
            if (cls !== 'none' && cli < CLI_SAMPLE) {
              cli++;
              writeFileSync(copy, bytes);
              const r = await run(['--json', '-C', repo.dir, 'ledger', 'verify'], {
                env: { AUTOPILOT_STORE: `sqlite:${copy}` },
              });
              const body = parseOne<{ ok: boolean; error?: { code: string; message: string } }>(r);
              if (r.code !== 3 || body.ok || body.error?.code !== 'LEDGER_TAMPERED')
                misses.push(`${what}: autopilot ledger verify exited ${r.code}: ${r.stdout.slice(0, 300)}`);
              if (/\n\s+at /.test(r.stdout + r.stderr))
                misses.push(`${what}: autopilot ledger verify printed a stack trace`);
            }
          }
          process.stdout.write(
            `# tamper torture, store: seed ${seed}, ${DB_TRIALS} flips: ${tally.none} changed no meaning, ${tally.changed} changed meaning, ${tally.corrupt} corrupt, ${tally.schema} changed the schema only; ${cli} through the binary\n`,
          );
          assert.deepEqual(misses, []);
          assert.ok(tally.changed > 0 && tally.none > 0, 'both kinds of change were tried');
        }),
    );

  for (const seed of seedsFor('tamper-evidence'))
    it(
      `names every sealed evidence file changed by one byte (${EVIDENCE_TRIALS} trials) (seed ${seed})`,
      { timeout: LONG ? 1_800_000 : 180_000 },
      () =>
        withSeed(seed, 'torture/tamper', async () => {
          const random = mulberry32(seed);
          const repo = await tamperRepo();
          const e = await openRepoEngine(repo.dir);
          try {
            // Sealed evidence: every file the ledger names but those of an active task's current phase, which is still
            // being written (the gate checks those when the phase is passed).
            const named = [
              ...new Set(
                (await e.store.listTasks()).flatMap((t) => {
                  const open = t.status === 'active' ? `evidence/${t.taskId}/${t.phase.toLowerCase()}/` : null;
                  return Object.values(t.artifacts)
                    .map((a) => a.path)
                    .filter((p) => !open || !p.startsWith(open));
                }),
              ),
            ].sort();
            assert.ok(
              named.some((p) => p.includes('/.stale/')) && named.some((p) => p.endsWith('test_results.json')),
              'archived and Autopilot-produced evidence is among the files',
            );
            const misses: string[] = [];
            for (let t = 0; t < EVIDENCE_TRIALS; t++) {
              const path = named[Math.floor(random() * named.length)]!;
              const abs = join(e.layout.stateDir, path);
              const original = readFileSync(abs);
              const bytes = Buffer.from(original);
              const at = Math.floor(random() * bytes.length);
              bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
              writeFileSync(abs, bytes);
              try {
                const report = await verifyLedger(e, { signatures: t % 10 === 0 });
                const hit = report.problems.some((p) => p.kind === 'evidence' && p.path === path);
                if (report.ok || !hit)
                  misses.push(
                    `${path} byte ${at}: ${report.ok ? 'verify passed' : `verify did not name it: ${JSON.stringify(report.problems)}`} (seed ${seed})`,
                  );
                if (t < CLI_SAMPLE / 2) {
                  const r = await repo.refused(['ledger', 'verify'], 'LEDGER_TAMPERED', 3);
                  if (!r.message.includes(path) && !JSON.stringify(r.details).includes(path))
                    misses.push(`${path}: autopilot ledger verify does not name it`);
                }
              } finally {
                writeFileSync(abs, original);
              }
            }
            assert.deepEqual(misses, []);
            assert.ok((await verifyLedger(e)).ok, 'restored, the evidence verifies again');
          } finally {
            await closeEngine(e);
          }
        }),
    );
});
