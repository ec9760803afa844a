/**
 * @module The public API: the engine's use cases, the store port and adapters
 * that load nothing heavy, and the pure core types. Every line here is public.
 */
export { ErrorCode, AutopilotError, exitCodeFor } from './core/errors.ts';
export type { Refusal, Result } from './core/errors.ts';
export { DEFAULT_PHASES } from './core/phases.ts';
export { parseConfig, defaultConfig, DEFAULT_EVIDENCE } from './core/config.ts';
export type { Config, ArtifactRule, SectionRule, JsonAssertion, CommandSpec } from './core/config.ts';
export { GENESIS_HASH, canonicalPayload, checkChain } from './core/ledger.ts';
export type { LedgerEntry, EntryDraft, ArtifactRef, ChainHead, EntryKind } from './core/ledger.ts';
export type { TaskState, TaskStatus } from './core/task.ts';
export type { Lease } from './core/lease.ts';
export type { Store, StoreTx, EntryQuery } from './ports/store.ts';
export { StaleHeadError } from './ports/store.ts';
export { systemClock } from './ports/clock.ts';
export type { Clock } from './ports/clock.ts';
export {
  noopSink,
  fanOut,
  deferredSink,
  Counter,
  TRANSITION_HISTOGRAM,
  taskTraceIds,
  entrySpanId,
} from './ports/events.ts';
export type { EventSink, AutopilotEvent, FiringAlert } from './ports/events.ts';
export type { CommandRunner, RunRequest, RunResult } from './ports/runner.ts';
export { openEngine, closeEngine } from './engine/context.ts';
export type { Engine, Actor, OpenOptions } from './engine/context.ts';
export { startTask } from './engine/task/start.ts';
export { advance } from './engine/task/advance.ts';
export { backtrack } from './engine/task/backtrack.ts';
export { putEvidence, checkEvidence } from './engine/task/evidence.ts';
export { runVerify } from './engine/task/verify.ts';
export { leaseOp } from './engine/task/leases.ts';
export { verifyLedger } from './engine/ledger/verify.ts';
export { computeMetrics, parseWindow } from './engine/telemetry/metrics.ts';
export type { MetricsReport } from './engine/telemetry/metrics.ts';
export { computeSlo, evaluateAlerts, SLO_GOALS } from './engine/telemetry/slo.ts';
export type { SloReport, AlertsReport } from './engine/telemetry/slo.ts';
export { exportLedger } from './engine/ledger/export.ts';
export { planInit, applyInit } from './engine/setup/init.ts';
export { MemoryStore } from './adapters/memory/index.ts';
export { SqliteStore } from './adapters/sqlite/index.ts';
export type { Finding } from './validators/index.ts';
