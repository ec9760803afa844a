/**
 * @module End-to-end helpers: throw-away git repositories with a tiny node
 * project (the demo's), the real `autopilot` binary spawned against them, its
 * JSON output parsed, and the SQLite ledger read straight from the file.
 *
 * Fixtures (a task already in IMPLEMENT, say) are set up in-process through the
 * engine, which is much faster than one CLI process per step; what a test
 * asserts on always goes through the binary.
 */
import '../helpers/state-home.ts';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { BuildOptions } from 'esbuild';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Actor, Engine } from '../../src/engine/context.ts';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { applyInit, planInit } from '../../src/engine/setup/init.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { runVerify } from '../../src/engine/task/verify.ts';
import { leaseOp } from '../../src/engine/task/leases.ts';
import type { DecisionDraft } from '../../src/engine/approvals/passkeys.ts';
import { decideSoft, registerSoft, type SoftPasskey } from '../helpers/passkey.ts';
import { openStoreFor } from '../../src/surfaces/compose.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { ensurePrivateDir, userStateFor, type UserStateLayout } from '../../src/engine/repo/user-state.ts';
import { evidenceFor, type Evidence } from '../helpers/evidence.ts';
import { removeOnExit } from '../helpers/remove-on-exit.ts';

export { P };

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'autopilot.js');
/** The development entry: the command line from the TypeScript sources, through tsx (bin/autopilot.js runs only dist/). */
export const DEV_BIN = join(ROOT, 'scripts', 'autopilot-dev.js');
export const PHASES = [
  'STRATEGIZE',
  'SPEC',
  'PLAN',
  'THINK',
  'IMPLEMENT',
  'VERIFY',
  'REVIEW',
  'PR',
  'MONITOR',
] as const;

const KEEP = process.env['AUTOPILOT_E2E_KEEP'] === '1';
let base: string | undefined;

/** A fresh temporary folder, removed when the test process exits (unless AUTOPILOT_E2E_KEEP=1). */
export function tempDir(prefix = 'repo'): string {
  if (!base) {
    base = mkdtempSync(join(tmpdir(), 'autopilot-e2e-'));
    const root = base;
    if (!KEEP) removeOnExit(root);
  }
  return mkdtempSync(join(base, `${prefix}-`));
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'E2E',
  GIT_AUTHOR_EMAIL: 'e2e@example.com',
  GIT_COMMITTER_NAME: 'E2E',
  GIT_COMMITTER_EMAIL: 'e2e@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function writeFile(root: string, rel: string, content: string | Uint8Array): string {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}

/** The commands of the demo project: build, tests with JUnit and lcov, lint, CI and smoke. */
export const COMMANDS = {
  build: { run: [process.execPath, 'scripts/build.js'], timeoutSeconds: 60, env: [] },
  test: { ...P.TEST_COMMAND, env: [] },
  lint: { run: [process.execPath, 'scripts/lint.js'], timeoutSeconds: 60, env: [] },
  ci: [{ name: 'build', run: [process.execPath, 'scripts/build.js'], timeoutSeconds: 60, env: [] }],
  smoke: [{ name: 'load and call', run: [process.execPath, 'scripts/smoke.js'], timeoutSeconds: 60, env: [] }],
};

/** A git repository holding the demo project, committed, without Autopilot. */
export function makeProject(dir = tempDir('project')): string {
  for (const [rel, content] of Object.entries(P.PROJECT_FILES)) writeFile(dir, rel, content);
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'textkit: slugify']);
  return dir;
}

let template: Promise<string> | undefined;

/** One initialised repository per test process; every test works on a copy. */
function initialisedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = makeProject(tempDir('template'));
    const plan = await planInit(dir, { commands: COMMANDS });
    if (!plan.ok) throw new Error(plan.error.message);
    await applyInit(plan.value, openStoreFor);
    // As a team would: the config and the .gitignore lines are committed, so a task's diff holds its own changes only.
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'autopilot init']);
    return dir;
  })();
  return template;
}

