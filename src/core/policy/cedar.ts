/**
 * @module Policy as code, the pure part: the Cedar schema of Autopilot's entities, the tool table compiled into
 * Cedar policies, the request a tool call becomes, the `policies` config section (modes), and how the answers to
 * the two actions (`call`, `ask`) make the guard's verdict. Evaluating Cedar is the engine's (engine/repo/policies.ts).
 */
import { z } from 'zod';
import type { Classification } from './findings.ts';
import type { ToolPolicy } from './policy.ts';

/** The Cedar namespace of every entity type and action. */
export const CEDAR_NAMESPACE = 'Autopilot';

/**
 * The schema repository policies are validated against (strictly: a misspelt attribute is an error at load).
 * A tool call is asked as two actions: `call` (may the agent make it now) and, when `call` is denied, `ask` (may a
 * person approve it). A change (core/policy/change.ts) is asked the same way with `change` and `ask`, once on the
 * whole `Diff` and once on each changed `File` (Cedar has no quantifiers, so a per-file rule needs a per-file
 * request). Task, phase, dependency and risk class are declared for later policies.
 */
export const CEDAR_SCHEMA = `namespace ${CEDAR_NAMESPACE} {
  entity Task = { id: String };
  entity Phase;
  entity RiskClass;
  entity Actor = { kind: String };
  entity Diff = {
    files: Long,
    lines: Long,
    added: Long,
    removed: Long,
    paths: Set<String>,
    kinds: Set<String>,
    secrets: Long,
    dependencies: Set<String>,
    supplyChain: String,
    rollback: Bool,
    branch: String,
    base: String,
    maxFiles: Long,
    maxLines: Long,
  };
  entity File = { path: String, kind: String, added: Long, removed: Long, secrets: Long, diff: Diff };
  entity Dependency = { name: String, ecosystem: String };
  entity ToolCall = {
    tool: String,
    client: String,
    capabilities: Set<String>,
    unknown: Bool,
    paths: Set<String>,
  };
  type CallContext = { phase: String, task: String };
  action call appliesTo { principal: [Actor], resource: [ToolCall], context: CallContext };
  action ask appliesTo { principal: [Actor], resource: [ToolCall, Diff, File], context: CallContext };
  action change appliesTo { principal: [Actor], resource: [Diff, File], context: CallContext };
}
`;

/** Ids of the generated policies start with this; repository policies may not use it. */
export const DEFAULT_POLICY_PREFIX = 'tools.';

/** How a policy (or the repository's policies as a whole) acts: block, only record what it would block, or nothing. */
export const POLICY_MODES = ['enforce', 'observe', 'off'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/**
 * The `policies` section of the config. `mode` is the mode of the repository's policies (`.autopilot/policies/*.cedar`),
 * `overrides` sets it per policy id; the policies generated from `tools` always enforce (change `tools` instead).
 * `sources` holds policy text by file name: the loader fills it from `.autopilot/policies/`, so that the files are
 * part of the config's digest (the contract a task adopts) and a task's contract carries them.
 * Optional without defaults, so that a config without policies keeps its digest.
 */
export const policiesConfigSchema = z
  .object({
    mode: z.enum(POLICY_MODES).optional(),
    overrides: z.record(z.string().min(1), z.enum(POLICY_MODES)).optional(),
    sources: z
      .record(z.string().regex(/^[A-Za-z0-9._/-]+\.cedar$/, 'a file name ending in .cedar'), z.string())
      .optional(),
  })
  .strict();

/** The `policies` section as written (or filled in by the loader). */
export type PoliciesConfig = z.infer<typeof policiesConfigSchema>;

/** Cedar string literal (JSON's escapes are Cedar's for the characters that can occur here). */
function lit(s: string): string {
  return JSON.stringify(s);
}

/** The call needs only capabilities of `caps` (Cedar forbids an empty set literal, hence `isEmpty`). */
function within(caps: readonly string[]): string {
  if (caps.length === 0) return 'resource.capabilities.isEmpty()';
  return `[${caps.map(lit).join(', ')}].containsAll(resource.capabilities)`;
}

/** One policy generated from the tool table: its id, effect, reason, text, and what it is satisfied by. */
export interface GeneratedPolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly reason: string;
  readonly text: string;
  /** Its 1-based line in {@link compileToolPolicy}'s text. */
  readonly line: number;
  /** The policy's condition, evaluated here: the same answer Cedar gives for the policy's text. */
  readonly holds: (action: 'call' | 'ask', req: Pick<PolicyRequest, 'classification' | 'phase'>) => boolean;
}

