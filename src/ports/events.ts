/**
 * @module The telemetry port: the engine emits typed events; sinks turn them
 * into spans, counters and lines. A sink never throws and never blocks. The
 * trace and span ids are part of the port: every sink, and the decision
 * journal, derive them the same way, so a span id found in one is found in all.
 */
import { createHash, randomBytes } from 'node:crypto';

export const Counter = {
  phase_skips_attempted: 'phase_skips_attempted',
  phase_validations_failed: 'phase_validations_failed',
  phase_backtracks: 'phase_backtracks',
  prompt_drift_detected: 'prompt_drift_detected',
  evidence_gate_failed: 'evidence_gate_failed',
  tool_calls_blocked: 'tool_calls_blocked',
  phase_lease_contention: 'phase_lease_contention',
  tasks_rejected_for_process_violation: 'tasks_rejected_for_process_violation',
  /** A task the watchdog held for a person: refused again and again for one reason, or not moving forward. */
  tasks_held_by_watchdog: 'tasks_held_by_watchdog',
  /** A tool call that a policy in observe mode would have blocked (it went ahead). */
  policy_would_block: 'policy_would_block',
  /** A gate of the CI gate that decided (its mode not off), by gate and mode. */
  gate_evaluations: 'gate_evaluations',
  /** A gate of the CI gate that failed the branch, by gate. */
  gate_blocks: 'gate_blocks',
  /** A gate in observe mode that would have failed the branch (it did not), by gate. */
  gate_would_block: 'gate_would_block',
} as const;
export type Counter = (typeof Counter)[keyof typeof Counter];

/** Counters recorded outside the ledger: the CI gate's, which runs without a store. */
export const UNLEDGERED_COUNTERS: readonly Counter[] = [
  Counter.gate_evaluations,
  Counter.gate_blocks,
  Counter.gate_would_block,
];

/** Reads back the increments a sink wrote for `names` between two instants (epoch ms), summed by attributes. */
export interface CounterReader {
  counters(
    names: readonly Counter[],
    sinceMs: number,
    untilMs: number,
  ): { name: Counter; attributes: Record<string, string>; value: number }[];
}

/** The histogram of successful transitions, milliseconds, by from and to phase. */
export const TRANSITION_HISTOGRAM = 'transition_duration_ms';

