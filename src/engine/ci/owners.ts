/**
 * @module Gate 5 of the CI gate: the code owners of the changed paths approved (on the forge, or by a person's signed
 * decision), the pull request carries the required labels, and the change's risk class has the approvals the config
 * asks for. Where no forge is configured, people's signed decisions are the only approvals, and the checks say so.
 */
import { ErrorCode } from '../../core/errors.ts';
import { isPersonDecision } from '../../core/decision.ts';
import { isForgeKind } from '../../core/forge.ts';
import { addedLinesOf } from '../../core/policy/change.ts';
import { assessRisk, atLeast, type RiskAssessment, type RiskLevel } from '../../core/risk.ts';
import { CODEOWNERS_PATHS, ownerRuleFor, parseCodeowners, type OwnerRule } from '../../core/codeowners.ts';
import type { ReviewGateConfig } from '../../core/gates.ts';
import type { Config } from '../../core/config.ts';
import { ForgeError, type Forge, type ForgeOpener } from '../../ports/forge.ts';
import { git } from '../repo/git.ts';
import { openForge, resolvePrMode } from '../repo/forge.ts';
import { layoutFor } from '../repo/layout.ts';
import { scanPatch } from '../repo/secret-scan.ts';
import { readCommitted } from './committed.ts';
import { numstat } from './policy-sim.ts';
import { branchName } from '../evidence/change-request.ts';
import type { CiProblem, GateCheck, OwnerRuleOutcome } from './report.ts';
import type { LedgerEntry } from '../../core/ledger.ts';

/** The forge Gate 5 reads: none configured (git-only or manual), one that answers, or one that cannot be read. */
export type GateForge =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'forge'; readonly forge: Forge }
  | { readonly kind: 'unreadable'; readonly why: string };

/** The forge the config's `pr` section names, opened with the token of this process's environment (or user state). */
export async function gateForge(root: string, config: Config, opener: ForgeOpener | undefined): Promise<GateForge> {
  const host = { config, layout: layoutFor(root, config.stateDir), ...(opener ? { forge: opener } : {}) };
  const mode = await resolvePrMode(host);
  if (!isForgeKind(mode)) return { kind: 'none', why: `no forge is configured (pr.mode resolves to ${mode})` };
  const opened = await openForge(host);
  return opened.ok ? { kind: 'forge', forge: opened.value } : { kind: 'unreadable', why: opened.error.message };
}

/** A task as Gate 5 reads it: its entries, and the seqs of those whose person's decision verified. */
interface StagedTask {
  readonly taskId: string;
  readonly entries: readonly LedgerEntry[];
  readonly verified: ReadonlySet<number>;
  readonly files: ReadonlyMap<string, Buffer>;
}

/** What Gate 5 reads: the branch's range, the config it is judged by, its tasks, and the forge to ask. */
export interface ReviewInput {
  readonly root: string;
  readonly mergeBase: string;
  readonly head: string;
  readonly config: Config;
  readonly tasks: readonly StagedTask[];
  readonly forge?: () => Promise<GateForge>;
}

/** One approval as Gate 5 counts it: a person (lower case) and where the approval came from. */
interface Approval {
  readonly who: string;
  readonly from: 'forge' | 'decision';
}

/** What the forge said of the pull request, or why it could not say. */
type ForgeView =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'unreadable'; readonly why: string }
  | {
      readonly kind: 'read';
      readonly forge: Forge;
      readonly pull: number;
      readonly labels: readonly string[];
      readonly approvals: readonly string[];
      /** Approvals that do not count, each with why (the author's, the token's own user's, an older commit's). */
      readonly ignored: readonly string[];
    };

/** Gate 5's checks past `approvals`: owners, labels, risk; each a result, with the problems of those that failed. */
export async function reviewChecks(
  ctx: ReviewInput,
  changed: readonly string[],
): Promise<{ checks: GateCheck[]; problems: CiProblem[] }> {
  const view = await readForge(ctx);
  const decisions = approversOf(ctx.tasks);
  const approvals: Approval[] = [
    ...(view.kind === 'read' ? view.approvals.map((who) => ({ who, from: 'forge' as const })) : []),
    ...[...decisions].map((who) => ({ who, from: 'decision' as const })),
  ];
  const teams = teamReader(view);
  const owners = await ownersCheck(ctx, changed, view, approvals, teams);
  const labels = labelsCheck(ctx.config.gates?.review, view);
  const risk = await riskCheck(ctx, view, approvals, teams);
  return {
    checks: [owners.check, labels.check, risk.check],
    problems: [...owners.problems, ...labels.problems, ...risk.problems],
  };
}

