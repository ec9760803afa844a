/** @module MCP tool `ledger_verify`: check the whole ledger and every evidence digest. */
import * as z from 'zod';
import { ErrorCode, ok, refuse } from '../../../core/errors.ts';
import { verifyLedger } from '../../../engine/ledger/verify.ts';
import { defineTool, describeTool } from '../tool.ts';
import { plural } from '../../../core/phrasing.ts';

const problem = z.object({
  kind: z.enum(['chain', 'projection', 'evidence', 'decision', 'store']),
  seq: z.number().int().optional(),
  taskId: z.string().optional(),
  path: z.string().optional(),
  reason: z.string(),
});

export const ledgerVerifyTool = defineTool({
  name: 'ledger_verify',
  title: 'Verify the ledger',
  description: describeTool(
    "Verifies the whole ledger: the hash chain, every signature, the task states against their entries, the digest of every evidence file the ledger names, and every person's decision against its passkey assertion. It changes nothing.",
    'Call it before a pull request, or when you suspect that evidence or history was changed.',
    'Refused with LEDGER_TAMPERED when anything does not check out (details.problems name the entry or file). Do not try to repair the ledger or the evidence: tell a person.',
  ),
  input: z.strictObject({}),
  output: z.object({
    ok: z.literal(true),
    entries: z.number().int(),
    tasks: z.number().int(),
    artifacts: z.number().int().describe('evidence files checked against their digests'),
    decisions: z.number().int().describe("people's decisions whose passkey assertions were checked"),
    keys: z.array(z.string()).describe('the signing keys seen'),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    problems: z.array(problem).max(0),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run({ engine }) {
    const report = await verifyLedger(engine);
    if (!report.ok) {
      const first = report.problems[0];
      return refuse(
        ErrorCode.LEDGER_TAMPERED,
        `ledger verification failed${first?.seq !== undefined ? ` at entry ${first.seq}` : ''}: ${first?.reason ?? 'unknown problem'}`,
        { ...report },
      );
    }
    return ok({
      ok: true as const,
      entries: report.entries,
      tasks: report.tasks,
      artifacts: report.artifacts,
      decisions: report.decisions,
      keys: [...report.keys],
      head: report.head ? { seq: report.head.seq, hash: report.head.hash } : null,
      problems: [],
    });
  },
  summary: (v) =>
    `ledger verified: ${plural(v.entries, 'entry')} (chain and every signature), ${plural(v.tasks, 'task')}, ${plural(v.artifacts, 'evidence file')} ${v.artifacts === 1 ? 'matches its digest' : 'match their digests'}`,
});
