/** @module Names of scripts, make targets and build tasks: which ones run tests, which deploy, which rewrite files. */
import type { Capability } from './capabilities.ts';
import type { Cx } from './command-env.ts';

const TEST =
  /^(test|tests|spec|specs|check|checks|coverage|cov|lint|typecheck|type-check|types|tsc|verify|e2e|unit|integration|smoke)($|[:._-])|[:._-](test|tests|spec|specs|check|lint|typecheck|types|e2e|unit|integration|smoke)$/i;
const DEPLOY = /deploy|publish|release|ship/i;
const REWRITE = /(^|[:._-])(fix|format|fmt|write|update|u|snapshot|snapshots)($|[:._-])/i;

/** The capability that running a task called `name` needs: deploy, exec:test, or exec. */
export function taskCapability(name: string): Capability {
  if (DEPLOY.test(name)) return 'deploy';
  if (REWRITE.test(name)) return 'exec';
  if (TEST.test(name)) return 'exec:test';
  return 'exec';
}

/** Records the capabilities of running the named tasks; no task at all is the default task, `exec`. */
export function runTasks(names: readonly string[], cx: Cx, what: string): void {
  if (names.length === 0) {
    cx.env.findings.need('exec', what);
    return;
  }
  const caps = new Set(names.map(taskCapability));
  for (const cap of caps)
    cx.env.findings.need(cap, `${what} ${names.filter((n) => taskCapability(n) === cap).join(' ')}`);
  if (caps.has('exec:test') && caps.size > 1) cx.env.findings.reason(`${what}: some tasks are not tests`);
}
