/**
 * @module Claude Code's hooks: PreToolUse through the tool guard, Stop held
 * while the phase's evidence falls short, SessionStart and UserPromptSubmit
 * adding the task, its phase and its rules as context. Codex CLI speaks the
 * same wire format with a few differences (see codex.ts), so the answers are
 * built here for both.
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
import { join } from 'node:path';
import { hasLocalInstall, LOCAL_BIN, shellQuote } from '../../engine/setup/agent-wiring.ts';
import { probeWall } from '../compose.ts';
import { autopilotBin } from './launcher.ts';

/** What differs between clients that speak Claude Code's hook format. */
export interface ClaudeStyle {
  readonly client: 'claude' | 'codex';
  readonly name: string;
  /** Whether PreToolUse can answer `ask` (Claude Code can; Codex cannot, so an ask becomes a denial that says a person must approve). */
  readonly canAsk: boolean;
  /** The tool call as the guard reads it, from the payload's tool_name and tool_input. */
  readonly toolCall: (payload: Payload) => { tool: string; input: unknown };
  /** Whether an allowed shell command is rewritten to run behind the wall (`updatedInput`). */
  readonly wall: boolean;
}

/**
 * The command that runs `command` behind the wall of the task's phase, started the way the wiring starts Autopilot
 * (the repository's install, else this Node and bin script); undefined when bubblewrap
 * cannot raise the wall here, in which case the command runs as the client runs it and `doctor` says so.
 */
export function walledCommand(
  root: string,
  command: string,
  at: { readonly taskId: string | null; readonly phase: string; readonly holder: string },
): string | undefined {
  if (!probeWall().available) return undefined;
  const args = [
    'exec',
    ...(at.taskId ? ['--task', at.taskId] : []),
    '--phase',
    at.phase,
    '--holder',
    at.holder,
    '--',
    'bash',
    '-c',
    command,
  ];
  // The rewritten command is never written to a file: the repository's own install by its absolute path (the Bash
  // tool's shell has no $CLAUDE_PROJECT_DIR of its own), else this Node and bin script.
  const launch = hasLocalInstall(root) ? [join(root, LOCAL_BIN)] : [process.execPath, autopilotBin()];
  return [...launch, ...args].map(shellQuote).join(' ');
}

function actorOf(style: ClaudeStyle, payload: Payload): Actor {
  const session = str(payload['session_id']) || 'unknown';
  return { id: `hook:${style.client}:${session}`, holder: `${style.client}:${session}`, sessionId: session };
}

function decision(event: string, permissionDecision: 'deny' | 'ask', reason: string): HookAnswer {
  return jsonAnswer({
    hookSpecificOutput: { hookEventName: event, permissionDecision, permissionDecisionReason: reason },
  });
}

function context(event: string, text: string): HookAnswer {
  return jsonAnswer({ hookSpecificOutput: { hookEventName: event, additionalContext: text } });
}

