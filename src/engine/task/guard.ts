/**
 * @module Use case: decide one tool call of an agent in its task's phase.
 * The decision logic lives in core/policy; here the task is found, a denial is
 * recorded in the ledger and counted, and every decision becomes a span.
 */
import { ErrorCode, ok, type Refusal, type Result } from '../../core/errors.ts';
import { outsideAllowlist, type PersonaSpec } from '../../core/persona.ts';
import { personaFor } from '../drift/persona.ts';
import { loadTask } from '../ledger/load-task.ts';
import type { TaskState } from '../../core/task.ts';
import { classifyToolCall, type ClassifyContext, type ToolCall } from '../../core/policy/classify.ts';
import { decideToolCall, type ToolDecision } from '../../core/policy/decide.ts';
import type { Classification } from '../../core/policy/findings.ts';
import { strictness, type PolicyRequest, type PolicyVerdict } from '../../core/policy/cedar.ts';
import { decidePolicies, policySetOf, type PolicyDecision } from '../repo/policies.ts';
import type { Capability } from '../../core/policy/capabilities.ts';
import { Counter } from '../../ports/events.ts';
import { append, recordRefusal } from '../ledger/record.ts';
import { toolPolicyOf } from '../../core/policy/tool-policy.ts';
import type { Actor, Engine } from '../context.ts';
import { clause } from '../../core/phrasing.ts';
import { phaseDir } from '../../core/phases.ts';
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userStateRoot } from '../repo/user-state.ts';
import { gitControlPaths } from '../repo/wall.ts';

// git's hooks folder and config, by repository: looked up once per process (a daemon answers many calls).
const CONTROL = new Map<string, Promise<string[]>>();

/** The real path of `abs`, following symlinks as far as the path exists (a file about to be written does not). */
export function realPath(abs: string): string {
  try {
    return realpathSync(abs);
  } catch {
    const up = dirname(abs);
    return up === abs ? abs : join(realPath(up), basename(abs));
  }
}

export interface GuardRequest {
  /** The task the call belongs to; found from the store when absent. */
  readonly taskId?: string;
  readonly client: ToolCall['client'];
  readonly tool: string;
  readonly input: unknown;
}

export interface GuardOutcome {
  readonly decision: 'allow' | 'deny' | 'ask';
  /**
   * Why a call is not allowed: the phase does not allow it (or a person must approve it), or the phase would, but the
   * persona the phase runs with does not (its tool allowlist).
   */
  readonly code: typeof ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE | typeof ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA | null;
  readonly reason: string;
  readonly capabilities: readonly Capability[];
  readonly missing: readonly Capability[];
  readonly phase: string;
  readonly taskId: string | null;
  /** The persona the phase runs with, and its tool allowlist (absent: the phase's capabilities). */
  readonly persona: {
    readonly id: string;
    readonly version: string;
    readonly role: string;
    readonly allow?: readonly Capability[];
  };
  /** Why the call is judged by the first phase's policy: no task, or several. */
  readonly note?: string;
  /** The same as a fact, for the surfaces to say what to do in their terms: no active task, or several. */
  readonly unattached?: 'no-task' | 'several-tasks';
  /** The ledger entry that recorded a denial. */
  readonly seq?: number;
  /**
   * What the policy set decided: the deciding policy ids, the verdict, the set's digest, and what the observe-mode
   * policies would have done where it is stricter (the call was not blocked for it).
   */
  readonly policy: {
    readonly ids: readonly string[];
    readonly verdict: 'allow' | 'deny' | 'ask';
    readonly digest: string;
    readonly observed?: { readonly verdict: 'allow' | 'deny' | 'ask'; readonly ids: readonly string[] };
  };
}

/** Which task a call without a task id belongs to: the only active task. */
export async function resolveTask(engine: Engine, taskId: string | undefined): Promise<Result<TaskState | null>> {
  if (taskId) {
    return loadTask(engine.store, taskId);
  }
  const active = await engine.store.activeTasks();
  return ok(active.length === 1 ? active[0]! : null);
}

