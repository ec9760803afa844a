/**
 * Unit: `autopilot metrics`, `slo` and `alerts` computed from a ledger laid out
 * in time with a clock the test moves: the window, the counters reconstructed
 * from entries, task success rate (done, aborted, stuck), loop rate, tool MTTR
 * per incident, and alert rules that fire, stay quiet, or have nothing to measure.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryDraft } from '../../src/core/ledger.ts';
import type { Config } from '../../src/core/config.ts';
import { MemoryStore } from '../../src/adapters/memory/index.ts';
import { ManualClock } from '../helpers/clock.ts';
import type { AutopilotEvent } from '../../src/ports/events.ts';
import { append } from '../../src/engine/ledger/record.ts';
import type { Engine } from '../../src/engine/context.ts';
import { computeMetrics, entriesInWindow, parseWindow } from '../../src/engine/telemetry/metrics.ts';
import { computeSlo, evaluateAlerts, toolMttr } from '../../src/engine/telemetry/slo.ts';
import { draft, makeSigner, tempDir, testEngine } from '../helpers/ledger.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 2, 1, 12);
const signer = makeSigner();

const art = (task: string, phase: string) => [
  { path: `evidence/${task}/${phase}/x.md`, sha256: 'a'.repeat(64), producer: 'agent' as const },
];
const start = (taskId: string): Partial<EntryDraft> => ({ taskId, kind: 'task_started', toPhase: 'STRATEGIZE' });
const move = (
  taskId: string,
  from: string,
  to: string | null,
  data: Record<string, unknown> = {},
): Partial<EntryDraft> => ({ taskId, kind: 'transition', fromPhase: from, toPhase: to, data });
const back = (taskId: string, from: string, to: string): Partial<EntryDraft> => ({
  taskId,
  kind: 'backtrack',
  fromPhase: from,
  toPhase: to,
  data: { reason: 'again' },
});
const deny = (taskId: string, phase: string): Partial<EntryDraft> => ({
  taskId,
  kind: 'tool_blocked',
  fromPhase: phase,
  data: { decision: 'deny', tool: 'Edit' },
});
const evidence = (taskId: string, phase: string): Partial<EntryDraft> => ({
  taskId,
  kind: 'evidence',
  fromPhase: phase,
  artifacts: art(taskId, phase.toLowerCase()),
});

let dir: ReturnType<typeof tempDir>;
let e: Engine;
const clock = new ManualClock(NOW);
const events: AutopilotEvent[] = [];

/** Appends drafts at `hours` from NOW (negative: in the past), `seconds` later still. */
async function at(hours: number, seconds: number, ...drafts: Partial<EntryDraft>[]) {
  clock.set(NOW + hours * HOUR + seconds * 1000);
  await e.store.transact(async (tx) => {
    for (const d of drafts) await append(e, tx, draft(d));
  });
}

const withAlerts = (alerts: Config['alerts']): Engine => ({ ...e, config: { ...e.config, alerts } });

before(async () => {
  dir = tempDir('autopilot-slo-');
  e = {
    ...testEngine(new MemoryStore(), signer, clock, dir.dir),
    sink: { emit: (ev) => void events.push(ev), flush: async () => {} },
  };
  // G: active since long before the window, stuck long before it too.
  await at(-300, 0, start('G'));
  // F: done 8 days ago, outside a 7-day window.
  await at(-240, 0, start('F'), move('F', 'STRATEGIZE', 'SPEC'));
  await at(-200, 0, move('F', 'SPEC', null, { status: 'done' }));
  // A: done in the window.
  await at(-100, 0, start('A'), move('A', 'STRATEGIZE', 'SPEC'));
  await at(-90, 0, move('A', 'SPEC', null, { status: 'done' }));
  // B: aborted in the window.
  await at(-80, 0, start('B'));
  await at(-79, 0, { taskId: 'B', kind: 'task_aborted', fromPhase: 'STRATEGIZE', data: { reason: 'superseded' } });
  // In time order, as the store stamps them. C: last progress 47 h ago, refused since (that is no
  // progress), a denial never recovered: stuck 23 h ago. E: enters STRATEGIZE four times (3 backtracks);
  // a denial recovered after 40 s. D: two denials, then an action 20 s after the first: one incident of 20 s.
  await at(-50, 0, start('C'));
  await at(-47, 0, evidence('C', 'STRATEGIZE'));
  await at(-10, 0, {
    taskId: 'C',
    kind: 'violation',
    fromPhase: 'STRATEGIZE',
    toPhase: 'PLAN',
    data: { code: 'PHASE_SKIP', action: 'advance', message: 'skip' },
  });
  await at(-10, 1, {
    taskId: 'C',
    kind: 'prompt_drift',
    fromPhase: 'STRATEGIZE',
    toPhase: 'SPEC',
    data: { action: 'drift', severity: 'warning' },
  });
  await at(-6, 0, start('E'));
  for (let i = 0; i < 3; i++) await at(-6, i * 2 + 1, move('E', 'STRATEGIZE', 'SPEC'), back('E', 'SPEC', 'STRATEGIZE'));
  await at(-5, 0, deny('C', 'STRATEGIZE'));
  await at(-3, 0, start('D'));
  await at(-2, 0, deny('D', 'STRATEGIZE'));
  await at(-2, 5, deny('D', 'STRATEGIZE'));
  await at(-2, 20, evidence('D', 'STRATEGIZE'));
  await at(-1, 0, deny('E', 'STRATEGIZE'));
  await at(-1, 40, evidence('E', 'STRATEGIZE'));
  clock.set(NOW);
});
after(() => dir.remove());

