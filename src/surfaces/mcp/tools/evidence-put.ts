/** @module MCP tool `evidence_put`: write one text artifact into the current phase's evidence folder. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { putEvidence } from '../../../engine/task/evidence.ts';
import { arg, defineTool, describeTool, findingOut, taskOut, taskView } from '../tool.ts';
import { plural } from '../../../core/phrasing.ts';

export const evidencePutTool = defineTool({
  name: 'evidence_put',
  title: 'Put evidence',
  description: describeTool(
    "Writes one text artifact (Markdown, JSON, plain text) into the evidence folder of the task's current phase, replacing an artifact of the same name, and records its digest in the ledger. Returns what the phase's contract says of the file now (findings); the gate checks again at phase_advance.",
    "Call it for each artifact the phase needs (task_status and prompt_get list them), e.g. strategy.md in STRATEGIZE, spec.md in SPEC, plan.md and file_map.json in PLAN. Write about this task in your own words: filler is refused (one word or phrase over and over: distinct-words; a section repeating another: repeated-section; text copied from the phase prompts, the README or an earlier task's file: copied-text; a file map the spec's Acceptance Criteria say nothing about: spec-grounding). Fix every finding and put the file again before advancing.",
    'Refused with EVIDENCE_PROTECTED for artifacts Autopilot produces itself (git_diff.patch, test_results.json, …) or for a phase already passed (backtrack to change it), PHASE_SKIP for a later phase, PATH_OUTSIDE_EVIDENCE for a name that is not a plain file name, EVIDENCE_INVALID for binary content or content over the size limit (limits.maxEvidenceBytes), LEASE_HELD, LEASE_REQUIRED (leases are explicit here: call lease_acquire), LEASE_FENCED, ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN, PHASE_UNKNOWN.',
  ),
  input: z.strictObject({
    taskId: arg.taskId,
    phase: arg.phase.describe("The task's current phase (evidence of other phases is refused)."),
    name: z
      .string()
      .min(1)
      .max(200)
      .describe('The artifact file name, e.g. "strategy.md": letters, digits, ".", "-", "_"; no folders.'),
    content: z.string().describe('The whole file, as UTF-8 text.'),
    token: arg.token.optional(),
  }),
  output: z.object({
    path: z.string().describe('where it is, relative to the state folder: evidence/<TASK>/<phase>/<name>'),
    sha256: z.string(),
    bytes: z.number().int(),
    seq: z.number().int().describe('the ledger entry that recorded it'),
    findings: z
      .array(findingOut)
      .describe("what the phase's contract says of this file; empty when it meets the contract"),
    repairs: z
      .array(z.object({ field: z.string(), kind: z.string(), detail: z.string() }))
      .describe('for a typed contract: each mechanical repair made before the file was stored'),
    task: taskOut,
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const content = Buffer.from(args.content, 'utf8');
    const r = await putEvidence(engine, actor, {
      taskId: args.taskId,
      phase: args.phase,
      name: args.name,
      content,
      ...(args.token !== undefined ? { token: args.token } : {}),
    });
    if (!r.ok) return r;
    const v = r.value;
    return ok({
      path: v.path,
      sha256: v.sha256,
      bytes: content.byteLength,
      seq: v.entry.seq,
      findings: [...v.findings],
      repairs: [...v.repairs],
      task: taskView(v.task),
    });
  },
  summary: (v) =>
    `stored ${v.path} (${plural(v.bytes, 'byte')}, ledger entry ${v.seq}); ${v.findings.length === 0 ? 'it meets the contract' : `${plural(v.findings.length, 'finding')} against the contract: fix ${v.findings.length === 1 ? 'it' : 'them'} and put the file again`}`,
});
