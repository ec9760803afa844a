/**
 * @module A person's review rubric: the review phase's rubric artifact written from the dashboard's form and signed
 * with the person's passkey. It is checked like the agent's (the artifact's own rule) before anything is signed, and
 * written, as evidence in the role `person` under the person's name, only once the assertion verified (passkeys.ts).
 */
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { PERSON_ROLE } from '../../core/decision.ts';
import { reviewRules, type ReviewRules } from '../../core/review.ts';
import type { TaskState } from '../../core/task.ts';
import type { StoreTx } from '../../ports/store.ts';
import { validateArtifact } from '../../validators/index.ts';
import { clause } from '../../core/phrasing.ts';
import { append } from '../ledger/record.ts';
import { phaseFolder } from '../evidence/folder.ts';
import { gatherEvidenceContext } from '../evidence/context.ts';
import { tidyArchive } from '../evidence/archive.ts';
import { evidenceRel } from '../repo/layout.ts';
import { sha256Hex, writeAtomic } from '../repo/files.ts';
import type { Engine } from '../context.ts';

/** A person's rubric that may be signed: its rule, where it goes, and its digest. */
export interface CheckedRubric {
  readonly rules: ReviewRules;
  readonly path: string;
  readonly sha256: string;
}

/**
 * Whether a person may review `state` with `content` now: the process has a review phase, the config lets a person
 * review, the task is in that phase, and the rubric meets its artifact's rule (a person's rubric is held to the
 * agent's contract). A refusal records nothing.
 */
export async function checkPersonRubric(
  engine: Engine,
  state: TaskState,
  content: Uint8Array,
): Promise<Result<CheckedRubric>> {
  const rules = reviewRules(engine.config);
  if (!rules)
    return refuse(ErrorCode.USAGE, `this process has no review phase (phases ${engine.config.phases.join(', ')})`, {
      argument: 'decision',
    });
  if (rules.by === 'agent')
    return refuse(
      ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA,
      `review.by is agent: ${state.taskId}'s review comes from an agent session in the reviewer role, not from a person; change review.by to person or either to review it here`,
      { action: 'review', role: PERSON_ROLE, allowed: null },
    );
  if (state.phase !== rules.phase)
    return refuse(
      ErrorCode.USAGE,
      `${state.taskId} is in ${state.phase}; a person reviews it once it is in ${rules.phase}`,
      { argument: 'taskId' },
    );
  const path = evidenceRel(state.taskId, rules.phase, rules.artifact);
  const max = engine.config.limits.maxEvidenceBytes;
  const rule = (engine.config.evidence[rules.phase] ?? []).find((r) => r.name === rules.artifact);
  const context = await gatherEvidenceContext(engine, state, rules.phase);
  const findings = rule ? validateArtifact(rule, content, { path, maxBytes: max, context }) : [];
  if (findings.length > 0) {
    const f = findings[0]!;
    return refuse(
      ErrorCode.EVIDENCE_INVALID,
      `the review rubric does not meet its contract: ${clause(f.problem)}. ${f.fix}`,
      { phase: rules.phase, findings },
    );
  }
  return ok({ rules, path, sha256: sha256Hex(content) });
}

/**
 * Writes a verified person's rubric into the review phase's folder and records it: an `evidence` entry naming the
 * person as its hand, in the role `person`, with the passkey proof in `extra`. Only a verified decision calls this.
 */
export async function writePersonRubric(
  engine: Engine,
  tx: StoreTx,
  state: TaskState,
  person: string,
  rubric: CheckedRubric,
  content: Uint8Array,
  extra: Record<string, unknown>,
): Promise<Result<LedgerEntry>> {
  const { rules } = rubric;
  const folder = phaseFolder(engine.layout, state.taskId, rules.phase);
  if (!folder.ok) return folder;
  tidyArchive(engine.layout, state);
  writeAtomic(folder.value, rules.artifact, content);
  return ok(
    await append(engine, tx, {
      taskId: state.taskId,
      kind: 'evidence',
      fromPhase: rules.phase,
      toPhase: null,
      actor: person,
      artifacts: [{ path: rubric.path, sha256: rubric.sha256, producer: 'agent' }],
      data: {
        name: rules.artifact,
        bytes: content.byteLength,
        findings: 0,
        holder: person,
        role: PERSON_ROLE,
        ...extra,
      },
    }),
  );
}
