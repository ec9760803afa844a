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
import { ErrorCode, ok, refuse, type Remedy, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { Counter } from '../../ports/events.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { readNoFollow } from '../repo/files.ts';
import { sha256Hex } from '../repo/files.ts';
import { allowedCapabilities } from '../../core/policy/tool-policy.ts';
import { canonicalForm } from '../../core/persona.ts';
import { SHIPPED_OVERLAYS, SHIPPED_PERSONAS, SHIPPED_SKILLS } from '../../core/persona-library.ts';
import type { Actor, Engine } from '../context.ts';

const MAX_INSTRUCTION_BYTES = 4 * 1024 * 1024;

/** The phase prompt header Autopilot gives the agent in `phase`. */
export function promptFor(engine: Engine, phase: string): string {
  return phasePrompt(engine.config, phase, allowedCapabilities(engine.config, phase));
}

/** The instruction files the config names that exist, repository-relative, sorted. */
export function instructionFiles(engine: Engine): string[] {
  const root = engine.layout.root;
  const found = new Set<string>();
  for (const pattern of engine.config.attest.files) {
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
function headerDigests(engine: Engine): Record<string, string> {
  let headers = headerCache.get(engine.config);
  if (!headers) {
    headers = {};
    for (const phase of engine.config.phases) headers[phase] = sha256Hex(normalizeForDigest(promptFor(engine, phase)));
    headerCache.set(engine.config, headers);
  }
  return headers;
}

const personaCache = new WeakMap<object, Record<string, string>>();

/**
 * Digests of every persona, overlay and skill pack the config can compile a prompt from (the shipped ones and the
 * repository's own, which win on the same id), by `persona:<id>`, `overlay:<id>` and `skill:<id>`: a pure function of
 * the config.
 */
export function personaDigests(engine: Pick<Engine, 'config'>): Record<string, string> {
  let digests = personaCache.get(engine.config);
  if (!digests) {
    const personas = new Map<string, unknown>(SHIPPED_PERSONAS);
    for (const p of engine.config.personas?.custom ?? []) personas.set(p.id, p);
    const overlays = new Map<string, unknown>(SHIPPED_OVERLAYS);
    for (const o of engine.config.personas?.overlays ?? []) overlays.set(o.id, o);
    const skills = new Map<string, unknown>(SHIPPED_SKILLS);
    for (const k of engine.config.personas?.skills ?? []) skills.set(k.id, k);
    digests = {};
    for (const [id, doc] of [...personas].sort(([a], [b]) => (a < b ? -1 : 1)))
      digests[`persona:${id}`] = sha256Hex(canonicalForm(doc));
    for (const [id, doc] of [...overlays].sort(([a], [b]) => (a < b ? -1 : 1)))
      digests[`overlay:${id}`] = sha256Hex(canonicalForm(doc));
    for (const [id, doc] of [...skills].sort(([a], [b]) => (a < b ? -1 : 1)))
      digests[`skill:${id}`] = sha256Hex(canonicalForm(doc));
    personaCache.set(engine.config, digests);
  }
  return digests;
}

/** Digests of everything attested, now. */
export function currentInputs(engine: Engine): InstructionDigests {
  const files: Record<string, string> = {};
  for (const rel of instructionFiles(engine)) {
    const f = readNoFollow(join(engine.layout.root, rel), MAX_INSTRUCTION_BYTES);
    files[rel] = f.kind === 'file' ? sha256Hex(normalizeForDigest(f.bytes.toString('utf8'))) : `${f.kind}`;
  }
  return { headers: headerDigests(engine), files, personas: personaDigests(engine) };
}

function baselineOf(entry: LedgerEntry): Baseline {
  const d = entry.data as {
    version?: string;
    headers?: Record<string, string>;
    files?: Record<string, string>;
    personas?: Record<string, string>;
  };
  return {
    version: d.version ?? '?',
    headers: d.headers ?? {},
    files: d.files ?? {},
    ...(d.personas ? { personas: d.personas } : {}),
    seq: entry.seq,
  };
}

export async function latestBaseline(engine: Engine): Promise<Baseline | undefined> {
  // Only baselines and updates are `attestation` entries (drift is `prompt_drift`), so the newest one is the baseline.
  const [entry] = await engine.store.entries({ kind: 'attestation', newestFirst: true, limit: 1 });
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
  engine: Engine,
  actor: Actor,
  req: BaselineRequest,
): Promise<Result<Baseline & { drift: Drift[] }>> {
  const previous = await latestBaseline(engine);
  if (previous && !req.update) {
    return refuse(
      ErrorCode.USAGE,
      `a baseline (version ${previous.version}) exists; change it on purpose with an update, which needs a reason and a tag`,
      {
        argument: 'update',
        remedy: { person: 'attest' } satisfies Remedy,
      },
    );
  }
  if (req.update && !req.reason?.trim()) {
    return refuse(ErrorCode.USAGE, 'an attestation update needs a reason: --reason "why the instructions changed"', {
      argument: 'reason',
    });
  }
  const inputs = currentInputs(engine);
  const drift = previous ? compareInstructions(previous, inputs) : [];
  if (previous)
    for (const p of engine.config.phases)
      drift.push(...compareInstructions(previous, inputs, p).filter((d) => d.input.startsWith('prompt:')));
  const version = req.version ?? (previous ? `${previous.version}+1` : '1');
  const entry = await engine.store.transact((tx) =>
    append(engine, tx, {
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
        personas: inputs.personas,
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
export async function checkDrift(engine: Engine, phase?: string): Promise<DriftCheck> {
  const baseline = await latestBaseline(engine);
  if (!baseline) return { baseline: null, drift: [], blocking: false, phase: phase ?? null };
  const inputs = currentInputs(engine);
  const drift = compareInstructions(baseline, inputs, phase);
  if (phase === undefined)
    for (const p of engine.config.phases)
      drift.push(...compareInstructions(baseline, inputs, p).filter((d) => d.input.startsWith('prompt:')));
  return {
    baseline,
    drift,
    blocking: drift.length > 0 && phase !== undefined && engine.config.attest.blockIn.includes(phase),
    phase: phase ?? null,
  };
}

/**
 * The drift check of a move into `to`, inside the move's transaction. Drift is
 * recorded and counted; into a phase the config names it refuses the move.
 */
export async function guardDrift(
  engine: Engine,
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
      `the agent's instructions changed since baseline ${check.baseline?.version}: ${what}. ${check.phase} does not accept drifted instructions; restore them, or have a person record the change as the new baseline`,
      {
        taskId: state.taskId,
        changes: check.drift,
        baseline: check.baseline?.version ?? null,
        phase: check.phase,
        remedy: { person: 'attest' } satisfies Remedy,
      },
    );
    return { ok: false, error: await recordRefusal(engine, tx, state, actor, { action, to }, r.error, startMs) };
  }
  await append(engine, tx, {
    taskId: state.taskId,
    kind: 'prompt_drift',
    fromPhase: state.phase,
    toPhase: to,
    actor: actor.id,
    artifacts: [],
    data: { action: 'drift', severity: 'warning', baseline: check.baseline?.version ?? null, changes: check.drift },
  });
  engine.sink.emit({
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
  engine: Engine,
  actor: Actor,
  check: DriftCheck,
  taskId?: string,
): Promise<LedgerEntry | undefined> {
  if (check.drift.length === 0) return undefined;
  const startMs = Date.now();
  const severity = check.blocking ? 'blocking' : 'warning';
  const entry = await engine.store.transact(async (tx) => {
    let task: TaskState | undefined = taskId ? await tx.getTask(taskId) : undefined;
    if (!taskId) {
      const active = await engine.store.activeTasks();
      if (active.length === 1) task = active[0];
    }
    return append(engine, tx, {
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
  engine.sink.emit({
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
