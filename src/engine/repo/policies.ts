/**
 * @module Policy as code, the effectful part: the Cedar engine (WebAssembly, loaded on first use), the policy set of
 * a config (the tool table compiled to Cedar, plus the repository's `.autopilot/policies/*.cedar`), checked against
 * the schema at load, and the decision on one request under the policies' modes.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import canonicalize from 'canonicalize';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import {
  CEDAR_SCHEMA,
  CEDAR_NAMESPACE,
  DEFAULT_POLICY_PREFIX,
  combineAnswers,
  toolPolicyParts,
  type GeneratedPolicy,
  cedarRequest,
  type ActionAnswer,
  type CedarRequest,
  type PolicyMode,
  type PolicyRequest,
  type PolicyVerdict,
} from '../../core/policy/cedar.ts';
import { toolPolicyOf } from '../../core/policy/tool-policy.ts';
import { compilePolicy, evalRequest, Unevaluable, type PolicyTest } from '../../core/policy/cedar-eval.ts';
import { changeRequests, combineChange, type ChangeRequest, type ChangeVerdict } from '../../core/policy/change.ts';
import { sha256Hex } from './files.ts';

/** Where a repository's policy files are, relative to the repository (the config folder's `policies/`). */
export const POLICIES_DIR = '.autopilot/policies';

/** One policy of the set. */
export interface PolicyInfo {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  /** `(generated)` for the tool table's policies, else the file under {@link POLICIES_DIR}. */
  readonly file: string;
  readonly line: number;
  readonly mode: PolicyMode;
  /** The policy's `@reason` annotation, when it has one. */
  readonly reason?: string;
  readonly text: string;
}

/** A config's policy set, parsed, validated and ready to decide. */
export interface PolicySet {
  /** sha256 of the schema, every policy's text and every mode: recorded with each decision. */
  readonly digest: string;
  readonly policies: readonly PolicyInfo[];
  /** True when some policy is in observe mode (decisions are made twice). */
  readonly observing: boolean;
}

/** A decision under the modes: what the enforced policies decided, and what the observed ones would have. */
export interface PolicyDecision {
  readonly enforced: PolicyVerdict;
  /** With every observe-mode policy applied; absent when no policy observes. */
  readonly observed?: PolicyVerdict;
  readonly digest: string;
}

let cedar: typeof CedarWasm | undefined;

/**
 * The Cedar engine, loaded once per process on first use (the WebAssembly module takes a while to compile).
 *
 * Before it loads, V8 is told not to inline calls from JavaScript into WebAssembly. Node 20's V8 (11.3) aborts the
 * process ("Fatal error … unreachable code" in `Deoptimizer::DoComputeBuiltinContinuation`) when optimized code that
 * inlined such a call is deoptimized on its return, which happens when the engine grows its memory during a call
 * (the detached buffer invalidates the caller's code): reproduced here with `--deopt-every-n-times`, and once in a
 * long bench run without it. A hook daemon that aborts fails closed but takes every agent's calls with it; without
 * the inlining each call costs a few hundred nanoseconds more.
 */
export function engine(): typeof CedarWasm {
  if (!cedar) {
    setFlagsFromString('--no-turbo-inline-js-wasm-calls');
    cedar = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof CedarWasm;
  }
  return cedar;
}

