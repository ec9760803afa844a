/** @module The demo's agent-hook step: `autopilot hook claude PreToolUse` spawned as Claude Code would, with a Claude Code payload on stdin. */
import { spawn } from 'node:child_process';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { AUTOPILOT_BIN } from '../mcp/client.ts';

/** What the hook answered. */
export interface HookDecision {
  readonly decision: 'allow' | 'deny' | 'ask';
  readonly reason: string;
}

/**
 * Runs Claude Code's PreToolUse hook for `tool` with `input` in `repo` and reads
 * its answer; a denial comes back as a TOOL_NOT_ALLOWED_IN_PHASE refusal.
 */
export function claudePreToolUse(
  repo: string,
  tool: string,
  input: Record<string, unknown>,
): Promise<Result<HookDecision>> {
  const payload = {
    session_id: 'demo-session',
    transcript_path: '',
    cwd: repo,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: input,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AUTOPILOT_HOOK_DAEMON: '0' };
  delete env['CLAUDE_PROJECT_DIR'];
  delete env['AUTOPILOT_TASK'];
  return new Promise((done) => {
    const child = spawn(process.execPath, [AUTOPILOT_BIN, 'hook', 'claude', 'PreToolUse'], {
      cwd: repo,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => done(refuse(ErrorCode.INTERNAL, `the hook did not start: ${e.message}`)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code !== 0)
        return done(
          refuse(
            ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
            Buffer.concat(err).toString('utf8').trim() || `the hook exited ${code}`,
            { exitCode: code },
          ),
        );
      let answer: { hookSpecificOutput?: { permissionDecision?: 'deny' | 'ask'; permissionDecisionReason?: string } };
      try {
        answer = JSON.parse(stdout) as typeof answer;
      } catch {
        return done(refuse(ErrorCode.INTERNAL, `the hook printed no JSON: ${stdout.slice(0, 200)}`));
      }
      const decision = answer.hookSpecificOutput?.permissionDecision;
      const reason = answer.hookSpecificOutput?.permissionDecisionReason ?? '';
      if (decision === 'deny') return done(refuse(ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE, reason, { tool, decision }));
      done(ok({ decision: decision ?? 'allow', reason }));
    });
    child.stdin.end(JSON.stringify(payload));
  });
}
