/**
 * @module Event sink → JSON lines: spans in `telemetry/traces.jsonl`, counters
 * and histograms in `telemetry/metrics.jsonl`. Buffered, written on flush (and
 * every 64 lines); a write failure is reported once on stderr, never thrown.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AutopilotEvent, EventSink } from '../../ports/events.ts';

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly durationMs: number;
  readonly status: 'OK' | 'ERROR';
  readonly attributes: Record<string, string | number | boolean>;
}

/** One trace per task: the trace id and the root span id are derived from the task id, so every process agrees. */
export function taskTraceIds(taskId: string | null): { traceId: string; rootSpanId: string } {
  const h = createHash('sha256').update(`autopilot-task:${taskId ?? '-'}`).digest('hex');
  return { traceId: h.slice(0, 32), rootSpanId: h.slice(32, 48) };
}

const iso = (ms: number) => new Date(ms).toISOString();
const spanId = () => randomBytes(8).toString('hex');

/** Turns an event into the spans it stands for (a verify run is a parent with a child per command). */
export function spansOf(ev: AutopilotEvent): SpanRecord[] {
  if (ev.type === 'counter') return [];
  const { traceId, rootSpanId } = taskTraceIds(ev.taskId);
  const common: Record<string, string | number | boolean> = {
    'autopilot.task.id': ev.taskId ?? '',
    ...(ev.actor ? { 'gen_ai.agent.name': ev.actor } : {}),
    ...(ev.sessionId ? { 'session.id': ev.sessionId } : {}),
  };
  const span = (name: string, status: 'OK' | 'ERROR', attributes: Record<string, string | number | boolean>, parent = rootSpanId, id = spanId(), start = ev.startMs, end = ev.endMs): SpanRecord => ({
    traceId,
    spanId: id,
    parentSpanId: parent,
    name,
    startTime: iso(start),
    endTime: iso(end),
    durationMs: end - start,
    status,
    attributes: { ...common, ...attributes },
  });
  switch (ev.type) {
    case 'transition':
      return [
        span('agent.state.transition', ev.result === 'ok' ? 'OK' : 'ERROR', {
          'gen_ai.operation.name': ev.kind,
          'autopilot.phase.from': ev.from ?? '',
          'autopilot.phase.to': ev.to ?? 'DONE',
          'autopilot.result': ev.result,
          ...(ev.code ? { 'autopilot.error.code': ev.code } : {}),
          ...(ev.seq !== undefined ? { 'autopilot.ledger.seq': ev.seq } : {}),
        }),
      ];
    case 'violation':
      return [
        span('process.violation', 'ERROR', {
          'autopilot.phase': ev.phase ?? '',
          'autopilot.error.code': ev.code,
          'autopilot.message': ev.message.slice(0, 500),
          ...(ev.seq !== undefined ? { 'autopilot.ledger.seq': ev.seq } : {}),
        }),
      ];
    case 'verify': {
      const parent = span('agent.verify', ev.passed ? 'OK' : 'ERROR', { 'autopilot.phase': ev.phase, 'autopilot.result': ev.passed ? 'passed' : 'failed' });
      const children = ev.commands.map((c) =>
        span(`agent.verify.${c.name}`, c.exitCode === 0 ? 'OK' : 'ERROR', { 'autopilot.command': c.name, 'process.exit.code': c.exitCode ?? -1 }, parent.spanId, spanId(), c.startMs, c.endMs),
      );
      return [parent, ...children];
    }
    case 'guard':
      return [
        span('tool.guard', ev.decision === 'deny' ? 'ERROR' : 'OK', {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': ev.tool,
          'autopilot.phase': ev.phase ?? '',
          'autopilot.decision': ev.decision,
          'autopilot.capabilities': ev.capabilities.join(','),
        }),
      ];
  }
}

export class JsonlSink implements EventSink {
  readonly #traces: string[] = [];
  readonly #metrics: string[] = [];
  #failed = false;

  constructor(readonly dir: string) {}

  emit(ev: AutopilotEvent): void {
    try {
      for (const s of spansOf(ev)) this.#traces.push(JSON.stringify(s));
      if (ev.type === 'counter') {
        this.#metrics.push(JSON.stringify({ ts: iso(ev.endMs), type: 'counter', name: ev.name, value: ev.value, attributes: { ...ev.attributes, 'autopilot.task.id': ev.taskId ?? '' } }));
      } else if (ev.type === 'transition' && ev.result === 'ok') {
        this.#metrics.push(
          JSON.stringify({ ts: iso(ev.endMs), type: 'histogram', name: 'transition_duration_ms', value: ev.endMs - ev.startMs, attributes: { from: ev.from ?? '', to: ev.to ?? 'DONE' } }),
        );
      }
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
    process.stderr.write(`autopilot: telemetry to ${this.dir} failed (${(err as Error).message}); the ledger is unaffected\n`);
  }
}