/** The Cedar version the engine runs, for `policy explain` and the bench. */
export function cedarVersion(): string {
  return engine().getCedarVersion();
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function invalid(key: string, file: string, line: number | undefined, reason: string): AutopilotError {
  const where = `${file}${line ? `:${line}` : ''}`;
  return new AutopilotError(ErrorCode.CONFIG_INVALID, `${where}: ${reason}`, {
    key,
    reason,
    file,
    ...(line ? { line } : {}),
  });
}

function firstError(errors: readonly CedarWasm.DetailedError[]): { message: string; offset?: number } {
  const e = errors[0];
  if (!e) return { message: 'invalid policy' };
  const loc = e.sourceLocations?.[0];
  const label = loc?.label ? ` (${loc.label})` : '';
  return { message: `${e.message}${label}`, ...(loc ? { offset: loc.start } : {}) };
}

/**
 * Cedar returns a file's policies sorted by its own ids; each is the file's text verbatim, so its offset gives its
 * line and the file's order (two identical texts are one id twice, refused as a duplicate).
 */
function inFileOrder(text: string, parts: readonly string[]): { part: string; at: number }[] {
  return parts.map((part) => ({ part, at: Math.max(0, text.indexOf(part)) })).sort((a, b) => a.at - b.at);
}

/** The policies of one file: parsed, each with its id (the `@id` annotation, which every policy must have). */
function parseFile(name: string, text: string): PolicyInfo[] {
  const file = `${POLICIES_DIR}/${name}`;
  const c = engine();
  const parts = c.policySetTextToParts(text);
  if (parts.type === 'failure') {
    const e = firstError(parts.errors);
    throw invalid('policies', file, e.offset !== undefined ? lineAt(text, e.offset) : undefined, e.message);
  }
  if (parts.policy_templates.length > 0) {
    throw invalid('policies', file, undefined, 'templates are not supported; write static policies');
  }
  return inFileOrder(text, parts.policies).map(({ part, at }) => {
    const line = lineAt(text, at);
    const json = c.policyToJson(part);
    if (json.type === 'failure') throw invalid('policies', file, line, firstError(json.errors).message);
    const id = json.json.annotations?.['id'];
    if (!id) throw invalid('policies', file, line, 'the policy has no @id annotation; start it with @id("a-name")');
    if (id.startsWith(DEFAULT_POLICY_PREFIX)) {
      throw invalid(
        'policies',
        file,
        line,
        `policy id ${id}: ids starting with "${DEFAULT_POLICY_PREFIX}" are taken by the tool table`,
      );
    }
    const reason = json.json.annotations?.['reason'];
    return { id, effect: json.json.effect, file, line, mode: 'enforce', text: part, ...(reason ? { reason } : {}) };
  });
}

function generated(config: Config): (PolicyInfo & Pick<GeneratedPolicy, 'holds'>)[] {
  return toolPolicyParts(toolPolicyOf(config)).map((p) => ({
    id: p.id,
    effect: p.effect,
    file: '(generated)',
    line: p.line,
    mode: 'enforce' as const,
    text: p.text,
    reason: p.reason,
    holds: p.holds,
  }));
}

interface Compiled extends PolicySet {
  /**
   * The tool table's policies, decided by their own conditions (`holds`: a test holds them equal to their Cedar
   * text), so that no request pays Cedar for them.
   */
  readonly native: readonly (PolicyInfo & Pick<GeneratedPolicy, 'holds'>)[];
  /**
   * The repository's policies that are not off, by the action and resource type they can apply to
   * (`action resourceType`); a pair no policy's scope admits has no group, and a request for it asks nothing.
   */
  readonly groups: ReadonlyMap<string, PolicyGroup>;
  readonly byId: ReadonlyMap<string, PolicyInfo>;
  /** Decisions by request: Cedar is a pure function of the policy set and the request, so a repeat is answered here. */
  readonly memo: Map<string, PolicyDecision>;
}

/**
 * Policies that can apply to one action on one resource type: preparsed in Cedar as permits (see
 * {@link satisfied}), and compiled to JavaScript when every one of them can be (`compiled`), which then answers
 * unless a request is one it cannot evaluate as Cedar would.
 */
interface PolicyGroup {
  readonly setId: string;
  readonly compiled: readonly { readonly id: string; readonly test: PolicyTest }[] | null;
}

/** The actions and resource types a policy's scope can match (the schema declares no action groups). */
const ACTIONS = ['call', 'ask', 'change'] as const;
const RESOURCE_TYPES = ['ToolCall', 'Diff', 'File'] as const;

type ScopeJson = {
  op: string;
  entity?: { type: string; id: string };
  entities?: { type: string; id: string }[];
  entity_type?: string;
};

/** Whether a policy's action scope admits `action`: every scope but `==`/`in` naming other actions does. */
function admitsAction(scope: ScopeJson, action: string): boolean {
  const named = scope.entity ? [scope.entity] : scope.entities;
  if ((scope.op === '==' || scope.op === 'in') && named)
    return named.some((e) => e.type === `${CEDAR_NAMESPACE}::Action` && e.id === action);
  return true;
}

/**
 * Whether a policy's resource scope admits a resource of `type`: `is` another type, or `==` an entity of another
 * type, cannot; anything else (`All`, `in`) is sent to Cedar to decide.
 */
function admitsResource(scope: ScopeJson, type: string): boolean {
  const full = `${CEDAR_NAMESPACE}::${type}`;
  if (scope.op === 'is') return scope.entity_type === full;
  if (scope.op === '==' && scope.entity) return scope.entity.type === full;
  return true;
}

/** Requests remembered per policy set (a hook daemon's session repeats its calls); the oldest goes first. */
const MEMO_SIZE = 4096;

const cache = new WeakMap<Config, Compiled>();

/**
 * The policy set of `config`: the tool table's policies, then the repository's (files in name order), with their
 * modes. Throws CONFIG_INVALID naming the file and line of a policy that does not parse or does not validate
 * against the schema, a duplicate or missing id, and an override naming no repository policy.
 */
export function policySetOf(config: Config): PolicySet {
  return compiled(config);
}

function compiled(config: Config): Compiled {
  const hit = cache.get(config);
  if (hit) return hit;
  const section = config.policies ?? {};
  const defaultMode = section.mode ?? 'enforce';
  const overrides = section.overrides ?? {};
  const own = Object.entries(section.sources ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, text]) => parseFile(name, text));
  const seen = new Map<string, PolicyInfo>();
  for (const p of own) {
    const before = seen.get(p.id);
    if (before)
      throw invalid('policies', p.file, p.line, `policy id ${p.id} is also used at ${before.file}:${before.line}`);
    seen.set(p.id, p);
  }
  for (const [id, mode] of Object.entries(overrides)) {
    if (!seen.has(id)) {
      const known = [...seen.keys()];
      throw invalid(
        `policies.overrides.${id}`,
        '.autopilot/config.yaml',
        undefined,
        `policies.overrides names ${id} (${mode}), which is no policy of ${POLICIES_DIR}; ${known.length ? `they are ${known.join(', ')}` : 'there are none'}. The tool table's own policies follow tools: in the config`,
      );
    }
  }
  const table = generated(config);
  const policies: PolicyInfo[] = [
    ...table.map(({ holds: _holds, ...p }) => p),
    ...own.map((p) => ({ ...p, mode: overrides[p.id] ?? defaultMode })),
  ];
  const digest = sha256Hex(
    canonicalize({ schema: CEDAR_SCHEMA, policies: policies.map((p) => ({ id: p.id, mode: p.mode, text: p.text })) }) ??
      '',
  );
  const base = {
    digest,
    policies,
    observing: policies.some((p) => p.mode === 'observe'),
    native: table,
    byId: new Map(policies.map((p) => [p.id, p])),
    memo: new Map<string, PolicyDecision>(),
  };
  if (own.length === 0) {
    // The tool table alone: no hook pays for loading the WebAssembly engine until a repository writes a policy.
    const result: Compiled = { ...base, groups: new Map() };
    cache.set(config, result);
    return result;
  }
  const c = engine();
  const all = Object.fromEntries(policies.filter((p) => p.mode !== 'off').map((p) => [p.id, p.text]));
  const checked = c.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: all },
    validationSettings: { mode: 'strict' },
  });
  if (checked.type === 'failure')
    throw invalid('policies', POLICIES_DIR, undefined, firstError(checked.errors).message);
  const problem = checked.validationErrors[0];
  if (problem) {
    const p = policies.find((x) => x.id === problem.policyId);
    const e = firstError([problem.error]);
    const line = p ? p.line + (e.offset !== undefined ? lineAt(p.text, e.offset) - 1 : 0) : undefined;
    throw invalid('policies', p?.file ?? POLICIES_DIR, line, `policy ${problem.policyId}: ${e.message}`);
  }
  // Every repository policy that is not off, as a permit: Cedar then lists every policy whose scope and conditions
  // hold (an allow's diagnostics name all satisfied permits), and the verdict under each mode is derived from that
  // one evaluation by Cedar's own rule (a satisfied forbid denies; else a satisfied permit allows; else deny). The
  // validated set holds the tool table too, so a repository policy is checked beside the table it joins.
  const asPermits: { id: string; json: CedarWasm.PolicyJson }[] = [];
  for (const p of own) {
    if ((overrides[p.id] ?? defaultMode) === 'off') continue;
    const json = c.policyToJson(p.text);
    if (json.type === 'failure') throw new Error(`a checked policy does not convert: ${p.id}`);
    asPermits.push({ id: p.id, json: { ...json.json, effect: 'permit' } });
  }
  const groups = new Map<string, PolicyGroup>();
  for (const action of ACTIONS) {
    for (const type of RESOURCE_TYPES) {
      const applying = asPermits.filter(
        ({ json }) =>
          admitsAction(json.action as ScopeJson, action) && admitsResource(json.resource as ScopeJson, type),
      );
      if (applying.length === 0) continue;
      const setId = `${digest}:${action}:${type}`;
      const r = c.preparsePolicySet(setId, {
        staticPolicies: Object.fromEntries(applying.map(({ id, json }) => [id, json])),
      });
      if (r.type === 'failure')
        throw new Error(`the checked policy set does not load: ${firstError(r.errors).message}`);
      const tests = applying.map(({ id, json }) => ({ id, test: compilePolicy(json) }));
      const compiled = tests.every((t) => t.test !== null)
        ? tests.map(({ id, test }) => ({ id, test: test as PolicyTest }))
        : null;
      groups.set(`${action} ${type}`, { setId, compiled });
    }
  }
  const result: Compiled = { ...base, groups };
  cache.set(config, result);
  return result;
}

