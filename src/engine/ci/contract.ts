/**
 * @module The contract the gate judges a task by: the one the task adopted at its
 * start (its committed `evidence/<TASK>/contract.yaml`, whose digest the signed
 * task_started entry holds), and every move of the task made under that contract.
 * A task started before tasks recorded their contract is judged by the committed config.
 */
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { ArtifactRef, LedgerEntry } from '../../core/ledger.ts';
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
  const loaded = await loadContract(ctx, taskId, started, ref, digest);
  if (!loaded.ok) return { problems: [loaded.problem] };
  const file = ctx.inState(ref.path);
  return {
    config: loaded.config,
    contract: { source: 'task', file, digest: configDigest(loaded.config) },
    problems: [],
  };
}

/** Reads and checks the committed text of a contract an entry names: its digest as recorded, and its config's. */
async function loadContract(
  ctx: GateContext,
  taskId: string,
  entry: LedgerEntry,
  ref: ArtifactRef,
  digest: string | null,
): Promise<{ ok: true; config: Config } | { ok: false; problem: CiProblem }> {
  const file = ctx.inState(ref.path);
  const problem = (code: ErrorCode, reason: string) => ({
    ok: false as const,
    problem: { taskId, check: 'config' as const, code, seq: entry.seq, file, reason },
  });
  const [blob] = await readCommitted(ctx.root, ctx.head, [file]);
  if (blob?.kind === 'missing')
    return problem(
      ErrorCode.EVIDENCE_MISSING,
      missingReason(file, entry.seq, (await ignoredBy(ctx.root, [file])).get(file)),
    );
  if (blob?.kind !== 'file' || blob.sha256 !== ref.sha256)
    return problem(
      ErrorCode.LEDGER_TAMPERED,
      `the contract ${taskId} adopted changed after entry ${entry.seq} recorded it (sha256 ${ref.sha256.slice(0, 12)}… recorded, ${blob?.kind === 'file' ? `${blob.sha256.slice(0, 12)}…` : 'no file'} committed)`,
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
      `the contract ${taskId} adopted loads as another config here (digest ${configDigest(config).slice(0, 12)}…, entry ${entry.seq} recorded ${String(digest).slice(0, 12)}…): run the gate with the Autopilot version the task ran under`,
    );
  return { ok: true, config };
}

/** One contract of a task, in force from the entry that adopted it (task_started or contract_adopted) on. */
export interface ContractVersion {
  readonly seq: number;
  readonly digest: string;
  readonly config: Config;
  readonly file: string;
}

/**
 * The contracts of a task in order: the one adopted at its start, then each a person adopted since (a
 * `contract_adopted` entry, whose actor must be a person, naming the committed text of the new contract).
 */
export async function contractVersions(
  ctx: GateContext,
  taskId: string,
  entries: readonly LedgerEntry[],
  first: { readonly config: Config; readonly contract: TaskContract },
): Promise<{ versions: ContractVersion[]; contract: TaskContract; problems: CiProblem[] }> {
  const started = entries.find((x) => x.taskId === taskId && x.kind === 'task_started');
  const versions: ContractVersion[] = [
    { seq: started?.seq ?? 0, digest: first.contract.digest, config: first.config, file: first.contract.file },
  ];
  const problems: CiProblem[] = [];
  const adopted: NonNullable<TaskContract['adopted']>[number][] = [];
  for (const entry of entries) {
    if (entry.taskId !== taskId || entry.kind !== 'contract_adopted') continue;
    const ref = entry.artifacts[0];
    const digest = typeof entry.data['configDigest'] === 'string' ? entry.data['configDigest'] : null;
    const at = { taskId, check: 'config' as const, seq: entry.seq };
    if (!entry.actor.startsWith('person:')) {
      problems.push({
        ...at,
        code: ErrorCode.APPROVAL_REQUIRED,
        file: first.contract.file,
        reason: `entry ${entry.seq} adopts another contract for ${taskId}, but its actor ${entry.actor} is not a person: only a person's decision adopts a contract`,
      });
      continue;
    }
    if (!ref || !digest) {
      problems.push({
        ...at,
        code: ErrorCode.LEDGER_TAMPERED,
        file: first.contract.file,
        reason: `entry ${entry.seq} adopts a contract but names no contract file or digest`,
      });
      continue;
    }
    const loaded = await loadContract(ctx, taskId, entry, ref, digest);
    if (!loaded.ok) {
      problems.push(loaded.problem);
      continue;
    }
    const file = ctx.inState(ref.path);
    versions.push({ seq: entry.seq, digest, config: loaded.config, file });
    adopted.push({ seq: entry.seq, file, digest, by: entry.actor });
  }
  return { versions, contract: adopted.length ? { ...first.contract, adopted } : first.contract, problems };
}

/** The contract in force at entry `seq`: the latest one adopted before it. */
export function contractAt(versions: readonly ContractVersion[], seq: number): ContractVersion {
  let current = versions[0]!;
  for (const v of versions) if (v.seq < seq) current = v;
  return current;
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
  versions: readonly ContractVersion[] = [],
): CiProblem[] {
  const problems: CiProblem[] = [];
  const moves = entries.filter((entry) => entry.taskId === taskId && entry.kind === 'transition');
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
    // The contract in force at the move: adopted at the start, or by a person's decision before the move.
    const inForce = versions.length ? contractAt(versions, move.seq) : { digest: contract.digest, file: contract.file };
    if (recorded === inForce.digest) continue;
    problems.push({
      taskId,
      check: 'config',
      code: ErrorCode.EVIDENCE_INVALID,
      seq: move.seq,
      file: bundle,
      reason: `the move ${move.fromPhase} → ${move.toPhase ?? 'DONE'} was checked against another config (digest ${typeof recorded === 'string' ? `${recorded.slice(0, 12)}…` : 'none'}) than the contract ${taskId} had adopted (${inForce.digest.slice(0, 12)}…, ${inForce.file}): a phase passed under a changed config does not count; backtrack to it and pass it again under the task's contract`,
    });
  }
  return problems;
}
