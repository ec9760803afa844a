/**
 * Unit: the OpenTelemetry sink against a real OTLP/HTTP JSON receiver on
 * 127.0.0.1. The spans it exports are the JSONL sink's spans (ids, parents,
 * names, attributes, status), the counters and the histogram carry the
 * contract's names by phase and code, and a failing or stalled exporter is
 * reported once and never blocks a flush for longer than its timeout.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createOtelSink } from '../../src/adapters/otel/index.ts';
import { JsonlSink, type MetricRecord, type SpanRecord } from '../../src/adapters/jsonl/index.ts';
import { entrySpanId, fanOut, taskTraceIds, type AutopilotEvent } from '../../src/ports/events.ts';
import { startReceiver, totals, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { tempDir } from '../helpers/ledger.ts';

const T = Date.UTC(2026, 0, 1, 12);
const agent = { actor: 'agent:a' };
const ALERTS_SPAN = 'abcdef0123456789';

const EVENTS: AutopilotEvent[] = [
  {
    type: 'transition',
    kind: 'start',
    taskId: 'T-1',
    from: null,
    to: 'STRATEGIZE',
    result: 'ok',
    seq: 2,
    startMs: T,
    endMs: T + 3,
    ...agent,
    sessionId: 'sess-1',
  },
  {
    type: 'transition',
    kind: 'advance',
    taskId: 'T-1',
    from: 'STRATEGIZE',
    to: 'IMPLEMENT',
    result: 'refused',
    code: 'PHASE_SKIP',
    startMs: T + 10,
    endMs: T + 12,
    ...agent,
  },
  {
    type: 'violation',
    taskId: 'T-1',
    phase: 'STRATEGIZE',
    to: 'IMPLEMENT',
    code: 'PHASE_SKIP',
    message: 'cannot skip to IMPLEMENT',
    seq: 3,
    startMs: T + 10,
    endMs: T + 11,
    ...agent,
  },
  {
    type: 'counter',
    name: 'phase_skips_attempted',
    value: 1,
    attributes: { phase: 'STRATEGIZE', code: 'PHASE_SKIP' },
    taskId: 'T-1',
    startMs: T + 10,
    endMs: T + 11,
  },
  {
    type: 'violation',
    taskId: 'T-1',
    phase: 'STRATEGIZE',
    to: 'PLAN',
    code: 'PHASE_SKIP',
    message: 'cannot skip to PLAN',
    seq: 4,
    startMs: T + 13,
    endMs: T + 14,
    ...agent,
  },
  {
    type: 'counter',
    name: 'phase_skips_attempted',
    value: 1,
    attributes: { phase: 'STRATEGIZE', code: 'PHASE_SKIP' },
    taskId: 'T-1',
    startMs: T + 13,
    endMs: T + 14,
  },
  {
    type: 'transition',
    kind: 'advance',
    taskId: 'T-1',
    from: 'STRATEGIZE',
    to: 'SPEC',
    result: 'ok',
    seq: 5,
    startMs: T + 20,
    endMs: T + 27,
    ...agent,
  },
  {
    type: 'verify',
    taskId: 'T-1',
    phase: 'VERIFY',
    passed: false,
    seq: 9,
    commands: [
      { name: 'build', exitCode: 0, startMs: T + 30, endMs: T + 35 },
      { name: 'test', exitCode: 1, startMs: T + 35, endMs: T + 50 },
    ],
    startMs: T + 30,
    endMs: T + 51,
    ...agent,
  },
  {
    type: 'guard',
    taskId: 'T-1',
    phase: 'SPEC',
    tool: 'Edit',
    decision: 'deny',
    capabilities: ['write:source'],
    seq: 11,
    startMs: T + 60,
    endMs: T + 61,
    ...agent,
    sessionId: 'sess-1',
  },
  {
    type: 'counter',
    name: 'tool_calls_blocked',
    value: 1,
    attributes: { phase: 'SPEC', tool: 'Edit' },
    taskId: 'T-1',
    startMs: T + 60,
    endMs: T + 61,
  },
  {
    type: 'guard',
    taskId: null,
    phase: 'STRATEGIZE',
    tool: 'Read',
    decision: 'allow',
    capabilities: ['read'],
    startMs: T + 62,
    endMs: T + 63,
  },
  {
    type: 'alerts',
    taskId: null,
    spanId: ALERTS_SPAN,
    evaluated: 2,
    firing: [{ name: 'skips', metric: 'phase_skips_attempted', op: 'gte', threshold: 2, value: 2, windowHours: 24 }],
    startMs: T + 70,
    endMs: T + 71,
  },
];

const receivers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const r of receivers) await r.close();
});

async function receiver(mode: 'ok' | 'fail' | 'hang' = 'ok') {
  const r = await startReceiver(mode);
  receivers.push(r);
  return r;
}

function readLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Waits for `p`, failing if it has not settled within a generous bound: the bound is no
 * claim about speed (a loaded machine may be slow), only a way to turn a hang into a failure.
 */