describe('figures from the ledger over a window', () => {
  it('parses windows', () => {
    assert.deepEqual(parseWindow('24h'), { ok: true, value: 24 * HOUR });
    assert.deepEqual(parseWindow('7d'), { ok: true, value: 7 * 24 * HOUR });
    assert.deepEqual(parseWindow('90m'), { ok: true, value: 90 * 60_000 });
    assert.deepEqual(parseWindow('2w'), { ok: true, value: 14 * 24 * HOUR });
    for (const bad of ['', '7', 'd', '-1h', '0h', 'seven days']) assert.equal(parseWindow(bad).ok, false, bad);
  });

  it('reads exactly the entries of the window', async () => {
    const all = await e.store.entries();
    for (const hours of [1, 5.5, 24, 168, 1000]) {
      const since = NOW - hours * HOUR;
      const got = await entriesInWindow(e, since, NOW);
      assert.deepEqual(
        got.map((x) => x.seq),
        all.filter((x) => Date.parse(x.ts) >= since).map((x) => x.seq),
        `${hours} h`,
      );
    }
  });

  it('reconstructs the counters from the entries of the window, by phase and code', async () => {
    const week = await computeMetrics(e, 168 * HOUR);
    assert.deepEqual(week.counters, {
      phase_skips_attempted: 1,
      phase_validations_failed: 0,
      phase_backtracks: 3,
      prompt_drift_detected: 1,
      evidence_gate_failed: 0,
      tool_calls_blocked: 4,
      phase_lease_contention: 0,
      tasks_rejected_for_process_violation: 1,
      tasks_held_by_watchdog: 0,
      policy_would_block: 0,
      gate_evaluations: 0,
      gate_blocks: 0,
      gate_would_block: 0,
    });
    assert.equal(week.tasks, 5, 'A, B, C, D, E; F and G have no entry in the window');
    assert.deepEqual(
      week.breakdown.map((p) => [p.name, p.value, p.attributes]),
      [
        ['phase_backtracks', 3, { from: 'SPEC', to: 'STRATEGIZE' }],
        ['tool_calls_blocked', 4, { phase: 'STRATEGIZE', tool: 'Edit' }],
        ['phase_skips_attempted', 1, { phase: 'STRATEGIZE', code: 'PHASE_SKIP' }],
        ['prompt_drift_detected', 1, { phase: 'SPEC', severity: 'warning' }],
        ['tasks_rejected_for_process_violation', 1, { phase: 'STRATEGIZE' }],
      ].sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0]))),
    );
    const day = await computeMetrics(e, 24 * HOUR);
    assert.equal(day.counters.tasks_rejected_for_process_violation, 0, "B's abort is 79 h old");
    assert.equal(day.counters.tool_calls_blocked, 4);
  });

  it('task success rate, loop rate and tool MTTR over 7 days', async () => {
    const s = await computeSlo(e, 168 * HOUR);
    assert.deepEqual(s.taskSuccessRate, {
      value: 1 / 3,
      done: 1,
      aborted: 1,
      stuck: 1,
      stuckTasks: ['C'],
      goal: 0.95,
      met: false,
    });
    assert.deepEqual(s.loopRate, {
      value: 1 / 5,
      tasks: 5,
      looping: 1,
      loopingTasks: ['E'],
      heldByWatchdog: [],
      threshold: 3,
      goal: 0.02,
      met: false,
    });
    assert.deepEqual(s.toolMttr, { seconds: 30, incidents: 3, open: 1, goal: 30, met: true });
  });

  it('over 24 hours: only what happened in them', async () => {
    const s = await computeSlo(e, 24 * HOUR);
    assert.deepEqual(
      [s.taskSuccessRate.value, s.taskSuccessRate.done, s.taskSuccessRate.stuck],
      [0, 0, 1],
      'C became stuck 23 h ago',
    );
    assert.deepEqual([s.loopRate.tasks, s.loopRate.looping], [3, 1]);
    const hour = await computeSlo(
      { ...e, config: { ...e.config, slo: { loopThreshold: 4, stuckAfterHours: 24 } } },
      HOUR / 2,
    );
    assert.equal(hour.taskSuccessRate.value, null, 'no outcome, no rate');
    assert.equal(hour.taskSuccessRate.met, null);
    assert.equal(hour.loopRate.value, null);
    assert.equal(hour.toolMttr.seconds, null);
  });

  it('MTTR: denials before the same action are one incident, timed from the first', async () => {
    const d = await e.store.entries({ taskId: 'D' });
    assert.deepEqual(toolMttr(d), { seconds: 20, incidents: 1, open: 0 });
    assert.deepEqual(toolMttr(d.filter((x) => x.kind !== 'evidence')), { seconds: null, incidents: 1, open: 1 });
  });

  it('alerts: rules fire over their own window, a missing value never fires, each firing alert is a span event and a journal line', async () => {
    events.length = 0;
    const r = await evaluateAlerts(
      withAlerts([
        { name: 'success', metric: 'task_success_rate', op: 'lt', threshold: 0.95, windowHours: 168 },
        { name: 'blocked', metric: 'tool_calls_blocked', op: 'gt', threshold: 10, windowHours: 24 },
        { name: 'slow recovery', metric: 'tool_mttr_seconds', op: 'gte', threshold: 30, windowHours: 168 },
        { name: 'nothing measured', metric: 'tool_mttr_seconds', op: 'gte', threshold: 0, windowHours: 0.01 },
      ]),
    );
    assert.ok(r.ok, 'alerts evaluated');
    assert.deepEqual(
      r.value.alerts.map((a) => [a.name, a.value, a.firing]),
      [
        ['success', 1 / 3, true],
        ['blocked', 4, false],
        ['slow recovery', 30, true],
        ['nothing measured', null, false],
      ],
    );
    const [ev] = events.filter((x) => x.type === 'alerts');
    assert.ok(ev && ev.type === 'alerts', 'an alerts event');
    assert.equal(ev.spanId, r.value.spanId);
    assert.equal(ev.evaluated, 4);
    assert.deepEqual(
      ev.firing.map((a) => a.name),
      ['success', 'slow recovery'],
    );
    const lines = readFileSync(join(e.layout.journalDir, '_alerts.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('- '));
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      new RegExp(
        `^- ${new Date(NOW).toISOString()} · span \`${r.value.spanId}\` · \\*\\*alert firing\\*\\* success: task_success_rate = 0\\.333`,
      ),
    );
    assert.match(lines[1]!, /slow recovery: tool_mttr_seconds = 30 \(gte 30, over 168 h\)/);

    const quiet = await evaluateAlerts(
      withAlerts([{ name: 'blocked', metric: 'tool_calls_blocked', op: 'gt', threshold: 10, windowHours: 24 }]),
    );
    assert.ok(quiet.ok, 'alerts evaluated');
    assert.deepEqual(quiet.value.firing, []);
  });

  it('refuses a rule on an unknown metric, naming the key', async () => {
    const r = await evaluateAlerts(
      withAlerts([
        { name: 'x', metric: 'tool_calls_blocked', op: 'gt', threshold: 1, windowHours: 1 },
        { name: 'y', metric: 'success', op: 'lt', threshold: 1, windowHours: 1 },
      ]),
    );
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'CONFIG_INVALID');
    assert.equal(!r.ok && r.error.details['key'], 'alerts.1.metric');
  });
});
