/**
 * @module Use case: decide one tool call of an agent in its task's phase.
 * The decision logic lives in core/policy; here the task is found, a denial is
 * recorded in the ledger and counted, and every decision becomes a span.
 */
import { ErrorCode, ok, type Result } from '../../core/errors.ts';
import { loadTask } from '../ledger/load-task.ts';
import type { TaskState } from '../../core/task.ts';
import { classifyToolCall, type ToolCall } from '../../core/policy/classify.ts';
import { decideToolCall } from '../../core/policy/decide.ts';
import type { Capability } from '../../core/policy/capabilities.ts';
import { Counter } from '../../ports/events.ts';
import { append } from '../ledger/record.ts';
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
  readonly code: typeof ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE | null;
  readonly reason: string;
  readonly capabilities: readonly Capability[];
  readonly missing: readonly Capability[];
  readonly phase: string;
  readonly taskId: string | null;
  /** Why the call is judged by the first phase's policy: no task, or several. */
  readonly note?: string;
  /** The same as a fact, for the surfaces to say what to do in their terms: no active task, or several. */
  readonly unattached?: 'no-task' | 'several-tasks';
  /** The ledger entry that recorded a denial. */
  readonly seq?: number;
}

/** Which task a call without a task id belongs to: the only active task. */
export async function resolveTask(engine: Engine, taskId: string | undefined): Promise<Result<TaskState | null>> {
  if (taskId) {
    return loadTask(engine.store, taskId);
  }
  const active = (await engine.store.listTasks()).filter((t) => t.status === 'active');
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
    const active = (await engine.store.listTasks()).filter((t) => t.status === 'active').length;
    unattached = active === 0 ? 'no-task' : 'several-tasks';
    note =
      active === 0
        ? `no active task: the call is judged as in ${first}; start a task first`
        : `${active} active tasks: the call is judged as in ${first}; name the task`;
  }
  const phase = task && task.status === 'active' ? task.phase : first;
  const evidenceRoot = `${engine.layout.stateDir.slice(engine.layout.root.length + 1) || '.autopilot'}/evidence`;
  const classification = classifyToolCall(
    { client: req.client, tool: req.tool, input: req.input },
    {
      repoRoot: engine.layout.root,
      evidenceDir: task ? `${evidenceRoot}/${task.taskId}` : `${evidenceRoot}/-`,
      stateDir: engine.layout.stateDir.slice(engine.layout.root.length + 1) || '.autopilot',
      mcpServers: toolPolicyOf(engine.config).mcpServers,
      // What Autopilot produces in the task's evidence folder, its per-user state, and git's controls wherever they
      // live: the guard's protected paths besides the state folder and the agent settings.
      produced: task
        ? Object.entries(engine.config.evidence).flatMap(([p, rules]) =>
            rules
              .filter((r) => r.producer === 'autopilot')
              .map((r) => `${evidenceRoot}/${task.taskId}/${phaseDir(p)}/${r.name}`),
          )
        : [],
      secretDirs: [userStateRoot(process.env)],
      guardedPaths: await controlPaths(engine.layout.root),
      realpath: realPath,
    },
  );
  const decision = decideToolCall(classification, phase, toolPolicyOf(engine.config));
  const reason = note ? `${clause(decision.reason)}. ${note}` : decision.reason;
  let seq: number | undefined;
  if (decision.decision !== 'allow' && task) {
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
        },
      }),
    );
    seq = entry.seq;
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
    ...(seq !== undefined ? { seq } : {}),
  });
  if (decision.decision === 'deny') {
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
    code: decision.decision === 'allow' ? null : ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
    reason,
    capabilities: classification.capabilities,
    missing: decision.missing,
    phase,
    taskId: task?.taskId ?? null,
    ...(note ? { note } : {}),
    ...(unattached ? { unattached } : {}),
    ...(seq !== undefined ? { seq } : {}),
  });
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