async function withinHangBound<T>(p: Promise<T>, what: string, boundMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the OpenTelemetry sink', () => {
  it('exports the JSONL spans through the SDK: same trace, span and parent ids, names, attributes and status', async () => {
    const rx = await receiver();
    const dir = tempDir('autopilot-otel-');
    try {
      const otel = await createOtelSink({
        endpoint: rx.url,
        report: (m) => assert.fail(`unexpected export failure: ${m}`),
      });
      const sink = fanOut(new JsonlSink(dir.dir), otel);
      for (const ev of EVENTS) sink.emit(ev);
      await sink.flush();

      for (const b of rx.bodies) assert.match(b.contentType, /^application\/json/, 'OTLP/HTTP JSON');
      const got = new Map(rx.spans().map((s) => [s.spanId, s]));
      const lines = readLines<SpanRecord>(join(dir.dir, 'traces.jsonl'));
      assert.equal(lines.length, 11, 'JSONL: one span per event but counters, a verify run with a child per command');
      assert.equal(got.size, lines.length, 'every JSONL span arrived over OTLP, once');
      for (const line of lines) {
        const s = got.get(line.spanId);
        assert.ok(s, `span ${line.name} ${line.spanId} arrived`);
        assert.deepEqual(
          {
            traceId: s.traceId,
            parent: s.parentSpanId,
            name: s.name,
            status: s.status,
            start: s.startMs,
            end: s.endMs,
            attributes: s.attributes,
          },
          {
            traceId: line.traceId,
            parent: line.parentSpanId,
            name: line.name,
            status: line.status,
            start: Date.parse(line.startTime),
            end: Date.parse(line.endTime),
            attributes: line.attributes,
          },
          `span ${line.name}`,
        );
        if (line.status === 'ERROR') assert.equal(s.statusMessage, line.statusMessage);
      }

      const task = taskTraceIds('T-1');
      const byName = (name: string) => [...got.values()].filter((s) => s.name === name);
      const transitions = byName('agent.state.transition');
      assert.deepEqual(
        transitions.map((s) => [
          s.attributes['gen_ai.operation.name'],
          s.attributes['autopilot.phase.from'],
          s.attributes['autopilot.phase.to'],
          s.attributes['autopilot.result'],
          s.status,
        ]),
        [
          ['start', '', 'STRATEGIZE', 'ok', 'OK'],
          ['advance', 'STRATEGIZE', 'IMPLEMENT', 'refused', 'ERROR'],
          ['advance', 'STRATEGIZE', 'SPEC', 'ok', 'OK'],
        ],
      );
      for (const s of [...got.values()].filter(
        (x) => x.attributes['autopilot.task.id'] === 'T-1' && !x.name.startsWith('agent.verify.'),
      )) {
        assert.equal(s.traceId, task.traceId, `${s.name}: one trace per task`);
        assert.equal(s.parentSpanId, task.rootSpanId, `${s.name}: the task's root span is its parent`);
      }
      const start = transitions[0]!;
      assert.equal(
        start.spanId,
        entrySpanId('T-1', 2),
        'a span that stands for a ledger entry has the id derived from its seq',
      );
      assert.equal(start.attributes['autopilot.ledger.seq'], 2);
      assert.equal(start.attributes['gen_ai.agent.name'], 'agent:a');
      assert.equal(start.attributes['session.id'], 'sess-1');
      assert.equal(start.attributes['gen_ai.conversation.id'], 'sess-1');
      assert.equal(transitions[1]!.attributes['autopilot.error.code'], 'PHASE_SKIP');

      const violations = byName('process.violation');
      assert.deepEqual(
        violations.map((s) => [
          s.status,
          s.attributes['autopilot.error.code'],
          s.attributes['autopilot.phase.to'],
          s.attributes['autopilot.ledger.seq'],
          s.spanId,
        ]),
        [
          ['ERROR', 'PHASE_SKIP', 'IMPLEMENT', 3, entrySpanId('T-1', 3)],
          ['ERROR', 'PHASE_SKIP', 'PLAN', 4, entrySpanId('T-1', 4)],
        ],
      );
      assert.match(violations[0]!.statusMessage ?? '', /^PHASE_SKIP: cannot skip/);

      const [verify] = byName('agent.verify') as [ReceivedSpan];
      assert.equal(verify.status, 'ERROR');
      assert.equal(verify.spanId, entrySpanId('T-1', 9));
      const children = [...got.values()]
        .filter((s) => s.parentSpanId === verify.spanId)
        .sort((a, b) => a.startMs - b.startMs);
      assert.deepEqual(
        children.map((s) => [s.name, s.status, s.attributes['process.exit.code'], s.traceId, s.spanId]),
        [
          ['agent.verify.build', 'OK', 0, task.traceId, entrySpanId('T-1', 9, 'command:0')],
          ['agent.verify.test', 'ERROR', 1, task.traceId, entrySpanId('T-1', 9, 'command:1')],
        ],
      );

      const guards = byName('tool.guard');
      assert.deepEqual(
        guards.map((s) => [
          s.attributes['gen_ai.operation.name'],
          s.attributes['gen_ai.tool.name'],
          s.attributes['autopilot.decision'],
          s.status,
          s.traceId,
        ]),
        [
          ['execute_tool', 'Edit', 'deny', 'ERROR', task.traceId],
          ['execute_tool', 'Read', 'allow', 'OK', taskTraceIds(null).traceId],
        ],
      );
      assert.equal(guards[0]!.spanId, entrySpanId('T-1', 11));

      const [alerts] = byName('autopilot.alerts') as [ReceivedSpan];
      assert.equal(alerts.spanId, ALERTS_SPAN);
      assert.equal(alerts.status, 'ERROR');
      assert.deepEqual(alerts.events, [
        {
          name: 'alert.firing',
          attributes: {
            'autopilot.alert.name': 'skips',
            'autopilot.alert.metric': 'phase_skips_attempted',
            'autopilot.alert.op': 'gte',
            'autopilot.alert.threshold': 2,
            'autopilot.alert.value': 2,
            'autopilot.alert.window_hours': 24,
          },
        },
      ]);
      assert.equal(start.resource['service.name'], 'autopilot');
    } finally {
      dir.remove();
    }
  });

  it('exports the counters and the transition histogram by phase and code, as deltas, as the JSONL metrics say', async () => {
    const rx = await receiver();
    const dir = tempDir('autopilot-otel-');
    try {
      const sink = fanOut(new JsonlSink(dir.dir), await createOtelSink({ endpoint: rx.url }));
      for (const ev of EVENTS) sink.emit(ev);
      await sink.flush();
      const points = rx.points();
      assert.deepEqual([...totals(points, ['phase', 'code', 'tool'])].sort(), [
        ['phase_skips_attempted{phase=STRATEGIZE,code=PHASE_SKIP,tool=}', 2],
        ['tool_calls_blocked{phase=SPEC,code=,tool=Edit}', 1],
      ]);
      const histogram = points.filter((p) => p.name === 'transition_duration_ms');
      assert.deepEqual(histogram.map((p) => [p.attributes['from'], p.attributes['to'], p.count, p.value]).sort(), [
        ['', 'STRATEGIZE', 1, 3],
        ['STRATEGIZE', 'SPEC', 1, 7],
      ]);
      assert.ok(
        points.every((p) => p.temporality === 1),
        'delta temporality: each process exports what it counted',
      );

      const lines = readLines<MetricRecord>(join(dir.dir, 'metrics.jsonl'));
      const counters = lines.filter((l) => l.type === 'counter').map((l) => `${l.name}{${l.attributes['phase']}}`);
      assert.deepEqual(counters, [
        'phase_skips_attempted{STRATEGIZE}',
        'phase_skips_attempted{STRATEGIZE}',
        'tool_calls_blocked{SPEC}',
      ]);
      assert.deepEqual(
        lines.filter((l) => l.type === 'histogram').map((l) => [l.name, l.value]),
        [
          ['transition_duration_ms', 3],
          ['transition_duration_ms', 7],
        ],
      );
    } finally {
      dir.remove();
    }
  });

  it('takes its endpoints from the environment it is given, not only from process.env', async () => {
    const traces = await receiver();
    const metrics = await receiver();
    const sink = await createOtelSink({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${traces.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${metrics.url}/v1/metrics`,
      },
      report: (m) => assert.fail(m),
    });
    for (const ev of EVENTS) sink.emit(ev);
    await sink.flush();
    assert.equal(traces.spans().length, 11);
    assert.equal(metrics.points().filter((p) => p.kind === 'sum').length, 2);
    const base = await receiver();
    const both = await createOtelSink({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${base.url}/` },
      report: (m) => assert.fail(m),
    });
    for (const ev of EVENTS) both.emit(ev);
    await both.flush();
    assert.deepEqual([...new Set(base.bodies.map((b) => b.path))].sort(), ['/v1/metrics', '/v1/traces']);
  });

  it('reports a receiver that answers 500 once, never throws, and keeps working', async () => {
    const rx = await receiver('fail');
    const reports: string[] = [];
    const sink = await createOtelSink({ endpoint: rx.url, timeoutMs: 1000, report: (m) => reports.push(m) });
    for (const ev of EVENTS) assert.doesNotThrow(() => sink.emit(ev));
    await sink.flush();
    for (const ev of EVENTS) sink.emit(ev);
    await sink.flush();
    assert.ok(rx.bodies.length >= 2, 'the exporter tried');
    assert.equal(reports.length, 1, `reported once: ${reports.join(' | ')}`);
    assert.match(reports[0]!, new RegExp(`OpenTelemetry export to ${rx.url.replace(/[.]/g, '\\.')} failed`));
  });

  it('reports an endpoint nobody listens on once, quickly', async () => {
    const port = await closedPort();
    const reports: string[] = [];
    const sink = await createOtelSink({
      endpoint: `http://127.0.0.1:${port}`,
      timeoutMs: 1000,
      report: (m) => reports.push(m),
    });
    for (const ev of EVENTS) sink.emit(ev);
    // A refused connection ends both flushes; the generous bound only turns a hang into a failure.
    await withinHangBound(
      (async () => {
        await sink.flush();
        await sink.flush();
      })(),
      'two flushes to a closed port',
    );
    assert.equal(reports.length, 1);
  });

  it('bounds a flush when the receiver never answers, and says so once', async () => {
    const rx = await receiver('hang');
    const reports: string[] = [];
    const sink = await createOtelSink({ endpoint: rx.url, timeoutMs: 300, report: (m) => reports.push(m) });
    for (const ev of EVENTS) sink.emit(ev);
    // The receiver never answers: only the sink's own timeout can end the flush (the bound only catches a hang).
    await withinHangBound(sink.flush(), 'a flush to a receiver that never answers');
    // In order: the request reached the receiver before the flush gave up, and the failure was reported once.
    assert.ok(rx.bodies.length >= 1, 'the flush waited for the exporter: the request reached the receiver');
    assert.equal(reports.length, 1, reports.join(' | '));
  });
});
