/** @module The bubblewrap sandbox for evidence commands: the runner, and the status report `autopilot doctor` shows. */
import type { Config } from '../../core/config.ts';
import { probeSandbox } from './probe.ts';

export { BwrapRunner, requiredMessage, unsandboxedIsolation, type BwrapRunnerOptions } from './runner.ts';

export interface SandboxStatus {
  readonly mode: Config['sandbox']['mode'];
  /** Whether bubblewrap can make a sandbox here (a trial sandbox ran). */
  readonly available: boolean;
  /** Why it cannot, when it cannot. */
  readonly reason?: string;
  readonly bwrapVersion?: string;
}

/**
 * The sandbox as the config asks for it and as this machine can give it. The
 * probe runs one trial sandbox the first time and is kept for the process.
 * `bwrap` overrides where bubblewrap is looked for (a name on PATH or a path).
 */
export function sandboxStatus(config: Pick<Config, 'sandbox'>, opts: { bwrap?: string } = {}): SandboxStatus {
  const p = probeSandbox(opts.bwrap);
  return {
    mode: config.sandbox.mode,
    available: p.available,
    ...(p.reason ? { reason: p.reason } : {}),
    ...(p.version ? { bwrapVersion: p.version } : {}),
  };
}