const GENERATED_HEADER =
  '// Generated from the tools section of the config: change tools.phases and tools.ask there, not this text.';

/**
 * The tool table as Cedar policies, in process order, each with an `@id`: `tools.unknown` forbids every call
 * Autopilot cannot classify; `tools.call.<PHASE>` permits a call whose capabilities the phase allows;
 * `tools.ask.<PHASE>` permits asking a person when the missing capabilities are all in `tools.ask` (which also lets
 * a repository policy that forbids only `call` hold a call for a person). Deterministic: the same table gives the
 * same policies. Each also carries its condition as code, so that a set of these alone is decided without loading
 * Cedar (a test holds the two to the same answers).
 */
export function toolPolicyParts(policy: ToolPolicy): GeneratedPolicy[] {
  const ns = CEDAR_NAMESPACE;
  const parts: Omit<GeneratedPolicy, 'line'>[] = [
    {
      id: 'tools.unknown',
      effect: 'forbid',
      reason: 'Autopilot cannot tell what this call does',
      text: [
        '@id("tools.unknown")',
        '@reason("Autopilot cannot tell what this call does")',
        `forbid (principal, action, resource is ${ns}::ToolCall)`,
        'when { resource.unknown };',
      ].join('\n'),
      holds: (_action, req) => req.classification.unknown,
    },
  ];
  const subset = (caps: readonly string[]) => {
    const allowed = new Set(caps);
    return (req: Pick<PolicyRequest, 'classification'>) => req.classification.capabilities.every((c) => allowed.has(c));
  };
  for (const [phase, caps] of Object.entries(policy.phases)) {
    const reason = `${phase} allows ${caps.length ? caps.join(', ') : 'no capability'}`;
    const fits = subset(caps);
    parts.push({
      id: `tools.call.${phase}`,
      effect: 'permit',
      reason,
      text: [
        `@id(${lit(`tools.call.${phase}`)})`,
        `@reason(${lit(reason)})`,
        `permit (principal, action == ${ns}::Action::"call", resource is ${ns}::ToolCall)`,
        `when { context.phase == ${lit(phase)} && ${within(caps)} };`,
      ].join('\n'),
      holds: (action, req) => action === 'call' && req.phase === phase && fits(req),
    });
  }
  for (const [phase, caps] of Object.entries(policy.phases)) {
    const askable = [...new Set([...caps, ...policy.ask])];
    const reason = `a person may approve ${policy.ask.length ? policy.ask.join(', ') : 'what the phase allows'} in ${phase}`;
    const fits = subset(askable);
    parts.push({
      id: `tools.ask.${phase}`,
      effect: 'permit',
      reason,
      text: [
        `@id(${lit(`tools.ask.${phase}`)})`,
        `@reason(${lit(reason)})`,
        `permit (principal, action == ${ns}::Action::"ask", resource is ${ns}::ToolCall)`,
        `when { context.phase == ${lit(phase)} && ${within(askable)} };`,
      ].join('\n'),
      holds: (action, req) => action === 'ask' && req.phase === phase && fits(req),
    });
  }
  // The header line, then each policy after a blank line.
  let line = 2;
  return parts.map((p) => {
    const at = line + 1;
    line = at + p.text.split('\n').length;
    return { ...p, line: at };
  });
}