/**
 * The pull request of the branch: the one the outbox's latest `open_pr` of a task recorded when the committed ledger
 * holds it; else the open one whose head is the task's branch (the outbox's push names it) or the checkout's. The
 * bundle a branch commits is written when the task enters PR, before the outbox opens the pull request.
 */
async function branchPull(ctx: ReviewInput, forge: Forge): Promise<number | undefined> {
  let found: { seq: number; pull: number } | undefined;
  let branch: { seq: number; name: string } | undefined;
  for (const t of ctx.tasks)
    for (const x of t.entries) {
      if (x.kind === 'outbox' && x.data['action'] === 'open_pr' && typeof x.data['pull'] === 'number')
        if (!found || x.seq > found.seq) found = { seq: x.seq, pull: x.data['pull'] };
      if (typeof x.data['branch'] === 'string' && (!branch || x.seq > branch.seq))
        branch = { seq: x.seq, name: x.data['branch'] };
    }
  if (found) return found.pull;
  const name = branch?.name ?? (await branchName(ctx.root));
  return name ? (await forge.findOpenPull(name))?.number : undefined;
}

/** Reads the pull request's author, labels and approvals, and the token's own user, from the forge. */
async function readForge(ctx: ReviewInput): Promise<ForgeView> {
  const at = ctx.forge ? await ctx.forge() : { kind: 'none' as const, why: 'no forge is wired into the gate' };
  if (at.kind !== 'forge') return at;
  const forge = at.forge;
  if (!forge.reviewState || !forge.currentUser)
    return { kind: 'unreadable', why: `the ${forge.kind} client cannot read a pull request's reviews` };
  try {
    const pull = await branchPull(ctx, forge);
    if (pull === undefined)
      return {
        kind: 'unreadable',
        why: `no pull request of the branch is open on ${forge.kind} (none recorded by the outbox, none open from the branch): take the task through PR so that Autopilot opens it`,
      };
    const self = (await forge.currentUser()).toLowerCase();
    const state = await forge.reviewState(pull);
    const author = state.author.toLowerCase();
    const approvals: string[] = [];
    const ignored: string[] = [];
    for (const a of state.approvals) {
      const who = a.user.toLowerCase();
      if (who === author) ignored.push(`${who} (the pull request's author)`);
      else if (who === self) ignored.push(`${who} (the token's own user, the agent's forge identity)`);
      else if (a.unverified) ignored.push(`${who} (${a.unverified})`);
      else if (a.commit !== null && a.commit !== state.headSha)
        ignored.push(`${who} (approved ${a.commit.slice(0, 12)}, not the head ${state.headSha.slice(0, 12)})`);
      else approvals.push(who);
    }
    return { kind: 'read', forge, pull, labels: state.labels, approvals, ignored };
  } catch (err) {
    if (err instanceof ForgeError) return { kind: 'unreadable', why: err.message };
    throw err;
  }
}

/** A team's members (lower case) from the forge, asked once per team per gate run; undefined where none can be read. */
type TeamReader = (team: string) => Promise<{ members: Set<string> } | { error: string } | undefined>;

function teamReader(view: ForgeView): TeamReader {
  const cache = new Map<string, Promise<{ members: Set<string> } | { error: string } | undefined>>();
  return (team) => {
    const key = team.toLowerCase();
    let hit = cache.get(key);
    if (!hit) {
      hit =
        view.kind !== 'read' || !view.forge.teamMembers
          ? Promise.resolve(undefined)
          : view.forge.teamMembers(team).then(
              (m) => ({ members: new Set(m.map((x) => x.toLowerCase())) }),
              (err: unknown) => {
                if (err instanceof ForgeError) return { error: err.message };
                throw err;
              },
            );
      cache.set(key, hit);
    }
    return hit;
  };
}

