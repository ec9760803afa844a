/** @module Which repository a hook event belongs to: the folder the client says it works in, and the nearest `.autopilot/config.yaml` at or above it. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { HookClient } from './request.ts';

/** The nearest folder at or above `start` that holds `.autopilot/config.yaml`. */
export function findRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.autopilot', 'config.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Where to look for the repository: the folder the client says it works in. */
export function startDir(
  client: HookClient,
  stdin: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (client === 'git') return cwd;
  if (client === 'claude' && env['CLAUDE_PROJECT_DIR']) return env['CLAUDE_PROJECT_DIR'];
  try {
    const payload = JSON.parse(stdin) as Record<string, unknown>;
    const roots = payload['workspace_roots'];
    if (client === 'cursor' && Array.isArray(roots) && typeof roots[0] === 'string') return roots[0];
    if (typeof payload['cwd'] === 'string' && payload['cwd']) return payload['cwd'];
  } catch {
    // the client's module reports a malformed input
  }
  return cwd;
}
