/**
 * @module Codex CLI's hooks (`.codex/hooks.json`): the same events and wire
 * format as Claude Code's. What differs: Codex names shell tools `Bash` and
 * hands `apply_patch`'s patch over as `tool_input.command`; its PreToolUse
 * cannot ask a person, so an ask is a denial; and it treats an answer with a
 * field it does not know as a failed hook and runs the tool, so the answers
 * carry only the fields of its schema.
 */
import { claudeStyleHooks } from './claude.ts';
import { str, type ClientHooks, type Payload } from './request.ts';

function toolCall(payload: Payload): { tool: string; input: unknown } {
  const tool = str(payload['tool_name']) ?? '';
  const input = payload['tool_input'] ?? {};
  if (
    tool === 'apply_patch' &&
    input &&
    typeof input === 'object' &&
    typeof (input as Record<string, unknown>)['command'] === 'string'
  ) {
    return { tool, input: { input: (input as Record<string, unknown>)['command'] } };
  }
  return { tool, input };
}

/** Codex CLI. */
export const codexHooks: ClientHooks = claudeStyleHooks({
  client: 'codex',
  name: 'Codex',
  canAsk: false,
  toolCall,
  // Codex applies a rewritten input from 0.131 on; an older one ignores it (or fails the hook) and runs the original,
  // so no wall is claimed for it: the guard's parser stays its layer, and doctor says so.
  wall: false,
});
