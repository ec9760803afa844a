/**
 * @module The gate's re-check of REVIEW is not self-review: the transition that passed the review phase passed a
 * rubric recorded by another hand than the implement phase's, in a role the task's contract allows, read from the
 * signed entries alone (core/review.ts judges it as the engine's gate did).
 */
import { ErrorCode } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { phaseIndex } from '../../core/phases.ts';
import { clause } from '../../core/phrasing.ts';
import { implementersOf, judgeReview, reviewRules, Role, roleOf } from '../../core/review.ts';
import { proofOf } from '../ledger/passkeys.ts';
import type { TaskState } from '../../core/task.ts';
import { evidenceRel } from '../repo/layout.ts';
import { contractAt, type ContractVersion } from './contract.ts';
import type { CiProblem } from './report.ts';

/** What the decision checks found: the person's decisions that verified, and the keys a registration must be under. */
export interface PeopleChecked {
  readonly verified: ReadonlySet<number>;
  readonly trustedKeyIds: ReadonlySet<string>;
}

/**
 * Why a person's rubric does not count here: its passkey assertion did not verify, or the passkey was registered
 * under a key the branch itself may have brought (neither trusted nor committed on the base branch); null when it
 * counts.
 */
function personProblem(writer: LedgerEntry, people: PeopleChecked): { problem: string } | null {
  if (!people.verified.has(writer.seq))
    return { problem: `the person's rubric (entry ${writer.seq}) carries no passkey assertion that verifies` };
  const keyId = String((proofOf(writer)?.registration as Partial<LedgerEntry> | undefined)?.keyId ?? '');
  if (!people.trustedKeyIds.has(keyId))
    return {
      problem: `the person's rubric (entry ${writer.seq}) was signed with a passkey registered under key ${keyId || '(none)'}, which is neither a trusted key nor committed on the base branch`,
    };
  return null;
}

/** The problem with the review that passed the task's review phase, if it did pass it; none otherwise. */
export function recheckReview(
  taskId: string,
  entries: readonly LedgerEntry[],
  state: TaskState,
  versions: readonly ContractVersion[],
  inState: (p: string) => string,
  people: PeopleChecked,
): CiProblem[] {
  const phases = versions[0]!.config.phases;
  const mine = entries.filter((x) => x.taskId === taskId);
  // The last pass of the review phase is the one the task stands on; a phase not passed now has nothing to judge.
  for (const move of mine.filter((x) => x.kind === 'transition').reverse()) {
    const rules = reviewRules(contractAt(versions, move.seq).config);
    if (!rules || move.fromPhase !== rules.phase) continue;
    // A move that recorded no hand was made before Autopilot recorded hands (every move records its holder since):
    // the rule did not exist when the task passed it, and its entries could not tell the hands apart.
    if (typeof move.data['holder'] !== 'string') return [];
    const stillPassed = state.status === 'done' || phaseIndex(phases, state.phase) > phaseIndex(phases, rules.phase);
    if (!stillPassed) return [];
    const path = evidenceRel(taskId, rules.phase, rules.artifact);
    const passed = move.artifacts.find((a) => a.path === path);
    const writer = mine.findLast((x) => x.seq < move.seq && x.artifacts.some((a) => a.path === path));
    const judged = judgeReview(rules, writer, path, passed?.sha256 ?? '', implementersOf(mine, rules, move.seq));
    const problem = judged ?? (writer && roleOf(writer) === Role.person ? personProblem(writer, people) : null);
    if (!problem) return [];
    return [
      {
        taskId,
        check: 'evidence',
        code: ErrorCode.EVIDENCE_INVALID,
        seq: move.seq,
        file: inState(path),
        reason: `${rules.phase} was passed (entry ${move.seq}) without a review by another hand: ${clause(problem.problem)}; backtrack to ${rules.phase} and have it reviewed`,
      },
    ];
  }
  return [];
}
