/** @module MCP tool `evidence_check`: check a phase's evidence as the gate would, without moving. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { checkEvidence } from '../../../engine/task/evidence.ts';
import { arg, defineTool, describeTool, findingOut } from '../tool.ts';
import { plural } from '../../../core/phrasing.ts';

export const evidenceCheckTool = defineTool({
  name: 'evidence_check',
  title: 'Check evidence',
  description: describeTool(
    "Checks a phase's evidence against the contract as phase_advance would, without producing anything or moving the task; a passed phase is checked against the digests the ledger recorded. `passed: false` is an answer, not a refusal: the findings say what to fix.",
    "Call it before phase_advance to see what is still missing, or to confirm that a passed phase's evidence is intact. Artifacts Autopilot produces at advance (the diff, the test run) show as missing until then.",
    'Refused with TASK_UNKNOWN or PHASE_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    phase: arg.phase.optional().describe("The phase to check; the task's current phase when left out."),
  }),
  output: z.object({
    phase: z.string(),
    passed: z.boolean(),
    findings: z.array(findingOut),
    artifacts: z.array(z.object({ path: z.string(), sha256: z.string(), producer: z.enum(['agent', 'autopilot']) })),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine }, args) {
    const r = await checkEvidence(engine, {
      taskId: args.taskId,
      ...(args.phase !== undefined ? { phase: args.phase } : {}),
    });
    if (!r.ok) return r;
    const g = r.value;
    return ok({
      phase: g.phase,
      passed: g.passed,
      findings: [...g.findings],
      artifacts: g.artifacts.map((a) => ({ path: a.path, sha256: a.sha256, producer: a.producer })),
    });
  },
  summary: (v) =>
    v.passed
      ? `${v.phase}: the evidence meets the contract`
      : `${v.phase}: ${plural(v.findings.length, 'finding')}; fix ${v.findings.length === 1 ? 'it' : 'them'} before phase_advance`,
});
