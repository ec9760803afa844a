/** @module MCP tool `task_status`: where a task is, what its phase needs, who holds its lease. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { nextPhase } from '../../../core/phases.ts';
import { holderOf } from '../../../engine/task/leases.ts';
import { contractStatus } from '../../../engine/task/contract.ts';
import { arg, defineTool, describeTool, leaseOut, leaseView, taskOut, taskView } from '../tool.ts';
import { loadTask } from '../../../engine/ledger/load-task.ts';
import { proposalStatus } from '../../../engine/task/monitor-proposal.ts';

export const taskStatusTool = defineTool({
  name: 'task_status',
  title: 'Read a task',
  description: describeTool(
    "Reads a task: its status and current phase, how often the phase was entered, its refusal and backtrack counts, the artifacts the phase needs (and which of them Autopilot produces itself), and the phase's lease.",
    'Call it when you start or resume work, after a refusal, or whenever you are unsure where a task stands. It changes nothing.',
    'Refused with TASK_UNKNOWN when there is no such task.',
  ),
  input: z.strictObject({ taskId: arg.taskId }),
  output: z.object({
    task: taskOut,
    nextPhase: z
      .string()
      .nullable()
      .describe('the phase phase_advance enters; null from the last phase (advancing finishes the task)'),
    evidence: z
      .array(z.object({ name: z.string(), producer: z.enum(['agent', 'autopilot']), required: z.boolean() }))
      .describe(
        "the current phase's artifacts: write the agent's with evidence_put; Autopilot writes its own when the task advances",
      ),
    lease: leaseOut.nullable().describe('the live lease on the task, or null'),
    holder: z.string().describe('your own lease holder id in this MCP session'),
    contract: z
      .object({ changed: z.boolean(), keys: z.array(z.string()) })
      .describe(
        'whether the config differs from the contract the task adopted (moves are then refused with CONFIG_CHANGED until it is restored or a person adopts it), and the keys that differ',
      ),
    proposal: z
      .object({
        seq: z.number(),
        request: z.number(),
        to: z.string(),
        reason: z.string(),
        state: z.enum(['waiting', 'declined']),
        by: z.string().optional(),
      })
      .nullable()
      .describe(
        "a backtrack an unhealthy deployment proposed in this phase visit: waiting for a person's decision (only a person accepts or declines it), or declined; null when none",
      ),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine, actor }, args) {
    const loaded = await loadTask(engine.store, args.taskId);
    if (!loaded.ok) return loaded;
    const task = loaded.value;
    const lease = await engine.store.getLease(args.taskId);
    const live =
      lease && lease.holder !== null && Date.parse(lease.expiresAt) > engine.clock.now().getTime() ? lease : null;
    return ok({
      task: taskView(task),
      nextPhase: task.status === 'active' ? (nextPhase(engine.config.phases, task.phase) ?? null) : null,
      evidence: (engine.config.evidence[task.phase] ?? []).map((a) => ({
        name: a.name,
        producer: a.producer,
        required: a.required,
      })),
      lease: live ? leaseView(live) : null,
      holder: holderOf(actor),
      contract: (({ changed, keys }) => ({ changed: changed && task.status === 'active', keys }))(
        contractStatus(engine, task),
      ),
      proposal: (await proposalStatus(engine, task)) ?? null,
    });
  },
  summary: (v) =>
    v.task.status === 'active'
      ? `${v.task.taskId} is in ${v.task.phase} (visit ${v.task.visit}); it needs ${v.evidence.map((a) => a.name).join(', ') || 'no evidence'}${v.lease ? `; leased by ${v.lease.holder === v.holder ? 'you' : v.lease.holder} until ${v.lease.expiresAt}` : ''}`
      : `${v.task.taskId} is ${v.task.status}`,
});
