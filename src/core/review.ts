/**
 * @module REVIEW is not self-review: who wrote a ledger entry (its hand and role), who wrote the implement phase's
 * changes, and whether the review rubric that passes the review phase came from someone else, read from the signed
 * ledger alone so that the engine's gate and the CI gate judge it the same way.
 */
import { RUBRIC_DIMENSIONS, type ArtifactRule, type Config } from './config.ts';
import type { LedgerEntry } from './ledger.ts';

/** Who may write the review rubric: a person (dashboard), an agent session in the reviewer role, or either. */
export type ReviewBy = 'person' | 'agent' | 'either';

/** The roles an entry can record in `data.role`; an entry without one was written by a working agent (or a script). */
export const Role = { reviewer: 'reviewer', person: 'person' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The review rule of a config, with its defaults filled in. */
export interface ReviewRules {
  readonly by: ReviewBy;
  /** The phase whose rubric must come from another hand (REVIEW). */
  readonly phase: string;
  /** The rubric artifact of that phase (review_rubric.json). */
  readonly artifact: string;
  /** The phase whose changes are reviewed (IMPLEMENT). */
  readonly of: string;
}

export const DEFAULT_REVIEW: ReviewRules = {
  by: 'either',
  phase: 'REVIEW',
  artifact: 'review_rubric.json',
  of: 'IMPLEMENT',
};

/**
 * The review rule of a config, or null when its process has no such pair of phases (a custom process without REVIEW
 * or IMPLEMENT and no `review:` section naming its own). `parseConfig` has checked named phases exist.
 */
export function reviewRules(config: Pick<Config, 'phases' | 'review'>): ReviewRules | null {
  const r = { ...DEFAULT_REVIEW, ...stripUndefined(config.review ?? {}) };
  if (!config.phases.includes(r.phase) || !config.phases.includes(r.of)) return null;
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The hand behind an entry: the lease holder it recorded (`data.holder`), else its actor id. */
export function handOf(entry: LedgerEntry): string {
  const h = entry.data['holder'];
  return typeof h === 'string' && h.length > 0 ? h : entry.actor;
}

/** The role an entry recorded, or null for a working agent's. */
export function roleOf(entry: LedgerEntry): Role | null {
  const r = entry.data['role'];
  return r === Role.reviewer || r === Role.person ? r : null;
}

/**
 * Every hand that worked the implement phase before `beforeSeq`: whoever advanced the task into it or out of it (or
 * backtracked out of it), wrote its evidence, or took its lease there. Earlier visits count too: a hand that
 * implemented once is no reviewer. A backtrack into the phase does not count: that is a reviewer or a person sending
 * the work back, and whoever works it again advances it out.
 */
export function implementersOf(entries: readonly LedgerEntry[], rules: ReviewRules, beforeSeq: number): string[] {
  const hands = new Set<string>();
  for (const e of entries) {
    if (e.seq >= beforeSeq) break;
    const moved =
      (e.kind === 'transition' && (e.toPhase === rules.of || e.fromPhase === rules.of)) ||
      (e.kind === 'backtrack' && e.fromPhase === rules.of);
    // A lease entry's holder is the hand that took (or released) the lease in the phase.
    const worked = (e.kind === 'evidence' || e.kind === 'lease') && e.fromPhase === rules.of;
    if (moved || worked) hands.add(handOf(e));
  }
  return [...hands].sort();
}

/** Why a rubric does not pass as a review, as an evidence finding would say it. */
export interface ReviewProblem {
  readonly rule: 'review-writer' | 'review-role' | 'self-review';
  readonly problem: string;
  readonly fix: string;
}

/** What the rule asks for, in a clause: "an agent session in the reviewer role or a person". */
function wanted(by: ReviewBy): string {
  if (by === 'agent') return 'an agent session in the reviewer role';
  if (by === 'person') return 'a person';
  return 'an agent session in the reviewer role or a person';
}

function advice(rules: ReviewRules): string {
  const agent = `start a reviewer session of its own (autopilot mcp --holder reviewer-1 --role reviewer), which reads the work with review_get and writes ${rules.artifact} with evidence_put`;
  const person = `have a person review the task in the dashboard`;
  if (rules.by === 'agent') return `${agent}, then advance again`;
  if (rules.by === 'person') return `${person}, then advance again`;
  return `${agent}, or ${person}; then advance again`;
}

/**
 * Judges the rubric that passes the review phase: `writer` is the evidence entry that recorded it (null when none
 * did), `sha256` the digest of the file being passed, `implementers` the hands of the implement phase. Null when the
 * rubric is a review by another hand in an allowed role.
 */
export function judgeReview(
  rules: ReviewRules,
  writer: LedgerEntry | undefined,
  path: string,
  sha256: string,
  implementers: readonly string[],
): ReviewProblem | null {
  const recorded = writer?.artifacts.find((a) => a.path === path);
  if (!writer || writer.kind !== 'evidence' || !recorded) {
    return {
      rule: 'review-writer',
      problem: `no evidence entry of the ledger records ${rules.artifact}, so nobody is known to have written it`,
      fix: advice(rules),
    };
  }
  if (recorded.sha256 !== sha256) {
    return {
      rule: 'review-writer',
      problem: `${rules.artifact} is not the file entry ${writer.seq} recorded (sha256 ${recorded.sha256.slice(0, 12)}… recorded, ${sha256.slice(0, 12)}… now): it was changed outside evidence_put`,
      fix: advice(rules),
    };
  }
  const hand = handOf(writer);
  const role = roleOf(writer);
  if (implementers.includes(hand)) {
    return {
      rule: 'self-review',
      problem: `${rules.artifact} was written by ${hand} (entry ${writer.seq}), who also worked ${rules.of}: a review by the hand that wrote the changes is self-review`,
      fix: advice(rules),
    };
  }
  const allowed: readonly Role[] =
    rules.by === 'agent' ? [Role.reviewer] : rules.by === 'person' ? [Role.person] : [Role.reviewer, Role.person];
  if (!role || !allowed.includes(role)) {
    return {
      rule: 'review-role',
      problem: `${rules.artifact} was written by ${hand} (entry ${writer.seq}) ${role ? `as a ${role}` : 'without the reviewer role'}; review.by is ${rules.by}: it must come from ${wanted(rules.by)}`,
      fix: advice(rules),
    };
  }
  return null;
}

/** One dimension of a rubric as a person fills it in: whether it passes, and why. */
export interface RubricDimension {
  readonly pass: boolean;
  readonly notes: string;
}

/**
 * The dimensions a rubric artifact's rule asks for: the `dimensions` its JSON Schema requires, or the default
 * rubric's when the rule names none (the form then asks for those and the validator judges the rest).
 */
export function rubricDimensions(rule: Pick<ArtifactRule, 'schema'> | undefined): readonly string[] {
  const dims = (rule?.schema?.['properties'] as Record<string, { required?: unknown }> | undefined)?.['dimensions'];
  const req = dims?.required;
  return Array.isArray(req) && req.length > 0 && req.every((d) => typeof d === 'string')
    ? (req as string[])
    : RUBRIC_DIMENSIONS;
}

/** The bytes of a person's rubric: the same JSON shape the agent's rubric has, two-space indented. */
export function rubricText(dimensions: Readonly<Record<string, RubricDimension>>): string {
  return `${JSON.stringify({ dimensions }, null, 2)}\n`;
}
