/**
 * @module Use cases of instruction drift: record a baseline of the agent's
 * instructions, check the current ones against it, and the drift check every
 * phase move goes through.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import {
  compareInstructions,
  normalizeForDigest,
  type InstructionDigests,
  type Baseline,
  type Drift,
} from '../../core/drift.ts';
import { phasePrompt } from '../../core/prompts.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { Counter } from '../../ports/events.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { readNoFollow } from '../repo/files.ts';
import { sha256Hex } from '../repo/files.ts';
import { allowedCapabilities } from '../../core/policy/tool-policy.ts';
import type { Actor, Engine } from '../context.ts';

const MAX_INSTRUCTION_BYTES = 4 * 1024 * 1024;

/** The phase prompt header Autopilot gives the agent in `phase`. */
export function promptFor(e: Engine, phase: string): string {
  return phasePrompt(e.config, phase, allowedCapabilities(e.config, phase));
}

/** The instruction files the config names that exist, repository-relative, sorted. */
export function instructionFiles(e: Engine): string[] {
  const root = e.layout.root;
  const found = new Set<string>();
  for (const pattern of e.config.attest.files) {
    if (!isDynamicPattern(pattern)) {
      if (existsSync(join(root, pattern))) found.add(pattern);
      continue;
    }
    // Only walk folders that exist: most repositories have no .cursor/ or .claude/.
    const base = pattern.split('/').findIndex((part) => isDynamicPattern(part));
    const dir = pattern.split('/').slice(0, base).join('/');
    if (dir && !existsSync(join(root, dir))) continue;
    for (const f of globSync(pattern, { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: false }))
      found.add(f);
  }
  return [...found].sort();
}

const headerCache = new WeakMap<object, Record<string, string>>();

/** Digests of each phase's prompt header: a pure function of the config, so computed once per config. */
function headerDigests(e: Engine): Record<string, string> {
  let headers = headerCache.get(e.config);
  if (!headers) {
    headers = {};
    for (const phase of e.config.phases) headers[phase] = sha256Hex(normalizeForDigest(promptFor(e, phase)));
    headerCache.set(e.config, headers);
  }
  return headers;
}

/** Digests of everything attested, now. */
export function currentInputs(e: Engine): InstructionDigests {
  const files: Record<string, string> = {};
  for (const rel of instructionFiles(e)) {
    const f = readNoFollow(join(e.layout.root, rel), MAX_INSTRUCTION_BYTES);
    files[rel] = f.kind === 'file' ? sha256Hex(normalizeForDigest(f.bytes.toString('utf8'))) : `${f.kind}`;
  }
  return { headers: headerDigests(e), files };
}

function baselineOf(entry: LedgerEntry): Baseline {
  const d = entry.data as { version?: string; headers?: Record<string, string>; files?: Record<string, string> };
  return { version: d.version ?? '?', headers: d.headers ?? {}, files: d.files ?? {}, seq: entry.seq };
}

export async function latestBaseline(e: Engine): Promise<Baseline | undefined> {
  // Only baselines and updates are `attestation` entries (drift is `prompt_drift`), so the newest one is the baseline.
  const [entry] = await e.store.entries({ kind: 'attestation', newestFirst: true, limit: 1 });
  return entry ? baselineOf(entry) : undefined;
}

export interface BaselineRequest {
  readonly version?: string;
  /** Required for an update of an existing baseline: why the instructions changed. */
  readonly reason?: string;
  readonly update?: boolean;
}

/** Records the current instructions as the baseline. A second baseline must be an update, with a reason. */
export async function recordBaseline(
  e: Engine,
  actor: Actor,
  req: BaselineRequest,
): Promise<Result<Baseline & { drift: Drift[] }>> {
  const previous = await latestBaseline(e);
  if (previous && !req.update) {
    return refuse(
      ErrorCode.USAGE,
      `a baseline (version ${previous.version}) exists; change it on purpose with: autopilot attest update --reason "…" --tag TAG`,
      {
        argument: 'update',
      },
    );
  }
  if (req.update && !req.reason?.trim()) {
    return refuse(ErrorCode.USAGE, 'an attestation update needs a reason: --reason "why the instructions changed"', {
      argument: 'reason',
    });
  }
  const inputs = currentInputs(e);
  const drift = previous ? compareInstructions(previous, inputs) : [];
  if (previous)
    for (const p of e.config.phases)
      drift.push(...compareInstructions(previous, inputs, p).filter((d) => d.input.startsWith('prompt:')));
  const version = req.version ?? (previous ? `${previous.version}+1` : '1');
  const entry = await e.store.transact((tx) =>
    append(e, tx, {
      taskId: null,
      kind: 'attestation',
      fromPhase: null,
      toPhase: null,
      actor: actor.id,
      artifacts: [],
      data: {
        action: req.update ? 'update' : 'baseline',
        version,
        ...(req.reason ? { reason: req.reason.slice(0, 2000) } : {}),
        ...(previous ? { previousVersion: previous.version, changes: drift } : {}),
        headers: inputs.headers,
        files: inputs.files,
      },
    }),
  );
  return ok({ ...baselineOf(entry), drift });
}

