/**
 * @module The dashboard at scale: a store of many tasks and ledger entries, written quickly through the engine's own
 * signed append in large transactions, then the task list, a task's page and the time from a new entry's commit to
 * its `head` event on an open page's stream, each in three runs. Run alone with `node --import tsx bench/dashboard.ts`
 * (BENCH_QUICK=1: a tenth of the store; DASHBOARD_TASKS and DASHBOARD_ENTRIES set the size; DASHBOARD_STORE=postgres
 * on a throw-away PostgreSQL server; DASHBOARD_FILLED=<repository> a SQLite store filled before).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EntryDraft } from '../src/core/ledger.ts';
import { closeEngine, openEngine, type Engine } from '../src/engine/context.ts';
import { append } from '../src/engine/ledger/record.ts';
import { applyInit, planInit } from '../src/engine/setup/init.ts';
import { noopSink } from '../src/ports/events.ts';
import { openStoreAt, openStoreFor, spanReaderFor } from '../src/surfaces/compose.ts';
import type { Store } from '../src/ports/store.ts';
import { findPgBin, startPostgres } from '../test/helpers/postgres.ts';
import { serveDashboard } from '../src/surfaces/http/server.ts';
import { SqliteStore } from '../src/adapters/sqlite/index.ts';
import { inRounds, percentile, table, type Stats } from './stats.ts';

/** Tasks moved at once, whose entries interleave in the ledger as those of agents working side by side do. */
const IN_FLIGHT = 100;
/** Entries a transaction of the fill appends. */
const BATCH = 5000;

async function repository(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-dashboard-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b' };
  const git = { ...env, GIT_COMMITTER_EMAIL: 'b@b' };
  execFileSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env: git });
  const plan = await planInit(dir);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  return dir;
}

/**
 * The `r`-th entry of task number `k` of `perTask`: its start, a walk through the phases with an artifact each, then
 * evidence, refused tool calls and leases; the last one finishes most tasks (done), aborts a few and leaves one in
 * fifty active.
 */
function draftFor(engine: Engine, k: number, r: number, perTask: number): EntryDraft {
  const taskId = `T-${k + 1}`;
  const phases = engine.config.phases;
  const base = { taskId, fromPhase: null, toPhase: null, actor: 'agent:bench', artifacts: [], data: {} };
  if (r === 0)
    return {
      ...base,
      kind: 'task_started',
      toPhase: phases[0]!,
      data: { title: `Task ${k + 1}: ${['login redirect', 'word count', 'cache eviction', 'retry policy'][k % 4]}` },
    };
  const walk = Math.min(phases.length - 1, perTask - 2);
  if (r <= walk)
    return {
      ...base,
      kind: 'transition',
      fromPhase: phases[r - 1]!,
      toPhase: phases[r]!,
      artifacts: [{ path: `evidence/${taskId}/p${r}/note.md`, sha256: 'a'.repeat(64), producer: 'agent' }],
    };
  if (r === perTask - 1 && k % 50 !== 0)
    return k % 33 === 0
      ? { ...base, kind: 'task_aborted', data: { reason: 'bench' } }
      : { ...base, kind: 'transition', fromPhase: phases[walk]!, toPhase: phases[walk]!, data: { status: 'done' } };
  switch (r % 3) {
    case 0:
      return {
        ...base,
        kind: 'evidence',
        artifacts: [{ path: `evidence/${taskId}/extra/${r}.md`, sha256: 'b'.repeat(64), producer: 'agent' }],
      };
    case 1:
      return {
        ...base,
        kind: 'tool_blocked',
        data: { tool: 'Edit', code: 'TOOL_NOT_ALLOWED_IN_PHASE', phase: phases[walk]! },
      };
    default:
      return { ...base, kind: 'lease', data: { action: 'renew', holder: 'agent:bench' } };
  }
}

/**
 * Fills the store of `engine` with `tasks` tasks of `perTask` signed entries each; entries per second. `open` opens
 * another connection to the store (default: the repository's own).
 */
