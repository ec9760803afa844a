/**
 * @module Event sink → OpenTelemetry: the spans of the span model (the JSONL
 * sink's, same names, attributes, trace and span ids) rendered through the
 * official SDK, the contract's counters and histogram as SDK instruments, and
 * OTLP/HTTP (JSON) export. The SDK is imported inside {@link createOtelSink},
 * never at the top, so nothing loads it unless export is wired. A failing
 * exporter is reported once, never thrown; a flush waits at most `timeoutMs`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Counter as ApiCounter, Histogram, Meter, Tracer } from '@opentelemetry/api';
import type * as OtelResources from '@opentelemetry/resources';
import type { ExportResult } from '@opentelemetry/core';
import type { IdGenerator, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  Counter,
  TRANSITION_HISTOGRAM,
  taskTraceIds,
  type AutopilotEvent,
  type EventSink,
} from '../../ports/events.ts';
import { spansOf, type SpanRecord } from '../../ports/spans.ts';

export interface OtelSinkOptions {
  /** Base URL of an OTLP/HTTP receiver; `/v1/traces` and `/v1/metrics` are appended. The OTEL_EXPORTER_OTLP_* variables otherwise. */
  readonly endpoint?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Upper bound of one export and of a flush, ms (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 2000). */
  readonly timeoutMs?: number;
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise (default `autopilot`). */
  readonly serviceName?: string;
  /** Exporters to use instead of OTLP/HTTP: an in-memory exporter in tests and the benchmark. */
  readonly spanExporter?: SpanExporter;
  readonly metricExporter?: PushMetricExporter;
  /** Where the one failure report goes (default: stderr). */
  readonly report?: (message: string) => void;
  /** The environment the OTEL_* variables are read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DURATION_BUCKETS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
];

const COUNTER_HELP: Record<Counter, string> = {
  phase_skips_attempted: 'moves that tried to skip a phase (PHASE_SKIP)',
  phase_validations_failed: "moves refused because the phase's evidence failed its checks",
  phase_backtracks: 'tasks sent back to an earlier phase',
  prompt_drift_detected: "moves made while the agent's instructions differ from the baseline",
  evidence_gate_failed: 'evidence gates that refused (missing, invalid, protected, verify failed)',
  tool_calls_blocked: 'tool calls denied in the current phase',
  phase_lease_contention: 'moves refused because another holder has the lease',
  tasks_rejected_for_process_violation: 'tasks a person aborted (reject --abort)',
  tasks_held_by_watchdog: 'tasks the watchdog held for a person (refused again and again, or not moving forward)',
  policy_would_block: 'tool calls a policy in observe mode would have blocked (they went ahead)',
  gate_evaluations: 'gates of the CI gate that decided (mode enforce or observe), by gate',
  gate_blocks: 'gates of the CI gate that failed the branch, by gate',
  gate_would_block: 'gates in observe mode that would have failed the branch (it passed them), by gate',
};

/** Where and how long the exports go: from the options, else from `env` as the OTLP exporter would read process.env. */
function exportTargets(opts: OtelSinkOptions, env: Readonly<Record<string, string | undefined>>) {
  const envTimeout = Number(env['OTEL_EXPORTER_OTLP_TIMEOUT']);
  const timeoutMs = opts.timeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_TIMEOUT_MS);
  const base = (opts.endpoint ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'])?.replace(/\/+$/, '');
  // A signal's own variable wins over the base endpoint, unless the options name an endpoint.
  const signalUrl = (variable: string, path: string) =>
    opts.endpoint === undefined && env[variable] ? env[variable] : base ? `${base}${path}` : undefined;
  const tracesUrl = signalUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '/v1/traces');
  const metricsUrl = signalUrl('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', '/v1/metrics');
  return { timeoutMs, tracesUrl, metricsUrl, target: base ?? tracesUrl ?? metricsUrl ?? 'the OTLP endpoint' };
}

/** Reports the first export failure, once: the JSONL files and the ledger do not depend on the collector. */
function reportOnce(target: string, out: (message: string) => void): (why: string) => void {
  let failed = false;
  return (why) => {
    if (failed) return;
    failed = true;
    out(
      `autopilot: OpenTelemetry export to ${target} failed (${why}); spans and counters stay in the JSONL files and the ledger is unaffected`,
    );
  };
}

