/**
 * @module A CommandRunner that runs every command in a bubblewrap sandbox:
 * read-only root, the repository read-only or a scratch copy of it, private /tmp,
 * no network unless the command asks for it, only the named environment,
 * per-process memory and a process count limit, and the whole process tree in a
 * PID namespace that dies with the run.
 */
import { tmpdir } from 'node:os';
import { delimiter, dirname } from 'node:path';
import type { CommandRunner, RunRequest, RunResult } from '../../ports/runner.ts';
import { bwrapArgv } from './args.ts';
import { findTool, probeSandbox, resolvConfUnderRun, type Probe } from './probe.ts';
import { openWay } from './reach.ts';
import { dropWorkspace, makeWorkspace, WorkspaceError, type WorkspaceMode } from './workspace.ts';

export interface BwrapRunnerOptions {
  /** required: refuse to run a command without the sandbox; preferred: run it unsandboxed, and say so. */
  readonly mode: 'required' | 'preferred';
  readonly workspace: WorkspaceMode;
  /** In a copy: bind (installed dependencies bound read-only, the default) or copy them with the rest. */
  readonly dependencies?: 'bind' | 'copy';
  /** Data memory a process may have (RLIMIT_DATA), and the size of its /tmp. */
  readonly memoryMb: number;
  /** Processes and threads the command may have at once (RLIMIT_NPROC). */
  readonly maxProcesses: number;
  /**
   * Spawns bwrap (output, truncation, timeout, killing), and runs the command
   * itself when the sandbox is unavailable in `preferred` mode.
   */
  readonly host: CommandRunner;
  /** Absolute paths inside the repository the command must not see: the state folder, with the signing key. */
  readonly hide?: readonly string[];
  /** Absolute folders bound read-write at their own path, even inside a hidden one: the tools' caches. */
  readonly writable?: readonly string[];
  /** bubblewrap by name on PATH or by path (default `bwrap`). */
  readonly bwrap?: string;
  /** Where scratch workspaces are made (default the system's temporary folder). */
  readonly scratchDir?: string;
}

/** The sentence a refusal in `required` mode carries: what is missing, and what to do. */
export function requiredMessage(reason: string): string {
  return (
    `sandbox.mode is required, but bubblewrap is not available: ${reason}. ` +
    'Install bubblewrap (Debian, Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) and make sure user namespaces are allowed, ' +
    'or set sandbox.mode: preferred in .autopilot/config.yaml to run the commands unsandboxed'
  );
}

/** What results say when bubblewrap is missing and the command ran without it. */
export function unsandboxedIsolation(reason: string): string {
  return `none (bubblewrap not available: ${reason})`;
}

function notRun(req: RunRequest, spawnError: string, isolation: string): RunResult {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    output: '',
    truncated: false,
    durationMs: 0,
    spawnError,
    isolation,
    workspace: req.cwd,
  };
}

/**
 * Runs each command in a fresh bubblewrap sandbox, or, when bubblewrap is
 * unusable, refuses it (`required`) or runs it unsandboxed and says so (`preferred`).
 * Results keep their scratch workspace until {@link BwrapRunner.release}.
 */
export class BwrapRunner implements CommandRunner {
  /** Scratch roots of the results not yet released, by workspace. */
  private readonly scratches = new Map<string, string>();

  constructor(private readonly opts: BwrapRunnerOptions) {}

  /** The probe this runner acts on (cached for the process). */
  probe(): Probe {
    return probeSandbox(this.opts.bwrap);
  }

  async run(req: RunRequest): Promise<RunResult> {
    const probe = this.probe();
    if (!probe.available || !probe.tools) {
      const reason = probe.reason ?? 'unknown';
      if (this.opts.mode === 'required')
        return notRun(req, requiredMessage(reason), `none (refused: bubblewrap not available: ${reason})`);
      const r = await this.opts.host.run(req);
      return { ...r, isolation: unsandboxedIsolation(reason) };
    }
    const network = req.network ?? false;
    const isolation = this.describe(probe, network);
    const cp = findTool('cp');
    if (!cp) return notRun(req, 'cp not found: the sandbox cannot make its workspace', isolation);
    let ws;
    try {
      ws = await makeWorkspace({
        mode: this.opts.workspace,
        cwd: req.cwd,
        hide: this.opts.hide ?? [],
        outputs: req.outputs ?? [],
        writable: this.opts.writable ?? [],
        scratchBase: this.opts.scratchDir ?? tmpdir(),
        cp,
        ...(this.opts.dependencies ? { dependencies: this.opts.dependencies } : {}),
      });
    } catch (err) {
      if (err instanceof WorkspaceError) return notRun(req, err.message, isolation);
      throw err;
    }
    const env = { ...req.env };
    // The host's temporary folder is not there: the sandbox has a private /tmp.
    if ('TMPDIR' in env) env['TMPDIR'] = '/tmp';
    let mounts = ws.mounts;
    if (probe.privileged) {
      // As nobody, git would take root's repository for someone else's ("dubious ownership") and refuse it.
      // A fixed value, not one taken from this side: the environment still leaks nothing.
      const n = Number(env['GIT_CONFIG_COUNT'] ?? 0) || 0;
      Object.assign(env, {
        GIT_CONFIG_COUNT: String(n + 1),
        [`GIT_CONFIG_KEY_${n}`]: 'safe.directory',
        [`GIT_CONFIG_VALUE_${n}`]: '*',
      });
      const needed = [
        dirname(req.cwd),
        ...(env['HOME'] ? [env['HOME']] : []),
        ...(env['PATH'] ?? '').split(delimiter).filter(Boolean),
      ];
      mounts = [...openWay(needed), ...ws.mounts];
    }
    const resolvConf = network ? resolvConfUnderRun() : undefined;
    const argv = bwrapArgv({
      tools: probe.tools,
      privileged: probe.privileged,
      mounts,
      cwd: req.cwd,
      env,
      network,
      ...(resolvConf ? { resolvConf } : {}),
      memoryMb: this.opts.memoryMb,
      maxProcesses: this.opts.maxProcesses,
      argv: req.argv,
    });
    let r: RunResult;
    try {
      r = await this.opts.host.run({
        argv,
        cwd: req.cwd,
        env: {},
        timeoutMs: req.timeoutMs,
        maxOutputBytes: req.maxOutputBytes,
      });
    } catch (err) {
      await dropWorkspace(ws);
      throw err;
    }
    this.scratches.set(ws.dir, ws.scratch);
    return { ...r, isolation, workspace: ws.dir };
  }

  async release(result: RunResult): Promise<void> {
    const scratch = this.scratches.get(result.workspace);
    if (scratch === undefined) return;
    this.scratches.delete(result.workspace);
    await dropWorkspace({ scratch });
  }

  private describe(probe: Probe, network: boolean): string {
    const parts = [
      `workspace: ${this.opts.workspace === 'copy' ? `scratch copy${this.opts.dependencies === 'copy' ? '' : ', dependencies read-only'}` : 'read-only'}`,
      `network: ${network ? 'on' : 'off'}`,
      `memory: ${this.opts.memoryMb} MB a process`,
      `processes: ${this.opts.maxProcesses}`,
      ...(probe.privileged ? ['user: nobody'] : []),
    ];
    return `bwrap ${probe.version ?? '?'} (${parts.join(', ')})`;
  }
}
