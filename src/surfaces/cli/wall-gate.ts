/**
 * @module The command line behind the wall: an agent's command that runs `autopilot …` (through npx, node, npm exec or a
 * script file, it makes no difference) cannot see the store or the keys, and must not name another holder, store or
 * repository, nor run a person's verb. Every verb is refused there with the way forward: the MCP tools, which the
 * agent's client runs outside the wall. Help and version still answer.
 */
import { ErrorCode, type Refusal } from '../../core/errors.ts';
import { isPersonVerb, WALL_ENV } from '../../core/wall.ts';

const GLOBAL_WITH_VALUE = new Set(['--holder', '-C', '--cwd']);
const HELP = new Set(['--help', '-h', '--version', '-V', 'help']);

function refusal(message: string, details: Record<string, unknown>): Refusal {
  return { code: ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE, message, details: { reason: 'wall', ...details } };
}

/**
 * Why the command line must not run `args` (the words after `autopilot`) here, or undefined when it may: outside the
 * wall always, inside only for help and version.
 */
export function wallRefusal(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  marker: boolean,
): Refusal | undefined {
  if (!marker && env[WALL_ENV] !== '1') return undefined;
  const words: string[] = [];
  const overrides: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const name = a.startsWith('--') ? a.split('=')[0]! : a;
    if (GLOBAL_WITH_VALUE.has(name) || name === '--config' || name === '--store') {
      overrides.push(name);
      if (!a.includes('=')) i++;
      continue;
    }
    if (!a.startsWith('-')) words.push(a);
  }
  if (args.some((a) => HELP.has(a)) || args.length === 0) return undefined;
  const [verb = '', sub] = words;
  const grouped = ['attest', 'store', 'task', 'lease', 'ledger', 'evidence', 'hook'].includes(verb);
  const shown = `autopilot ${[verb, grouped ? sub : undefined].filter(Boolean).join(' ')}`;
  if (isPersonVerb(verb, sub))
    return refusal(
      `${shown} is a person's decision and cannot run from an agent's command (it runs behind Autopilot's wall); ask the person you work with (approval_request records the request)`,
      { verb, sub },
    );
  if (overrides.length > 0 || env['AUTOPILOT_STORE'])
    return refusal(
      `behind Autopilot's wall a command cannot name another holder, repository or store (${[...overrides, ...(env['AUTOPILOT_STORE'] ? ['AUTOPILOT_STORE'] : [])].join(', ')}): it acts as its session only`,
      { verb, overrides },
    );
  return refusal(
    `${shown} cannot run behind Autopilot's wall, where the agent's commands cannot see the store or the keys; use the MCP tools instead (task_status, evidence_put, evidence_check, phase_advance, phase_backtrack, verify_run, lease_acquire), which your client runs outside the wall`,
    { verb },
  );
}