export async function guardToolCall(engine: Engine, actor: Actor, req: GuardRequest): Promise<Result<GuardOutcome>> {
  const startMs = Date.now();
  const found = await resolveTask(engine, req.taskId);
  if (!found.ok) return found;
  const task = found.value;
  const first = engine.config.phases[0] as string;
  let note: string | undefined;
  let unattached: GuardOutcome['unattached'];
  if (!task) {
    const active = (await engine.store.activeTasks()).length;
    unattached = active === 0 ? 'no-task' : 'several-tasks';
    note =
      active === 0
        ? `no active task: the call is judged as in ${first}; start a task first`
        : `${active} active tasks: the call is judged as in ${first}; name the task`;
  }
  const phase = task && task.status === 'active' ? task.phase : first;
  const judged = await judgeToolCall(engine, {
    phase,
    taskId: task?.taskId ?? null,
    actor: { id: actor.id, kind: 'agent' },
    call: { client: req.client, tool: req.tool, input: req.input },
  });
  const { classification, policy } = judged;
  // The persona narrows what the phase allows (or lets a person approve); a call the phase denies stays the phase's.
  const persona = personaFor(engine.config, phase, task && task.status === 'active' ? task.routing : undefined);
  const beyond = judged.decision === 'deny' ? [] : outsideAllowlist(persona, classification.capabilities);
  const personaDenial = beyond.length
    ? personaRefusal(persona, phase, req.tool, classification.capabilities, beyond)
    : null;
  const decision = personaDenial
    ? { decision: 'deny' as const, missing: beyond, reason: personaDenial.message }
    : { decision: judged.decision, missing: judged.missing, reason: judged.reason };
  const code =
    decision.decision === 'allow'
      ? null
      : personaDenial
        ? ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA
        : ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE;
  const reason = note ? `${clause(decision.reason)}. ${note}` : decision.reason;
  let seq: number | undefined;
  if (personaDenial && task) {
    // A violation like a reviewer session's: recorded, counted under its code (tool_calls_blocked) by recordRefusal.
    const recorded = await engine.store.transact(async (tx) =>
      recordRefusal(
        engine,
        tx,
        (await tx.getTask(task.taskId)) ?? task,
        actor,
        { action: 'tool' },
        personaDenial,
        startMs,
      ),
    );
    seq = recorded.details['seq'] as number;
  } else if (decision.decision !== 'allow' && task) {
    const entry = await engine.store.transact((tx) =>
      append(engine, tx, {
        taskId: task.taskId,
        kind: 'tool_blocked',
        fromPhase: phase,
        toPhase: null,
        actor: actor.id,
        artifacts: [],
        data: {
          decision: decision.decision,
          code: ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
          client: req.client,
          tool: req.tool.slice(0, 200),
          input: summarize(req.input),
          capabilities: classification.capabilities,
          missing: decision.missing,
          reason: reason.slice(0, 2000),
          ...policyData(policy),
        },
      }),
    );
    seq = entry.seq;
  }
  const wouldBlock = wouldHaveBlocked(policy);
  if (wouldBlock && task) {
    // Observe mode: the call goes ahead, and what the observed policies would have done is on the record.
    await engine.store.transact((tx) =>
      append(engine, tx, {
        taskId: task.taskId,
        kind: 'policy_observed',
        fromPhase: phase,
        toPhase: null,
        actor: actor.id,
        artifacts: [],
        data: {
          decision: decision.decision,
          wouldHave: wouldBlock.verdict,
          client: req.client,
          tool: req.tool.slice(0, 200),
          input: summarize(req.input),
          capabilities: classification.capabilities,
          // The observed decision (what would have happened), and the enforced one that let the call through.
          policyIds: wouldBlock.policyIds,
          policyVerdict: wouldBlock.verdict,
          policyDigest: policy.digest,
          enforced: { policyIds: policy.enforced.policyIds, policyVerdict: policy.enforced.verdict },
        },
      }),
    );
  }
  const endMs = Date.now();
  const base = {
    taskId: task?.taskId ?? null,
    startMs,
    endMs,
    actor: actor.id,
    ...(actor.sessionId ? { sessionId: actor.sessionId } : {}),
  };
  engine.sink.emit({
    ...base,
    type: 'guard',
    phase,
    tool: req.tool,
    decision: decision.decision,
    capabilities: classification.capabilities,
    persona: `${persona.id}@${persona.version}`,
    ...(code === ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA ? { code } : {}),
    policyIds: policy.enforced.policyIds,
    policyVerdict: policy.enforced.verdict,
    policyDigest: policy.digest,
    ...(wouldBlock ? { policyObserved: wouldBlock.verdict, policyObservedIds: wouldBlock.policyIds } : {}),
    ...(seq !== undefined ? { seq } : {}),
  });
  if (wouldBlock) {
    engine.sink.emit({
      ...base,
      type: 'counter',
      name: Counter.policy_would_block,
      value: 1,
      attributes: { phase, tool: req.tool.slice(0, 100), policy: wouldBlock.policyIds.join(',').slice(0, 200) },
    });
  }
  if (decision.decision === 'deny' && !(personaDenial && task)) {
    engine.sink.emit({
      ...base,
      type: 'counter',
      name: Counter.tool_calls_blocked,
      value: 1,
      attributes: { phase, tool: req.tool.slice(0, 100) },
    });
  }
  return ok({
    decision: decision.decision,
    code,
    reason,
    capabilities: classification.capabilities,
    missing: decision.missing,
    phase,
    taskId: task?.taskId ?? null,
    persona: {
      id: persona.id,
      version: persona.version,
      role: persona.role,
      ...(persona.tools ? { allow: persona.tools.allow } : {}),
    },
    policy: {
      ids: policy.enforced.policyIds,
      verdict: policy.enforced.verdict,
      digest: policy.digest,
      ...(wouldBlock ? { observed: { verdict: wouldBlock.verdict, ids: wouldBlock.policyIds } } : {}),
    },
    ...(note ? { note } : {}),
    ...(unattached ? { unattached } : {}),
    ...(seq !== undefined ? { seq } : {}),
  });
}

