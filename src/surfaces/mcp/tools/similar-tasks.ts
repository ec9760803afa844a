/** @module MCP tool `similar_tasks`: the finished tasks most like a task (or a text), and what went wrong in them. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { similarTasks } from '../../../engine/graph/similar.ts';
import { arg, defineTool, describeTool } from '../tool.ts';

const outcomeOut = z.object({
  status: z.enum(['active', 'done', 'aborted']),
  refusals: z.array(z.object({ code: z.string(), count: z.number().int() })).describe('refused moves by code'),
  toolCallsBlocked: z.number().int(),
  backtracks: z.array(z.object({ from: z.string().nullable(), to: z.string().nullable(), reason: z.string() })),
  verifyRuns: z.number().int(),
  verifyFailed: z.number().int(),
  verifyProblems: z.array(z.string()).describe('the problems of the failed VERIFY runs'),
  changedLinesCoverage: z.number().nullable(),
  held: z.boolean().describe('the watchdog held the task for a person'),
});

export const similarTasksTool = defineTool({
  name: 'similar_tasks',
  title: 'Find similar past tasks',
  description: describeTool(
    "Returns the finished tasks most like a task (by the words of its title and evidence and the files it plans or changes, compared as TF-IDF vectors) with what went wrong in each: refusals by code, backtracks and their reasons, failed VERIFY runs, coverage. Give taskId to compare a task's own title and evidence so far, or title (and files) to compare a problem before starting it.",
    'Call it in STRATEGIZE and THINK to learn from earlier work: avoid what sent similar tasks back. It changes nothing.',
    'Refused with TASK_UNKNOWN for an unknown task, and USAGE when neither taskId nor title nor files is given.',
  ),
  input: z.strictObject({
    taskId: arg.taskId.optional(),
    title: z
      .string()
      .min(1)
      .max(20_000)
      .optional()
      .describe(
        "A title or problem statement to compare, for work not started yet (or added to the task's own words).",
      ),
    files: z
      .array(z.string().min(1).max(1000))
      .max(500)
      .optional()
      .describe('Paths the work plans to touch, relative to the repository root.'),
    limit: z.number().int().min(1).max(50).optional().describe('How many tasks at most (default 3).'),
    minScore: z.number().min(0).max(1).optional().describe('The least similarity, 0 to 1 (default 0.1).'),
  }),
  output: z.object({
    compared: z.number().int().describe('how many finished tasks were compared'),
    similar: z.array(
      z.object({
        taskId: z.string(),
        title: z.string(),
        score: z.number().describe('cosine similarity, 0 to 1'),
        sharedTerms: z.array(z.string()),
        sharedFiles: z.array(z.string()),
        outcome: outcomeOut,
        lessons: z.array(z.string()).describe('what went wrong, one line each; empty when the task went cleanly'),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine }, args) {
    const { title, ...rest } = args;
    const r = await similarTasks(engine, { ...rest, ...(title !== undefined ? { text: title } : {}) });
    if (!r.ok) return r;
    return ok({
      compared: r.value.compared,
      similar: r.value.similar.map((s) => ({
        ...s,
        sharedTerms: [...s.sharedTerms],
        sharedFiles: [...s.sharedFiles],
        lessons: [...s.lessons],
        outcome: {
          ...s.outcome,
          refusals: s.outcome.refusals.map((x) => ({ ...x })),
          backtracks: s.outcome.backtracks.map((x) => ({ ...x })),
          verifyProblems: [...s.outcome.verifyProblems],
        },
      })),
    });
  },
  summary: (v) =>
    v.similar.length
      ? [
          `${v.similar.length} of ${v.compared} finished task(s) alike:`,
          ...v.similar.map(
            (s) => `- ${s.taskId} "${s.title}" (${s.score}): ${s.lessons.join('; ') || 'went through cleanly'}`,
          ),
        ].join('\n')
      : `no finished task is alike (${v.compared} compared)`,
});
