/**
 * @module Cursor's hooks (`.cursor/hooks.json`): beforeShellExecution,
 * beforeMCPExecution, beforeReadFile and preToolUse answer with a permission;
 * afterFileEdit comes after the fact, so an out-of-phase edit can only be
 * recorded in the ledger; stop sends one follow-up while the phase's evidence
 * falls short; sessionStart adds the task as context.
 */
import { guardToolCall } from '../../engine/task/guard.ts';
import type { Actor, Engine } from '../../engine/context.ts';
import {
  jsonAnswer,
  parseJsonObject,
  str,
  type ClientHooks,
  type HookAnswer,
  type HookRequest,
  type Payload,
} from './request.ts';
import { chooseTask, guardReason, stopReason, taskContext } from './shared.ts';
import { clause } from '../../core/phrasing.ts';

function actorOf(payload: Payload): Actor {
  const conversation = str(payload['conversation_id']) || 'unknown';
  return { id: `hook:cursor:${conversation}`, holder: `cursor:${conversation}`, sessionId: conversation };
}

// A permission answer; the messages go out under both spellings Cursor has used (snake_case now, camelCase in
// its first release).
function permission(value: 'allow' | 'deny' | 'ask', message?: string, exitCode = 0): HookAnswer {
  if (!message) return jsonAnswer({ permission: value }, exitCode);
  return jsonAnswer(
    { permission: value, user_message: message, agent_message: message, userMessage: message, agentMessage: message },
    exitCode,
  );
}

// The events that ask for a permission, with the tool call each one is for.
function toolCallOf(event: string, payload: Payload): { tool: string; input: unknown; canAsk: boolean } | undefined {
  switch (event) {
    case 'beforeShellExecution':
      return {
        tool: event,
        input: { command: payload['command'], ...(str(payload['cwd']) ? { cwd: payload['cwd'] } : {}) },
        canAsk: true,
      };
    case 'beforeMCPExecution':
      return {
        tool: event,
        input: {
          tool_name: payload['tool_name'],
          tool_input: payload['tool_input'],
          url: payload['url'],
          command: payload['command'],
        },
        canAsk: true,
      };
    case 'beforeReadFile':
      // The file's content is in the payload too; only its path is the guard's (and the ledger's) business.
      return { tool: event, input: { file_path: payload['file_path'] }, canAsk: false };
    case 'preToolUse':
      return { tool: str(payload['tool_name']) ?? '', input: payload['tool_input'] ?? {}, canAsk: false };
    default:
      return undefined;
  }
}

async function decide(
  engine: Engine,
  req: HookRequest,
  payload: Payload,
  call: { tool: string; input: unknown; canAsk: boolean },
): Promise<HookAnswer> {
  const choice = await chooseTask(engine, req.env);
  if (choice.kind === 'refused') return permission('deny', `Autopilot: ${choice.error.message}`);
  const r = await guardToolCall(engine, actorOf(payload), {
    ...(choice.kind === 'task' ? { taskId: choice.task.taskId } : {}),
    client: 'cursor',
    tool: call.tool,
    input: call.input,
  });
  if (!r.ok) return permission('deny', `Autopilot: ${r.error.message}`);
  const g = r.value;
  if (g.decision === 'allow') return permission('allow');
  const where = g.taskId ? `task ${g.taskId} is in ${g.phase}` : `no task: judged as in ${g.phase}`;
  const reason = `Autopilot (${where}): ${guardReason(g)}${g.seq !== undefined ? ` (ledger entry ${g.seq})` : ''}`;
  if (g.decision === 'ask' && call.canAsk) return permission('ask', reason);
  if (g.decision === 'ask')
    return permission('deny', `${clause(reason)}. This Cursor hook cannot ask a person, so the call is denied`);
  return permission('deny', reason);
}

async function afterFileEdit(engine: Engine, req: HookRequest, payload: Payload): Promise<HookAnswer> {
  const choice = await chooseTask(engine, req.env);
  if (choice.kind === 'refused') return jsonAnswer({});
  // The edit has happened: the guard records an out-of-phase edit in the ledger, and git's hooks and the CI gate see the change.
  const r = await guardToolCall(engine, actorOf(payload), {
    ...(choice.kind === 'task' ? { taskId: choice.task.taskId } : {}),
    client: 'cursor',
    tool: 'afterFileEdit',
    input: { file_path: payload['file_path'] },
  });
  const note =
    r.ok && r.value.decision !== 'allow'
      ? `autopilot: ${str(payload['file_path']) ?? 'a file'} was edited out of phase: ${r.value.reason}\n`
      : '';
  return jsonAnswer({}, 0, note);
}

async function stop(engine: Engine, req: HookRequest, payload: Payload): Promise<HookAnswer> {
  // One follow-up at most: a stop that already followed up (loop_count > 0) goes through, as does an aborted or failed run.
  const loops = typeof payload['loop_count'] === 'number' ? payload['loop_count'] : 0;
  const status = str(payload['status']) ?? 'completed';
  if (loops > 0 || status !== 'completed') return jsonAnswer({});
  const reason = await stopReason(engine, req.env);
  return jsonAnswer(reason ? { followup_message: reason } : {});
}

/** Cursor. */
export const cursorHooks: ClientHooks = {
  parse: (req) => parseJsonObject(req.stdin, 'Cursor'),
  async handle(engine, req, payload) {
    const call = toolCallOf(req.event, payload);
    if (call) return decide(engine, req, payload, call);
    switch (req.event) {
      case 'afterFileEdit':
        return afterFileEdit(engine, req, payload);
      case 'stop':
        return stop(engine, req, payload);
      case 'sessionStart':
        return jsonAnswer({ additional_context: await taskContext(engine, req.env, true) });
      case 'beforeSubmitPrompt':
        return jsonAnswer({ continue: true });
      default:
        return jsonAnswer({});
    }
  },
  failClosed(req, _payload, message) {
    // Exit 2 is a denial for Cursor, whatever it makes of stdout; other exit codes would let the call through.
    if (toolCallOf(req.event, {})) return permission('deny', message, 2);
    if (req.event === 'sessionStart') return jsonAnswer({ additional_context: message });
    if (req.event === 'beforeSubmitPrompt') return jsonAnswer({ continue: true, user_message: message });
    return jsonAnswer({}, 0, `${message}\n`);
  },
};