/** A command about to run behind the wall of `autopilot exec`, in a phase, of a task or of none. */
export interface PersonaCallRequest {
  readonly task: TaskState | null;
  readonly phase: string;
  readonly call: ToolCall;
}

/**
 * The persona's judgement alone of a call the wall is about to contain: refused with TOOL_NOT_ALLOWED_FOR_PERSONA
 * (recorded as a violation of the task and counted, as the guard records it) when the phase allows the call but the
 * persona's allowlist does not; allowed otherwise. A call the phase itself denies is left to the wall, which holds
 * only the phase's capabilities narrowed by the persona's: nothing is recorded for it here.
 */
export async function guardPersonaCall(
  engine: Engine,
  actor: Actor,
  req: PersonaCallRequest,
): Promise<Result<{ persona: PersonaSpec; capabilities: readonly Capability[] }>> {
  const startMs = Date.now();
  const active = req.task && req.task.status === 'active' ? req.task : null;
  const persona = personaFor(engine.config, req.phase, active?.routing);
  if (!persona.tools) return ok({ persona, capabilities: [] });
  const judged = await judgeToolCall(engine, {
    phase: req.phase,
    taskId: active?.taskId ?? null,
    actor: { id: actor.id, kind: 'agent' },
    call: req.call,
  });
  const capabilities = judged.classification.capabilities;
  const beyond = judged.decision === 'deny' ? [] : outsideAllowlist(persona, capabilities);
  if (!beyond.length) return ok({ persona, capabilities });
  const refusal = personaRefusal(persona, req.phase, req.call.tool, capabilities, beyond);
  if (active)
    return {
      ok: false,
      error: await engine.store.transact(async (tx) =>
        recordRefusal(
          engine,
          tx,
          (await tx.getTask(active.taskId)) ?? active,
          actor,
          { action: 'tool' },
          refusal,
          startMs,
        ),
      ),
    };
  engine.sink.emit({
    type: 'counter',
    name: Counter.tool_calls_blocked,
    value: 1,
    attributes: { phase: req.phase, tool: req.call.tool.slice(0, 100) },
    taskId: null,
    startMs,
    endMs: Date.now(),
    actor: actor.id,
  });
  return { ok: false, error: refusal };
}