/** The tool table's policies as one Cedar text (see {@link toolPolicyParts}). */
export function compileToolPolicy(policy: ToolPolicy): string {
  return `${[GENERATED_HEADER, ...toolPolicyParts(policy).map((p) => p.text)].join('\n\n')}\n`;
}

/** Who makes the call, as policies see it. */
export type ActorKind = 'agent' | 'person' | 'ci';

/** What a policy decision is asked about. */
export interface PolicyRequest {
  readonly actor: { readonly id: string; readonly kind: ActorKind };
  readonly tool: string;
  readonly client: string;
  readonly classification: Pick<Classification, 'capabilities' | 'unknown' | 'paths'>;
  readonly phase: string;
  readonly taskId: string | null;
}

/** A Cedar entity in its JSON form. */
export interface CedarEntity {
  readonly uid: { readonly type: string; readonly id: string };
  readonly attrs: Readonly<Record<string, CedarValue>>;
}

/** An attribute value of a request's entity: a string, boolean, integer, set of strings, or a reference. */
export type CedarValue = string | boolean | number | string[] | { readonly __entity: { type: string; id: string } };

/** The principal, resource, context and entities of a request, without the action. */
export interface CedarRequest {
  readonly principal: { readonly type: string; readonly id: string };
  readonly resource: { readonly type: string; readonly id: string };
  readonly context: { readonly phase: string; readonly task: string };
  readonly entities: readonly CedarEntity[];
}

/** The Cedar form of a request: an Actor principal, a ToolCall resource, and the phase and task as context. */
export function cedarRequest(req: PolicyRequest): CedarRequest {
  const principal = { type: `${CEDAR_NAMESPACE}::Actor`, id: req.actor.id };
  const resource = { type: `${CEDAR_NAMESPACE}::ToolCall`, id: req.tool };
  return {
    principal,
    resource,
    context: { phase: req.phase, task: req.taskId ?? '' },
    entities: [
      { uid: principal, attrs: { kind: req.actor.kind } },
      {
        uid: resource,
        attrs: {
          tool: req.tool,
          client: req.client,
          capabilities: [...req.classification.capabilities],
          unknown: req.classification.unknown,
          paths: [...(req.classification.paths ?? [])],
        },
      },
    ],
  };
}

/** One action's answer: whether it is allowed and the policies that decided it (Cedar's diagnostics). */
export interface ActionAnswer {
  readonly allowed: boolean;
  readonly policyIds: readonly string[];
  /** Policies that failed to evaluate (Cedar skips them); empty when the set validated against the schema. */
  readonly errors: readonly string[];
}

/** The verdict of a policy set on a tool call, and the policies that decided it. */
export interface PolicyVerdict {
  readonly verdict: 'allow' | 'ask' | 'deny';
  /**
   * Allowed: the permits that matched `call`. Ask: the forbids that matched `call`, then the permits of `ask`.
   * Denied: the forbids that matched; empty when no policy permits the call (Cedar denies by default).
   */
  readonly policyIds: readonly string[];
  readonly errors: readonly string[];
}

/**
 * The verdict from the two actions: `call` allowed is allow; else `ask` allowed is ask; else deny. `ask` is only
 * asked when `call` is denied.
 */
export function combineAnswers(authorize: (action: 'call' | 'ask') => ActionAnswer): PolicyVerdict {
  const call = authorize('call');
  if (call.allowed) return { verdict: 'allow', policyIds: call.policyIds, errors: call.errors };
  const ask = authorize('ask');
  const policyIds = [...new Set([...call.policyIds, ...ask.policyIds])];
  const errors = [...call.errors, ...ask.errors];
  return { verdict: ask.allowed ? 'ask' : 'deny', policyIds, errors };
}

/** How strict a verdict is, to compare what a policy set in observe mode would have done. */
export function strictness(v: PolicyVerdict['verdict']): number {
  return v === 'allow' ? 0 : v === 'ask' ? 1 : 2;
}
