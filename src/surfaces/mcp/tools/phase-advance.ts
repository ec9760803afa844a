/** @module MCP tool `phase_advance`: pass the current phase's gate and enter the next phase. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { advance } from '../../../engine/task/advance.ts';
import { arg, defineTool, describeTool, findingOut, taskOut, taskView } from '../tool.ts';

export const phaseAdvanceTool = defineTool({
  name: 'phase_advance',
  title: 'Advance to the next phase',
  description: describeTool(
    "Checks the current phase's evidence against the contract (the content, not only that files exist) and, when it passes, enters the next phase; from the last phase it finishes the task.",
    'Before the check Autopilot produces its own evidence for the phase being left: the git diff in IMPLEMENT, the build, test and coverage run in VERIFY (reused when verify_run already passed on the same source), the linter in REVIEW, CI commands in PR, smoke commands in MONITOR. This can take as long as those commands.',
    'Call it when the evidence of the current phase is complete. Phases cannot be skipped: `to`, when given, must be the next phase.',
    'Refused with PHASE_SKIP (ask for the next phase only), PHASE_UNKNOWN, EVIDENCE_MISSING or EVIDENCE_INVALID (details.findings say what to fix in which file), VERIFY_FAILED, PROMPT_DRIFT (the instructions changed; a person must restore or re-baseline them), LEASE_HELD (another session works on the task, or another move of it is running: details.reason move-running or moved), LEASE_REQUIRED (leases are explicit here: call lease_acquire), LEASE_FENCED, ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    to: arg.phase
      .optional()
      .describe('The phase to enter; must be the next one. Leave it out to enter the next phase.'),
    summary: z
      .string()
      .max(2000)
      .optional()
      .describe('What this phase produced, in a sentence or two, for the reviewer.'),
    token: arg.token.optional(),
  }),
  output: z.object({
    from: z.string().describe('the phase passed'),
    to: z.string().nullable().describe('the phase entered; null when the task finished'),
    done: z.boolean().describe('true when the task is finished'),
    seq: z.number().int().describe('the ledger entry of the transition'),
    artifacts: z
      .array(z.object({ path: z.string(), sha256: z.string(), producer: z.enum(['agent', 'autopilot']) }))
      .describe('the evidence the transition sealed, with digests'),
    findings: z.array(findingOut).describe('remarks of the gate that did not block the move'),
    attestation: z
      .discriminatedUnion('written', [
        z.object({
          written: z.literal(true),
          path: z.string(),
          fromSeq: z.number().int(),
          toSeq: z.number().int(),
          entries: z.number().int(),
        }),
        z.object({ written: z.literal(false), code: z.string(), message: z.string() }),
      ])
      .nullable()
      .describe(
        'the attestation bundle (the ledger as signed envelopes, for CI) written on entering PR and on finishing; null on other moves',
      ),
    task: taskOut,
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await advance(engine, actor, {
      taskId: args.taskId,
      ...(args.to !== undefined ? { to: args.to } : {}),
      ...(args.summary !== undefined ? { summary: args.summary } : {}),
      ...(args.token !== undefined ? { token: args.token } : {}),
    });
    if (!r.ok) return r;
    const v = r.value;
    return ok({
      from: v.from,
      to: v.to,
      done: v.to === null,
      seq: v.entry.seq,
      artifacts: v.gate.artifacts.map((a) => ({ path: a.path, sha256: a.sha256, producer: a.producer })),
      findings: [...v.gate.findings],
      attestation: !v.attestation
        ? null
        : v.attestation.ok
          ? {
              written: true as const,
              path: v.attestation.value.path,
              fromSeq: v.attestation.value.fromSeq,
              toSeq: v.attestation.value.toSeq,
              entries: v.attestation.value.entries,
            }
          : { written: false as const, code: v.attestation.error.code, message: v.attestation.error.message },
      task: taskView(v.task),
    });
  },
  summary: (v) =>
    v.done
      ? `${v.task.taskId} finished: ${v.from} passed (ledger entry ${v.seq})`
      : `${v.task.taskId}: ${v.from} → ${v.to} (ledger entry ${v.seq}); read its instructions with prompt_get`,
});
