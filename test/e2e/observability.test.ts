/**
 * E2E: observability of one task driven through the CLI with OTLP export to a
 * receiver on 127.0.0.1: two skips, a tool denial, a drift of AGENTS.md after
 * the baseline (warned, then blocking VERIFY until a person updates the
 * baseline), a failed VERIFY and two backtracks. Asserted: the exact spans
 * (names, parents, attributes, status, ids tied to the ledger), the counter and
 * histogram values, the same spans and counters in the JSONL files, the
 * decision journal, the context fabric, `metrics`, `slo` and `alerts`.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entrySpanId, taskTraceIds } from '../../src/ports/events.ts';
import { contextHash } from '../../src/engine/task/phase-context.ts';
import type { Result } from '../../src/core/errors.ts';
import { closeEngine, openEngine, type Engine } from '../../src/engine/context.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { runVerify } from '../../src/engine/task/verify.ts';
import { recordBaseline } from '../../src/engine/drift/baseline.ts';
import { openStoreFor, sinkFor } from '../../src/surfaces/compose.ts';
import { P, git, makeRepo, type LedgerRow } from './helpers.ts';
import { startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';

const receivers: Receiver[] = [];
after(async () => {
  for (const r of receivers) await r.close();
});

interface JsonlSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  status: string;
  startTime: string;
  endTime: string;
  attributes: Record<string, string | number | boolean>;
  events?: { name: string; attributes: Record<string, unknown> }[];
}
interface JsonlMetric {
  type: 'counter' | 'histogram';
  name: string;
  value: number;
  attributes: Record<string, string>;
}

const lines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

/** A span as one comparable line: name, status and the attributes that tell spans apart. */
const describeSpan = (s: { name: string; status: string; attributes: Record<string, unknown> }) =>
  [
    s.name,
    s.status,
    s.attributes['gen_ai.operation.name'] ?? '',
    `${s.attributes['autopilot.phase.from'] ?? s.attributes['autopilot.phase'] ?? ''}→${s.attributes['autopilot.phase.to'] ?? ''}`,
    s.attributes['autopilot.error.code'] ?? '',
    s.attributes['gen_ai.tool.name'] ?? '',
  ].join(' ');

/** Counter totals as `name{attributes}` → value, the task id left out. */
function tally(items: { name: string; value: number; attributes: Record<string, unknown> }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) {
    const attrs = Object.entries(i.attributes)
      .filter(([k]) => k !== 'autopilot.task.id')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const key = `${i.name}{${attrs}}`;
    out[key] = (out[key] ?? 0) + i.value;
  }
  return out;
}