export interface RepoOptions {
  /** The repository's CLI runs go ahead of the queue. */
  readonly urgent?: boolean;
  /** Changes to the parsed config.yaml (a plain object), applied before the copy is used. */
  readonly config?: (config: Record<string, unknown>) => void;
}

/**
 * Copies a repository's per-user state (its key pair, approval token and anchored head) to another repository's, as
 * a person who copies a repository together with their state folder would: the copy is the same installation.
 */
export function copyUserState(fromRoot: string, toRoot: string): void {
  const from = userStateFor(fromRoot);
  const to = userStateFor(toRoot);
  if (!existsSync(from.dir)) return;
  ensurePrivateDir(to);
  cpSync(from.dir, to.dir, {
    recursive: true,
    // The daemon's socket and secret belong to the daemon of the other repository.
    filter: (src) => src !== from.daemonSocket && src !== from.daemonSecretFile && !src.endsWith('.starting'),
  });
}

/** A copy of the initialised template: a git repository with the demo project and `.autopilot/`, and its user state. */
export async function makeRepo(opts: RepoOptions = {}): Promise<Repo> {
  const src = await initialisedTemplate();
  const dir = tempDir('repo');
  cpSync(src, dir, { recursive: true, verbatimSymlinks: true });
  copyUserState(src, dir);
  const repo = new Repo(dir, opts.urgent);
  if (opts.config) repo.editConfig(opts.config);
  return repo;
}

// ---------------------------------------------------------------------------
// Running the binary

let program: Promise<string> | undefined;

/**
 * The `bin/autopilot.js` every run spawns. By default, a throw-away copy of the
 * package in built form: the real bin script and package.json, and
 * dist/surfaces/cli/main.js (and the hook entry) bundled with esbuild from the current sources
 * (the bin script runs dist/ when it is there, as an installed package does;
 * only the native better-sqlite3 stays in node_modules). A run then costs a
 * third of what compiling the TypeScript at every start-up does, which is what
 * keeps the suite near a minute on two cores. AUTOPILOT_E2E_SOURCE=1 spawns the
 * development entry scripts/autopilot-dev.js, which runs the sources through tsx (demo.test.ts always does).
 */
export function binary(): Promise<string> {
  if (process.env['AUTOPILOT_E2E_SOURCE'] === '1') return Promise.resolve(DEV_BIN);
  program ??= (async () => {
    const pkg = tempDir('package');
    mkdirSync(join(pkg, 'bin'));
    copyFileSync(BIN, join(pkg, 'bin', 'autopilot.js'));
    copyFileSync(join(ROOT, 'bin', 'autopilot-hook'), join(pkg, 'bin', 'autopilot-hook'));
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    const { build } = await import('esbuild');
    const options: BuildOptions = {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // The CycloneDX library's optional plug-ins (XML, schema validation) are not installed: it loads from node_modules.
      external: ['better-sqlite3', '@cyclonedx/cyclonedx-library'],
      // Bundled CommonJS dependencies load node's built-ins with require().
      banner: {
        js: "import { createRequire as __e2eCreateRequire } from 'node:module'; const require = __e2eCreateRequire(import.meta.url);",
      },
      logLevel: 'error',
      plugins: [
        {
          // A module that is not there (work in progress elsewhere in the tree) fails when it is
          // loaded, as it would under tsx, instead of failing the whole build.
          name: 'missing-modules-fail-late',
          setup(b) {
            b.onResolve({ filter: /^\.\.?\// }, (args) => {
              if (!args.importer.startsWith(join(ROOT, 'src'))) return undefined; // packages resolve their own way
              const path = resolve(args.resolveDir, args.path);
              return existsSync(path) ? undefined : { path, external: true };
            });
          },
        },
      ],
    };
    // The command line: each verb (imported lazily by main.ts) and what only it needs in chunks of their own,
    // so that a run parses the code of its verb, not of all of them.
    await build({
      ...options,
      entryPoints: { 'surfaces/cli/main': join(ROOT, 'src', 'surfaces', 'cli', 'main.ts') },
      outdir: join(pkg, 'dist'),
      splitting: true,
      chunkNames: 'surfaces/cli/[name]-[hash]',
    });
    // The dashboard reads its style sheet and browser script from assets/ beside the module that reads them, which
    // the bundle puts among the command line's chunks (npm run build copies them beside dist/surfaces/http/ instead).
    cpSync(join(ROOT, 'src', 'surfaces', 'http', 'assets'), join(pkg, 'dist', 'surfaces', 'cli', 'assets'), {
      recursive: true,
    });
    // The hook entry, as bin/autopilot.js routes `autopilot hook …` to it: its heavy parts in chunks of their own, loaded only when used.
    await build({
      ...options,
      entryPoints: { 'surfaces/hooks/entry': join(ROOT, 'src', 'surfaces', 'hooks', 'entry.ts') },
      outdir: join(pkg, 'dist'),
      splitting: true,
      chunkNames: 'surfaces/hooks/[name]-[hash]',
    });
    return join(pkg, 'bin', 'autopilot.js');
  })();
  return program;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface JsonResult<T = Record<string, unknown>> extends CliResult {
  /** The one JSON object stdout held. */
  readonly body: T;
}

export interface ErrorBody {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> };
}

