/**
 * @module The span model of the telemetry contract: which spans an event stands
 * for, with their names, attributes, status and ids, and the port that reads a
 * task's spans back. The JSONL sink writes these records as they are; the
 * OpenTelemetry sink renders the same records through the SDK, so the two
 * always agree on names, attributes and ids.
 */
import { createHash } from 'node:crypto';
import { entrySpanId, randomSpanId, taskTraceIds, type AutopilotEvent } from './events.ts';

export type AttributeValue = string | number | boolean;

export interface SpanEventRecord {
  readonly name: string;
  readonly time: string;
  readonly attributes: Record<string, AttributeValue>;
}

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** The parent span; the task's root span id for a top-level span. */
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly durationMs: number;
  readonly status: 'OK' | 'ERROR';
  /** Why the span is an error: the refusal's code and message. */
  readonly statusMessage?: string;
  readonly attributes: Record<string, AttributeValue>;
  readonly events?: readonly SpanEventRecord[];
}

/** Reads the spans a sink wrote, for the dashboard. */
export interface SpanReader {
  /** The spans of a task's trace, by span id; none when there is nothing to read. */
  taskSpans(taskId: string): Map<string, SpanRecord>;
}

/** The span id of a ledger entry's span, or of one of its verify commands. */
export function spanIdOf(taskId: string, seq: number, command?: number): string {
  return entrySpanId(taskId, seq, command === undefined ? '' : `command:${command}`);
}

const iso = (ms: number) => new Date(ms).toISOString();

// A span no ledger entry stands for gets a random id, drawn once per event: every sink the event is fanned out to names it alike.
const drawn = new WeakMap<AutopilotEvent, string>();
function drawnId(ev: AutopilotEvent, part: string): string {
  let base = drawn.get(ev);
  if (!base) {
    base = randomSpanId();
    drawn.set(ev, base);
  }
  return part ? createHash('sha256').update(`${base}:${part}`).digest('hex').slice(0, 16) : base;
}

