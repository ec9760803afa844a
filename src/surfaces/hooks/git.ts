/**
 * @module git's hooks: pre-commit lets a commit through only in a phase whose
 * tool policy allows `vcs:commit` (PR by default), pre-push only where
 * `vcs:push` is allowed, and commit-msg adds the trailers
 * `Autopilot-Ledger: <hash of the ledger head>` and
 * `Autopilot-Entry: <its seq> <the key id that signed it>`, which
 * `ledger verify` checks the store against. A denial exits 1 with the
 * reason on stderr and is recorded in the ledger as `tool_blocked`.
 *
 * pre-commit first scans what the commit adds (the staged diff) for secrets, with the scanner VERIFY uses, inside a
 * task or not: a finding refuses the commit, naming file, line and rule, never the secret.
 *
 * Without one task to judge by (none active, or several and AUTOPILOT_TASK
 * unset) a commit or push goes through with a note: people commit outside
 * tasks too, the agents' own hooks judge their `git commit` as in the first
 * phase, and the CI gate checks every branch.
 */
import { execFile } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { guardToolCall } from '../../engine/task/guard.ts';
import type { Engine } from '../../engine/context.ts';
import type { ClientHooks, HookAnswer, HookRequest, Payload } from './request.ts';
import { chooseTask } from './shared.ts';
import { ENTRY_TRAILER, entryTrailer, HASH_TRAILER } from '../../engine/ledger/history.ts';
import { git } from '../../engine/repo/git.ts';
import { scanPatch } from '../../engine/repo/secret-scan.ts';
import { describeSecret } from '../../core/secrets.ts';
import { plural } from '../../core/phrasing.ts';

const ok = (note = ''): HookAnswer => ({ stdout: '', stderr: note ? `autopilot: ${note}\n` : '', exitCode: 0 });
const refused = (message: string): HookAnswer => ({ stdout: '', stderr: `autopilot: ${message}\n`, exitCode: 1 });

// Judges a commit or a push as the agents' `git commit` and `git push` are judged.
async function vcs(engine: Engine, req: HookRequest, what: 'commit' | 'push'): Promise<HookAnswer> {
  const choice = await chooseTask(engine, req.env);
  if (choice.kind === 'refused') return refused(`${what} refused: ${choice.error.message}`);
  if (choice.kind === 'none')
    return ok(
      `${choice.why}, so this ${what} is not checked against a phase (commits outside a task are allowed; the CI gate checks the branch)`,
    );
  const task = choice.task;
  if (task.status !== 'active')
    return ok(`task ${task.taskId} is ${task.status}; this ${what} is not checked against a phase`);
  const r = await guardToolCall(
    engine,
    { id: `hook:git:${req.event}`, holder: `git:${req.event}` },
    {
      taskId: task.taskId,
      client: 'generic',
      tool: 'bash',
      input: { command: `git ${what}` },
    },
  );
  if (!r.ok) return refused(`${what} refused: ${r.error.message}`);
  const g = r.value;
  if (g.decision === 'allow') return ok();
  const recorded = g.seq !== undefined ? ` (recorded in the ledger, entry ${g.seq})` : '';
  return refused(`${what} refused: task ${task.taskId} is in ${task.phase}. ${g.reason}${recorded}`);
}

function gitRun(cwd: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile('git', [...args], { cwd, encoding: 'utf8' }, (err, _stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: stderr || (err?.message ?? '') });
    });
  });
}

// What the commit adds, scanned for secrets: the index against HEAD (against nothing for a first commit).
async function stagedSecrets(req: HookRequest): Promise<HookAnswer | undefined> {
  // `git commit -a` and `git commit <paths>` commit a temporary index, which git names to its hooks.
  const index = req.env['GIT_INDEX_FILE'];
  const diff = await git(
    req.cwd,
    ['diff', '--cached', '--no-color', '--no-ext-diff', '--no-renames', '-U0'],
    index ? { GIT_INDEX_FILE: resolve(req.cwd, index) } : {},
  );
  if (diff.code !== 0)
    return refused(`could not read the staged changes to scan them for secrets: ${diff.stderr.trim()}`);
  const found = await scanPatch(diff.stdout);
  if (found.length === 0) return undefined;
  return refused(
    `commit refused: it adds ${plural(found.length, 'secret', 'secrets')}:\n${found.map((f) => `  ${describeSecret(f)}`).join('\n')}\nRemove each one (git restore --staged, then edit the file), revoke any that is real, and read it from the environment or a secret store instead.`,
  );
}

// Adds (or replaces) the trailer that ties the commit to the ledger head.
async function commitMsg(engine: Engine, req: HookRequest): Promise<HookAnswer> {
  const file = req.args[0];
  if (!file) return refused('commit-msg needs the commit message file (git passes it as the first argument)');
  const head = await engine.store.head();
  if (!head) return ok('the ledger is empty; no Autopilot-Ledger trailer added');
  const [entry] = await engine.store.entries({ fromSeq: head.seq, limit: 1 });
  const path = isAbsolute(file) ? file : resolve(req.cwd, file);
  const r = await gitRun(req.cwd, [
    'interpret-trailers',
    '--in-place',
    '--if-exists',
    'replace',
    '--trailer',
    `${HASH_TRAILER}: ${head.hash}`,
    // Which entry that is, and whose key signed it: `ledger verify` holds this installation's store to the
    // trailers its own key signed, and leaves a teammate's alone.
    ...(entry?.seq === head.seq ? ['--trailer', `${ENTRY_TRAILER}: ${entryTrailer(entry)}`] : []),
    path,
  ]);
  if (r.code !== 0) return refused(`could not add the Autopilot-Ledger trailer: ${r.stderr.trim()}`);
  return ok();
}

// pre-push's stdin: one line a ref to push, `<local ref> <local sha> <remote ref> <remote sha>`.
function refsOf(stdin: string): string[] {
  return stdin
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** git. */
export const gitHooks: ClientHooks = {
  parse: (req): Payload => (req.event === 'pre-push' ? { refs: refsOf(req.stdin) } : {}),
  async handle(engine, req, payload) {
    switch (req.event) {
      case 'pre-commit':
        return (await stagedSecrets(req)) ?? vcs(engine, req, 'commit');
      case 'pre-push': {
        const refs = payload['refs'] as string[];
        if (refs.length === 0) return ok();
        return vcs(engine, req, 'push');
      }
      case 'commit-msg':
        return commitMsg(engine, req);
      default:
        return ok();
    }
  },
  failClosed(_req, _payload, message) {
    return refused(message);
  },
};
