/**
 * @module Event sink → JSON lines: spans in `telemetry/traces.jsonl`, counters
 * and histograms in `telemetry/metrics.jsonl`. Buffered, written on flush (and
 * every 64 lines); a write failure is reported once on stderr, never thrown.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TRANSITION_HISTOGRAM, type AutopilotEvent, type EventSink } from '../../ports/events.ts';
import { spansOf } from '../../ports/spans.ts';

export { spansOf } from '../../ports/spans.ts';
export type { SpanRecord, SpanEventRecord, AttributeValue } from '../../ports/spans.ts';
export { JsonlSpanReader } from './span-reader.ts';
export { JsonlCounterReader } from './metric-reader.ts';
export { taskTraceIds } from '../../ports/events.ts';

/** One line of `metrics.jsonl`. */
export interface MetricRecord {
  readonly ts: string;
  readonly type: 'counter' | 'histogram';
  readonly name: string;
  readonly value: number;
  readonly attributes: Record<string, string>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The metric lines an event stands for: a counter increment, or a successful transition's duration. */
export function metricsOf(ev: AutopilotEvent): MetricRecord[] {
  if (ev.type === 'counter') {
    return [
      {
        ts: iso(ev.endMs),
        type: 'counter',
        name: ev.name,
        value: ev.value,
        attributes: { ...ev.attributes, 'autopilot.task.id': ev.taskId ?? '' },
      },
    ];
  }
  if (ev.type === 'transition' && ev.result === 'ok') {
    return [
      {
        ts: iso(ev.endMs),
        type: 'histogram',
        name: TRANSITION_HISTOGRAM,
        value: ev.endMs - ev.startMs,
        attributes: { from: ev.from ?? '', to: ev.to ?? 'DONE' },
      },
    ];
  }
  return [];
}

export class JsonlSink implements EventSink {
  readonly #traces: string[] = [];
  readonly #metrics: string[] = [];
  #failed = false;

  constructor(readonly dir: string) {}

  emit(ev: AutopilotEvent): void {
    try {
      for (const s of spansOf(ev)) this.#traces.push(JSON.stringify(s));
      for (const m of metricsOf(ev)) this.#metrics.push(JSON.stringify(m));
      if (this.#traces.length + this.#metrics.length >= 64) this.#write();
    } catch (err) {
      this.#report(err);
    }
  }

  async flush(): Promise<void> {
    this.#write();
  }

  #write(): void {
    if (this.#traces.length === 0 && this.#metrics.length === 0) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      if (this.#traces.length) appendFileSync(join(this.dir, 'traces.jsonl'), `${this.#traces.join('\n')}\n`);
      if (this.#metrics.length) appendFileSync(join(this.dir, 'metrics.jsonl'), `${this.#metrics.join('\n')}\n`);
    } catch (err) {
      this.#report(err);
    } finally {
      this.#traces.length = 0;
      this.#metrics.length = 0;
    }
  }

  #report(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    process.stderr.write(
      `autopilot: telemetry to ${this.dir} failed (${(err as Error).message}); the ledger is unaffected\n`,
    );
  }
}