/**
 * The approvals among `approvals` that an owner (`@user`, `@org/team`, an e-mail address) stands for: the user's
 * own; a team's by a person named as the team or by one of its members on the forge. Errors reading a team are
 * collected.
 */
async function approvalsFor(
  owner: string,
  approvals: readonly Approval[],
  teams: TeamReader,
  errors: string[],
): Promise<OwnerRuleOutcome['approvedBy']> {
  const name = owner.replace(/^@/, '').toLowerCase();
  const out: { who: string; via: string; from: 'forge' | 'decision' }[] = [];
  for (const a of approvals) if (a.who === name) out.push({ who: a.who, via: owner, from: a.from });
  if (owner.startsWith('@') && name.includes('/')) {
    const team = await teams(name);
    if (team && 'error' in team) errors.push(team.error);
    else if (team)
      for (const a of approvals)
        if (team.members.has(a.who) && !out.some((o) => o.who === a.who && o.from === a.from))
          out.push({ who: a.who, via: owner, from: a.from });
  }
  return out;
}

const FROM_TEXT = { forge: 'forge review', decision: 'signed decision' } as const;

/** Where the approvals came from, for the checks' details. */
function sourceText(view: ForgeView): string {
  if (view.kind === 'none') return `${view.why}: people's signed decisions only`;
  if (view.kind === 'unreadable') return `the forge could not be read (${view.why}): signed decisions only`;
  return `pull request #${view.pull} on ${view.forge.kind} and people's signed decisions${view.ignored.length ? `; not counted: ${view.ignored.join(', ')}` : ''}`;
}

/** The forge's failure as a problem of a check: a configured forge that cannot be read never passes silently. */
function unreadable(view: ForgeView, check: 'owners' | 'labels' | 'risk', file: string): CiProblem[] {
  return view.kind === 'unreadable'
    ? [
        {
          taskId: null,
          check,
          code: ErrorCode.APPROVAL_REQUIRED,
          file,
          reason: `the approvals on the forge could not be read: ${view.why}`,
        },
      ]
    : [];
}

type Outcome = { check: GateCheck; problems: CiProblem[] };

/**
 * Owners: with a CODEOWNERS file at the base, each changed path's rule (the last matching) has an owner who
 * approved: on the forge, or with a signed decision. Each rule is listed with who satisfied it and from where.
 */
