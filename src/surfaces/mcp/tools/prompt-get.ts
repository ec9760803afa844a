/** @module MCP tool `prompt_get`: the instructions of a task's phase, with the task's volatile state kept apart. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { normalizePhase } from '../../../core/phases.ts';
import { refusePhaseUnknown } from '../../../core/task.ts';
import { normalizeForDigest } from '../../../core/drift.ts';
import { promptFor } from '../../../engine/drift/baseline.ts';
import { sha256Hex } from '../../../engine/repo/files.ts';
import { arg, defineTool, describeTool, taskOut, taskView } from '../tool.ts';
import { loadTask } from '../../../engine/ledger/load-task.ts';
import { similarTaskHints } from '../../../engine/graph/similar.ts';
import { phasePromptFor } from '../../../engine/drift/persona.ts';

export const promptGetTool = defineTool({
  name: 'prompt_get',
  title: "Get the phase's instructions",
  description: describeTool(
    "Returns Autopilot's instructions for a task's phase: what to produce, the evidence contract, which tools are allowed, and how to move on. The instructions are the same text on every call (`prompt`, with its digest `promptSha256`, which prompt attestation checks); the task's state (status, how often the phase was entered, refusal counts) is in `task`, apart from them.",
    'Call it after task_start and after every phase_advance or phase_backtrack, and follow it.',
    'Refused with TASK_UNKNOWN or PHASE_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    phase: arg.phase
      .optional()
      .describe("The phase whose instructions to return; the task's current phase when left out."),
  }),
  output: z.object({
    phase: z.string(),
    prompt: z.string().describe('the stable instructions of the phase'),
    promptSha256: z.string().describe('sha256 of the normalized instructions'),
    current: z.boolean().describe("true when `phase` is the task's current phase"),
    task: taskOut,
    compiled: z
      .object({
        text: z
          .string()
          .describe(
            "the prompt compiled for the task: the instructions, the persona's role, overlays, skills, rubric and the task's context",
          ),
        sha256: z.string().describe('sha256 of the normalized compiled prompt, as transitions record it'),
        persona: z.object({ id: z.string(), version: z.string(), sha256: z.string() }),
        overlays: z.array(z.string()).describe('the domain overlays the task routes to, as id@version'),
        tokens: z.number().int(),
        omitted: z.array(z.string()).describe('parts left out for the token budget, as kind:id'),
        variant: z
          .object({ persona: z.string(), id: z.string(), sha256: z.string() })
          .optional()
          .describe("the persona's prompt variant the task drew (by its id), when the config gives it variants"),
      })
      .describe('what the agent is told in the phase, persona and context included'),
    hints: z
      .array(z.string())
      .describe(
        'observer hints for the current phase, apart from the stable instructions: similar past tasks and what went wrong in them',
      ),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine }, args) {
    const loaded = await loadTask(engine.store, args.taskId);
    if (!loaded.ok) return loaded;
    const task = loaded.value;
    const phase = args.phase === undefined ? task.phase : normalizePhase(engine.config.phases, args.phase);
    if (!phase) return refusePhaseUnknown(args.phase ?? '', engine.config);
    const prompt = promptFor(engine, phase);
    const current = phase === task.phase && task.status === 'active';
    const compiled = phasePromptFor(engine, phase, task);
    return ok({
      phase,
      prompt,
      promptSha256: sha256Hex(normalizeForDigest(prompt)),
      current,
      task: taskView(task),
      compiled: {
        text: compiled.compiled.text,
        sha256: compiled.sha256,
        persona: { ...compiled.persona },
        overlays: compiled.overlays.map((o) => `${o.id}@${o.version}`),
        tokens: compiled.compiled.tokens,
        omitted: compiled.compiled.omitted.map((o) => `${o.kind}:${o.id}`),
        ...(compiled.variant ? { variant: { ...compiled.variant } } : {}),
      },
      hints: current ? await similarTaskHints(engine, task) : [],
    });
  },
  summary: (v) =>
    `instructions for ${v.phase}${v.current ? ` (${v.task.taskId} is here, visit ${v.task.visit})` : ''}:\n\n${v.prompt}${v.hints.length ? `\n\n${v.hints.join('\n')}` : ''}`,
});
