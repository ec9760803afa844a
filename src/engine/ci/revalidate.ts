/**
 * @module The agent's evidence of every passed phase, validated again against the contract in force when the phase
 * was passed: a phase that passed on evidence its own contract refuses (a required file missing, a section empty)
 * fails the gate, whatever the local check said at the time.
 */
import { ErrorCode } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { phaseIndex } from '../../core/phases.ts';
import type { TaskState } from '../../core/task.ts';
import { clause } from '../../core/phrasing.ts';
import { validateArtifact } from '../../validators/index.ts';
import { evidenceRel } from '../repo/layout.ts';
import { contractAt, type ContractVersion } from './contract.ts';
import type { CiProblem } from './report.ts';

/**
 * Re-validates the agent-produced artifacts of each phase the task passed. `files` holds the committed evidence
 * whose digests matched the ledger (by state-relative path); a file missing there was reported by the evidence check.
 */
export function revalidatePassed(
  taskId: string,
  entries: readonly LedgerEntry[],
  state: TaskState,
  versions: readonly ContractVersion[],
  files: ReadonlyMap<string, Buffer>,
  inState: (p: string) => string,
): CiProblem[] {
  const problems: CiProblem[] = [];
  const phases = versions[0]!.config.phases;
  const passed = state.status === 'done' ? phases : phases.slice(0, Math.max(0, phaseIndex(phases, state.phase)));
  for (const phase of passed) {
    // The transition that last passed the phase: its evidence is what the task's state holds live.
    const move = entries.findLast((x) => x.taskId === taskId && x.kind === 'transition' && x.fromPhase === phase);
    if (!move) continue; // the replay reports a phase passed without a transition
    const contract = contractAt(versions, move.seq);
    for (const rule of contract.config.evidence[phase] ?? []) {
      if (rule.producer !== 'agent') continue;
      const rel = evidenceRel(taskId, phase, rule.name);
      const at = { taskId, check: 'evidence' as const, seq: move.seq, file: inState(rel) };
      if (!state.artifacts[rel]) {
        if (rule.required)
          problems.push({
            ...at,
            code: ErrorCode.EVIDENCE_MISSING,
            reason: `${phase} was passed (entry ${move.seq}) without ${rule.name}, which the task's contract (${contract.file}) requires: backtrack to ${phase} and pass it with the file`,
          });
        continue;
      }
      const bytes = files.get(rel);
      if (!bytes) continue;
      const findings = validateArtifact(rule, bytes, { path: rel, maxBytes: contract.config.limits.maxEvidenceBytes });
      const first = findings[0];
      if (!first) continue;
      problems.push({
        ...at,
        code: ErrorCode.EVIDENCE_INVALID,
        reason: `${phase} was passed (entry ${move.seq}) on ${rule.name}, which does not meet the task's contract (${contract.file}): ${clause(first.problem)}${findings.length > 1 ? ` (and ${findings.length - 1} more)` : ''}; backtrack to ${phase} and pass it again`,
      });
    }
  }
  return problems;
}
