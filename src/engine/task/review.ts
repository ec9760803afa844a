/**
 * @module Use case: what a reviewer reads (MCP `review_get`): the task, every live artifact of its phases up to the
 * review phase with its text (the diff, the spec and plan, VERIFY's results) and the hand that recorded it, and who
 * worked the implement phase, so that a second session can judge the work without the work tree.
 */
import { join } from 'node:path';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { phaseDir, phaseIndex } from '../../core/phases.ts';
import { handOf, implementersOf, reviewRules, roleOf, type ReviewRules } from '../../core/review.ts';
import type { TaskState } from '../../core/task.ts';
import type { Producer } from '../../core/ledger.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Engine } from '../context.ts';

/** How much of one artifact's text a review packet carries; the rest is cut and marked. */
export const REVIEW_TEXT_BYTES = 256 * 1024;

export interface ReviewedArtifact {
  readonly phase: string;
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly producer: Producer;
  /** The entry that recorded this digest, its hand (holder) and role. */
  readonly seq: number;
  readonly hand: string;
  readonly role: string | null;
  /** The file's text as it is on disk, cut at {@link REVIEW_TEXT_BYTES}; null when it is gone or not a file. */
  readonly text: string | null;
  readonly truncated: boolean;
  /** False when the file on disk is not the one the ledger recorded. */
  readonly matchesLedger: boolean;
}

export interface ReviewPacket {
  readonly task: TaskState;
  readonly rules: ReviewRules;
  readonly implementers: readonly string[];
  readonly artifacts: readonly ReviewedArtifact[];
}

export async function reviewPacket(engine: Engine, taskId: string): Promise<Result<ReviewPacket>> {
  const rules = reviewRules(engine.config);
  if (!rules)
    return refuse(ErrorCode.USAGE, `this process has no review phase (phases ${engine.config.phases.join(', ')})`, {
      argument: 'taskId',
    });
  const task = await engine.store.getTask(taskId);
  if (!task) return refuse(ErrorCode.TASK_UNKNOWN, `no task ${taskId}`, { taskId });
  const entries = await engine.store.entries({ taskId });
  const bySeq = new Map(entries.map((x) => [x.seq, x]));
  const last = phaseIndex(engine.config.phases, rules.phase);
  const phaseOf = (path: string) => {
    const folder = path.split('/')[2] ?? '';
    return engine.config.phases.find((p) => phaseDir(p) === folder);
  };
  const artifacts: ReviewedArtifact[] = [];
  for (const a of Object.values(task.artifacts)) {
    const phase = phaseOf(a.path);
    // Evidence of the phases the review judges; the task's contract and later phases are not the work.
    if (!a.path.startsWith('evidence/') || !phase || phaseIndex(engine.config.phases, phase) > last) continue;
    const writer = bySeq.get(a.seq);
    const file = readNoFollow(join(engine.layout.stateDir, a.path), Number.MAX_SAFE_INTEGER);
    const bytes = file.kind === 'file' ? file.bytes : null;
    artifacts.push({
      phase,
      name: a.path.slice(a.path.lastIndexOf('/') + 1),
      path: a.path,
      sha256: a.sha256,
      producer: a.producer,
      seq: a.seq,
      hand: writer ? handOf(writer) : 'unknown',
      role: writer ? roleOf(writer) : null,
      text: bytes ? bytes.subarray(0, REVIEW_TEXT_BYTES).toString('utf8') : null,
      truncated: bytes !== null && bytes.byteLength > REVIEW_TEXT_BYTES,
      matchesLedger: file.kind === 'file' && file.sha256 === a.sha256,
    });
  }
  artifacts.sort(
    (x, y) =>
      phaseIndex(engine.config.phases, x.phase) - phaseIndex(engine.config.phases, y.phase) ||
      x.name.localeCompare(y.name),
  );
  return ok({ task, rules, implementers: implementersOf(entries, rules, Number.MAX_SAFE_INTEGER), artifacts });
}