/** The OTLP/HTTP exporters, where the options give none: metrics as deltas (one process per command). */
async function otlpExporters(
  opts: OtelSinkOptions,
  env: Readonly<Record<string, string | undefined>>,
  t: ReturnType<typeof exportTargets>,
): Promise<{ spans: SpanExporter; metrics: PushMetricExporter }> {
  if (opts.spanExporter && opts.metricExporter) return { spans: opts.spanExporter, metrics: opts.metricExporter };
  const [traceOtlp, metricsOtlp] = await Promise.all([
    cjs(import('@opentelemetry/exporter-trace-otlp-http')),
    cjs(import('@opentelemetry/exporter-metrics-otlp-http')),
  ]);
  const config = { timeoutMillis: t.timeoutMs, ...(opts.headers ? { headers: { ...opts.headers } } : {}) };
  return {
    spans:
      opts.spanExporter ?? new traceOtlp.OTLPTraceExporter({ ...config, ...(t.tracesUrl ? { url: t.tracesUrl } : {}) }),
    metrics:
      opts.metricExporter ??
      new metricsOtlp.OTLPMetricExporter({
        ...config,
        ...(t.metricsUrl ? { url: t.metricsUrl } : {}),
        // One process per command: deltas add up across processes, cumulative series would restart with each.
        ...(env['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE']
          ? {}
          : { temporalityPreference: metricsOtlp.AggregationTemporalityPreference.DELTA }),
      }),
  };
}

/**
 * An id generator whose next span id can be set: the span model fixes every span id, and the SDK asks for it right
 * when the span starts.
 */
function presetIds(): { generator: IdGenerator; next(spanId: string | undefined): void } {
  let nextSpanId: string | undefined;
  return {
    generator: {
      generateTraceId: () => randomBytes(16).toString('hex'),
      generateSpanId: () => {
        const id = nextSpanId ?? randomBytes(8).toString('hex');
        nextSpanId = undefined;
        return id;
      },
    },
    next: (id) => {
      nextSpanId = id;
    },
  };
}

/** Waits for both providers to flush, at most `timeoutMs` (and a little): an unanswered collector never holds a command. */
async function flushWithin(
  providers: readonly { forceFlush(o: { timeoutMillis: number }): Promise<void> }[],
  timeoutMs: number,
  report: (why: string) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs + 250);
    timer.unref();
  });
  const done = Promise.allSettled(providers.map((p) => p.forceFlush({ timeoutMillis: timeoutMs }))).then((results) => {
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) report((rejected.reason as Error)?.message ?? String(rejected.reason));
    return 'done' as const;
  });
  const outcome = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') report(`no answer within ${timeoutMs} ms`);
}

/**
 * Builds the OpenTelemetry sink: a tracer provider whose spans carry the task's
 * trace id (the task's root span is their remote parent) and the span model's
 * span ids, and a meter provider with the contract's instruments.
 */