async function preToolUse(style: ClaudeStyle, engine: Engine, req: HookRequest, payload: Payload): Promise<HookAnswer> {
  const choice = await chooseTask(engine, req.env);
  if (choice.kind === 'refused') return decision('PreToolUse', 'deny', `Autopilot: ${choice.error.message}`);
  const { tool, input } = style.toolCall(payload);
  if (!tool)
    return decision(
      'PreToolUse',
      'deny',
      'Autopilot: the hook input names no tool (tool_name), so the call cannot be checked',
    );
  const r = await guardToolCall(engine, actorOf(style, payload), {
    ...(choice.kind === 'task' ? { taskId: choice.task.taskId } : {}),
    client: style.client,
    tool,
    input,
  });
  if (!r.ok) return decision('PreToolUse', 'deny', `Autopilot: ${r.error.message}`);
  const g = r.value;
  if (g.decision === 'allow') {
    // A shell command runs behind the wall: the same command, started by `autopilot exec`. Claude Code applies an
    // updated input only with `allow`, which skips its default prompt but not the person's deny and ask rules.
    const command = (input as Record<string, unknown> | null)?.['command'];
    const holder = actorOf(style, payload).holder ?? `${style.client}:unknown`;
    const walled =
      style.wall && tool === 'Bash' && typeof command === 'string'
        ? walledCommand(engine.layout.root, command, { taskId: g.taskId, phase: g.phase, holder })
        : undefined;
    if (walled) {
      const where = g.taskId ? `task ${g.taskId} in ${g.phase}` : `no task, judged as in ${g.phase}`;
      return jsonAnswer({
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: 'allow',
          permissionDecisionReason: `Autopilot: runs behind the wall of ${where}`,
          updatedInput: { ...(input as Record<string, unknown>), command: walled },
        },
      });
    }
    // Any other allowed call gets no decision: Autopilot has no objection, and the client's own
    // permission rules (and the person's prompts) still apply. `allow` would skip them.
    return jsonAnswer({});
  }
  const where = g.taskId ? `task ${g.taskId} is in ${g.phase}` : `no task: judged as in ${g.phase}`;
  const recorded = g.seq !== undefined ? ` (ledger entry ${g.seq})` : '';
  const reason = `Autopilot (${where}): ${guardReason(g)}${recorded}`;
  if (g.decision === 'ask' && style.canAsk) return decision('PreToolUse', 'ask', reason);
  if (g.decision === 'ask') {
    return decision(
      'PreToolUse',
      'deny',
      `${clause(reason)}. ${style.name} hooks cannot ask a person, so the call is denied; a person can run it, or allow it in the config (tools.phases)`,
    );
  }
  return decision('PreToolUse', 'deny', reason);
}

async function stop(engine: Engine, req: HookRequest, payload: Payload): Promise<HookAnswer> {
  // A stop that a Stop hook already held once goes through: never block twice in a row.
  if (payload['stop_hook_active'] === true) return jsonAnswer({});
  const reason = await stopReason(engine, req.env);
  return jsonAnswer(reason ? { decision: 'block', reason } : {});
}

/** The hooks of a client that speaks Claude Code's format. */
export function claudeStyleHooks(style: ClaudeStyle): ClientHooks {
  return {
    parse: (req) => parseJsonObject(req.stdin, style.name),
    async handle(engine, req, payload) {
      switch (req.event) {
        case 'PreToolUse':
          return preToolUse(style, engine, req, payload);
        case 'Stop':
          return stop(engine, req, payload);
        case 'SessionStart':
          return context('SessionStart', await taskContext(engine, req.env, true));
        case 'UserPromptSubmit':
          return context('UserPromptSubmit', await taskContext(engine, req.env, false));
        default:
          return jsonAnswer({});
      }
    },
    failClosed(req, payload, message) {
      switch (req.event) {
        case 'PreToolUse':
          // Exit 2 blocks the call and hands stderr to the agent, even if stdout were lost.
          return { stdout: '', stderr: `${message}\n`, exitCode: 2 };
        case 'Stop':
          if (payload?.['stop_hook_active'] === true) return jsonAnswer({});
          return jsonAnswer({ decision: 'block', reason: message });
        case 'SessionStart':
        case 'UserPromptSubmit':
          // Nothing to deny here: the tool calls that follow are denied by PreToolUse; the agent and the person are told now.
          return jsonAnswer({
            systemMessage: message,
            hookSpecificOutput: { hookEventName: req.event, additionalContext: message },
          });
        default:
          return jsonAnswer({}, 0, `${message}\n`);
      }
    },
  };
}

/** Claude Code: the payload's tool_name and tool_input are the guard's tool call as they are. */
export const claudeHooks: ClientHooks = claudeStyleHooks({
  client: 'claude',
  name: 'Claude Code',
  canAsk: true,
  toolCall: (payload) => ({ tool: str(payload['tool_name']) ?? '', input: payload['tool_input'] ?? {} }),
  wall: true,
});