export async function fillDashboard(
  engine: Engine,
  tasks: number,
  perTask: number,
  open: () => Promise<Store> = () => openStoreFor(engine.layout, engine.config),
): Promise<number> {
  const t0 = performance.now();
  // The store without the decision journal, which would time a million journal lines rather than the ledger.
  const store = await open();
  const filler: Engine = { ...engine, store };
  let pending: EntryDraft[] = [];
  const flush = async () => {
    const drafts = pending;
    pending = [];
    await store.transact(async (tx) => {
      for (const d of drafts) await append(filler, tx, d);
    });
  };
  try {
    for (let first = 0; first < tasks; first += IN_FLIGHT)
      for (let r = 0; r < perTask; r++)
        for (let k = first; k < Math.min(tasks, first + IN_FLIGHT); k++) {
          pending.push(draftFor(engine, k, r, perTask));
          if (pending.length >= BATCH) await flush();
        }
    if (pending.length) await flush();
  } finally {
    await store.close();
  }
  return ((tasks * perTask) / (performance.now() - t0)) * 1000;
}

function stats(name: string, samples: number[], note: string): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    name,
    n: samples.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    throughput: (samples.length / total) * 1000,
    note,
  };
}

/** Reads the `head` events of the dashboard's stream at `url` and resolves each wanted sequence number's wait. */
class HeadStream {
  readonly #waiting = new Map<number, () => void>();
  #seen = 0;
  readonly #abort = new AbortController();