// Each run is a node process that compiles TypeScript: limit how many run at once.
const slots = Math.max(2, availableParallelism() + 1);
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
  // An urgent run (a long sequential scenario) goes ahead of the queue, so the longest chain is not the one that waits.
  if (running >= slots + (urgent ? 1 : 0))
    await new Promise<void>((r) => (urgent ? waiting.unshift(r) : waiting.push(r)));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export interface RunOptions {
  /** Working directory of the process (default: this repository's folder). */
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  readonly input?: string;
  /** Goes ahead of the queue of runs waiting for a slot. */
  readonly urgent?: boolean;
  /** The bin script to run (default: {@link binary}). */
  readonly bin?: string;
}

/** Runs `node bin/autopilot.js …args` and collects its output. */
export async function run(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const bin = opts.bin ?? (await binary());
  return slot(
    () =>
      new Promise<CliResult>((resolvePromise, reject) => {
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env })) {
          if (v !== undefined && !k.startsWith('AUTOPILOT_') && !k.startsWith('NODE_TEST') && k !== 'CI') env[k] = v;
        }
        // Autopilot's own variables, and CI (the gate's CI mode), only when the test sets them.
        for (const [k, v] of Object.entries(opts.env ?? {}))
          if ((k.startsWith('AUTOPILOT_') || k === 'CI') && v !== undefined) env[k] = v;
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: opts.cwd ?? ROOT,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', reject);
        child.on('close', (code, signal) =>
          resolvePromise({
            code: code ?? (signal ? 128 : -1),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          }),
        );
        // A command that leaves before it read its input must not turn into an uncaught EPIPE here.
        child.stdin.on('error', () => {});
        child.stdin.end(opts.input ?? '');
      }),
    opts.urgent,
  );
}

/** Parses stdout that must be exactly one JSON object on one line. */
export function parseOne<T = Record<string, unknown>>(r: CliResult): T {
  const { stdout } = r;
  assert.ok(
    stdout.endsWith('\n'),
    `stdout must end with a newline: ${JSON.stringify(stdout.slice(-200))}\nstderr: ${r.stderr.slice(0, 2000)}`,
  );
  assert.equal(stdout.indexOf('\n'), stdout.length - 1, `stdout must be exactly one line: ${stdout.slice(0, 2000)}`);
  const body = JSON.parse(stdout) as unknown;
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), 'stdout must be a JSON object');
  return body as T;
}