async function ownersCheck(
  ctx: ReviewInput,
  changed: readonly string[],
  view: ForgeView,
  approvals: readonly Approval[],
  teams: TeamReader,
): Promise<Outcome> {
  // The base branch's file: a branch that edits CODEOWNERS cannot choose its own reviewers.
  const blobs = await readCommitted(ctx.root, ctx.mergeBase, [...CODEOWNERS_PATHS]);
  const at = blobs.findIndex((b) => b.kind === 'file');
  if (at < 0)
    return {
      check: { name: 'owners', status: 'not_evaluated', detail: 'no CODEOWNERS file on the base branch' },
      problems: [],
    };
  const file = CODEOWNERS_PATHS[at]!;
  const blob = blobs[at]!;
  const { rules, errors } = parseCodeowners(blob.kind === 'file' ? blob.bytes.toString('utf8') : '');
  const problems: CiProblem[] = errors.map((e) => ({
    taskId: null,
    check: 'owners',
    code: ErrorCode.CONFIG_INVALID,
    file,
    line: e.line,
    reason: `line ${e.line} of ${file} is skipped: ${e.reason}`,
  }));
  const byRule = new Map<number, { rule: OwnerRule; paths: string[] }>();
  // Autopilot's own records (evidence, journal, ledger anchors) are the process's, not code anyone owns.
  const state = ctx.config.stateDir.replace(/\/+$/, '');
  for (const path of changed) {
    if (path === state || path.startsWith(`${state}/`)) continue;
    const rule = ownerRuleFor(rules, path);
    if (!rule || rule.owners.length === 0) continue;
    const seen = byRule.get(rule.line) ?? { rule, paths: [] };
    seen.paths.push(path);
    byRule.set(rule.line, seen);
  }
  const teamErrors: string[] = [];
  const outcomes: OwnerRuleOutcome[] = [];
  for (const { rule, paths } of [...byRule.values()].sort((a, b) => a.rule.line - b.rule.line)) {
    const approvedBy = (
      await Promise.all(rule.owners.map((o) => approvalsFor(o, approvals, teams, teamErrors)))
    ).flat();
    outcomes.push({ line: rule.line, pattern: rule.pattern, owners: rule.owners, paths, approvedBy });
    if (approvedBy.length === 0)
      problems.push({
        taskId: null,
        check: 'owners',
        code: ErrorCode.APPROVAL_REQUIRED,
        file,
        line: rule.line,
        reason: `${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''} ${paths.length === 1 ? 'is' : 'are'} owned by ${rule.owners.join(' ')} (${file}:${rule.line}, ${rule.pattern}), and none of them approved: one of them approves the pull request${view.kind === 'none' ? '' : ' on the forge'} or the task with a passkey${view.kind === 'read' && view.ignored.length ? ` (not counted: ${view.ignored.join(', ')})` : ''}${view.kind === 'none' ? ` (${view.why}: signed decisions only)` : ''}`,
      });
  }
  for (const e of [...new Set(teamErrors)])
    problems.push({
      taskId: null,
      check: 'owners',
      code: ErrorCode.APPROVAL_REQUIRED,
      file,
      reason: `a team's members could not be read from the forge: ${e}`,
    });
  if (outcomes.length > 0) problems.push(...unreadable(view, 'owners', file));
  const rulesText = outcomes.length
    ? outcomes
        .map(
          (o) =>
            `${file}:${o.line} ${o.pattern} (${o.owners.join(' ')}): ${
              o.approvedBy.length
                ? o.approvedBy
                    .map((a) => `${a.who}${a.via.includes('/') ? ` via ${a.via}` : ''} (${FROM_TEXT[a.from]})`)
                    .join(', ')
                : 'not approved'
            }`,
        )
        .join('; ')
    : 'no owned path changed';
  const detail = `${rulesText}. Approvals from ${sourceText(view)}`;
  return { check: { name: 'owners', status: problems.length ? 'fail' : 'pass', detail, owners: outcomes }, problems };
}

/** Labels: every label `gates.review.labels` names is on the pull request. */
function labelsCheck(review: ReviewGateConfig | undefined, view: ForgeView): Outcome {
  const wanted = review?.labels ?? [];
  if (wanted.length === 0)
    return {
      check: { name: 'labels', status: 'not_evaluated', detail: 'no label is required (gates.review.labels)' },
      problems: [],
    };
  const fail = (detail: string, code: ErrorCode, reason: string): Outcome => ({
    check: { name: 'labels', status: 'fail', detail },
    problems: [{ taskId: null, check: 'labels', code, file: 'gates.review.labels', reason }],
  });
  if (view.kind === 'none')
    return fail(
      view.why,
      ErrorCode.CONFIG_INVALID,
      `gates.review.labels requires ${wanted.join(', ')}, which only a forge's pull request can carry, and ${view.why}: set pr.mode to the forge, or remove gates.review.labels`,
    );
  if (view.kind === 'unreadable')
    return fail(view.why, ErrorCode.APPROVAL_REQUIRED, `the pull request's labels could not be read: ${view.why}`);
  const have = new Set(view.labels.map((l) => l.toLowerCase()));
  const missing = wanted.filter((l) => !have.has(l.toLowerCase()));
  const has = `pull request #${view.pull} has ${view.labels.length ? view.labels.join(', ') : 'no label'}`;
  return missing.length
    ? fail(
        `${has}; missing ${missing.join(', ')}`,
        ErrorCode.APPROVAL_REQUIRED,
        `pull request #${view.pull} lacks the label${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (gates.review.labels): a person adds ${missing.length === 1 ? 'it' : 'them'} on the forge`,
      )
    : { check: { name: 'labels', status: 'pass', detail: `${has}: every required label` }, problems: [] };
}

const LEVELS: readonly string[] = ['low', 'medium', 'high'];