/**
 * A judgement narrowed by a persona's allowlist, as the guard narrows it: a call the phase allows (or lets a person
 * approve) that needs a capability outside the allowlist is denied with TOOL_NOT_ALLOWED_FOR_PERSONA; a call the
 * phase denies keeps the phase's denial. Records nothing: `policy test` and `policy explain` show what the guard would do.
 */
export function narrowByPersona(
  persona: PersonaSpec,
  phase: string,
  tool: string,
  judged: Pick<Judgement, 'decision' | 'missing' | 'reason' | 'classification'>,
): {
  decision: 'allow' | 'deny' | 'ask';
  code: typeof ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE | typeof ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA | null;
  missing: readonly Capability[];
  reason: string;
} {
  const capabilities = judged.classification.capabilities;
  const beyond = judged.decision === 'deny' ? [] : outsideAllowlist(persona, capabilities);
  if (beyond.length) {
    const refusal = personaRefusal(persona, phase, tool, capabilities, beyond);
    return { decision: 'deny', code: ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA, missing: beyond, reason: refusal.message };
  }
  return {
    decision: judged.decision,
    code: judged.decision === 'allow' ? null : ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
    missing: judged.missing,
    reason: judged.reason,
  };
}

/** The details of a guard's refusal: the outcome, and for a persona's denial the shape its code documents. */
export function guardRefusalDetails(g: GuardOutcome, tool: string): Record<string, unknown> {
  if (g.code !== ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA) return { ...g, tool };
  const { id, version, role, allow } = g.persona;
  return { ...g, tool, action: 'tool', role, allowed: [...(allow ?? [])], persona: { id, version } };
}

/**
 * The refusal of a call the phase allows but the phase's persona does not. Its details keep the shape of a reviewer
 * session's refusal (`action`, `role`, `allowed`) and add the persona, the tool and the capabilities it lacks.
 */
function personaRefusal(
  persona: PersonaSpec,
  phase: string,
  tool: string,
  capabilities: readonly Capability[],
  beyond: readonly Capability[],
): Refusal {
  const allow = persona.tools?.allow ?? [];
  return {
    code: ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA,
    message:
      `${phase} runs with the ${persona.role} persona (${persona.id}@${persona.version}), which may not use ` +
      `${beyond.join(', ')}: it may use ${allow.join(', ') || 'nothing'}. Do the work with those, or leave it to ` +
      `the phase whose persona does it; a person can change the persona in the config (personas)`,
    details: {
      action: 'tool',
      role: persona.role,
      allowed: [...allow],
      persona: { id: persona.id, version: persona.version },
      phase,
      tool: tool.slice(0, 200),
      capabilities: [...capabilities],
      missing: [...beyond],
    },
  };
}

/** A tool call to judge, in a phase, without recording anything. */
export interface JudgeRequest {
  readonly phase: string;
  readonly taskId: string | null;
  readonly actor: PolicyRequest['actor'];
  readonly call: ToolCall;
}

/** The judgement of a call: its classification, the verdict and its reason, and what the policies decided. */
export interface Judgement {
  readonly classification: Classification;
  readonly decision: 'allow' | 'deny' | 'ask';
  readonly missing: readonly Capability[];
  readonly reason: string;
  /** The tool table's own answer (what the guard answered before policies were code). */
  readonly table: ToolDecision;
  readonly policy: PolicyDecision;
}

