/**
 * @module The telemetry port: the engine emits typed events; sinks turn them
 * into spans, counters and lines. A sink never throws and never blocks.
 */

export const Counter = {
  phase_skips_attempted: 'phase_skips_attempted',
  phase_validations_failed: 'phase_validations_failed',
  phase_backtracks: 'phase_backtracks',
  prompt_drift_detected: 'prompt_drift_detected',
  evidence_gate_failed: 'evidence_gate_failed',
  tool_calls_blocked: 'tool_calls_blocked',
  phase_lease_contention: 'phase_lease_contention',
  tasks_rejected_for_process_violation: 'tasks_rejected_for_process_violation',
} as const;
export type Counter = (typeof Counter)[keyof typeof Counter];

interface EventBase {
  readonly taskId: string | null;
  /** Start and end, epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly actor?: string;
  readonly sessionId?: string;
}

export type AutopilotEvent =
  | (EventBase & {
      readonly type: 'transition';
      readonly from: string | null;
      readonly to: string | null;
      readonly result: 'ok' | 'refused';
      readonly code?: string;
      readonly seq?: number;
      readonly kind: 'start' | 'advance' | 'backtrack' | 'abort';
    })
  | (EventBase & {
      readonly type: 'violation';
      readonly phase: string | null;
      readonly code: string;
      readonly message: string;
      readonly seq?: number;
    })
  | (EventBase & {
      readonly type: 'verify';
      readonly phase: string;
      readonly passed: boolean;
      readonly commands: readonly { name: string; exitCode: number | null; startMs: number; endMs: number }[];
    })
  | (EventBase & {
      readonly type: 'guard';
      readonly phase: string | null;
      readonly tool: string;
      readonly decision: 'allow' | 'deny' | 'ask';
      readonly capabilities: readonly string[];
    })
  | (EventBase & { readonly type: 'counter'; readonly name: Counter; readonly value: number; readonly attributes: Readonly<Record<string, string>> });

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