/** The branch's risk, assessed from its diff as a move's approval check assesses a task's. */
async function branchRisk(ctx: ReviewInput): Promise<RiskAssessment> {
  const files = await numstat(ctx);
  const patch = await git(ctx.root, ['diff', '-U0', '--no-renames', `${ctx.mergeBase}..${ctx.head}`]);
  if (patch.code !== 0) throw new Error(`git diff ${ctx.mergeBase}..${ctx.head} failed: ${patch.stderr.trim()}`);
  return assessRisk({
    files: files.map((f) => ({ path: f.path, additions: f.added, deletions: f.removed, status: 'modified' })),
    addedLines: addedLinesOf(patch.stdout),
    secrets: await scanPatch(patch.stdout),
    riskyPaths: ctx.config.approvals.riskyPaths,
    maxLines: ctx.config.approvals.maxLines,
  });
}

/**
 * Risk: each rule of `gates.review.risk` whose class the change has (a level: at least that risky; a class: a reason
 * of that class) is met by that many different people among its `from`, a team counting each of its members.
 */
async function riskCheck(
  ctx: ReviewInput,
  view: ForgeView,
  approvals: readonly Approval[],
  teams: TeamReader,
): Promise<Outcome> {
  const rules = ctx.config.gates?.review?.risk ?? [];
  if (rules.length === 0)
    return {
      check: { name: 'risk', status: 'not_evaluated', detail: 'no risk class needs approvals (gates.review.risk)' },
      problems: [],
    };
  const risk = await branchRisk(ctx);
  const classes = [...new Set(risk.reasons.map((r) => r.class))];
  const riskText = `the change is ${risk.level} risk${classes.length ? ` (${classes.join(', ')})` : ''}`;
  const problems: CiProblem[] = [];
  const seen: string[] = [];
  const teamErrors: string[] = [];
  for (const [i, rule] of rules.entries()) {
    const applies = LEVELS.includes(rule.class)
      ? atLeast(risk.level, rule.class as RiskLevel)
      : risk.reasons.some((r) => r.class === rule.class);
    if (!applies) continue;
    const by = new Map<string, string>();
    for (const owner of rule.from)
      for (const a of await approvalsFor(owner, approvals, teams, teamErrors))
        if (!by.has(a.who))
          by.set(a.who, `${a.who}${a.via.includes('/') ? ` via ${a.via}` : ''} (${FROM_TEXT[a.from]})`);
    const list = [...by.values()];
    seen.push(`${rule.class}: ${by.size}/${rule.approvals}${list.length ? ` by ${list.join(', ')}` : ''}`);
    if (by.size < rule.approvals)
      problems.push({
        taskId: null,
        check: 'risk',
        code: ErrorCode.APPROVAL_REQUIRED,
        file: `gates.review.risk[${i}]`,
        reason: `${riskText}, and ${rule.class} needs ${rule.approvals} approval${rule.approvals === 1 ? '' : 's'} from ${rule.from.join(', ')}; it has ${by.size}${list.length ? ` (${list.join(', ')})` : ''}: ${rule.approvals - by.size} more of them approve${view.kind === 'none' ? ' with a passkey' : ' on the forge or with a passkey'}`,
      });
  }
  for (const e of [...new Set(teamErrors)])
    problems.push({
      taskId: null,
      check: 'risk',
      code: ErrorCode.APPROVAL_REQUIRED,
      file: 'gates.review.risk',
      reason: `a team's members could not be read from the forge: ${e}`,
    });
  if (seen.length > 0) problems.push(...unreadable(view, 'risk', 'gates.review.risk'));
  const detail = `${riskText}; ${seen.length ? seen.join('; ') : 'no rule of gates.review.risk applies'}. Approvals from ${sourceText(view)}`;
  return { check: { name: 'risk', status: problems.length ? 'fail' : 'pass', detail }, problems };
}

/** The people whose approval (or review) of a task verified as a passkey decision, lower case, without `person:`. */
function approversOf(tasks: readonly StagedTask[]): Set<string> {
  const out = new Set<string>();
  for (const t of tasks)
    for (const x of t.entries)
      if (
        t.verified.has(x.seq) &&
        isPersonDecision(x) &&
        ((x.kind === 'approval' && x.data['action'] === 'approved') || x.kind === 'evidence') &&
        x.actor.startsWith('person:')
      )
        out.add(x.actor.slice('person:'.length).toLowerCase());
  return out;
}