export interface DriftCheck {
  readonly baseline: Baseline | null;
  readonly drift: Drift[];
  /** True when the drift blocks moves in `phase`. */
  readonly blocking: boolean;
  readonly phase: string | null;
}

/** Compares the current instructions with the baseline, for a phase (every phase's header when none is given). */
export async function checkDrift(e: Engine, phase?: string): Promise<DriftCheck> {
  const baseline = await latestBaseline(e);
  if (!baseline) return { baseline: null, drift: [], blocking: false, phase: phase ?? null };
  const inputs = currentInputs(e);
  const drift = compareInstructions(baseline, inputs, phase);
  if (phase === undefined)
    for (const p of e.config.phases)
      drift.push(...compareInstructions(baseline, inputs, p).filter((d) => d.input.startsWith('prompt:')));
  return {
    baseline,
    drift,
    blocking: drift.length > 0 && phase !== undefined && e.config.attest.blockIn.includes(phase),
    phase: phase ?? null,
  };
}

/**
 * The drift check of a move into `to`, inside the move's transaction. Drift is
 * recorded and counted; into a phase the config names it refuses the move.
 */
export async function guardDrift(
  e: Engine,
  tx: StoreTx,
  state: TaskState,
  actor: Actor,
  action: string,
  to: string | null,
  check: DriftCheck,
  startMs: number,
): Promise<Result<Drift[]>> {
  if (check.drift.length === 0) return ok([]);
  const what = check.drift.map((d) => `${d.input} ${d.change}`).join(', ');
  if (check.blocking) {
    const r = refuse(
      ErrorCode.PROMPT_DRIFT,
      `the agent's instructions changed since baseline ${check.baseline?.version}: ${what}. ${check.phase} does not accept drifted instructions; restore them, or have a person record the change: autopilot attest update --reason "…" --tag TAG`,
      { changes: check.drift, baseline: check.baseline?.version ?? null, phase: check.phase },
    );
    return { ok: false, error: await recordRefusal(e, tx, state, actor, { action, to }, r.error, startMs) };
  }
  await append(e, tx, {
    taskId: state.taskId,
    kind: 'prompt_drift',
    fromPhase: state.phase,
    toPhase: to,
    actor: actor.id,
    artifacts: [],
    data: { action: 'drift', severity: 'warning', baseline: check.baseline?.version ?? null, changes: check.drift },
  });
  e.sink.emit({
    type: 'counter',
    name: Counter.prompt_drift_detected,
    value: 1,
    attributes: { phase: to ?? state.phase, severity: 'warning' },
    taskId: state.taskId,
    startMs,
    endMs: Date.now(),
    actor: actor.id,
  });
  return ok(check.drift);
}

/**
 * Records drift found by a check outside a move (`attest check`), as a move records it: a `prompt_drift` entry, of
 * the task when one is named or the only one active, else of none, and one `prompt_drift_detected`. No drift
 * records nothing.
 */
export async function recordDriftCheck(
  e: Engine,
  actor: Actor,
  check: DriftCheck,
  taskId?: string,
): Promise<LedgerEntry | undefined> {
  if (check.drift.length === 0) return undefined;
  const startMs = Date.now();
  const severity = check.blocking ? 'blocking' : 'warning';
  const entry = await e.store.transact(async (tx) => {
    let task: TaskState | undefined = taskId ? await tx.getTask(taskId) : undefined;
    if (!taskId) {
      const active = (await e.store.listTasks()).filter((t) => t.status === 'active');
      if (active.length === 1) task = active[0];
    }
    return append(e, tx, {
      taskId: task?.taskId ?? null,
      kind: 'prompt_drift',
      fromPhase: task?.phase ?? check.phase,
      toPhase: null,
      actor: actor.id,
      artifacts: [],
      data: {
        action: 'check',
        severity,
        baseline: check.baseline?.version ?? null,
        changes: check.drift,
        ...(check.phase ? { phase: check.phase } : {}),
      },
    });
  });
  e.sink.emit({
    type: 'counter',
    name: Counter.prompt_drift_detected,
    value: 1,
    attributes: { phase: entry.fromPhase ?? '', severity },
    taskId: entry.taskId,
    startMs,
    endMs: Date.now(),
    actor: actor.id,
  });
  return entry;
}
