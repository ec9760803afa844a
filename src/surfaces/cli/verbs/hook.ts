/** @module `autopilot hook claude|codex|cursor|git <EVENT>`: answers a client's hook (the same as the hook entry bin/autopilot.js routes to). */
import { hookCommand } from '../../hooks/main.ts';
import { cwdOf, type GlobalOptions, type VerbResult } from '../runtime.ts';

export async function hookVerb(
  client: string,
  event: string,
  args: readonly string[],
  opts: GlobalOptions,
): Promise<VerbResult> {
  const answer = await hookCommand([client, event, ...args], opts.cwd ? { cwd: cwdOf(opts) } : {});
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  return { ok: true, value: null, text: '', streamed: true, exitCode: answer.exitCode };
}
