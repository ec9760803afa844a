/**
 * @module Hooks that run behind the wall: git's hooks fire inside it when the agent's command commits or pushes, where
 * the store is invisible. They judge by the facts the wall sealed when the command started (its phase, the phase's
 * capabilities, the ledger head), which the command cannot change; an agent client's hook has no business there.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { WALL_MARKER, type WallFacts } from '../../core/wall.ts';
import type { HookAnswer } from './request.ts';

const ok = (note = ''): HookAnswer => ({ stdout: '', stderr: note ? `autopilot: ${note}\n` : '', exitCode: 0 });
const refused = (message: string): HookAnswer => ({ stdout: '', stderr: `autopilot: ${message}\n`, exitCode: 1 });

function readFacts(): WallFacts | undefined {
  try {
    const f = JSON.parse(readFileSync(WALL_MARKER, 'utf8')) as WallFacts;
    return typeof f.phase === 'string' && Array.isArray(f.capabilities) ? f : undefined;
  } catch {
    return undefined;
  }
}

function addTrailer(cwd: string, path: string, head: string, entry: string | null | undefined): Promise<HookAnswer> {
  // As outside the wall: the head's hash, and which entry it is and whose key signed it (`ledger verify` holds this
  // user's store to the commits its own key signed). The trailer names of engine/ledger/history.ts are written out
  // here: every hook loads this file first, and its load stays small.
  const trailers = [`Autopilot-Ledger: ${head}`, ...(entry ? [`Autopilot-Entry: ${entry}`] : [])];
  return new Promise((done) => {
    execFile(
      'git',
      [
        'interpret-trailers',
        '--in-place',
        '--if-exists',
        'replace',
        ...trailers.flatMap((t) => ['--trailer', t]),
        path,
      ],
      { cwd, encoding: 'utf8' },
      (err, _out, stderr) =>
        done(err ? refused(`could not add the Autopilot-Ledger trailer: ${(stderr || err.message).trim()}`) : ok()),
    );
  });
}

/** The answer of a hook run behind the wall; undefined when this process is not behind it. */
export async function walledHook(
  client: string,
  event: string,
  args: readonly string[],
  cwd: string,
): Promise<HookAnswer | undefined> {
  if (!existsSync(WALL_MARKER)) return undefined;
  const facts = readFacts();
  if (client !== 'git')
    return {
      stdout: '',
      stderr: `autopilot: the ${client} hook does not run from an agent's command behind Autopilot's wall\n`,
      exitCode: 2,
    };
  if (!facts) return refused(`${event} refused: the wall's sealed facts cannot be read (${WALL_MARKER})`);
  const where = `${facts.taskId ? `task ${facts.taskId} is` : 'judged as'} in ${facts.phase}`;
  const need = event === 'pre-commit' ? 'vcs:commit' : event === 'pre-push' ? 'vcs:push' : undefined;
  if (need)
    return facts.capabilities.includes(need)
      ? ok()
      : refused(`${event === 'pre-commit' ? 'commit' : 'push'} refused: ${where}, which does not allow ${need}`);
  if (event === 'commit-msg') {
    const file = args[0];
    if (!file) return refused('commit-msg needs the commit message file (git passes it as the first argument)');
    if (!facts.ledgerHead) return ok('no ledger head sealed for this command; no Autopilot-Ledger trailer added');
    return addTrailer(cwd, isAbsolute(file) ? file : resolve(cwd, file), facts.ledgerHead, facts.ledgerEntry);
  }
  return ok();
}