/** Turns an event into the spans it stands for (a verify run is a parent with a child per command). */
export function spansOf(ev: AutopilotEvent): SpanRecord[] {
  if (ev.type === 'counter') return [];
  const { traceId, rootSpanId } = taskTraceIds(ev.taskId);
  const common: Record<string, AttributeValue> = {
    'autopilot.task.id': ev.taskId ?? '',
    ...(ev.actor ? { 'gen_ai.agent.name': ev.actor } : {}),
    ...(ev.sessionId ? { 'session.id': ev.sessionId, 'gen_ai.conversation.id': ev.sessionId } : {}),
  };
  const seqOf = 'seq' in ev ? ev.seq : undefined;
  const idOf = (part = '') => (seqOf !== undefined ? entrySpanId(ev.taskId, seqOf, part) : drawnId(ev, part));
  const span = (
    name: string,
    status: 'OK' | 'ERROR',
    attributes: Record<string, AttributeValue>,
    extra: {
      parent?: string;
      id?: string;
      start?: number;
      end?: number;
      statusMessage?: string;
      events?: SpanEventRecord[];
    } = {},
  ): SpanRecord => {
    const start = extra.start ?? ev.startMs;
    const end = extra.end ?? ev.endMs;
    return {
      traceId,
      spanId: extra.id ?? idOf(),
      parentSpanId: extra.parent ?? rootSpanId,
      name,
      startTime: iso(start),
      endTime: iso(end),
      durationMs: end - start,
      status,
      ...(status === 'ERROR' && extra.statusMessage ? { statusMessage: extra.statusMessage } : {}),
      attributes: { ...common, ...attributes, ...(seqOf !== undefined ? { 'autopilot.ledger.seq': seqOf } : {}) },
      ...(extra.events ? { events: extra.events } : {}),
    };
  };
  switch (ev.type) {
    case 'transition':
      return [
        span(
          'agent.state.transition',
          ev.result === 'ok' ? 'OK' : 'ERROR',
          {
            'gen_ai.operation.name': ev.kind,
            'autopilot.phase.from': ev.from ?? '',
            'autopilot.phase.to': ev.to ?? 'DONE',
            'autopilot.result': ev.result,
            ...(ev.code ? { 'autopilot.error.code': ev.code } : {}),
            ...(ev.policyDigest ? { 'autopilot.policy.digest': ev.policyDigest } : {}),
            ...(ev.policyVerdict
              ? { 'autopilot.policy.ids': (ev.policyIds ?? []).join(','), 'autopilot.policy.verdict': ev.policyVerdict }
              : {}),
            ...(ev.prompt
              ? {
                  'autopilot.prompt.sha256': ev.prompt.sha256,
                  'autopilot.persona': ev.prompt.persona,
                  'autopilot.persona.sha256': ev.prompt.personaSha256,
                  ...(ev.prompt.variant ? { 'autopilot.prompt.variant': ev.prompt.variant } : {}),
                }
              : {}),
          },
          { statusMessage: ev.code ?? 'refused' },
        ),
      ];
    case 'violation':
      return [
        span(
          'process.violation',
          'ERROR',
          {
            'autopilot.phase': ev.phase ?? '',
            'autopilot.phase.from': ev.phase ?? '',
            ...(ev.to ? { 'autopilot.phase.to': ev.to } : {}),
            'autopilot.result': 'refused',
            'autopilot.error.code': ev.code,
            'autopilot.message': ev.message.slice(0, 500),
          },
          { statusMessage: `${ev.code}: ${ev.message.slice(0, 200)}` },
        ),
      ];
    case 'verify': {
      const parent = span(
        'agent.verify',
        ev.passed ? 'OK' : 'ERROR',
        { 'autopilot.phase': ev.phase, 'autopilot.result': ev.passed ? 'passed' : 'failed' },
        { statusMessage: 'verify failed' },
      );
      const children = ev.commands.map((c, i) =>
        span(
          `agent.verify.${c.name}`,
          c.exitCode === 0 ? 'OK' : 'ERROR',
          { 'autopilot.phase': ev.phase, 'autopilot.command': c.name, 'process.exit.code': c.exitCode ?? -1 },
          {
            parent: parent.spanId,
            id: idOf(`command:${i}`),
            start: c.startMs,
            end: c.endMs,
            statusMessage: `exit code ${c.exitCode ?? 'none'}`,
          },
        ),
      );
      return [parent, ...children];
    }
    case 'guard':
      return [
        span(
          'tool.guard',
          ev.decision === 'deny' ? 'ERROR' : 'OK',
          {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': ev.tool,
            'autopilot.phase': ev.phase ?? '',
            'autopilot.decision': ev.decision,
            'autopilot.capabilities': ev.capabilities.join(','),
            ...(ev.policyVerdict
              ? { 'autopilot.policy.ids': (ev.policyIds ?? []).join(','), 'autopilot.policy.verdict': ev.policyVerdict }
              : {}),
            ...(ev.policyDigest ? { 'autopilot.policy.digest': ev.policyDigest } : {}),
            ...(ev.policyObserved
              ? {
                  'autopilot.policy.observed': ev.policyObserved,
                  'autopilot.policy.observed_ids': (ev.policyObservedIds ?? []).join(','),
                }
              : {}),
            ...(ev.persona ? { 'autopilot.persona': ev.persona } : {}),
            ...(ev.decision !== 'allow' ? { 'autopilot.error.code': ev.code ?? 'TOOL_NOT_ALLOWED_IN_PHASE' } : {}),
          },
          { statusMessage: ev.code ?? 'TOOL_NOT_ALLOWED_IN_PHASE' },
        ),
      ];
    case 'alerts':
      return [
        span(
          'autopilot.alerts',
          ev.firing.length ? 'ERROR' : 'OK',
          { 'autopilot.alerts.evaluated': ev.evaluated, 'autopilot.alerts.firing': ev.firing.length },
          {
            id: ev.spanId,
            statusMessage: `${ev.firing.length} alert(s) firing: ${ev.firing.map((a) => a.name).join(', ')}`.slice(
              0,
              300,
            ),
            events: ev.firing.map((a) => ({
              name: 'alert.firing',
              time: iso(ev.endMs),
              attributes: {
                'autopilot.alert.name': a.name,
                'autopilot.alert.metric': a.metric,
                'autopilot.alert.op': a.op,
                'autopilot.alert.threshold': a.threshold,
                'autopilot.alert.value': a.value,
                'autopilot.alert.window_hours': a.windowHours,
              },
            })),
          },
        ),
      ];
  }
}
