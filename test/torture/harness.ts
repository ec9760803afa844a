/**
 * @module What the torture tests share: worker processes whose output lines
 * are read as they come, and the invariants of a store after a crash: the
 * ledger verifies, every acknowledged write is there, every task's projection
 * is the fold of its entries, and the evidence folders hold nothing the ledger
 * does not account for.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { foldTask, type TaskState } from '../../src/core/task.ts';
import { phaseDir } from '../../src/core/phases.ts';
import { closeEngine, openEngine, type Engine } from '../../src/engine/context.ts';
import { verifyLedger, type LedgerReport } from '../../src/engine/ledger/verify.ts';
import { openStoreAt } from '../../src/surfaces/compose.ts';
import { ROOT, tempDir } from '../e2e/helpers.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

/** One line a worker printed: `<kind> <json>`. */
export interface WorkerLine {
  readonly kind: string;
  readonly value: Record<string, unknown>;
}

export interface Worker {
  readonly child: ChildProcess;
  readonly lines: WorkerLine[];
  /** Settles when the process is gone, with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves at the first line of `kind` (or when the process ends first). */
  first(kind: string): Promise<WorkerLine | undefined>;
  stderr(): string;
}

const bundles = new Map<string, Promise<string>>();

/**
 * A worker script bundled once per test process with esbuild (better-sqlite3 stays
 * in node_modules): a worker then starts in a fifth of the time that compiling
 * the TypeScript at every start takes, which matters when they are killed and
 * started again all the time.
 */
export function bundled(script: string): Promise<string> {
  let made = bundles.get(script);
  if (!made) {
    made = (async () => {
      const { build } = await import('esbuild');
      const src = fileURLToPath(new URL(script, import.meta.url));
      const dir = tempDir('worker');
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const outfile = join(dir, `${basename(script, '.ts')}.mjs`);
      await build({
        entryPoints: [src],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // Loaded from node_modules: the CycloneDX library's optional plug-ins (XML, schema validation) are not installed.
        external: ['better-sqlite3', '@cyclonedx/cyclonedx-library'],
        banner: {
          js: "import { createRequire as __tortureRequire } from 'node:module'; const require = __tortureRequire(import.meta.url);",
        },
        logLevel: 'error',
      });
      return outfile;
    })();
    bundles.set(script, made);
  }
  return made;
}

/** Starts a bundled worker script (see {@link bundled}), reading its stdout line by line. */
export async function startWorker(script: string, args: readonly string[]): Promise<Worker> {
  return startProcess(await bundled(script), args);
}

function startProcess(file: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: WorkerLine[] = [];
  const waiters: { kind: string; resolve: (l: WorkerLine | undefined) => void }[] = [];
  let buffer = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    buffer += b.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const space = text.indexOf(' ');
      const line = { kind: text.slice(0, space), value: JSON.parse(text.slice(space + 1)) as Record<string, unknown> };
      lines.push(line);
      for (const w of waiters.filter((x) => x.kind === line.kind)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve(undefined);
      resolve({ code, signal });
    });
  });
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    first(kind) {
      const found = lines.find((l) => l.kind === kind);
      if (found || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ kind, resolve }));
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens the engine of a repository on its SQLite file. */
export function openRepoEngine(dir: string): Promise<Engine> {
  return openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: (layout) => openStoreAt({ kind: 'sqlite', file: layout.dbFile }),
  });
}

/** An acknowledged write: the entry a worker saw committed. */
export interface Ack {
  readonly seq: number;
  readonly hash: string;
  readonly who: string;
}

/**
 * The invariants after a crash, on a quiet store: `ledger verify` passes, every
 * acknowledged entry is there with its hash, each task's stored projection is
 * exactly the fold of its entries, and every file under a task's evidence folder
 * is accounted for by the ledger (a live or archived artifact it names), except
 * uncommitted files of the task's current phase and, with `allowLinks`, hard links
 * to named files that an archive interrupted by a crash left (see {@link strays}).
 */
export async function assertStoreInvariants(
  engine: Engine,
  acks: Iterable<Ack>,
  what: string,
  allowLinks = true,
): Promise<LedgerReport> {
  const report = await verifyLedger(engine);
  assert.deepEqual(report.problems, [], `${what}: ledger verify`);
  const bySeq = new Map((await engine.store.entries()).map((x) => [x.seq, x]));
  for (const a of acks)
    assert.equal(
      bySeq.get(a.seq)?.hash,
      a.hash,
      `${what}: entry ${a.seq} acknowledged to ${a.who} must be in the ledger with its hash`,
    );
  for (const task of await engine.store.listTasks()) {
    const entries = [...bySeq.values()].filter((x) => x.taskId === task.taskId);
    assert.equal(
      canonicalize(task),
      canonicalize(foldTask(entries)),
      `${what}: the projection of ${task.taskId} is the fold of its entries`,
    );
    const unexplained = strays(engine, task).filter((x) => !(allowLinks && x.link));
    assert.deepEqual(
      unexplained,
      [],
      `${what}: files under the evidence folder of ${task.taskId} that the ledger does not account for`,
    );
  }
  return report;
}

function files(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const abs = join(dir, name);
    if (lstatSync(abs).isDirectory()) out.push(...files(abs));
    else out.push(abs);
  }
  return out;
}

/** A file under a task's evidence folder that its projection does not name. */
export interface Stray {
  readonly path: string;
  /** True when it is a hard link to a file the projection names: left by an archive around a crash. */
  readonly link: boolean;
}

/**
 * Files under `evidence/<task>/` that the task's projection does not name, leaving
 * out what is accounted for otherwise: files of the current phase's folder (a put
 * or a producer that did not commit writes there, and the gate reads it as any
 * file there) unless they are links to an archived copy, and hidden temp files.
 */
export function strays(engine: Engine, task: TaskState): Stray[] {
  const stateDir = engine.layout.stateDir;
  const root = join(engine.layout.evidenceDir, task.taskId);
  const named = new Set<string>();
  for (const a of Object.values(task.artifacts)) {
    try {
      named.add(String(statSync(join(stateDir, a.path)).ino));
    } catch {
      // missing: ledger verify reports it
    }
  }
  const current = join(root, phaseDir(task.phase)) + sep;
  const out: Stray[] = [];
  for (const abs of files(root)) {
    const rel = relative(stateDir, abs).split(sep).join('/');
    if (task.artifacts[rel] || (abs.split(sep).pop() ?? '').startsWith('.')) continue;
    const link = named.has(String(statSync(abs).ino));
    if (abs.startsWith(current) && !link) continue;
    out.push({ path: rel, link });
  }
  return out;
}

export { closeEngine };