interface EventBase {
  readonly taskId: string | null;
  /** Start and end, epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly actor?: string;
  readonly sessionId?: string;
}

/** An alert rule that fired: its metric's value crossed the threshold over its window. */
export interface FiringAlert {
  readonly name: string;
  readonly metric: string;
  readonly op: 'gt' | 'gte' | 'lt' | 'lte';
  readonly threshold: number;
  readonly value: number;
  readonly windowHours: number;
}

export type AutopilotEvent =
  | (EventBase & {
      readonly type: 'transition';
      readonly from: string | null;
      readonly to: string | null;
      readonly result: 'ok' | 'refused';
      readonly code?: string;
      /** The ledger entry of the move (absent for a refusal: its `violation` event carries that entry). */
      readonly seq?: number;
      readonly kind: 'start' | 'advance' | 'backtrack' | 'abort';
      /** The digest of the policy set the move was decided under (`autopilot.policy.digest`), for a recorded advance. */
      readonly policyDigest?: string;
      /** The move out of the implement phase: the policies that decided its change (`autopilot.policy.ids`) and their verdict (`.verdict`). */
      readonly policyIds?: readonly string[];
      readonly policyVerdict?: 'allow' | 'deny' | 'ask';
      /** What the entered phase's agent is told (`autopilot.prompt.sha256`, `autopilot.persona.sha256`, …). */
      readonly prompt?: {
        readonly sha256: string;
        readonly persona: string;
        readonly personaSha256: string;
        readonly variant?: string;
      };
    })
  | (EventBase & {
      readonly type: 'violation';
      readonly phase: string | null;
      /** The phase the refused move aimed at, when it had one. */
      readonly to?: string | null;
      readonly code: string;
      readonly message: string;
      readonly seq?: number;
    })
  | (EventBase & {
      readonly type: 'verify';
      readonly phase: string;
      readonly passed: boolean;
      readonly seq?: number;
      readonly commands: readonly { name: string; exitCode: number | null; startMs: number; endMs: number }[];
    })
  | (EventBase & {
      readonly type: 'guard';
      readonly phase: string | null;
      readonly tool: string;
      readonly decision: 'allow' | 'deny' | 'ask';
      readonly capabilities: readonly string[];
      /** The policies that decided (span attribute `autopilot.policy.ids`) and their verdict (`.verdict`). */
      readonly policyIds?: readonly string[];
      readonly policyVerdict?: 'allow' | 'deny' | 'ask';
      /** What observe-mode policies would have decided, where stricter (`autopilot.policy.observed`). */
      readonly policyObserved?: 'allow' | 'deny' | 'ask';
      /** The observe-mode decision's policies (`autopilot.policy.observed_ids`). */
      readonly policyObservedIds?: readonly string[];
      /** The digest of the policy set that decided (`autopilot.policy.digest`). */
      readonly policyDigest?: string;
      /** The refusal's code when it is not the phase's (TOOL_NOT_ALLOWED_FOR_PERSONA: the persona's allowlist). */
      readonly code?: string;
      /** The persona the call was judged for (`autopilot.persona`). */
      readonly persona?: string;
      /** The `tool_blocked` entry of a denial or an ask, or the `violation` entry of a persona's denial. */
      readonly seq?: number;
    })
  | (EventBase & {
      readonly type: 'counter';
      readonly name: Counter;
      readonly value: number;
      readonly attributes: Readonly<Record<string, string>>;
    })
  | (EventBase & {
      readonly type: 'alerts';
      /** The evaluation's span id, chosen by the engine so that the journal can name it. */
      readonly spanId: string;
      readonly evaluated: number;
      readonly firing: readonly FiringAlert[];
    });

export interface EventSink {
  emit(event: AutopilotEvent): void;
  /** Writes out whatever is buffered. Never rejects. */
  flush(): Promise<void>;
}

export const noopSink: EventSink = { emit() {}, flush: async () => {} };

/** Fans one event out to several sinks; one failing sink never stops the others. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return {
    emit(event) {
      for (const s of sinks) {
        try {
          s.emit(event);
        } catch {
          // A sink must not throw; if one does, telemetry loses a line, never the process.
        }
      }
    },
    async flush() {
      await Promise.all(sinks.map((s) => s.flush().catch(() => undefined)));
    },
  };
}

/**
 * A sink that arrives later (one whose SDK is imported on demand): events wait
 * in a bounded queue until it is there. When it cannot be had, `report` is told
 * once and the events are dropped; the process goes on.
 */
export function deferredSink(
  loading: Promise<EventSink>,
  report: (err: unknown) => void,
  maxQueued = 10_000,
): EventSink {
  let sink: EventSink | null = null;
  let failed = false;
  const queue: AutopilotEvent[] = [];
  const ready = loading.then(
    (s) => {
      sink = s;
      for (const ev of queue.splice(0)) safeEmit(s, ev);
    },
    (err: unknown) => {
      failed = true;
      queue.length = 0;
      report(err);
    },
  );
  return {
    emit(event) {
      if (sink) safeEmit(sink, event);
      else if (!failed && queue.length < maxQueued) queue.push(event);
    },
    async flush() {
      await ready;
      await (sink as EventSink | null)?.flush().catch(() => undefined);
    },
  };
}

function safeEmit(sink: EventSink, event: AutopilotEvent): void {
  try {
    sink.emit(event);
  } catch {
    // see fanOut
  }
}

/** One trace per task: the trace id and the root span id are derived from the task id, so every process agrees. */
export function taskTraceIds(taskId: string | null): { traceId: string; rootSpanId: string } {
  const h = createHash('sha256')
    .update(`autopilot-task:${taskId ?? '-'}`)
    .digest('hex');
  return { traceId: h.slice(0, 32), rootSpanId: h.slice(32, 48) };
}

/**
 * The span id of the span that stands for ledger entry `seq` (and, with `part`, of
 * one of its children, such as a verify command), so that sinks, processes and
 * the journal name the same span without telling each other.
 */
export function entrySpanId(taskId: string | null, seq: number, part = ''): string {
  return createHash('sha256')
    .update(`autopilot-span:${taskId ?? '-'}:${seq}:${part}`)
    .digest('hex')
    .slice(0, 16);
}

/** A span id for a span no ledger entry stands for. */
export function randomSpanId(): string {
  return randomBytes(8).toString('hex');
}
