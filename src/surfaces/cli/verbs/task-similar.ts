/** @module `autopilot task similar`: the finished tasks most like a task or a text, and what went wrong in them. */
import pc from 'picocolors';
import { similarTasks } from '../../../engine/graph/similar.ts';
import { done, intOption, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

export interface SimilarOptions extends GlobalOptions {
  title?: string;
  file?: string[];
  limit?: string;
  minScore?: string;
}

function scoreOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--min-score needs a number from 0 to 1, got "${value}"`, 'min-score');
  return n;
}

export async function taskSimilar(taskId: string | undefined, opts: SimilarOptions): Promise<VerbResult> {
  const limit = intOption(opts.limit, 'limit');
  const minScore = scoreOption(opts.minScore);
  if (taskId === undefined && !opts.title && !opts.file?.length)
    throw new UsageError('name a task, or describe the work with --title (and --file)', 'TASK');
  return withEngine(opts, async (engine) => {
    const r = await similarTasks(engine, {
      ...(taskId !== undefined ? { taskId } : {}),
      ...(opts.title ? { text: opts.title } : {}),
      ...(opts.file?.length ? { files: opts.file } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(minScore !== undefined ? { minScore } : {}),
    });
    if (!r.ok) return r;
    const { compared, similar } = r.value;
    const text = similar.length
      ? [
          `${similar.length} of ${compared} finished task(s) alike:`,
          ...similar.flatMap((s) => [
            `${pc.bold(s.taskId)} ${s.title ? `"${s.title}" ` : ''}(similarity ${s.score}, ${s.outcome.status})`,
            ...(s.sharedFiles.length ? [`  same files: ${s.sharedFiles.slice(0, 5).join(', ')}`] : []),
            ...(s.sharedTerms.length ? [`  same words: ${s.sharedTerms.slice(0, 6).join(', ')}`] : []),
            ...(s.lessons.length ? s.lessons.map((l) => `  - ${l}`) : ['  went through cleanly']),
          ]),
        ].join('\n')
      : `no finished task is alike (${compared} compared)`;
    return done(r.value, text);
  });
}