/** The ids of the policies (any effect, not off) whose scope and conditions hold for `action` on the tool call. */
function satisfied(set: Compiled, action: 'call' | 'ask', req: PolicyRequest, request: CedarRequest): Satisfied {
  const ids = set.native.filter((p) => p.holds(action, req)).map((p) => p.id);
  const group = set.groups.get(`${action} ToolCall`);
  if (group === undefined) return { ids, errors: [] };
  const own = satisfiedBy(group, action, request);
  // A request the engine refused whole satisfies nothing, the table's policies included: the guard fails closed.
  if (own.refused) return { ids: [], errors: own.errors, refused: true };
  return { ids: [...ids, ...own.ids], errors: own.errors };
}

/** The policies satisfied by a request, the errors met, and whether the engine refused the request whole. */
interface Satisfied {
  readonly ids: string[];
  readonly errors: string[];
  readonly refused?: true;
}

/** The policies of `group` satisfied by `action` on `request`: in JavaScript where it can answer as Cedar would. */
function satisfiedBy(group: PolicyGroup, action: 'call' | 'ask' | 'change', request: CedarRequest): Satisfied {
  if (group.compiled) {
    try {
      const r = evalRequest(request, { type: `${CEDAR_NAMESPACE}::Action`, id: action });
      return { ids: group.compiled.filter((p) => p.test(r)).map((p) => p.id), errors: [] };
    } catch (err) {
      if (!(err instanceof Unevaluable)) throw err;
    }
  }
  return satisfiedByCedar(group.setId, action, request);
}

