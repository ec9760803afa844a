/**
 * @module Use cases: put an artifact into the current phase's evidence folder
 * (from a file or from content), and check a phase's evidence without moving.
 */
import { PR_URL, PUSHED_COMMIT } from '../../core/config.ts';
import { guardEscalation } from '../approvals/hold.ts';
import { ErrorCode, ok, refuse, type Refusal, type Remedy, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { phaseIndex, normalizePhase } from '../../core/phases.ts';
import { refusePhaseUnknown, type TaskState, refuseInactive } from '../../core/task.ts';
import { validateArtifact, type Finding } from '../../validators/index.ts';
import { decodeEvidence } from '../../validators/text.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { guardLease, holderOf } from './leases.ts';
import { guardRole } from '../evidence/role.ts';
import { readNoFollow, writeAtomic } from '../repo/files.ts';
import { checkArtifactName, phaseFolder } from '../evidence/folder.ts';
import { evidenceRel } from '../repo/layout.ts';
import { sha256Hex } from '../repo/files.ts';
import { checkPhase, type PhaseGateReport } from '../evidence/phase-gate.ts';
import { checkReview, readReviewInputs } from '../evidence/review.ts';
import { gatherEvidenceContext } from '../evidence/context.ts';
import { tidyArchive } from '../evidence/archive.ts';
import { asFindings, scanEvidenceFile } from '../evidence/secrets.ts';
import type { Actor, Engine } from '../context.ts';
import { clause } from '../../core/phrasing.ts';
import { guardContract } from './contract.ts';
import { loadTask } from '../ledger/load-task.ts';
import { repairContract, type ContractRepair } from '../../core/contracts/repair.ts';
import { contractSchemaFile } from '../../core/contracts/schemas.ts';

/** Evidence the outbox writes from an effect's result, not a producer at a move. */
const OUTBOX_WRITTEN: readonly string[] = [PR_URL, PUSHED_COMMIT];

export interface PutEvidenceRequest {
  readonly taskId: string;
  readonly phase: string;
  readonly name: string;
  readonly content: Uint8Array;
  readonly token?: number;
}

export interface PutEvidenceOutcome {
  readonly task: TaskState;
  readonly entry: LedgerEntry;
  readonly path: string;
  readonly sha256: string;
  /** What the phase's contract says of this file now; the gate checks again at advance. */
  readonly findings: readonly Finding[];
  /** For a typed contract: each mechanical repair made to the file before it was stored (also in the ledger entry). */
  readonly repairs: readonly ContractRepair[];
}

/** Reads a source file for `evidence add`: never through a symlink, never more than the cap. */
export function readSourceFile(path: string, maxBytes: number): Result<Uint8Array> {
  const file = readNoFollow(path, maxBytes);
  switch (file.kind) {
    case 'file':
      return ok(file.bytes);
    case 'missing':
      return refuse(ErrorCode.USAGE, `no file at ${path}`, { argument: 'file' });
    case 'symlink':
      return refuse(
        ErrorCode.PATH_OUTSIDE_EVIDENCE,
        `${path} is a symlink; evidence is copied from regular files only`,
        { name: path, reason: 'symlink' },
      );
    case 'not-a-file':
      return refuse(ErrorCode.USAGE, `${path} is not a regular file`, { argument: 'file' });
    case 'too-large':
      return refuse(
        ErrorCode.EVIDENCE_INVALID,
        `${path} is ${file.size} bytes, over the ${maxBytes}-byte evidence limit (limits.maxEvidenceBytes)`,
        {
          phase: null,
          findings: [{ file: path, rule: 'size', problem: `${file.size} bytes`, fix: 'shorten it' }],
        },
      );
  }
}

/**
 * Records a refused `evidence add` whose source file cannot be used (a symlink, over the size
 * limit) as a violation of the task when it exists and is active: rejected attempts are ledger
 * entries too. Usage errors (no such file, a folder) are returned as they are.
 */
export async function refuseSourceFile(
  engine: Engine,
  actor: Actor,
  taskId: string,
  refusal: Refusal,
): Promise<Refusal> {
  if (refusal.code === ErrorCode.USAGE) return refusal;
  const startMs = Date.now();
  return engine.store.transact(async (tx) => {
    const state = await tx.getTask(taskId);
    if (!state || state.status !== 'active') return refusal;
    return recordRefusal(engine, tx, state, actor, { action: 'evidence_put' }, refusal, startMs);
  });
}

export async function putEvidence(
  engine: Engine,
  actor: Actor,
  req: PutEvidenceRequest,
): Promise<Result<PutEvidenceOutcome>> {
  const startMs = Date.now();
  const name = checkArtifactName(req.name);
  const max = engine.config.limits.maxEvidenceBytes;
  // What the file's findings compare it with, read before the transaction (the store's task list among it).
  const before = await engine.store.getTask(req.taskId);
  const putPhase = normalizePhase(engine.config.phases, req.phase);
  const context = before && putPhase ? await gatherEvidenceContext(engine, before, putPhase, null) : undefined;
  // A secret never reaches the evidence folder, which is committed with the work.
  const secrets = await scanEvidenceFile(req.name, req.content);
  return engine.store.transact(async (tx): Promise<Result<PutEvidenceOutcome>> => {
    const loaded = await loadTask(tx, req.taskId);
    if (!loaded.ok) return loaded;
    const state = loaded.value;
    const fail = async (r: { ok: false; error: Refusal }) => ({
      ok: false as const,
      error: await recordRefusal(engine, tx, state, actor, { action: 'evidence_put' }, r.error, startMs),
    });
    if (state.status !== 'active') return refuseInactive(state, 'its evidence is sealed');
    const escalation = await guardEscalation(engine, tx, state, actor, { action: 'evidence_put' }, startMs);
    if (!escalation.ok) return escalation;
    const contract = await guardContract(engine, tx, state, actor, { action: 'evidence_put' }, startMs);
    if (!contract.ok) return contract;
    const phase = normalizePhase(engine.config.phases, req.phase);
    if (!phase) return fail(refusePhaseUnknown(req.phase, engine.config));
    if (!name.ok) return fail(name);
    const role = guardRole(engine, actor, 'evidence_put', { phase, name: req.name });
    if (!role.ok) return fail(role);
    const pi = phaseIndex(engine.config.phases, phase);
    const ci = phaseIndex(engine.config.phases, state.phase);
    if (pi > ci) {
      return fail(
        refuse(
          ErrorCode.PHASE_SKIP,
          `${req.taskId} is in ${state.phase}; evidence for ${phase} is added after advancing to it`,
          {
            from: state.phase,
            to: phase,
            next: engine.config.phases[ci + 1] ?? null,
          },
        ),
      );
    }
    if (pi < ci) {
      return fail(
        refuse(
          ErrorCode.EVIDENCE_PROTECTED,
          `${phase} is already passed and its evidence is sealed; to change it, backtrack to ${phase}`,
          {
            taskId: req.taskId,
            phase,
            name: req.name,
            producer: 'sealed',
            remedy: { backtrackTo: phase } satisfies Remedy,
          },
        ),
      );
    }
    const rule = (engine.config.evidence[phase] ?? []).find((r) => r.name === req.name);
    // What Autopilot wrote is Autopilot's, whether or not the config has a rule for it (impact.json, secrets_scan.json).
    const wrote = state.artifacts[evidenceRel(req.taskId, phase, req.name)]?.producer === 'autopilot';
    if (rule?.producer === 'autopilot' || wrote) {
      return fail(
        refuse(
          ErrorCode.EVIDENCE_PROTECTED,
          OUTBOX_WRITTEN.includes(req.name)
            ? `${req.name} is written by Autopilot from what the outbox did (the forge's answer, the remote's commit), so it cannot be added or replaced; it appears once the outbox has sent the task's pull request or push`
            : `${req.name} is produced by Autopilot itself and cannot be added or replaced; Autopilot writes it when the task advances${phase === engine.config.roles.verify ? ' (or when verify runs)' : ''}`,
          {
            taskId: req.taskId,
            phase,
            name: req.name,
            producer: 'autopilot',
          },
        ),
      );
    }
    if (req.content.byteLength > max) {
      return fail(
        refuse(
          ErrorCode.EVIDENCE_INVALID,
          `${req.name} is ${req.content.byteLength} bytes, over the ${max}-byte limit (limits.maxEvidenceBytes)`,
          {
            phase,
            findings: [{ file: req.name, rule: 'size', problem: `${req.content.byteLength} bytes`, fix: 'shorten it' }],
          },
        ),
      );
    }
    // Evidence is text: a binary or non-UTF-8 file can never meet a contract, so it is not stored at all.
    const decoded = decodeEvidence(req.content, evidenceRel(state.taskId, phase, req.name), max);
    if (!decoded.ok) {
      const f = decoded.finding;
      return fail(
        refuse(ErrorCode.EVIDENCE_INVALID, `${req.name} is not evidence: ${clause(f.problem)}. ${f.fix}`, {
          phase,
          findings: [f],
        }),
      );
    }
    if (secrets.length > 0) {
      const findings = asFindings(secrets, evidenceRel(state.taskId, phase, req.name), req.name);
      return fail(
        refuse(
          ErrorCode.EVIDENCE_INVALID,
          `${req.name} is not stored: ${findings.map((f) => clause(f.problem)).join('; ')}. Remove each secret (name it instead of quoting it) and add the file again; revoke a real one`,
          { phase, findings },
        ),
      );
    }
    // A typed contract is stored in its normal form, or not at all: what a repair cannot decide is the author's.
    let content = req.content;
    let repairs: readonly ContractRepair[] = [];
    if (rule?.contract) {
      const repaired = repairContract(rule.contract, decoded.text, context?.contracts ?? {});
      if (!repaired.ok) {
        const rel = evidenceRel(state.taskId, phase, req.name);
        const findings: Finding[] = repaired.issues.map((i) => ({
          file: rel,
          rule: 'contract',
          field: i.field,
          problem: `${rule.contract} ${i.field}: ${i.problem}`,
          fix: i.fix,
        }));
        const first = repaired.issues[0];
        return fail(
          refuse(
            ErrorCode.EVIDENCE_INVALID,
            `${req.name} does not meet the ${rule.contract} contract and is not stored: ${first ? `${first.field}: ${clause(first.problem)}. ${clause(first.fix)}` : ''}${repaired.issues.length > 1 ? ` (and ${repaired.issues.length - 1} more)` : ''}`,
            {
              phase,
              name: req.name,
              contract: rule.contract,
              schema: contractSchemaFile(rule.contract),
              fields: repaired.issues.map((i) => i.field),
              findings,
            },
          ),
        );
      }
      content = new TextEncoder().encode(repaired.text);
      repairs = repaired.repairs;
    }
    // A reviewer writes beside the working agent, which keeps its lease while it waits for the review: the lease
    // keeps two hands off the work, and the rubric is the only file a reviewer can write.
    if (actor.role !== 'reviewer') {
      const lease = await guardLease(engine, tx, state, actor, 'evidence_put', req.token, startMs);
      if (!lease.ok) return lease;
    }
    const folder = phaseFolder(engine.layout, state.taskId, phase);
    if (!folder.ok) return fail(folder);
    const path = evidenceRel(state.taskId, phase, req.name);
    tidyArchive(engine.layout, state);
    writeAtomic(folder.value, req.name, content);
    const sha256 = sha256Hex(content);
    const findings = rule
      ? validateArtifact(rule, content, { path, maxBytes: max, ...(context ? { context } : {}) })
      : [];
    const entry = await append(engine, tx, {
      taskId: state.taskId,
      kind: 'evidence',
      fromPhase: phase,
      toPhase: null,
      actor: actor.id,
      artifacts: [{ path, sha256, producer: 'agent' }],
      // The hand and role are what the review gate reads to tell a review from self-review (core/review.ts).
      data: {
        name: req.name,
        bytes: content.byteLength,
        findings: findings.length,
        // The evidence's record of what was normalised, so that the stored bytes can be traced to what was handed in.
        ...(rule?.contract ? { contract: rule.contract, repairs, receivedSha256: sha256Hex(req.content) } : {}),
        holder: holderOf(actor),
        ...(actor.role ? { role: actor.role } : {}),
      },
    });
    const task = (await tx.getTask(state.taskId)) ?? state;
    return ok({ task, entry, path, sha256, findings, repairs });
  });
}

/**
 * Checks a phase's evidence as the gate would, without producing or moving:
 * Autopilot's artifacts must already be there. Defaults to the current phase.
 */
export async function checkEvidence(
  engine: Engine,
  req: { taskId: string; phase?: string },
): Promise<Result<PhaseGateReport>> {
  const loaded = await loadTask(engine.store, req.taskId);
  if (!loaded.ok) return loaded;
  const state = loaded.value;
  const phase = req.phase === undefined ? state.phase : normalizePhase(engine.config.phases, req.phase);
  if (!phase) return refusePhaseUnknown(req.phase ?? '', engine.config);
  if (phase !== state.phase) {
    // A passed phase is checked as it was recorded: every Autopilot artifact against its ledger digest.
    const recorded = new Map(
      Object.values(state.artifacts)
        .filter((a) => a.path.startsWith(evidenceRel(state.taskId, phase, '')) && a.producer === 'autopilot')
        .map((a) => [a.path.slice(a.path.lastIndexOf('/') + 1), a.sha256]),
    );
    return ok(checkPhase(engine, state, phase, await gatherEvidenceContext(engine, state, phase), recorded));
  }
  const report = checkPhase(engine, state, phase, await gatherEvidenceContext(engine, state, phase));
  // The review phase also needs its rubric from another hand: said here too, not first at the advance.
  // A rubric not written yet is the gate's own finding (missing); a written one is judged for its hand.
  const reviewing = await readReviewInputs(engine, state);
  const written = reviewing && report.artifacts.some((a) => a.path.endsWith(`/${reviewing.rules.artifact}`));
  const review = reviewing && written ? checkReview(reviewing, state, report) : null;
  return ok(review ? { ...report, passed: false, findings: [...report.findings, review] } : report);
}