/** Parses JSON lines (ledger export): every line one JSON object. */
export function parseLines<T = Record<string, unknown>>(stdout: string): T[] {
  if (stdout === '') return [];
  assert.ok(stdout.endsWith('\n'), 'JSONL output ends with a newline');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

// ---------------------------------------------------------------------------
// A repository under test

export interface LedgerRow {
  readonly seq: number;
  readonly hash: string;
  readonly prevHash: string;
  readonly taskId: string | null;
  readonly kind: string;
  readonly fromPhase: string | null;
  readonly toPhase: string | null;
  readonly actor: string;
  readonly artifacts: { path: string; sha256: string; producer: string }[];
  readonly data: Record<string, unknown>;
  readonly ts: string;
  readonly keyId: string;
  readonly signature: string;
}

export interface TaskRow {
  readonly taskId: string;
  readonly status: string;
  readonly phase: string;
  readonly phaseEpoch: number;
  readonly lastSeq: number;
  readonly artifacts: Record<string, { path: string; sha256: string; producer: string; seq: number }>;
  readonly counts: { refusals: number; backtracks: number; skips: number };
  readonly contract?: { digest: string; path: string | null; version: number };
}

export class Repo {
  /** The passkey of this repository's person, registered at its first decision. */
  #person: SoftPasskey | undefined;

  /** `urgent`: this repository's runs go ahead of the queue (for the long sequential scenario). */
  constructor(
    readonly dir: string,
    readonly urgent = false,
  ) {}

  get stateDir(): string {
    return join(this.dir, '.autopilot');
  }
  get evidenceDir(): string {
    return join(this.stateDir, 'evidence');
  }
  get dbFile(): string {
    return join(this.stateDir, 'autopilot.db');
  }
  /** The repository's folder in the per-user state (this test process's XDG_STATE_HOME): keys, token, anchor. */
  get userState(): UserStateLayout {
    return userStateFor(this.dir);
  }
  get configFile(): string {
    return join(this.stateDir, 'config.yaml');
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** The evidence folder of a task's phase. */
  phaseDir(taskId: string, phase: string): string {
    return join(this.evidenceDir, taskId, phase.toLowerCase());
  }

  write(rel: string, content: string | Uint8Array): string {
    return writeFile(this.dir, rel, content);
  }

  editConfig(edit: (config: Record<string, unknown>) => void): void {
    const config = parseYaml(readFileSync(this.configFile, 'utf8')) as Record<string, unknown>;
    edit(config);
    writeFileSync(this.configFile, stringifyYaml(config, { lineWidth: 0 }));
  }

  /** `autopilot -C <repo> …args`, in plain text mode. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
    return run(['-C', this.dir, ...args], { urgent: this.urgent, ...opts });
  }

  /** `autopilot --json -C <repo> …args`: stdout must be exactly one JSON object. */
  async json<T = Record<string, unknown>>(args: readonly string[], opts: RunOptions = {}): Promise<JsonResult<T>> {
    const r = await run(['--json', '-C', this.dir, ...args], { urgent: this.urgent, ...opts });
    return { ...r, body: parseOne<T>(r) };
  }

  /** Runs a command that must succeed (exit 0, `ok: true`) and returns its body. */
  async ok<T = Record<string, unknown>>(args: readonly string[], opts: RunOptions = {}): Promise<T> {
    const r = await this.json<T & { ok: boolean }>(args, opts);
    assert.equal(r.code, 0, `autopilot ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    assert.equal(r.body.ok, true);
    return r.body;
  }

  /** Runs a command that must be refused with `code` and exit code `exit`; returns the error. */
  async refused(
    args: readonly string[],
    code: string,
    exit: number,
    opts: RunOptions = {},
  ): Promise<ErrorBody['error']> {
    const r = await this.json<ErrorBody>(args, opts);
    assert.equal(r.body.ok, false, `autopilot ${args.join(' ')} should be refused: ${r.stdout}`);
    assert.equal(r.body.error.code, code, `autopilot ${args.join(' ')}: ${r.body.error.message}`);
    assert.equal(r.code, exit, `exit code of autopilot ${args.join(' ')}`);
    assert.equal(typeof r.body.error.message, 'string');
    assert.ok(r.body.error.message.length > 0);
    assert.equal(typeof r.body.error.details, 'object');
    return r.body.error;
  }

  // -- the store, read straight from the SQLite file

  private db<T>(fn: (db: Database.Database) => T, readonly = true): T {
    const db = new Database(this.dbFile, { readonly, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  ledger(taskId?: string): LedgerRow[] {
    return this.db((db) =>
      (
        db
          .prepare(`SELECT * FROM ledger ${taskId ? 'WHERE task_id = ?' : ''} ORDER BY seq`)
          .all(...(taskId ? [taskId] : [])) as {
          seq: number;
          hash: string;
          prev_hash: string;
          task_id: string | null;
          kind: string;
          from_phase: string | null;
          to_phase: string | null;
          actor: string;
          artifacts: string;
          data: string;
          ts: string;
          key_id: string;
          signature: string;
        }[]
      ).map((r) => ({
        seq: r.seq,
        hash: r.hash,
        prevHash: r.prev_hash,
        taskId: r.task_id,
        kind: r.kind,
        fromPhase: r.from_phase,
        toPhase: r.to_phase,
        actor: r.actor,
        artifacts: JSON.parse(r.artifacts) as LedgerRow['artifacts'],
        data: JSON.parse(r.data) as Record<string, unknown>,
        ts: r.ts,
        keyId: r.key_id,
        signature: r.signature,
      })),
    );
  }

  /** The ledger head: the last entry's seq and hash, or null for an empty ledger. */
  head(): { seq: number; hash: string } | null {
    return this.db(
      (db) =>
        (db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1').get() as
          { seq: number; hash: string } | undefined) ?? null,
    );
  }

  task(taskId: string): TaskRow | undefined {
    return this.db((db) => {
      const row = db.prepare('SELECT state FROM tasks WHERE task_id = ?').get(taskId) as { state: string } | undefined;
      return row ? (JSON.parse(row.state) as TaskRow) : undefined;
    });
  }

  /** Runs SQL on the store with write access (for tampering); `schema` lets it rewrite `sqlite_master` too. */
  sql(statements: string, opts: { schema?: boolean } = {}): void {
    this.db((db) => {
      if (opts.schema) db.unsafeMode(true);
      db.exec(statements);
    }, false);
  }

  /**
   * Every file and symlink of the repository: relative path → sha256 (or
   * `-> symlink`). Left out: `.git`, the store, and the logs that record every
   * decision, refusals included, as the ledger does (telemetry, the journal).
   */
  snapshot(): Map<string, string> {
    const out = new Map<string, string>();
    // The atlas is a cache of the code's graph, rebuilt from the code whenever a check needs it.
    const skip = new Set([
      '.git',
      join('.autopilot', 'telemetry'),
      join('.autopilot', 'journal'),
      join('.autopilot', 'atlas'),
    ]);
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        const abs = join(dir, name);
        const rel = relative(this.dir, abs);
        if (skip.has(rel) || rel.startsWith(join('.autopilot', 'autopilot.db'))) continue;
        const st = lstatSync(abs);
        if (st.isSymbolicLink()) out.set(rel, '-> symlink');
        else if (st.isDirectory()) walk(abs);
        else out.set(rel, createHash('sha256').update(readFileSync(abs)).digest('hex'));
      }
    };
    walk(this.dir);
    return out;
  }

  /**
   * Runs a command that must be refused, and checks that it changed nothing: no file of the
   * repository, nor the task's phase, status or recorded artifacts. With `violation` the refusal
   * must be the ledger's `violation` entry `details.seq`, with the code; without, the ledger must
   * not grow at all.
   */
  async refusedUnchanged(
    args: readonly string[],
    code: string,
    exit: number,
    opts: { taskId?: string; violation: boolean; run?: RunOptions },
  ): Promise<ErrorBody['error']> {
    const files = this.snapshot();
    const task = opts.taskId ? this.task(opts.taskId) : undefined;
    const head = this.head();
    const error = await this.refused(args, code, exit, opts.run);
    assertSameFiles(files, this.snapshot(), `the repository after autopilot ${args.join(' ')}`);
    if (opts.taskId) {
      const after = this.task(opts.taskId);
      assert.equal(after?.status, task?.status, 'the task status must not change');
      assert.equal(after?.phase, task?.phase, 'the task phase must not change');
      assert.equal(after?.phaseEpoch, task?.phaseEpoch, 'the task must not re-enter its phase');
      assert.deepEqual(after?.artifacts, task?.artifacts, "the task's recorded artifacts must not change");
    }
    if (opts.violation) {
      const seq = error.details['seq'];
      assert.equal(typeof seq, 'number', 'the refusal names the ledger entry that records it');
      const entry = this.ledger().find((e) => e.seq === seq);
      assert.equal(entry?.kind, 'violation');
      assert.equal(entry.data['code'], code);
      assert.equal(entry.taskId, opts.taskId ?? null);
      assert.deepEqual(entry.artifacts, []);
    } else {
      assert.deepEqual(this.head(), head, 'the ledger must not grow');
      assert.equal(error.details['seq'], undefined);
    }
    return error;
  }

  // -- fixtures through the engine, in-process

  async withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    const e = await openEngine({ runner: new ProcessRunner(), cwd: this.dir, openStore: openStoreFor });
    try {
      return await fn(e);
    } finally {
      await closeEngine(e);
    }
  }

  /**
   * Starts `taskId` (unless it exists) and takes it forward, in-process, until
   * it is in `phase`, writing the task's evidence and the fixed wordCount. The evidence is the demo's write-up of
   * wordCount as this task would word it (see test/helpers/evidence.ts), unless `opts.evidence` gives the task's own.
   */
  async driveTo(
    taskId: string,
    phase: (typeof PHASES)[number] | 'DONE',
    opts: { buggy?: boolean; evidence?: Evidence } = {},
  ): Promise<void> {
    await this.fixture(taskId, (engine, actor) =>
      this.drive(engine, actor, taskId, phase, opts.buggy ?? false, opts.evidence),
    );
  }

  /** Puts evidence in-process, as the fixture's actor; the review rubric as the fixture's reviewer (REVIEWER_ACTOR). */
  async put(taskId: string, phase: string, name: string, content: string): Promise<void> {
    const review = phase === 'REVIEW' && name === 'review_rubric.json';
    await this.fixture(
      taskId,
      async (engine, actor) =>
        void must(
          await putEvidence(engine, review ? REVIEWER_ACTOR : actor, {
            taskId,
            phase,
            name,
            content: Buffer.from(content),
          }),
          `put ${name}`,
        ),
    );
  }

  /**
   * A person's decision, in-process as the dashboard records it: signed with the passkey of `person:tester`
   * (a software authenticator, registered on first use).
   */
  async decide(draft: DecisionDraft): ReturnType<typeof decideSoft> {
    return this.withEngine(async (engine) => {
      this.#person ??= await registerSoft(engine, 'tester');
      return decideSoft(engine, this.#person, draft);
    });
  }

  /** A person adopts the config as it is now as the task's contract (after it changed mid-task); it must succeed. */
  async adoptConfig(taskId: string, reason = 'the config was fixed on purpose'): Promise<void> {
    must(await this.decide({ taskId, decision: 'adopt_contract', note: reason }), 'adopt the contract');
  }

  /** Runs VERIFY's commands in-process; the run must pass. */
  async verify(taskId: string): Promise<void> {
    await this.fixture(
      taskId,
      async (engine, actor) => void must(await runVerify(engine, actor, { taskId }), 'verify'),
    );
  }

  /** Runs `fn` on the engine as the fixture's actor, then releases the lease it took, leaving the task free for the CLI. */
  async fixture<T>(taskId: string, fn: (engine: Engine, actor: Actor) => Promise<T>): Promise<T> {
    return this.withEngine(async (engine) => {
      try {
        return await fn(engine, FIXTURE_ACTOR);
      } finally {
        const lease = await engine.store.getLease(taskId);
        if (lease && lease.holder === FIXTURE_ACTOR.holder && Date.parse(lease.expiresAt) > Date.now())
          await leaseOp(engine, FIXTURE_ACTOR, 'release', { taskId });
      }
    });
  }

  private async drive(
    engine: Engine,
    actor: Actor,
    taskId: string,
    phase: string,
    buggy: boolean,
    own?: Evidence,
  ): Promise<void> {
    if (!(await engine.store.getTask(taskId)))
      must(await startTask(engine, actor, { taskId, title: 'fixture task' }), 'start');
    // Each task of the repository writes its own evidence: a copy of an earlier task's is refused (copied-text).
    const evidence = own ?? evidenceFor(await taskIndex(engine, taskId));
    const put = async (p: string, name: string, content: string) =>
      must(await putEvidence(engine, actor, { taskId, phase: p, name, content: Buffer.from(content) }), `put ${name}`);
    for (;;) {
      const state = (await engine.store.getTask(taskId))!;
      if (state.status === 'done' || state.phase === phase) return;
      switch (state.phase) {
        case 'IMPLEMENT':
          this.write('src/count.js', buggy ? P.COUNT_BUGGY : P.COUNT_FIXED);
          this.write('test/count.test.js', P.COUNT_TEST);
          break;
        case 'VERIFY':
          must(await runVerify(engine, actor, { taskId }), 'verify');
          break;
        case 'REVIEW':
          // REVIEW is not self-review: a second session, in the reviewer role, writes the rubric.
          for (const [name, content] of evidence[state.phase] ?? [])
            must(
              await putEvidence(engine, REVIEWER_ACTOR, {
                taskId,
                phase: state.phase,
                name,
                content: Buffer.from(content),
              }),
              `review ${name}`,
            );
          break;
        default:
          for (const [name, content] of evidence[state.phase] ?? []) await put(state.phase, name, content);
      }
      must(await advance(engine, actor, { taskId }), `advance from ${state.phase}`);
    }
  }
}

/** Where `taskId` stands among the repository's tasks in the order they started (0 for the first). */
export async function taskIndex(engine: Engine, taskId: string): Promise<number> {
  const tasks = await engine.store.listTasks();
  const mine = tasks.find((t) => t.taskId === taskId);
  if (!mine) return tasks.length;
  return tasks.filter((t) => t.startedAt < mine.startedAt || (t.startedAt === mine.startedAt && t.taskId < mine.taskId))
    .length;
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string): T {
  if (!r.ok) throw new Error(`fixture: ${what} refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

let sources: string | undefined;
/** Writes a source file for `evidence add` outside every repository; returns its absolute path. */
export function sourceFile(name: string, content: string | Uint8Array): string {
  sources ??= tempDir('sources');
  return writeFile(mkdtempSync(join(sources, 'f-')), name, content);
}

/** The fixture's actor; its lease holder is the same id the CLI gets with `--holder fixture`. */
export const FIXTURE_ACTOR: Actor = { id: 'fixture', holder: 'fixture' };

/** The fixture's reviewer: a second hand in the reviewer role, as the CLI is with `--holder reviewer-1 --role reviewer`. */
export const REVIEWER_ACTOR: Actor = { id: 'fixture-reviewer', holder: 'reviewer-1', role: 'reviewer' };

/** Asserts the ledger holds a `violation` entry for `taskId` with `code`, after `afterSeq`; returns it. */
export function assertViolation(repo: Repo, taskId: string, code: string, afterSeq: number): LedgerRow {
  const found = repo.ledger(taskId).filter((e) => e.seq > afterSeq && e.kind === 'violation');
  assert.ok(found.length > 0, `a violation entry for ${taskId} after seq ${afterSeq}`);
  const last = found[found.length - 1]!;
  assert.equal(last.data['code'], code, `the violation's code`);
  assert.deepEqual(last.artifacts, []);
  return last;
}

/** Asserts the two snapshots are equal, naming the first difference. */
export function assertSameFiles(
  before: Map<string, string>,
  after: Map<string, string>,
  what = 'the state folder',
): void {
  const changed: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) changed.push(`${before.has(k) ? 'changed' : 'added'} ${k}`);
  for (const k of before.keys()) if (!after.has(k)) changed.push(`removed ${k}`);
  assert.deepEqual(changed, [], `${what} must not change`);
}