/** The policies satisfied by a change part, when some repository policy can apply to it. */
function satisfiedByChange(
  set: Compiled,
  action: 'change' | 'ask',
  request: CedarRequest,
): { ids: string[]; errors: string[] } {
  const type = request.resource.type.slice(CEDAR_NAMESPACE.length + 2);
  const group = set.groups.get(`${action} ${type}`);
  return group === undefined ? { ids: [], errors: [] } : satisfiedBy(group, action, request);
}

function satisfiedByCedar(setId: string, action: 'call' | 'ask' | 'change', request: CedarRequest): Satisfied {
  let answer: ReturnType<typeof CedarWasm.statefulIsAuthorized>;
  try {
    answer = engine().statefulIsAuthorized({
      principal: request.principal,
      action: { type: `${CEDAR_NAMESPACE}::Action`, id: action },
      resource: request.resource,
      context: request.context,
      entities: request.entities.map((e) => ({ uid: e.uid, attrs: { ...e.attrs }, parents: [] })),
      preparsedPolicySetId: setId,
      // The set was validated against the schema at load, and the request is built by cedarRequest.
      validateRequest: false,
    });
  } catch (err) {
    // The engine's JSON bridge throws on what it cannot carry (a lone surrogate in a path): refused like a failure.
    answer = { type: 'failure', errors: [{ message: (err as Error).message }] } as typeof answer;
  }
  // A request the engine cannot evaluate satisfies nothing: every action is denied, the guard fails closed.
  if (answer.type === 'failure') return { ids: [], errors: answer.errors.map((e) => e.message), refused: true };
  return {
    ids: answer.response.diagnostics.reason,
    errors: answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
  };
}