  async open(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.#abort.signal, headers: { accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let first!: () => void;
    const opened = new Promise<void>((r) => (first = r));
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (!/^event: head$/m.test(event) || !data) continue;
          this.#seen = Math.max(this.#seen, (JSON.parse(data) as { seq: number }).seq);
          first();
          for (const [seq, done] of this.#waiting)
            if (seq <= this.#seen) {
              this.#waiting.delete(seq);
              done();
            }
        }
      }
    })();
    await opened;
  }

  /** Resolves when the stream has told of entry `seq`. */
  until(seq: number): Promise<void> {
    if (seq <= this.#seen) return Promise.resolve();
    return new Promise((r) => this.#waiting.set(seq, r));
  }

  close(): void {
    this.#abort.abort();
  }
}

/** Where the dashboard's store lives: the repository's SQLite file, or a throw-away PostgreSQL server on this machine. */
export type DashboardStore = 'sqlite' | 'postgres';

/**
 * The three dashboard rows over a store of `tasks` tasks and `tasks × perTask` entries, each run `n` times a round,
 * with the CPU time of the server's process per request beside the wall time.
 */
export async function benchDashboard(
  tasks: number,
  perTask: number,
  n: number,
  kind: DashboardStore = 'sqlite',
  filled?: string,
): Promise<Stats[]> {
  // A repository filled by an earlier run (SQLite only) is timed as it is, and kept.
  const dir = filled ?? (await repository());
  const pg = kind === 'postgres' ? await startPostgres() : undefined;
  let engine: Engine | undefined;
  let server: Awaited<ReturnType<typeof serveDashboard>> | undefined;
  // A second connection to the same store appends the new entries, as another process of the agent would.
  let writer: Store | undefined;
  const stream = new HeadStream();
  try {
    const url = pg ? await pg.createDatabase() : undefined;
    const openStore = url ? () => openStoreAt({ kind: 'postgres', url }) : undefined;
    engine = await openEngine({ cwd: dir, openStore: openStore ?? openStoreFor, sink: noopSink });
    const fillRate = filled ? NaN : await fillDashboard(engine, tasks, perTask, openStore);
    const size = `${tasks.toLocaleString('en')} tasks, ${(tasks * perTask).toLocaleString('en')} entries, ${
      pg ? 'PostgreSQL (a throw-away server on this machine)' : 'SQLite'
    }`;
    server = await serveDashboard({
      engine,
      spans: spanReaderFor(engine.layout),
      port: 0,
      log: () => {},
      printCode: () => {},
    });
    const base = `http://127.0.0.1:${server.port}`;
    // The server runs in this process: its CPU time over a request is the request's (the client's share is small).
    const cpu = { list: [] as number[], page: [] as number[] };
    const get = async (path: string, cpuOf?: number[]) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await fetch(`${base}${path}`);
      const body = await res.text();
      const ms = performance.now() - t0;
      const used = process.cpuUsage(c0);
      cpuOf?.push((used.user + used.system) / 1000);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}: ${body.slice(0, 300)}`);
      return { ms, body };
    };
    // The task page of a finished task in the middle of the store, and of the list's first page.
    const middle = `T-${Math.floor(tasks / 2) + 2}`;
    const list = await get('/');
    if (!list.body.includes(`of ${tasks}`) && !list.body.includes(`${tasks} tasks`))
      throw new Error('the task list does not count every task');
    if (!(await get(`/tasks/${middle}`)).body.includes(middle))
      throw new Error(`the page of ${middle} does not name it`);
    writer = openStore ? await openStore() : new SqliteStore(engine.layout.dbFile);
    const writerEngine: Engine = { ...engine, store: writer };
    await stream.open(`${base}/events`);
    const fill = filled
      ? `the store of ${filled}, filled before`
      : `filled at ${Math.round(fillRate).toLocaleString('en')} signed entries/s`;
    const cpuNote = (samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return `CPU p50 ${percentile(sorted, 50).toFixed(1)} ms a request`;
    };
    return await inRounds(3, async () => {
      const listMs: number[] = [];
      const pageMs: number[] = [];
      const streamMs: number[] = [];
      cpu.list.length = 0;
      cpu.page.length = 0;
      for (let i = 0; i < n; i++) {
        listMs.push((await get('/', cpu.list)).ms);
        pageMs.push((await get(`/tasks/${middle}`, cpu.page)).ms);
        // From just before the commit to the event that tells an open page of the new entry.
        const t0 = performance.now();
        const entry = await writer!.transact((tx) =>
          append(writerEngine, tx, {
            taskId: middle,
            kind: 'tool_blocked',
            fromPhase: null,
            toPhase: null,
            actor: 'agent:bench',
            artifacts: [],
            data: { tool: 'Edit', code: 'TOOL_NOT_ALLOWED_IN_PHASE' },
          }),
        );
        await stream.until(entry.seq);
        streamMs.push(performance.now() - t0);
      }
      const on = pg ? ' (postgres)' : '';
      return [
        stats(`dashboard: task list, first page${on}`, listMs, `GET / over ${size}; ${cpuNote(cpu.list)}; ${fill}`),
        stats(
          `dashboard: a task page${on}`,
          pageMs,
          `GET /tasks/${middle} (${perTask}+ entries) over ${size}; ${cpuNote(cpu.page)}`,
        ),
        stats(
          `dashboard: a new entry to an open page${on}`,
          streamMs,
          `commit on another connection to the \`head\` event on /events (the server reads the head every 50 ms); ${size}`,
        ),
      ];
    });
  } finally {
    stream.close();
    await server?.close();
    await writer?.close();
    if (engine) await closeEngine(engine);
    await pg?.dispose();
    if (!filled) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.env['BENCH_QUICK'] === '1';
  const tasks = Number(process.env['DASHBOARD_TASKS'] ?? (quick ? 1000 : 10_000));
  const entries = Number(process.env['DASHBOARD_ENTRIES'] ?? (quick ? 100_000 : 1_000_000));
  // DASHBOARD_STORE=postgres (or sqlite,postgres) runs the rows on a throw-away PostgreSQL server too;
  // DASHBOARD_FILLED=<repository> times a SQLite store filled before (with DASHBOARD_TASKS and _ENTRIES its size).
  const filled = process.env['DASHBOARD_FILLED'];
  const kinds = (process.env['DASHBOARD_STORE'] ?? 'sqlite').split(',') as DashboardStore[];
  const rows: Stats[] = [];
  for (const kind of kinds) {
    if (kind === 'postgres' && !findPgBin()) {
      process.stdout.write(
        'note: no PostgreSQL binaries (apt-get install postgresql): the postgres rows are skipped\n',
      );
      continue;
    }
    const load = loadavg()[0] ?? NaN;
    const reuse = kind === 'sqlite' ? filled : undefined;
    rows.push(...(await benchDashboard(tasks, Math.round(entries / tasks), quick ? 10 : 30, kind, reuse)));
    process.stdout.write(
      `${kind}: load average ${load.toFixed(1)} before, ${(loadavg()[0] ?? NaN).toFixed(1)} after\n`,
    );
  }
  process.stdout.write(`${table(rows)}\n`);
}
