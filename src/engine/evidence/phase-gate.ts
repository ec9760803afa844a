/**
 * @module The evidence gate of a phase: reads the phase folder, runs the
 * contract's validators, checks Autopilot-produced files against the ledger,
 * and lists every file with its digest for the entry that passes the phase.
 */
import { join } from 'node:path';
import { ErrorCode, type Refusal, type Remedy } from '../../core/errors.ts';
import type { ArtifactRef } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import { phaseDir, type PhaseRoles } from '../../core/phases.ts';
import { validateArtifact, missingArtifact, type EvidenceContext, type Finding } from '../../validators/index.ts';
import { evidenceRel } from '../repo/layout.ts';
import { listFolder, readNoFollow } from '../repo/files.ts';
import { phaseFolder } from './folder.ts';
import { settleArchive } from './archive.ts';
import type { Engine } from '../context.ts';
import { clause } from '../../core/phrasing.ts';
import { waivedCheckOf } from '../../core/waivers.ts';
import { secretFindings } from './secrets.ts';
import { planCoverage } from '../../core/contracts/plan-diff.ts';
import { planRuleBefore } from './task-plan.ts';

export interface PhaseGateReport {
  readonly phase: string;
  readonly passed: boolean;
  readonly findings: readonly Finding[];
  /** Every file of the phase folder with its digest. */
  readonly artifacts: readonly ArtifactRef[];
}

/** How to produce an Autopilot artifact that is missing, for the phase in the verify role. */
const VERIFY_HINT = 'run verify, or advance, which runs it';

/** How to produce an Autopilot artifact that is missing, for the phase in the implement role. */
const IMPLEMENT_HINT = 'Autopilot writes it from git when the task advances: change the source first';

/** How to produce an Autopilot artifact that is missing, by phase name for the other producers. */
const PRODUCE_HINT: readonly (readonly [keyof PhaseRoles, string])[] = [
  ['verify', VERIFY_HINT],
  ['implement', IMPLEMENT_HINT],
  ['review', 'Autopilot writes it from the configured lint command when the task advances'],
  ['ci', 'Autopilot writes it from the CI results (the forge or the configured CI commands) when the task advances'],
  ['monitor', 'Autopilot writes it from the configured smoke commands when the task advances'],
];

function produceHint(roles: PhaseRoles, phase: string): string | undefined {
  return PRODUCE_HINT.find(([role]) => roles[role] === phase)?.[1];
}

const MAX_FILES = 200;

/**
 * Checks the current phase's evidence. `produced` holds what Autopilot itself
 * just wrote (name → digest); other Autopilot artifacts must match the ledger.
 * `context` is what the validators compare the files with (gatherEvidenceContext).
 */
export function checkPhase(
  engine: Engine,
  state: TaskState,
  phase: string,
  context: EvidenceContext,
  produced: ReadonlyMap<string, string> = new Map(),
): PhaseGateReport {
  const findings: Finding[] = [];
  const artifacts: ArtifactRef[] = [];
  const rules = engine.config.evidence[phase] ?? [];
  // A backtrack whose process died after its commit leaves the archived files live too: they are not fresh evidence.
  settleArchive(engine.layout, state);
  const folder = phaseFolder(engine.layout, state.taskId, phase);
  if (!folder.ok) {
    return {
      phase,
      passed: false,
      findings: [
        {
          file: evidenceRel(state.taskId, phase, ''),
          rule: 'symlink',
          problem: folder.error.message,
          fix: 'replace the symlink with a real folder',
        },
      ],
      artifacts,
    };
  }
  const maxBytes = engine.config.limits.maxEvidenceBytes;
  const byName = new Map(rules.map((r) => [r.name, r]));
  const names = new Set([...listFolder(folder.value).slice(0, MAX_FILES), ...rules.map((r) => r.name)]);
  for (const name of names) {
    const rel = evidenceRel(state.taskId, phase, name);
    const rule = byName.get(name);
    const file = readNoFollow(join(folder.value, name), Math.max(maxBytes, rule?.maxBytes ?? 0));
    if (file.kind === 'missing') {
      if (rule?.required)
        findings.push(
          missingArtifact(
            rule,
            rel,
            rule.producer === 'autopilot' ? produceHint(engine.config.roles, phase) : undefined,
          ),
        );
      continue;
    }
    if (file.kind !== 'file') {
      findings.push({
        file: rel,
        rule: file.kind === 'too-large' ? 'size' : 'symlink',
        problem:
          file.kind === 'too-large'
            ? `${name} is ${file.size} bytes, over the ${maxBytes}-byte limit`
            : `${name} is a ${file.kind}, not a regular file`,
        fix: file.kind === 'too-large' ? 'shorten it' : `replace it with a regular file`,
      });
      continue;
    }
    // A file no rule names is Autopilot's when it wrote it now or earlier in this visit (impact.json, secrets_scan.json).
    const producer =
      rule?.producer ?? (produced.has(name) || recordedInPhase(state, rel) !== undefined ? 'autopilot' : 'agent');
    artifacts.push({ path: rel, sha256: file.sha256, producer });
    // Every file of the folder, with a rule or not, Autopilot's or the agent's: evidence is committed with the work.
    if (context.secrets) findings.push(...secretFindings(context.secrets, rel, name, file.sha256));
    if (!rule && producer !== 'autopilot') continue;
    if (producer === 'autopilot') {
      const expected = produced.get(name) ?? recordedInPhase(state, rel);
      if (expected === undefined) {
        findings.push({
          file: rel,
          rule: 'protected',
          problem: `${name} is produced by Autopilot, but Autopilot has not produced it in this phase`,
          fix: `delete it; ${produceHint(engine.config.roles, phase) ?? 'Autopilot produces it'}`,
        });
        continue;
      }
      if (expected !== file.sha256) {
        findings.push({
          file: rel,
          rule: 'protected',
          problem: `${name} was changed after Autopilot produced it (ledger sha256 ${expected.slice(0, 12)}…, file ${file.sha256.slice(0, 12)}…)`,
          fix: `do not edit Autopilot's evidence; ${produceHint(engine.config.roles, phase) ?? 'produce it again'}`,
        });
        continue;
      }
    }
    if (!rule) continue;
    // A check the config waives ran nothing: its file records the waiver, which stands in for its pass/fail assertions.
    const waived = producer === 'autopilot' ? waivedCheckOf(engine.config, phase, name) : undefined;
    if (waived) {
      const finding = waiverFinding(file.bytes, waived, rel);
      if (finding) findings.push(finding);
      const assert = rule.assert.filter((a) => waived.field !== undefined && !a.path.startsWith(`${waived.field}.`));
      findings.push(...validateArtifact({ ...rule, assert }, file.bytes, { path: rel, maxBytes, context }));
      continue;
    }
    findings.push(...validateArtifact(rule, file.bytes, { path: rel, maxBytes, context }));
  }
  findings.push(...unplannedFindings(engine, state, phase, context));
  return { phase, passed: findings.length === 0, findings, artifacts };
}

