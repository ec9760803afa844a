/**
 * @module `autopilot hook <client> <event>`: the process an agent (or git)
 * starts for every hook event. It reads the client's input, finds the
 * repository, and has the repository's daemon answer, or answers by itself.
 * It loads nothing heavy unless it answers by itself.
 */
import { resolve } from 'node:path';
import { askDaemon, daemonWanted, serveDaemon, startDaemon, UNTRUSTED_DAEMON_NOTE } from './daemon.ts';
import { autopilotBin } from './launcher.ts';
import { findRoot, startDir } from './root.ts';
import { HOOK_CLIENTS, hookEnv, type HookAnswer, type HookClient, type HookRequest } from './request.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const USAGE = `usage: autopilot hook <${HOOK_CLIENTS.join('|')}> <EVENT> [ARGS…]  (reads the client's hook JSON on stdin)\n`;

export interface HookCommandOptions {
  /** Where the hook was started (default: the process's working directory). */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The client's input (default: read from stdin). */
  readonly stdin?: string;
}

/** Answers `autopilot hook <client> <event> [args…]`; never throws. */
export async function hookCommand(args: readonly string[], opts: HookCommandOptions = {}): Promise<HookAnswer> {
  const [client, event, ...rest] = args;
  if (!client || !event || !(HOOK_CLIENTS as readonly string[]).includes(client))
    return { stdout: '', stderr: USAGE, exitCode: 1 };
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  // git gives most hooks a terminal, not input; only pre-push's stdin says what is pushed.
  const wantsStdin = client !== 'git' || event === 'pre-push';
  const stdin = opts.stdin ?? (wantsStdin ? await readStdin() : '');
  const walled = await (await import('./walled.ts')).walledHook(client, event, rest, cwd);
  if (walled) return walled;
  const which = client as HookClient;
  const base = { client: which, event, args: rest, stdin, cwd, env: hookEnv(env) };
  const start = startDir(which, stdin, cwd, env);
  const root = findRoot(start);
  if (!root) return (await import('./run.ts')).noRepository(base, start);
  const request: HookRequest = { ...base, root };
  if (daemonWanted(env)) {
    const asked = await askDaemon(request);
    if (asked.kind === 'answer') return asked.answer;
    // Something that did not prove it is the daemon holds the socket: its answer is not used, the hook judges the
    // call itself, and no daemon is started beside it (it would find the socket taken).
    if (asked.kind === 'none') await startDaemon(root, autopilotBin()).catch(() => {});
    if (asked.kind === 'untrusted') {
      const own = await (await import('./run.ts')).runHook(request);
      return { ...own, stderr: `${own.stderr}${UNTRUSTED_DAEMON_NOTE}` };
    }
  }
  return (await import('./run.ts')).runHook(request);
}

/** Runs the hook process: `hook <client> <event> …`, or `hook --daemon <root>` for the daemon. */
export async function hookProcess(args: readonly string[]): Promise<number> {
  if (args[0] === '--daemon') {
    if (args[1]) await serveDaemon(resolve(args[1]));
    return 0;
  }
  let answer: HookAnswer;
  try {
    answer = await hookCommand(args);
  } catch (err) {
    // A bug: deny (exit 2 blocks the call for every agent client, and fails git's hook) rather than let the call through.
    answer = {
      stdout: '',
      stderr: `Autopilot's hook failed (${(err as Error)?.message ?? String(err)}), so it denies. Run \`autopilot doctor\` to see what is wrong.\n`,
      exitCode: 2,
    };
  }
  await new Promise<void>((done) => process.stdout.write(answer.stdout, () => done()));
  if (answer.stderr) await new Promise<void>((done) => process.stderr.write(answer.stderr, () => done()));
  return answer.exitCode;
}
