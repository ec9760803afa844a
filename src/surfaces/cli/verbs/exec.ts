/**
 * @module `autopilot exec [--task T] [--phase P] -- <command…>`: runs an agent's command behind the wall of the task's
 * phase. Claude Code's PreToolUse hook rewrites every allowed Bash command into this verb, so a command the guard's
 * parser misread still cannot touch Autopilot's state, git's hooks or the agent settings, nor write the work tree in a
 * phase that does not allow it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ok, refuse } from '../../../core/errors.ts';
import { allowedCapabilities } from '../../../core/policy/tool-policy.ts';
import { WALL_ENV, type WallFacts } from '../../../core/wall.ts';
import { userStateRoot } from '../../../engine/repo/user-state.ts';
import { openEngine, closeEngine, type Engine } from '../../../engine/context.ts';
import { entryTrailer } from '../../../engine/ledger/history.ts';
import { findRoot, loadConfig } from '../../../engine/repo/config-file.ts';
import { layoutFor } from '../../../engine/repo/layout.ts';
import { planWall } from '../../../engine/repo/wall.ts';
import { FORGE_TOKEN_VARS } from '../../../engine/repo/forge.ts';
import { guardPersonaCall, resolveTask } from '../../../engine/task/guard.ts';
import { outsideAllowlist } from '../../../core/persona.ts';
import { shellQuote } from '../../../engine/setup/agent-wiring.ts';
import { openStoreFor, runBehindWall, sinkFor } from '../../compose.ts';
import { cliActor, cwdOf, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

export interface ExecOptions extends GlobalOptions {
  readonly task?: string;
  readonly phase?: string;
}

interface Head {
  readonly ledgerHead: string | null;
  readonly ledgerEntry: string | null;
}

interface Chosen extends Head {
  readonly phase: string;
  readonly capabilities: readonly string[];
  readonly taskId?: string;
}

const NO_HEAD: Head = { ledgerHead: null, ledgerEntry: null };

/** The ledger head and its `Autopilot-Entry` value: git's commit-msg hook inside the wall adds both trailers. */
async function headOf(engine: Engine): Promise<Head> {
  const head = await engine.store.head();
  if (!head) return NO_HEAD;
  const [entry] = await engine.store.entries({ fromSeq: head.seq, limit: 1 });
  return { ledgerHead: head.hash, ledgerEntry: entry?.seq === head.seq ? entryTrailer(entry) : null };
}

/** A command line as one shell command: the `bash -c` text the hooks wrap, else the words quoted for a shell. */
function commandText(argv: readonly string[]): string {
  if (argv.length === 3 && /^(?:\/(?:usr\/)?bin\/)?(?:ba)?sh$/.test(argv[0]!) && argv[1] === '-c') return argv[2]!;
  return argv.map(shellQuote).join(' ');
}

/**
 * The phase whose wall the command gets (`--phase`, else the task's, named or the only active one, else the first),
 * and the persona it runs with. A call the phase allows but the persona's allowlist does not is refused here with
 * TOOL_NOT_ALLOWED_FOR_PERSONA, recorded and counted as the guard does it, and nothing runs.
 */
async function phaseOf(cwd: string, opts: ExecOptions, command: readonly string[]): Promise<Chosen | VerbResult> {
  const root = findRoot(cwd);
  if (!root)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `no .autopilot/config.yaml at or above ${cwd}; run \`autopilot init\` in the repository first`,
      { reason: 'missing' },
    );
  const config = loadConfig(root);
  if (opts.phase !== undefined && !config.phases.includes(opts.phase))
    return refuse(ErrorCode.PHASE_UNKNOWN, `no phase ${opts.phase}; the phases are ${config.phases.join(', ')}`, {
      phase: opts.phase,
      known: config.phases,
    });
  const e = await openEngine({ cwd: root, openStore: openStoreFor, makeSink: sinkFor });
  try {
    // With --phase, only a task named with --task gives its persona (one the store does not know: the config's).
    const found =
      opts.phase === undefined
        ? await resolveTask(e, opts.task ?? process.env['AUTOPILOT_TASK'])
        : opts.task !== undefined
          ? await resolveTask(e, opts.task)
          : ok(null);
    if (!found.ok && opts.phase === undefined) return found;
    const t = found.ok ? found.value : null;
    const active = t && t.status === 'active' ? t : null;
    const phase = opts.phase ?? (active ? active.phase : (config.phases[0] as string));
    const judged = await guardPersonaCall(e, cliActor(opts), {
      task: active,
      phase,
      call: { client: 'generic', tool: 'Bash', input: { command: commandText(command) } },
    });
    if (!judged.ok) return judged;
    // The wall holds what the phase allows, narrowed by the persona's allowlist (never widened).
    const capabilities = allowedCapabilities(config, phase).filter(
      (c) => !outsideAllowlist(judged.value.persona, [c]).length,
    );
    const head = capabilities.includes('vcs:commit') ? await headOf(e) : NO_HEAD;
    const taskId = opts.phase !== undefined ? opts.task : active?.taskId;
    return { phase, capabilities, ...head, ...(taskId ? { taskId } : {}) };
  } finally {
    await closeEngine(e);
  }
}

export async function execVerb(command: readonly string[], opts: ExecOptions): Promise<VerbResult> {
  if (command.length === 0)
    throw new UsageError('exec needs a command after --, e.g. autopilot exec -- npm test', 'command');
  const cwd = cwdOf(opts);
  const chosen = await phaseOf(cwd, opts, command);
  if ('ok' in chosen) return chosen;
  const root = findRoot(cwd) as string;
  const config = loadConfig(root);
  const plan = await planWall(layoutFor(root, config.stateDir), config, chosen.phase, process.env, chosen.capabilities);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  // Inside, the command line refuses every verb that would need the state (which it cannot see) and every override
  // of who or where it is; the holder is the session's, for messages.
  delete env['AUTOPILOT_STORE'];
  // The forge token is Autopilot's: a command behind the wall could push, merge or post with it.
  for (const name of FORGE_TOKEN_VARS) delete env[name];
  const holder = cliActor(opts).holder ?? cliActor(opts).id;
  env[WALL_ENV] = '1';
  env['AUTOPILOT_HOLDER'] = holder;
  if (chosen.taskId) env['AUTOPILOT_TASK'] = chosen.taskId;
  env['AUTOPILOT_PHASE'] = chosen.phase;
  // The sealed facts live where the command cannot reach them (the per-user state folder is hidden inside).
  const facts: WallFacts = {
    phase: chosen.phase,
    taskId: chosen.taskId ?? null,
    holder,
    capabilities: [...chosen.capabilities],
    ledgerHead: chosen.ledgerHead,
    ledgerEntry: chosen.ledgerEntry,
  };
  const dir = join(userStateRoot(process.env), 'wall');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const marker = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  writeFileSync(marker, `${JSON.stringify(facts)}\n`, { mode: 0o600 });
  let r;
  try {
    r = await runBehindWall(plan, { cwd, env, argv: command, marker });
  } finally {
    rmSync(marker, { force: true });
  }
  if ('unavailable' in r)
    return refuse(
      ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE,
      `the wall cannot be raised on this machine (${r.unavailable}), so the command was not run; install bubblewrap (apt-get install bubblewrap) and check with: autopilot doctor`,
      { reason: 'no-wall', phase: chosen.phase },
    );
  return { ok: true, value: { exitCode: r.exitCode }, text: '', streamed: true, exitCode: r.exitCode };
}