/**
 * The plan↔diff check of the implement phase, when the task's Plan contract says `unplannedFiles: refuse`: one
 * finding per changed file no work item names. With `report` the files are only listed in modified_files.json.
 */
function unplannedFindings(engine: Engine, state: TaskState, phase: string, context: EvidenceContext): Finding[] {
  if (phase !== engine.config.roles.implement) return [];
  const held = planRuleBefore(engine.config, phase);
  const plan = context.contracts?.plan;
  const changed = context.contracts?.changedFiles;
  if (held?.rule.unplannedFiles !== 'refuse' || !plan || !changed) return [];
  const planPath = evidenceRel(state.taskId, held.phase, held.rule.name);
  return planCoverage(
    plan,
    changed.map((f) => f.path),
  ).unplanned.map((path) => ({
    file: evidenceRel(state.taskId, phase, 'git_diff.patch'),
    rule: 'unplanned-change',
    field: path,
    problem: `${path} is changed, but no work item of the plan (${planPath}) names it`,
    fix: `undo the change to ${path}, or backtrack to ${held.phase} and give it a work item in the plan`,
  }));
}

/** A finding when a waived check's file does not record that waiver (it was produced under another config). */
function waiverFinding(
  bytes: Uint8Array,
  waived: { check: string; reason: string; field?: string },
  rel: string,
): Finding | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    doc = undefined;
  }
  const at = waived.field && doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[waived.field] : doc;
  const recorded = at && typeof at === 'object' ? (at as Record<string, unknown>)['waived'] : undefined;
  if (recorded === waived.reason) return undefined;
  return {
    file: rel,
    rule: 'waiver',
    problem: `the config waives ${waived.check} ("${waived.reason}"), but ${rel} does not record that waiver`,
    fix: 'produce it again: advance again (or verify again, in the verify phase)',
  };
}

/** The digest an Autopilot entry recorded for `rel` in the current phase visit, if any. */
function recordedInPhase(state: TaskState, rel: string): string | undefined {
  const a = state.artifacts[rel];
  return a && a.producer === 'autopilot' && a.seq >= state.phaseEpoch ? a.sha256 : undefined;
}

/** Turns a failed gate into the refusal the contract names. */
export function gateRefusal(taskId: string, report: PhaseGateReport, roles: PhaseRoles): Refusal {
  const rules = new Set(report.findings.map((f) => f.rule));
  const code = rules.has('protected')
    ? ErrorCode.EVIDENCE_PROTECTED
    : rules.has('missing')
      ? ErrorCode.EVIDENCE_MISSING
      : report.phase === roles.verify
        ? ErrorCode.VERIFY_FAILED // VERIFY's evidence is the result of Autopilot's own run: a failure is a failed verify
        : ErrorCode.EVIDENCE_INVALID;
  const first = report.findings[0];
  const more =
    report.findings.length > 1
      ? ` (and ${report.findings.length - 1} more finding${report.findings.length > 2 ? 's' : ''})`
      : '';
  return {
    code,
    message: `${report.phase} evidence for ${taskId} does not pass: ${first ? `${clause(first.problem)}. ${clause(first.fix)}` : 'no findings'}${more}`,
    details: { taskId, phase: report.phase, findings: report.findings, remedy: { check: true } satisfies Remedy },
  };
}

export interface IntegrityProblem {
  readonly path: string;
  readonly expected: string;
  readonly actual: string | null;
  readonly reason: string;
}

/**
 * Re-checks the digest of every live artifact of the phases already passed:
 * evidence that changed after its phase was passed is tampering.
 */
export function checkPassedArtifacts(engine: Engine, state: TaskState): IntegrityProblem[] {
  const current = `evidence/${state.taskId}/${phaseDir(state.phase)}/`;
  const problems: IntegrityProblem[] = [];
  for (const a of Object.values(state.artifacts)) {
    if (a.path.startsWith(current)) continue;
    const file = readNoFollow(join(engine.layout.stateDir, a.path), 256 * 1024 * 1024);
    if (file.kind !== 'file') problems.push({ path: a.path, expected: a.sha256, actual: null, reason: file.kind });
    else if (file.sha256 !== a.sha256)
      problems.push({ path: a.path, expected: a.sha256, actual: file.sha256, reason: 'changed' });
  }
  return problems;
}