export async function createOtelSink(opts: OtelSinkOptions = {}): Promise<EventSink> {
  const [api, core, resources, traceSdk, metricsSdk] = await Promise.all([
    cjs(import('@opentelemetry/api')),
    cjs(import('@opentelemetry/core')),
    cjs(import('@opentelemetry/resources')),
    cjs(import('@opentelemetry/sdk-trace-base')),
    cjs(import('@opentelemetry/sdk-metrics')),
  ]);
  const env = opts.env ?? process.env;
  const targets = exportTargets(opts, env);
  const { timeoutMs } = targets;
  const report = reportOnce(targets.target, opts.report ?? ((m: string) => void process.stderr.write(`${m}\n`)));
  const onResult = (r: ExportResult) => {
    if (r.code !== core.ExportResultCode.SUCCESS) report(r.error?.message ?? 'export failed');
  };
  const exporters = await otlpExporters(opts, env, targets);

  const resource = sinkResource(resources, opts.serviceName);
  const ids = presetIds();
  const tracerProvider = new traceSdk.BasicTracerProvider({
    resource,
    idGenerator: ids.generator,
    spanProcessors: [
      new traceSdk.BatchSpanProcessor(reportingSpanExporter(exporters.spans, onResult), {
        exportTimeoutMillis: timeoutMs,
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const reader = new metricsSdk.PeriodicExportingMetricReader({
    exporter: reportingMetricExporter(exporters.metrics, onResult),
    exportIntervalMillis: 60_000,
    exportTimeoutMillis: timeoutMs,
  });
  const meterProvider = new metricsSdk.MeterProvider({ resource, readers: [reader] });
  const tracer = tracerProvider.getTracer('autopilot');
  const { counters, durations } = contractInstruments(meterProvider.getMeter('autopilot'));
  const render = spanRenderer(api, ids);

  return {
    emit(ev: AutopilotEvent) {
      try {
        for (const rec of spansOf(ev)) render(tracer, rec, ev.taskId);
        if (ev.type === 'counter') counters.get(ev.name)?.add(ev.value, { ...ev.attributes });
        else if (ev.type === 'transition' && ev.result === 'ok')
          durations.record(ev.endMs - ev.startMs, { from: ev.from ?? '', to: ev.to ?? 'DONE' });
      } catch (err) {
        report((err as Error).message);
      }
    },
    flush: () => flushWithin([tracerProvider, meterProvider], timeoutMs, report),
  };
}

/** The service this process is: its name, a fresh instance id, and what the environment's resource detector adds. */
function sinkResource(resources: typeof OtelResources, serviceName: string | undefined) {
  return resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        'service.name': serviceName ?? 'autopilot',
        'service.instance.id': randomUUID(),
      }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
}

/** The contract's counters, by name, and the transition duration histogram. */
function contractInstruments(meter: Meter): {
  counters: Map<string, ApiCounter>;
  durations: Histogram;
} {
  const counters = new Map<string, ApiCounter>(
    Object.values(Counter).map((name) => [name, meter.createCounter(name, { description: COUNTER_HELP[name] })]),
  );
  const durations: Histogram = meter.createHistogram(TRANSITION_HISTOGRAM, {
    unit: 'ms',
    description: 'duration of successful phase transitions, by from and to phase',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
  });
  return { counters, durations };
}

/**
 * Turns one span record of the span model into an SDK span with the record's own ids: the id generator is preset to
 * the record's span id while the span starts, and the parent is the record's parent, remote for the task's root.
 */
function spanRenderer(
  api: typeof OtelApi,
  ids: ReturnType<typeof presetIds>,
): (t: Tracer, rec: SpanRecord, taskId: string | null) => void {
  const parentContext = (rec: SpanRecord, taskId: string | null): Context => {
    const { rootSpanId } = taskTraceIds(taskId);
    if (!rec.parentSpanId) return api.ROOT_CONTEXT;
    return api.trace.setSpanContext(api.ROOT_CONTEXT, {
      traceId: rec.traceId,
      spanId: rec.parentSpanId,
      traceFlags: api.TraceFlags.SAMPLED,
      // The task's root span lives in no process: it is every top-level span's remote parent.
      isRemote: rec.parentSpanId === rootSpanId,
    });
  };
  return (t, rec, taskId) => {
    ids.next(rec.spanId);
    const span = t.startSpan(
      rec.name,
      { startTime: Date.parse(rec.startTime), attributes: rec.attributes as Attributes, kind: api.SpanKind.INTERNAL },
      parentContext(rec, taskId),
    );
    ids.next(undefined);
    for (const ev of rec.events ?? []) span.addEvent(ev.name, ev.attributes as Attributes, Date.parse(ev.time));
    span.setStatus(
      rec.status === 'OK'
        ? { code: api.SpanStatusCode.OK }
        : { code: api.SpanStatusCode.ERROR, ...(rec.statusMessage ? { message: rec.statusMessage } : {}) },
    );
    span.end(Date.parse(rec.endTime));
  };
}

/**
 * The exports of a CommonJS package: Node gives them as named exports, a
 * bundler in Node mode (esbuild) only as `default`; either way they are there.
 */
async function cjs<T extends object>(loading: Promise<T>): Promise<T> {
  const ns = await loading;
  const exported = (ns as { default?: unknown }).default;
  return { ...(exported && typeof exported === 'object' ? exported : {}), ...ns } as T;
}

/** The exporter, telling `onResult` how each export went. */
function reportingSpanExporter(inner: SpanExporter, onResult: (r: ExportResult) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (r: ExportResult) => void) {
      inner.export(spans, (r) => {
        onResult(r);
        done(r);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush?.() ?? Promise.resolve() } : {}),
  };
}

function reportingMetricExporter(inner: PushMetricExporter, onResult: (r: ExportResult) => void): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (r: ExportResult) => void) {
      inner.export(metrics, (r) => {
        onResult(r);
        done(r);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }
      : {}),
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
  };
}