/** Cedar's rule over the satisfied policies whose mode is in `modes`. */
function answerUnder(
  set: Compiled,
  found: { ids: string[]; errors: string[] },
  modes: ReadonlySet<PolicyMode>,
): ActionAnswer {
  const live = found.ids.map((id) => set.byId.get(id)).filter((p): p is PolicyInfo => !!p && modes.has(p.mode));
  const forbids = live.filter((p) => p.effect === 'forbid').map((p) => p.id);
  const permits = live.filter((p) => p.effect === 'permit').map((p) => p.id);
  const allowed = forbids.length === 0 && permits.length > 0;
  return { allowed, policyIds: allowed ? permits : forbids, errors: found.errors };
}

const ENFORCED: ReadonlySet<PolicyMode> = new Set(['enforce']);
const OBSERVED: ReadonlySet<PolicyMode> = new Set(['enforce', 'observe']);

/** Decides `req` under the policy set of `config`: by the enforced policies, and by all of them when some observe. */
export function decidePolicies(config: Config, req: PolicyRequest): PolicyDecision {
  const set = compiled(config);
  const request = cedarRequest(req);
  // Everything Cedar sees is in the request's principal, resource, context and entities: they are the key.
  const key = JSON.stringify([request.principal.id, request.resource.id, request.context, request.entities]);
  const hit = set.memo.get(key);
  if (hit) return hit;
  const found = new Map<'call' | 'ask', Satisfied>();
  // A request the engine refused for one action is refused for the other too: the call is denied, not asked.
  let refusal: Satisfied | undefined;
  const under = (modes: ReadonlySet<PolicyMode>) => (action: 'call' | 'ask') => {
    let f = refusal ?? found.get(action);
    if (!f) {
      found.set(action, (f = satisfied(set, action, req, request)));
      if (f.refused) refusal = f;
    }
    return answerUnder(set, f, modes);
  };
  const enforced = combineAnswers(under(ENFORCED));
  const decision: PolicyDecision = set.observing
    ? { enforced, observed: combineAnswers(under(OBSERVED)), digest: set.digest }
    : { enforced, digest: set.digest };
  if (set.memo.size >= MEMO_SIZE) set.memo.delete(set.memo.keys().next().value as string);
  set.memo.set(key, decision);
  return decision;
}

/** A decision on a change under the modes, as {@link PolicyDecision} is for a tool call. */
export interface ChangeDecision {
  readonly enforced: ChangeVerdict;
  /** With every observe-mode policy applied; absent when no policy observes. */
  readonly observed?: ChangeVerdict;
  readonly digest: string;
}

/**
 * Decides a change under the policy set of `config`: `change` (and, where forbidden, `ask`) on the whole diff and on
 * each changed file. The tool table's policies are about tool calls, so a set without policies of the repository
 * allows every change without loading Cedar.
 */
export function decideChange(config: Config, req: ChangeRequest): ChangeDecision {
  const set = compiled(config);
  const parts =
    set.groups.size === 0
      ? []
      : changeRequests(req).map((part) => ({
          on: part.on,
          change: satisfiedByChange(set, 'change', part.request),
          ask: satisfiedByChange(set, 'ask', part.request),
        }));
  const errors = parts.flatMap((p) => [...p.change.errors, ...p.ask.errors]);
  const forbids = (ids: readonly string[], modes: ReadonlySet<PolicyMode>) =>
    ids.filter((id) => {
      const p = set.byId.get(id);
      return !!p && p.effect === 'forbid' && modes.has(p.mode);
    });
  const under = (modes: ReadonlySet<PolicyMode>) =>
    combineChange(
      parts.map((p) => ({ on: p.on, change: forbids(p.change.ids, modes), ask: forbids(p.ask.ids, modes) })),
      errors,
    );
  const enforced = under(ENFORCED);
  return set.observing ? { enforced, observed: under(OBSERVED), digest: set.digest } : { enforced, digest: set.digest };
}