/**
 * Classifies a call and asks the policy set: the enforced policies' verdict is the decision. Where it agrees with
 * the tool table, the table's reason (which says what to do next) is the reason; where a repository policy changed
 * the outcome, the reason names it.
 */
export async function judgeToolCall(engine: Pick<Engine, 'config' | 'layout'>, req: JudgeRequest): Promise<Judgement> {
  const classification = classifyToolCall(req.call, await classifyContext(engine, req.taskId));
  const table = decideToolCall(classification, req.phase, toolPolicyOf(engine.config));
  const policy = decidePolicies(engine.config, {
    actor: req.actor,
    tool: req.call.tool,
    client: req.call.client,
    classification,
    phase: req.phase,
    taskId: req.taskId,
  });
  const verdict = policy.enforced.verdict;
  const reason =
    verdict === table.decision ? table.reason : policyReason(engine, verdict, policy.enforced.policyIds, table);
  return { classification, decision: verdict, missing: table.missing, reason, table, policy };
}

function policyReason(
  engine: Pick<Engine, 'config'>,
  verdict: Judgement['decision'],
  ids: readonly string[],
  table: ToolDecision,
): string {
  const infos = policySetOf(engine.config).policies;
  const named = ids.map((id) => {
    const p = infos.find((x) => x.id === id);
    return p ? `${id} (${p.file}:${p.line}${p.reason ? `: ${p.reason}` : ''})` : id;
  });
  const by = named.length ? `polic${named.length > 1 ? 'ies' : 'y'} ${named.join(', ')}` : 'no policy permits it';
  if (verdict === 'allow') return `allowed by ${by}`;
  if (verdict === 'ask') return `a person must approve this call (${by}): ask for approval`;
  return `denied by ${by}. The repository's policies are in .autopilot/policies; only a person changes them${
    table.decision === 'allow' ? '' : `. ${clause(table.reason)}`
  }`;
}

/** What the observed policies would have done that the enforced ones did not: a stricter verdict, or nothing. */
function wouldHaveBlocked(policy: PolicyDecision): PolicyVerdict | undefined {
  const o = policy.observed;
  return o && strictness(o.verdict) > strictness(policy.enforced.verdict) ? o : undefined;
}

function policyData(policy: PolicyDecision): Record<string, unknown> {
  return { policyIds: policy.enforced.policyIds, policyVerdict: policy.enforced.verdict, policyDigest: policy.digest };
}

async function classifyContext(
  engine: Pick<Engine, 'config' | 'layout'>,
  taskId: string | null,
): Promise<ClassifyContext> {
  const evidenceRoot = `${engine.layout.stateDir.slice(engine.layout.root.length + 1) || '.autopilot'}/evidence`;
  return {
    repoRoot: engine.layout.root,
    evidenceDir: taskId ? `${evidenceRoot}/${taskId}` : `${evidenceRoot}/-`,
    stateDir: engine.layout.stateDir.slice(engine.layout.root.length + 1) || '.autopilot',
    mcpServers: toolPolicyOf(engine.config).mcpServers,
    // What Autopilot produces in the task's evidence folder, its per-user state, and git's controls wherever they
    // live: the guard's protected paths besides the state folder and the agent settings.
    produced: taskId
      ? Object.entries(engine.config.evidence).flatMap(([p, rules]) =>
          rules
            .filter((r) => r.producer === 'autopilot')
            .map((r) => `${evidenceRoot}/${taskId}/${phaseDir(p)}/${r.name}`),
        )
      : [],
    secretDirs: [userStateRoot(process.env)],
    guardedPaths: await controlPaths(engine.layout.root),
    realpath: realPath,
  };
}

function controlPaths(root: string): Promise<string[]> {
  let p = CONTROL.get(root);
  if (!p) {
    p = gitControlPaths(root).catch(() => []);
    CONTROL.set(root, p);
  }
  return p;
}

/** A bounded summary of a tool input for the ledger: the command or path, never a whole file. */
function summarize(input: unknown): unknown {
  const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
