/** @module The finding: one defect in one evidence file, stated with the fix an agent can act on; and what else a validator may see. */
import type { CopySourceKind } from '../core/config.ts';
import type { SecretFinding } from '../core/secrets.ts';
import type { ContractContext } from '../core/contracts/repair.ts';

/** The rule ids the evidence validators emit; other producers of findings may use ids of their own. */
export type ValidatorRuleId =
  | 'missing'
  | 'size'
  | 'binary'
  | 'utf8'
  | 'empty'
  | 'section-missing'
  | 'section-content'
  | 'section-list'
  | 'min-words'
  | 'json-parse'
  | 'json-schema'
  | 'json-assert'
  | 'must-match'
  | 'must-not-match'
  | 'distinct-words'
  | 'repeated-section'
  | 'copied-text'
  | 'spec-grounding'
  | 'contract'
  | 'contract-form'
  | 'unplanned-change';

/** One defect in one evidence file. */
export interface Finding {
  /** Artifact path as given by the caller (e.g. "evidence/T-1/strategize/strategy.md"). */
  readonly file: string;
  /** Stable rule id, one of {@link ValidatorRuleId} for the evidence validators. */
  readonly rule: string;
  /** The dotted field of a typed contract the finding is about (`files.2.planItem`), for the contract rules. */
  readonly field?: string;
  /** What is wrong, one sentence, naming the heading / JSON path / pattern. */
  readonly problem: string;
  /** What to do next, one imperative sentence an AI agent can act on. */
  readonly fix: string;
}

/** A text that evidence must not copy. */
export interface CopySource {
  readonly kind: CopySourceKind;
  /** What it is, for messages: "README.md", "evidence/T-3/strategize/strategy.md", "the phase prompts". */
  readonly label: string;
  readonly text: string;
  /** For an earlier task's file: 0 for the task started last before this one, 1 for the one before, and so on. */
  readonly rank?: number;
}

/** Another artifact of the same task, from an earlier phase. */
export interface RelatedArtifact {
  readonly name: string;
  /** Its path as findings name it (relative to the state folder). */
  readonly path: string;
  /** The phase whose folder holds it. */
  readonly phase: string;
  readonly text: string;
}

/**
 * What the validators may compare a file with beyond its own bytes, gathered by the caller (validators do no I/O).
 * A check whose context is absent does not run; the phase gate always gathers it.
 */
export interface EvidenceContext {
  /** Texts not to copy: the phase prompts, the README, earlier tasks' files of the same name. */
  readonly sources: readonly CopySource[];
  /** The task's artifacts that a rule refers to (the spec of `groundedIn`), by name. */
  readonly artifacts: readonly RelatedArtifact[];
  /**
   * The phase's files scanned for secrets, by the sha256 of their bytes. The gate holds each file it reads to it: a
   * file with findings, or one whose digest was not scanned, does not pass.
   */
  readonly secrets?: ReadonlyMap<string, readonly SecretFinding[]>;
  /** The repository's facts the phase's typed contracts are checked against (its diff, base commit, plan). */
  readonly contracts?: ContractContext;
}