describe('observability end to end', { concurrency: true, timeout: 300_000 }, () => {
  it('a task with skips, a denial, drift and backtracks: spans, counters, JSONL, journal, context, metrics, SLO and alerts agree', async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    const repo = await makeRepo({
      urgent: true,
      config: (c) => {
        c['leases'] = { mode: 'off', ttlSeconds: 300 };
        c['slo'] = { loopThreshold: 1, stuckAfterHours: 24 };
        c['alerts'] = [
          { name: 'skips', metric: 'phase_skips_attempted', op: 'gte', threshold: 2, windowHours: 24 },
          { name: 'loops', metric: 'loop_rate', op: 'gt', threshold: 0.02, windowHours: 24 },
          { name: 'success', metric: 'task_success_rate', op: 'lt', threshold: 0.95, windowHours: 24 },
        ];
      },
    });
    repo.write('AGENTS.md', '# Agents\n\nRun the tests before every commit.\n');
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'agents: instructions']);
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, AUTOPILOT_ACTOR: 'agent:e2e' };
    const opts = { env };
    const cli = async (args: string[], exit = 0) => {
      const r = await repo.json<{ ok: boolean; error?: { code: string } }>(args, opts);
      assert.equal(r.code, exit, `autopilot ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stderr, /OpenTelemetry|telemetry/, 'export works: nothing to report');
      return r.body;
    };
    const refused = async (args: string[], code: string) => assert.equal((await cli(args, 2)).error?.code, code);

    // Some steps run in this process through the same composition root (sinkFor with the OTLP endpoint),
    // which spares a process start each; the rest go through the binary, whose SDK is loaded on demand.
    const agent = { id: 'agent:e2e', holder: 'agent:e2e' };
    const step = async (fn: (engine: Engine) => Promise<Result<unknown>>) => {
      const e = await openEngine({
        runner: new ProcessRunner(),
        cwd: repo.dir,
        openStore: openStoreFor,
        makeSink: (layout) => sinkFor(layout, env),
      });
      try {
        const r = await fn(e);
        assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
      } finally {
        await closeEngine(e);
      }
    };

    await cli(['task', 'start', 'T-1', '--title', 'Add wordCount']);
    await refused(['advance', 'T-1', '--to', 'IMPLEMENT'], 'PHASE_SKIP');
    await refused(['advance', 'T-1', '--to', 'THINK'], 'PHASE_SKIP');
    await repo.put('T-1', 'STRATEGIZE', 'strategy.md', P.STRATEGY);
    repo.write('AGENTS.md', '# Agents\n\nRun the tests before every commit. Skipping them is fine when in a hurry.\n');
    await cli(['advance', 'T-1', '--summary', 'strategy agreed']);
    await refused(
      ['guard', 'T-1', '--tool', 'Edit', '--input', '{"file_path":"src/count.js"}'],
      'TOOL_NOT_ALLOWED_IN_PHASE',
    );
    await repo.put('T-1', 'SPEC', 'spec.md', P.SPEC);
    await step((engine) =>
      backtrack(engine, agent, { taskId: 'T-1', to: 'STRATEGIZE', reason: 'the scope missed non-ASCII white space' }),
    );
    await repo.put('T-1', 'STRATEGIZE', 'strategy.md', P.STRATEGY);
    await step((engine) => advance(engine, agent, { taskId: 'T-1', summary: 'strategy agreed, white space included' }));
    await repo.put('T-1', 'SPEC', 'spec.md', P.SPEC);
    await step((engine) => advance(engine, agent, { taskId: 'T-1' }));
    await repo.put('T-1', 'PLAN', 'plan.md', P.PLAN);
    await repo.put('T-1', 'PLAN', 'file_map.json', P.FILE_MAP);
    await step((engine) => advance(engine, agent, { taskId: 'T-1' }));
    await repo.put('T-1', 'THINK', 'edge_cases.md', P.EDGE_CASES);
    await step((engine) => advance(engine, agent, { taskId: 'T-1' }));
    repo.write('src/count.js', P.COUNT_BUGGY);
    repo.write('test/count.test.js', P.COUNT_TEST);
    await refused(['advance', 'T-1'], 'PROMPT_DRIFT');
    await step((engine) =>
      recordBaseline(
        engine,
        { id: 'cli:alice' },
        { update: true, reason: 'AGENTS.md: the team relaxed the test rule', version: 'v2' },
      ),
    );
    await cli(['advance', 'T-1']);
    await refused(['verify', 'T-1'], 'VERIFY_FAILED');
    await step((engine) =>
      backtrack(engine, agent, {
        taskId: 'T-1',
        to: 'IMPLEMENT',
        reason: 'wordCount counts an empty word for leading white space',
      }),
    );
    repo.write('src/count.js', P.COUNT_FIXED);
    await step((engine) => advance(engine, agent, { taskId: 'T-1' }));
    await step((engine) => runVerify(engine, agent, { taskId: 'T-1' }));
    await step((engine) => advance(engine, agent, { taskId: 'T-1' }));
    await repo.driveTo('T-1', 'DONE'); // REVIEW, PR, MONITOR without telemetry: in the ledger and the journal only
    const [metrics, slo, alerts, context] = await Promise.all([
      repo.json<Record<string, unknown>>(['metrics', '--window', '24h'], opts),
      repo.json<Record<string, unknown>>(['slo', '--window', '24h'], opts),
      repo.json<Record<string, unknown>>(['alerts'], opts),
      repo.json<Record<string, unknown>>(['task', 'context', 'T-1'], opts),
    ]);

    const ledger = repo.ledger('T-1');
    const bySeq = new Map<number, LedgerRow>(ledger.map((x) => [x.seq, x]));
    const task = taskTraceIds('T-1');
    const spans = rx.spans();
    const taskSpans = spans.filter((s) => s.attributes['autopilot.task.id'] === 'T-1');

    await (async function exactSpans() {
      const verifyRuns = taskSpans.filter((s) => s.name === 'agent.verify');
      const commands = (run: ReceivedSpan) => taskSpans.filter((s) => s.parentSpanId === run.spanId);
      assert.equal(verifyRuns.length, 2);
      const commandNames = commands(verifyRuns[0]!)
        .map((s) => s.name)
        .sort();
      assert.ok(
        commandNames.includes('agent.verify.build') && commandNames.includes('agent.verify.test'),
        commandNames.join(', '),
      );
      const expected = [
        'agent.state.transition OK start →STRATEGIZE  ',
        'process.violation ERROR  STRATEGIZE→IMPLEMENT PHASE_SKIP ',
        'agent.state.transition ERROR advance STRATEGIZE→IMPLEMENT PHASE_SKIP ',
        'process.violation ERROR  STRATEGIZE→THINK PHASE_SKIP ',
        'agent.state.transition ERROR advance STRATEGIZE→THINK PHASE_SKIP ',
        'agent.state.transition OK advance STRATEGIZE→SPEC  ',
        'tool.guard ERROR execute_tool SPEC→ TOOL_NOT_ALLOWED_IN_PHASE Edit',
        'agent.state.transition OK backtrack SPEC→STRATEGIZE  ',
        'agent.state.transition OK advance STRATEGIZE→SPEC  ',
        'agent.state.transition OK advance SPEC→PLAN  ',
        'agent.state.transition OK advance PLAN→THINK  ',
        'agent.state.transition OK advance THINK→IMPLEMENT  ',
        'process.violation ERROR  IMPLEMENT→VERIFY PROMPT_DRIFT ',
        'agent.state.transition ERROR advance IMPLEMENT→VERIFY PROMPT_DRIFT ',
        'agent.state.transition OK advance IMPLEMENT→VERIFY  ',
        'agent.verify ERROR  VERIFY→  ',
        ...commands(verifyRuns[0]!).map(describeSpan),
        'process.violation ERROR  VERIFY→ VERIFY_FAILED ',
        'agent.state.transition OK backtrack VERIFY→IMPLEMENT  ',
        'agent.state.transition OK advance IMPLEMENT→VERIFY  ',
        'agent.verify OK  VERIFY→  ',
        ...commands(verifyRuns[1]!).map(describeSpan),
        'agent.state.transition OK advance VERIFY→REVIEW  ',
      ];
      assert.deepEqual(taskSpans.map(describeSpan).sort(), expected.sort(), 'exactly the spans of the CLI steps');
      assert.ok(
        commands(verifyRuns[0]!).some(
          (s) => s.name === 'agent.verify.test' && s.status === 'ERROR' && s.attributes['process.exit.code'] === 1,
        ),
        'the failing run: its test command failed',
      );
      assert.ok(
        commands(verifyRuns[1]!).every((s) => s.status === 'OK' && s.attributes['process.exit.code'] === 0),
        'the passing run: every command passed',
      );

      for (const s of taskSpans) {
        assert.equal(s.traceId, task.traceId, `${s.name}: one trace per task`);
        assert.equal(
          s.parentSpanId,
          s.name.startsWith('agent.verify.')
            ? verifyRuns.find((v) => commands(v).includes(s))?.spanId
            : task.rootSpanId,
          `${s.name}: parent`,
        );
        assert.equal(s.attributes['gen_ai.agent.name'], 'agent:e2e');
        assert.ok(s.endMs >= s.startMs, `${s.name} ends after it starts`);
        assert.equal(s.resource['service.name'], 'autopilot');
        const seq = s.attributes['autopilot.ledger.seq'];
        if (s.name === 'agent.state.transition' && s.status === 'ERROR') {
          assert.equal(seq, undefined, 'a refused move: its violation span carries the entry');
          continue;
        }
        if (s.name.startsWith('agent.verify.')) continue;
        assert.equal(typeof seq, 'number', `${describeSpan(s)} names its ledger entry`);
        const entry = bySeq.get(seq as number);
        assert.ok(entry, `entry ${seq}`);
        const kind = {
          'agent.state.transition':
            s.attributes['gen_ai.operation.name'] === 'start'
              ? 'task_started'
              : s.attributes['gen_ai.operation.name'] === 'backtrack'
                ? 'backtrack'
                : 'transition',
          'process.violation': 'violation',
          'agent.verify': 'verify',
          'tool.guard': 'tool_blocked',
        }[s.name];
        assert.equal(entry.kind, kind, `${describeSpan(s)} ↔ entry ${seq}`);
        assert.equal(s.spanId, entrySpanId('T-1', entry.seq), 'the span id is derived from the entry');
        if (entry.kind === 'violation') assert.equal(s.attributes['autopilot.error.code'], entry.data['code']);
        if (entry.kind === 'transition' || entry.kind === 'backtrack')
          assert.deepEqual(
            [entry.fromPhase, entry.toPhase],
            [s.attributes['autopilot.phase.from'], s.attributes['autopilot.phase.to']],
          );
      }
      const skip = taskSpans.find((s) => s.name === 'process.violation')!;
      assert.match(skip.statusMessage ?? '', /^PHASE_SKIP: cannot skip from STRATEGIZE to IMPLEMENT/);
    })();

    await (async function jsonlAgrees() {
      const traced = lines<JsonlSpan>(join(repo.stateDir, 'telemetry', 'traces.jsonl'));
      const got = new Map(spans.map((s) => [s.spanId, s]));
      assert.equal(traced.length, spans.length, 'JSONL and OTLP hold the same number of spans');
      for (const l of traced) {
        const s = got.get(l.spanId);
        assert.ok(s, `JSONL span ${l.name} ${l.spanId} also arrived over OTLP`);
        assert.deepEqual(
          [s.traceId, s.parentSpanId, s.name, s.status, s.attributes, s.startMs, s.endMs],
          [l.traceId, l.parentSpanId, l.name, l.status, l.attributes, Date.parse(l.startTime), Date.parse(l.endTime)],
        );
      }
    })();

    const expectedCounters = {
      'phase_skips_attempted{code=PHASE_SKIP,phase=STRATEGIZE}': 2,
      'tool_calls_blocked{phase=SPEC,tool=Edit}': 1,
      'phase_backtracks{from=SPEC,to=STRATEGIZE}': 1,
      'phase_backtracks{from=VERIFY,to=IMPLEMENT}': 1,
      // A move with drifted instructions is counted as a warning, into VERIFY it is refused.
      'prompt_drift_detected{phase=SPEC,severity=warning}': 2,
      'prompt_drift_detected{phase=STRATEGIZE,severity=warning}': 1,
      'prompt_drift_detected{phase=PLAN,severity=warning}': 1,
      'prompt_drift_detected{phase=THINK,severity=warning}': 1,
      'prompt_drift_detected{phase=IMPLEMENT,severity=warning}': 1,
      'prompt_drift_detected{code=PROMPT_DRIFT,phase=IMPLEMENT}': 1,
      'evidence_gate_failed{code=VERIFY_FAILED,phase=VERIFY}': 1,
      'phase_validations_failed{code=VERIFY_FAILED,phase=VERIFY}': 1,
    };
    await (async function countersAgree() {
      const otlp = rx.points();
      assert.deepEqual(tally(otlp.filter((p) => p.kind === 'sum')), expectedCounters, 'OTLP counters');
      const jsonl = lines<JsonlMetric>(join(repo.stateDir, 'telemetry', 'metrics.jsonl'));
      assert.deepEqual(tally(jsonl.filter((m) => m.type === 'counter')), expectedCounters, 'JSONL counters');
      const body = metrics.body as {
        counters: Record<string, number>;
        breakdown: { name: string; value: number; attributes: Record<string, string> }[];
      };
      assert.equal(metrics.code, 0);
      assert.deepEqual(tally(body.breakdown), expectedCounters, 'counters reconstructed from the ledger');
      assert.equal(body.counters['prompt_drift_detected'], 7);
      assert.equal(body.counters['tasks_rejected_for_process_violation'], 0);
      const histogram = otlp.filter((p) => p.name === 'transition_duration_ms');
      const okMoves = taskSpans.filter((s) => s.name === 'agent.state.transition' && s.status === 'OK');
      assert.equal(
        histogram.reduce((n, p) => n + p.count, 0),
        okMoves.length,
        'one duration per successful move',
      );
      assert.equal(jsonl.filter((m) => m.type === 'histogram').length, okMoves.length);
      assert.equal(
        histogram.reduce((n, p) => n + p.value, 0),
        jsonl.filter((m) => m.type === 'histogram').reduce((n, m) => n + m.value, 0),
        'the same durations',
      );
    })();

    await (async function journal() {
      const text = readFileSync(join(repo.stateDir, 'journal', 'T-1.md'), 'utf8');
      const decisions = text.split('\n').filter((l) => l.startsWith('- '));
      const journaled = ledger.filter(
        (x) =>
          ['task_started', 'transition', 'backtrack', 'violation', 'verify', 'tool_blocked'].includes(x.kind) ||
          x.kind === 'prompt_drift',
      );
      assert.deepEqual(
        decisions.map((l) => Number(/ · #(\d+) /.exec(l)?.[1])),
        journaled.map((x) => x.seq),
        'a line per decision, the in-process ones too, in ledger order',
      );
      for (const [i, x] of journaled.entries())
        assert.ok(decisions[i]!.includes(`#${x.seq} \`${x.hash.slice(0, 12)}\``), decisions[i]);
      for (const s of taskSpans.filter(
        (x) => typeof x.attributes['autopilot.ledger.seq'] === 'number' && !x.name.startsWith('agent.verify.'),
      )) {
        const line = decisions.find((l) => l.includes(` · #${s.attributes['autopilot.ledger.seq']} `));
        assert.ok(
          line?.includes(`span \`${s.spanId}\``),
          `the journal names span ${s.spanId} of entry ${s.attributes['autopilot.ledger.seq']}`,
        );
      }
      assert.equal(decisions.filter((l) => l.includes('**refused** PHASE_SKIP')).length, 2);
      assert.ok(
        decisions.some((l) => /\*\*backtracked\*\* SPEC ↩ STRATEGIZE — the scope missed non-ASCII white space/.test(l)),
        'the backtrack and its reason',
      );
      assert.ok(
        decisions.some((l) => /\*\*tool denied\*\* Edit in SPEC — /.test(l)),
        'the denied tool call',
      );
      assert.equal(decisions.filter((l) => /\*\*drift\*\* .*AGENTS\.md changed/.test(l)).length, 6);
      assert.ok(
        decisions.some((l) => l.includes('**refused** PROMPT_DRIFT')),
        'the blocking drift',
      );
      assert.ok(
        decisions.some((l) =>
          /\*\*verify failed\*\* .*evidence: .*\[test_results\.json\]\(\.\.\/evidence\/T-1\/verify\/test_results\.json\)/.test(
            l,
          ),
        ),
        'the failed verify run with its evidence',
      );
      assert.ok(decisions.at(-1)!.includes('**finished** MONITOR → DONE'), decisions.at(-1));
      const moved = decisions.find((l) =>
        l.includes('**moved** STRATEGIZE → SPEC — strategy agreed, white space included'),
      );
      assert.ok(moved?.includes('[strategy.md](../evidence/T-1/strategize/strategy.md)'), moved);
    })();

    await (async function contextFabric() {
      assert.equal(context.code, 0);
      const steps = (
        context.body as {
          steps: {
            seq: number;
            from: string;
            to: string | null;
            hashOk: boolean;
            context: {
              inputs: { path: string; sha256: string }[];
              summary: string | null;
              outputs: { path: string; sha256: string }[];
              hash: string;
            };
          }[];
        }
      ).steps;
      const transitions = ledger.filter((x) => x.kind === 'transition');
      assert.deepEqual(
        steps.map((s) => s.seq),
        transitions.map((x) => x.seq),
      );
      for (const s of steps) {
        const entry = bySeq.get(s.seq)!;
        assert.deepEqual(s.context, entry.data['context'], 'printed as recorded');
        assert.equal(s.hashOk, true);
        assert.equal(contextHash(s.context), s.context.hash);
        assert.deepEqual(
          s.context.outputs,
          entry.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 })).sort((a, b) => a.path.localeCompare(b.path)),
          "the outputs are the phase's artifacts",
        );
      }
      const [firstSpec, secondSpec] = steps.filter((s) => s.from === 'STRATEGIZE');
      assert.equal(firstSpec!.context.summary, 'strategy agreed');
      assert.equal(secondSpec!.context.summary, 'strategy agreed, white space included');
      assert.deepEqual(secondSpec!.context.inputs, []);
      const plan = steps.find((s) => s.from === 'PLAN')!;
      assert.deepEqual(
        plan.context.inputs.map((a) => a.path),
        ['evidence/T-1/spec/spec.md', 'evidence/T-1/strategize/strategy.md'],
        'PLAN built on the strategy and the spec',
      );
      const spec = steps.filter((s) => s.from === 'SPEC').at(-1)!;
      assert.deepEqual(
        plan.context.inputs.find((a) => a.path.endsWith('spec.md')),
        spec.context.outputs[0],
        'what SPEC produced is what PLAN built on',
      );
      assert.equal(steps.at(-1)!.to, null);
      assert.ok(steps.at(-1)!.context.inputs.length >= 10, 'the last phase built on everything before it');
    })();

    await (async function figures() {
      assert.equal(slo.code, 0);
      const s = slo.body as {
        taskSuccessRate: { value: number; done: number; aborted: number; stuck: number };
        loopRate: { value: number; tasks: number; looping: number; loopingTasks: string[]; threshold: number };
        toolMttr: { seconds: number; incidents: number; open: number; met: boolean };
      };
      assert.deepEqual(
        [s.taskSuccessRate.value, s.taskSuccessRate.done, s.taskSuccessRate.aborted, s.taskSuccessRate.stuck],
        [1, 1, 0, 0],
      );
      assert.deepEqual(
        [s.loopRate.value, s.loopRate.tasks, s.loopRate.looping, s.loopRate.loopingTasks, s.loopRate.threshold],
        [1, 1, 1, ['T-1'], 1],
      );
      const denied = ledger.find((x) => x.kind === 'tool_blocked')!;
      const recovered = ledger.find(
        (x) => x.seq > denied.seq && ['evidence', 'verify', 'transition', 'backtrack'].includes(x.kind),
      )!;
      assert.equal(recovered.kind, 'evidence', 'the spec put right after the denial');
      assert.deepEqual([s.toolMttr.incidents, s.toolMttr.open], [1, 0]);
      assert.equal(s.toolMttr.seconds, (Date.parse(recovered.ts) - Date.parse(denied.ts)) / 1000);
      assert.equal(s.toolMttr.met, s.toolMttr.seconds <= 30);

      assert.equal(alerts.code, 2, `alerts exits 2 when one fires: ${alerts.stdout}${alerts.stderr}`);
      const a = alerts.body as {
        ok: boolean;
        firing: { name: string; value: number }[];
        alerts: { name: string; firing: boolean }[];
        spanId: string;
      };
      assert.equal(a.ok, true);
      assert.deepEqual(
        a.firing.map((f) => [f.name, f.value]),
        [
          ['skips', 2],
          ['loops', 1],
        ],
      );
      assert.deepEqual(
        a.alerts.map((x) => [x.name, x.firing]),
        [
          ['skips', true],
          ['loops', true],
          ['success', false],
        ],
      );
      const alertSpans = spans.filter((x) => x.name === 'autopilot.alerts');
      assert.equal(alertSpans.length, 1);
      assert.equal(alertSpans[0]!.spanId, a.spanId);
      assert.equal(alertSpans[0]!.status, 'ERROR');
      assert.deepEqual(
        alertSpans[0]!.events.map((x) => [
          x.name,
          x.attributes['autopilot.alert.name'],
          x.attributes['autopilot.alert.value'],
        ]),
        [
          ['alert.firing', 'skips', 2],
          ['alert.firing', 'loops', 1],
        ],
      );
      const jsonlAlert = lines<JsonlSpan>(join(repo.stateDir, 'telemetry', 'traces.jsonl')).find(
        (x) => x.name === 'autopilot.alerts',
      );
      assert.deepEqual(
        jsonlAlert?.events?.map((x) => x.attributes['autopilot.alert.name']),
        ['skips', 'loops'],
      );
      const alertLines = readFileSync(join(repo.stateDir, 'journal', '_alerts.md'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('- '));
      assert.equal(alertLines.length, 2);
      assert.ok(
        alertLines.every((l) => l.includes(`span \`${a.spanId}\``)),
        alertLines.join('\n'),
      );
      assert.match(alertLines[0]!, /\*\*alert firing\*\* skips: phase_skips_attempted = 2 \(gte 2, over 24 h\)/);
    })();
  });

  it('an OTLP endpoint that refuses is reported once on stderr; the command and the JSONL files are unaffected', async () => {
    const rx = await startReceiver('fail');
    receivers.push(rx);
    const repo = await makeRepo();
    const r = await repo.json<{ ok: boolean }>(['task', 'start', 'T-9'], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.body.ok, true);
    const reports = r.stderr.split('\n').filter((l) => l.includes('OpenTelemetry export'));
    assert.equal(reports.length, 1, r.stderr);
    assert.match(reports[0]!, /failed .*spans and counters stay in the JSONL files/);
    assert.ok(
      rx.bodies.some((b) => b.path === '/v1/traces'),
      'the export was tried',
    );
    const traced = lines<JsonlSpan>(join(repo.stateDir, 'telemetry', 'traces.jsonl'));
    assert.deepEqual(
      traced.map((s) => [s.name, s.attributes['autopilot.task.id']]),
      [['agent.state.transition', 'T-9']],
    );
  });
});
