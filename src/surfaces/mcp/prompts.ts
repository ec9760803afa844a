/** @module The MCP prompts: one a phase (`phase-strategize`, …), each the phase's stable instructions. */
import * as z from 'zod';
import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server';
import { phaseDir } from '../../core/phases.ts';
import { promptFor } from '../../engine/drift/baseline.ts';
import type { Engine } from '../../engine/context.ts';
import { plural } from '../../core/phrasing.ts';
import { similarTaskHints } from '../../engine/graph/similar.ts';

/** The prompt name of a phase: `phase-` and the phase in lower case. */
export function promptName(phase: string): string {
  return `phase-${phaseDir(phase)}`;
}

/**
 * Registers a prompt for every phase of the config. The first message is the
 * phase's instructions exactly as prompt attestation digests them; with a
 * `taskId`, a second message says where that task stands, so the first never
 * changes between calls.
 */
export function registerPhasePrompts(server: McpServer, engine: Engine): void {
  for (const phase of engine.config.phases) {
    server.registerPrompt(
      promptName(phase),
      {
        title: `Autopilot: ${phase}`,
        description: `How to work in ${phase}: what to produce, the evidence contract, which tools are allowed, and how to move on.`,
        argsSchema: z.object({
          taskId: z.string().max(200).optional().describe('A task to report on after the instructions.'),
        }),
      },
      async ({ taskId }): Promise<GetPromptResult> => {
        const messages: GetPromptResult['messages'] = [
          { role: 'user', content: { type: 'text', text: promptFor(engine, phase) } },
        ];
        if (taskId)
          messages.push({ role: 'user', content: { type: 'text', text: await taskNote(engine, taskId, phase) } });
        return { description: `Autopilot instructions for ${phase}`, messages };
      },
    );
  }
}

async function taskNote(engine: Engine, taskId: string, phase: string): Promise<string> {
  const task = await engine.store.getTask(taskId);
  if (!task) return `There is no task ${taskId} yet: start it with task_start.`;
  if (task.status !== 'active') return `Task ${taskId} is ${task.status}.`;
  const where = `Task ${taskId} is in ${task.phase} (visit ${task.visits[task.phase] ?? 0}; ${plural(task.counts.refusals, 'refusal')}, ${plural(task.counts.backtracks, 'backtrack')} so far).`;
  if (task.phase !== phase) return `${where} These instructions are for ${phase}, not its current phase.`;
  return [where, ...(await similarTaskHints(engine, task))].join('\n');
}
