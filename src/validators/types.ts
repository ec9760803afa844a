/** @module The finding: one defect in one evidence file, stated with the fix an agent can act on. */

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
  | 'must-not-match';

/** One defect in one evidence file. */
export interface Finding {
  /** Artifact path as given by the caller (e.g. "evidence/T-1/strategize/strategy.md"). */
  readonly file: string;
  /** Stable rule id, one of {@link ValidatorRuleId} for the evidence validators. */
  readonly rule: string;
  /** What is wrong, one sentence, naming the heading / JSON path / pattern. */
  readonly problem: string;
  /** What to do next, one imperative sentence an AI agent can act on. */
  readonly fix: string;
}
