/**
 * @module The contract the gate judges a task by: the one the task adopted at its
 * start (its committed `evidence/<TASK>/contract.yaml`, whose digest the signed
 * task_started entry holds), and every move of the task made under that contract.
 * A task started before tasks recorded their contract is judged by the committed config.
 */
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { configDigest } from '../repo/config-digest.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { contractRel } from '../repo/contract.ts';
import { CONFIG_DIR, CONFIG_FILE } from '../repo/layout.ts';
import { readCommitted } from './committed.ts';
import type { GateContext } from './check-bundle.ts';
import { ignoredBy, missingReason } from './evidence.ts';
import type { CiProblem, TaskContract } from './report.ts';

/** The contract of a task, or why the task cannot be judged (its problems say). */
export type Adopted =
  | { readonly config: Config; readonly contract: TaskContract; readonly problems: CiProblem[] }
  | { readonly config?: undefined; readonly contract?: undefined; readonly problems: CiProblem[] };

/** Reads the contract `started` (the task's task_started entry) adopted. */
export async function adoptedContract(ctx: GateContext, started: LedgerEntry): Promise<Adopted> {
  const taskId = started.taskId ?? '';
  const digest = typeof started.data['configDigest'] === 'string' ? started.data['configDigest'] : null;
  const ref = started.artifacts.find((a) => a.path === contractRel(taskId) && a.producer === 'autopilot');
  const configFile = `${CONFIG_DIR}/${CONFIG_FILE}`;
  if (!ref) {
    return {
      config: ctx.config,
      contract: {
        source: 'committed',
        file: configFile,
        digest: configDigest(ctx.config),
        note: `${taskId} was started before tasks recorded the contract they adopt: it is judged by the committed config`,
      },
      problems: [],
    };
  }
  const file = ctx.inState(ref.path);
  const problem = (code: ErrorCode, reason: string): Adopted => ({
    problems: [{ taskId, check: 'config', code, seq: started.seq, file, reason }],
  });
  const [blob] = await readCommitted(ctx.root, ctx.head, [file]);
  if (blob?.kind === 'missing')
    return problem(
      ErrorCode.EVIDENCE_MISSING,
      missingReason(file, started.seq, (await ignoredBy(ctx.root, [file])).get(file)),
    );
  if (blob?.kind !== 'file' || blob.sha256 !== ref.sha256)
    return problem(
      ErrorCode.LEDGER_TAMPERED,
      `the contract ${taskId} adopted changed after entry ${started.seq} recorded it (sha256 ${ref.sha256.slice(0, 12)}… recorded, ${blob?.kind === 'file' ? `${blob.sha256.slice(0, 12)}…` : 'no file'} committed)`,
    );
  let config: Config;
  try {
    config = parseConfigText(blob.bytes.toString('utf8'), file);
  } catch (err) {
    if (!(err instanceof AutopilotError)) throw err;
    return problem(ErrorCode.CONFIG_INVALID, `the contract ${taskId} adopted does not load here: ${err.message}`);
  }
  if (configDigest(config) !== digest)
    return problem(
      ErrorCode.CONFIG_INVALID,
      `the contract ${taskId} adopted loads as another config here (digest ${configDigest(config).slice(0, 12)}…, entry ${started.seq} recorded ${String(digest).slice(0, 12)}…): run the gate with the Autopilot version the task ran under`,
    );
  return {
    config,
    contract: { source: 'task', file, digest: configDigest(config) },
    problems: [],
  };
}

/**
 * Every move of the task was made under the contract: a transition that recorded another config digest was checked
 * against another contract, a weakened one perhaps, even when the config was restored afterwards.
 */
export function movesUnderContract(
  taskId: string,
  entries: readonly LedgerEntry[],
  contract: TaskContract,
  bundle: string,
): CiProblem[] {
  const problems: CiProblem[] = [];
  const moves = entries.filter((e) => e.taskId === taskId && e.kind === 'transition');
  if (contract.source === 'committed') {
    // As before contracts were recorded: the last move was checked against the committed config.
    const last = moves[moves.length - 1];
    const recorded = last?.data['configDigest'];
    if (last && typeof recorded === 'string' && recorded !== contract.digest)
      problems.push({
        taskId,
        check: 'config',
        code: ErrorCode.EVIDENCE_INVALID,
        seq: last.seq,
        file: contract.file,
        reason: `the committed config is not the one entry ${last.seq} checked the task against (config digest ${recorded.slice(0, 12)}…, committed ${contract.digest.slice(0, 12)}…): restore it, or pass the task's phases again under the new config`,
      });
    return problems;
  }
  for (const move of moves) {
    const recorded = move.data['configDigest'];
    if (recorded === contract.digest) continue;
    problems.push({
      taskId,
      check: 'config',
      code: ErrorCode.EVIDENCE_INVALID,
      seq: move.seq,
      file: bundle,
      reason: `the move ${move.fromPhase} → ${move.toPhase ?? 'DONE'} was checked against another config (digest ${typeof recorded === 'string' ? `${recorded.slice(0, 12)}…` : 'none'}) than the contract ${taskId} adopted (${contract.digest.slice(0, 12)}…, ${contract.file}): a phase passed under a changed config does not count; backtrack to it and pass it again under the task's contract`,
    });
  }
  return problems;
}
