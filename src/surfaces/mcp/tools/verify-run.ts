/** @module MCP tool `verify_run`: run VERIFY's build, test and coverage commands now. */
import * as z from 'zod';
import { ok } from '../../../core/errors.ts';
import { runVerify } from '../../../engine/task/verify.ts';
import { arg, defineTool, describeTool } from '../tool.ts';
import { plural } from '../../../core/phrasing.ts';

export const verifyRunTool = defineTool({
  name: 'verify_run',
  title: 'Run VERIFY',
  description: describeTool(
    "Runs the repository's configured build and test commands now, measures the coverage of the lines the task changed (a source file no test loads counts as unrun; test files never count), compares the test files with the base commit, runs mutants of a sample of the changed lines, and records the run in the ledger, pass or fail. Autopilot writes test_results.json, build_output.log, coverage_report.json, test_inventory.json and mutation_report.json itself; they cannot be supplied.",
    'Call it in VERIFY, before phase_advance (which reuses a passing run when the source has not changed since). It can take as long as the build and the tests.',
    'findings lists tests removed, skipped or focused, coverage-ignore comments added and surviving mutants: the run passes, but phase_advance out of VERIFY is then refused with APPROVAL_REQUIRED until a person decides (or the tests change so that nothing is found).',
    'Refused with VERIFY_FAILED when the build fails, a test fails, source changed and no test ran it, or the changed-lines coverage is below the threshold (details.failures say which; backtrack to IMPLEMENT with phase_backtrack, fix it, and come back), PHASE_SKIP outside VERIFY, LEASE_HELD, LEASE_REQUIRED (leases are explicit here: call lease_acquire), LEASE_FENCED, ESCALATED (a person escalated the task: stop and wait for a person), ABORTED, TASK_DONE, TASK_UNKNOWN.',
  ),
  input: z.strictObject({ taskId: arg.taskId, token: arg.token.optional() }),
  output: z.object({
    passed: z.literal(true),
    seq: z.number().int().describe('the ledger entry of the run'),
    commands: z.array(
      z.object({
        name: z.string(),
        argv: z.array(z.string()),
        exitCode: z.number().int().nullable(),
        timedOut: z.boolean(),
        durationMs: z.number(),
        isolation: z.string(),
      }),
    ),
    tests: z
      .object({
        total: z.number().int(),
        passed: z.number().int(),
        failed: z.number().int(),
        errors: z.number().int(),
        skipped: z.number().int(),
        durationMs: z.number(),
      })
      .nullable(),
    coverage: z
      .object({
        percent: z.number(),
        threshold: z.number(),
        executable: z.number().int(),
        covered: z.number().int(),
        meetsThreshold: z.boolean(),
      })
      .nullable()
      .describe('coverage of the lines the task added'),
    isolation: z.string().describe('how the commands were isolated: bwrap …, or none (…) with the reason'),
    findings: z
      .array(
        z.object({
          kind: z.string(),
          file: z.string(),
          line: z.number().int().optional(),
          test: z.string().optional(),
          detail: z.string(),
        }),
      )
      .describe("what the change does to the tests; each needs a person's decision before the task leaves VERIFY"),
    mutation: z.object({
      ran: z.number().int(),
      killed: z.number().int(),
      survived: z.number().int(),
      score: z.number().nullable(),
      skipped: z.string().optional(),
    }),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ engine, actor }, args) {
    const r = await runVerify(engine, actor, {
      taskId: args.taskId,
      ...(args.token !== undefined ? { token: args.token } : {}),
    });
    if (!r.ok) return r;
    const v = r.value.verify;
    return ok({
      passed: true as const,
      seq: r.value.entry.seq,
      commands: v.commands.map((c) => ({
        name: c.name,
        argv: [...c.argv],
        exitCode: c.exitCode,
        timedOut: c.timedOut,
        durationMs: c.durationMs,
        isolation: c.isolation,
      })),
      tests: v.tests ? { ...v.tests } : null,
      coverage: v.coverage
        ? {
            percent: v.coverage.percent,
            threshold: v.coverage.threshold,
            executable: v.coverage.executable,
            covered: v.coverage.covered,
            meetsThreshold: v.coverage.meetsThreshold,
          }
        : null,
      isolation: v.isolation,
      findings: v.findings.map((f) => ({ ...f })),
      mutation: {
        ran: v.mutation.mutants.length,
        killed: v.mutation.killed + v.mutation.timedOut,
        survived: v.mutation.survived,
        score: v.mutation.score,
        ...(v.mutation.skipped ? { skipped: v.mutation.skipped } : {}),
      },
    });
  },
  summary: (v) =>
    `verify passed (ledger entry ${v.seq})${v.tests ? `: tests ${v.tests.passed}/${v.tests.total} passed` : ''}${v.coverage ? `; changed-lines coverage ${v.coverage.percent.toFixed(1)}% of ${plural(v.coverage.executable, 'line')}` : ''}${v.findings.length ? `; ${plural(v.findings.length, 'finding')} about the tests need a person's decision before phase_advance` : '; next: phase_advance'}`,
});
