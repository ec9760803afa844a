/**
 * @module A worker of the crash torture: takes its own tasks back and forth
 * through the thinking phases on the repository's SQLite store, at random,
 * until it is killed. Before each operation it prints a `begin` line, and after
 * each committed one an `ack` line with the entry's seq and hash.
 *
 * Usage: node --import tsx test/torture/crash-worker.ts <repo> <slot> <seed> [crash]
 *
 * `crash` is `before-commit:<kind>:<p>` or `after-commit:<kind>:<p>`: with
 * probability p the worker kills itself (SIGKILL) inside a transaction that
 * appends an entry of that kind, after the append and before the commit, or
 * right after the commit, before the use case's own work after it.
 */
import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/adapters/sqlite/index.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { openEngine, type Actor, type Engine } from '../../src/engine/context.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { evidenceRel } from '../../src/engine/repo/layout.ts';
import type { Refusal, Result } from '../../src/core/errors.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import type { Store, StoreTx } from '../../src/ports/store.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { mulberry32 } from './random.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

const [repo, slotArg, seedArg, crashArg] = process.argv.slice(2);
if (!repo || !slotArg || !seedArg) {
  process.stderr.write('usage: crash-worker.ts <repo> <slot> <seed> [crash]\n');
  process.exit(1);
}
const slot = Number(slotArg);
const random = mulberry32(Number(seedArg));
const crash = crashArg ? /^(before-commit|after-commit):([a-z_-]+):([0-9.]+)$/.exec(crashArg) : null;

function say(kind: 'ready' | 'begin' | 'ack' | 'note', value: Record<string, unknown>): void {
  writeSync(1, `${kind} ${JSON.stringify(value)}\n`);
}

/** The store, with a kill switch inside the transactions that append an entry of the chosen kind. */
function crashing(inner: Store): Store {
  if (!crash) return inner;
  const [, when, kind, p] = crash;
  const die = () => process.kill(process.pid, 'SIGKILL');
  return {
    transact: async (fn) => {
      let hit = false;
      const result = await inner.transact((tx) => {
        const wrapped: StoreTx = {
          ...tx,
          head: () => tx.head(),
          getTask: (id) => tx.getTask(id),
          getLease: (id) => tx.getLease(id),
          putLease: (l) => tx.putLease(l),
          putTask: (s) => tx.putTask(s),
          append: async (entry) => {
            // `evidence-replace`: an evidence entry for a file this phase visit has recorded already.
            const replaces =
              kind === 'evidence-replace' && entry.kind === 'evidence' && (await replacesRecorded(tx, entry));
            await tx.append(entry);
            if ((entry.kind === kind || replaces) && random() < Number(p)) {
              if (when === 'before-commit') die();
              hit = true;
            }
          },
        };
        return fn(wrapped);
      });
      if (hit) die();
      return result;
    },
    head: () => inner.head(),
    entries: (q) => inner.entries(q),
    getTask: (id) => inner.getTask(id),
    listTasks: () => inner.listTasks(),
    activeTasks: () => inner.activeTasks(),
    taskPage: (q) => inner.taskPage(q),
    taskCounts: () => inner.taskCounts(),
    recentTasks: (startedAt, except, limit) => inner.recentTasks(startedAt, except, limit),
    getLease: (id) => inner.getLease(id),
    listOutbox: (q) => inner.listOutbox(q),
    getOutbox: (key) => inner.getOutbox(key),
    putKey: (id, pem) => inner.putKey(id, pem),
    keys: () => inner.keys(),
    close: () => inner.close(),
  };
}

async function replacesRecorded(tx: StoreTx, entry: LedgerEntry): Promise<boolean> {
  const state = entry.taskId ? await tx.getTask(entry.taskId) : undefined;
  return (
    !!state &&
    entry.artifacts.some(
      (a) => (state.artifacts[a.path]?.seq ?? -1) >= state.phaseEpoch && state.artifacts[a.path]?.sha256 !== a.sha256,
    )
  );
}

const e: Engine = await openEngine({
  runner: new ProcessRunner(),
  cwd: repo,
  openStore: async (layout) => crashing(new SqliteStore(layout.dbFile, { busyTimeoutMs: 60_000 })),
});
const actor: Actor = { id: `worker:${slot}`, holder: `worker-${slot}` };
const prefix = `W${slot}-`;
const THINKING = ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK', 'IMPLEMENT'];

function revise(name: string, content: string, n: number): string {
  if (n === 0) return content;
  return name.endsWith('.json')
    ? JSON.stringify(JSON.parse(content), null, n + 1)
    : `${content}\nRevision ${n}: reworded after a second look.\n`;
}

async function hashOf(seq: number): Promise<string> {
  const [entry] = await e.store.entries({ fromSeq: seq, limit: 1 });
  return entry?.hash ?? '';
}

/** Prints the ack of an outcome: the entry that committed it, refusals (which are entries too) included. */
async function ack(
  op: string,
  taskId: string,
  r: Result<{ entry: LedgerEntry }> | { ok: false; error: Refusal },
): Promise<void> {
  if (r.ok) return say('ack', { op, taskId, seq: r.value.entry.seq, hash: r.value.entry.hash });
  const seq = r.error.details['seq'];
  if (typeof seq === 'number') say('ack', { op, taskId, seq, hash: await hashOf(seq), refused: r.error.code });
  else say('note', { op, taskId, refused: r.error.code, message: r.error.message });
}

say('ready', { slot, pid: process.pid });
let made = (await e.store.listTasks()).filter((t) => t.taskId.startsWith(prefix)).length;
for (;;) {
  const mine = (await e.store.listTasks()).filter((t) => t.taskId.startsWith(prefix) && t.status === 'active');
  if (mine.length === 0 || (made < 6 && random() < 0.03)) {
    const taskId = `${prefix}${++made}`;
    say('begin', { op: 'start', taskId });
    await ack('start', taskId, await startTask(e, actor, { taskId, title: `crash torture ${taskId}` }));
    continue;
  }
  const state = mine[Math.floor(random() * mine.length)]!;
  const { taskId, phase } = state;
  const at = THINKING.indexOf(phase);
  // Each phase's evidence, in versions (a revision adds a line, see revise), so that puts replace files too.
  const wanted = P.AGENT_EVIDENCE[phase] ?? [];
  const missing = wanted.filter(([name]) => {
    const a = state.artifacts[evidenceRel(taskId, phase, name)];
    return !a || a.seq < state.phaseEpoch;
  });
  const r = random();
  if (missing.length > 0 || (wanted.length > 0 && r < 0.15)) {
    const [name, content] = missing[0] ?? wanted[Math.floor(random() * wanted.length)]!;
    const text = revise(name, content, Math.floor(random() * 3));
    say('begin', { op: 'put', taskId, phase, name });
    await ack('put', taskId, await putEvidence(e, actor, { taskId, phase, name, content: Buffer.from(text) }));
  } else if (r < 0.25) {
    const to = THINKING[Math.min(THINKING.length - 1, at + 2 + Math.floor(random() * 2))]!;
    say('begin', { op: 'skip', taskId, to });
    await ack('skip', taskId, await advance(e, actor, { taskId, to }));
  } else if (at > 0 && (r < 0.55 || phase === 'IMPLEMENT')) {
    const to = THINKING[Math.floor(random() * at)]!;
    say('begin', { op: 'backtrack', taskId, to });
    await ack('backtrack', taskId, await backtrack(e, actor, { taskId, to, reason: `crash torture: back to ${to}` }));
  } else {
    say('begin', { op: 'advance', taskId });
    await ack('advance', taskId, await advance(e, actor, { taskId }));
  }
}
