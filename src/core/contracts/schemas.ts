/**
 * @module The typed contracts of a task's work: ProblemSpec, Plan, ChangeSet, PRSummary and RiskReport, as zod
 * schemas whose descriptions are the documentation of the JSON Schemas published from them.
 */
import { z } from 'zod';

/** The names of the contracts, as an artifact rule's `contract:` names them. */
export const CONTRACT_TYPES = ['ProblemSpec', 'Plan', 'ChangeSet', 'PRSummary', 'RiskReport'] as const;
export type ContractType = (typeof CONTRACT_TYPES)[number];

/** The version of the contracts' shape; a document names it so that a later shape can tell it apart. */
export const CONTRACT_VERSION = 1;

const version = z.literal(CONTRACT_VERSION).describe('The contract version; 1. Filled in when left out.');

/** Text with content: whitespace at the ends is trimmed by the repair, so an all-blank text is refused. */
const text = (description: string) => z.string().min(1, 'must hold text').describe(description);

const itemId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'an id: a letter, then letters, digits, dot, dash or underscore')
  .describe('An id the other parts of the task refer to (W1, AC-2, R3).');

const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a path relative to the repository root')
  .describe('A path relative to the repository root, with forward slashes.');

const level = z.enum(['low', 'medium', 'high']);

const fileChange = z.enum(['add', 'modify', 'delete', 'rename']);

/** Where two entries of one list share an id (or path), an issue at the later one. */
function unique<T>(
  items: readonly T[],
  key: (t: T) => string,
  at: (i: number) => (string | number)[],
  what: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((t, i) => {
    const k = key(t);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: at(i), message: `${what} ${k} is given twice` });
    seen.add(k);
  });
}

/** STRATEGIZE and SPEC: the problem, what solving it means, and how it is judged. */
export const problemSpecSchema = z
  .object({
    version,
    problem: text('The problem, in the words of the people who have it: what goes wrong today, for whom.'),
    objectives: z.array(text('One outcome the work must reach.')).min(1).describe('What solving the problem means.'),
    scope: z.array(text('One thing the work covers.')).min(1).describe('What the work covers.'),
    nonGoals: z
      .array(text('One thing the work leaves alone.'))
      .describe('What the work deliberately leaves out; an empty list says so.'),
    acceptanceCriteria: z
      .array(
        z
          .object({ id: itemId, criterion: text('A check a reviewer can run or read, with its expected outcome.') })
          .strict(),
      )
      .describe('How the work is judged done (SPEC); may be empty in STRATEGIZE.'),
    kpis: z.array(text('A measure and its target.')).optional().describe('The measures that show the effect.'),
  })
  .strict()
  .superRefine((d, ctx) =>
    unique(
      d.acceptanceCriteria,
      (c) => c.id,
      (i) => ['acceptanceCriteria', i, 'id'],
      'the criterion id',
      ctx,
    ),
  )
  .meta({
    title: 'ProblemSpec',
    description: 'The problem a task solves and how its result is judged (STRATEGIZE, SPEC).',
  });

/** PLAN: the work broken down into items, the files each item touches, and the tests to add. */
export const planSchema = z
  .object({
    version,
    workItems: z
      .array(
        z
          .object({
            id: itemId,
            title: text('What the item does, in a line.'),
            description: text('How, where a line is not enough.').optional(),
          })
          .strict(),
      )
      .min(1)
      .describe('The work breakdown: each item one reviewable step.'),
    fileMap: z
      .array(
        z
          .object({
            path: repoPath,
            change: fileChange.describe('What happens to the file.'),
            why: z.string().min(3).describe('Why the file changes.'),
            item: itemId.describe('The id of the work item the change serves.'),
          })
          .strict(),
      )
      .min(1)
      .describe(
        "The files the work changes, each with the work item it serves. Filled in from the phase's file_map.json when left out and that file names each entry's item.",
      ),
    testsToAdd: z
      .array(
        z
          .object({
            name: text('The test, as its runner will name it.'),
            path: repoPath.describe('The test file.'),
            item: itemId.describe('The id of the work item the test checks.'),
            covers: text('The behaviour the test pins.'),
          })
          .strict(),
      )
      .describe('The tests the work adds; an empty list only for a change no test can observe.'),
  })
  .strict()
  .superRefine((d, ctx) => {
    unique(
      d.workItems,
      (w) => w.id,
      (i) => ['workItems', i, 'id'],
      'the work item id',
      ctx,
    );
    unique(
      d.fileMap,
      (f) => f.path,
      (i) => ['fileMap', i, 'path'],
      'the path',
      ctx,
    );
    const ids = new Set(d.workItems.map((w) => w.id));
    d.fileMap.forEach((f, i) => {
      if (!ids.has(f.item))
        ctx.addIssue({ code: 'custom', path: ['fileMap', i, 'item'], message: `names no work item (${f.item})` });
    });
    d.testsToAdd.forEach((t, i) => {
      if (!ids.has(t.item))
        ctx.addIssue({ code: 'custom', path: ['testsToAdd', i, 'item'], message: `names no work item (${t.item})` });
    });
  })
  .meta({
    title: 'Plan',
    description: 'The plan of a task: work items, the files they touch, the tests to add (PLAN).',
  });

/** IMPLEMENT: the task's diff, summarised per file, each file with the plan item it serves. */
export const changeSetSchema = z
  .object({
    version,
    base: z
      .string()
      .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit id')
      .describe("The task's base commit. Filled in from the task when left out."),
    files: z
      .array(
        z
          .object({
            path: repoPath,
            status: z
              .enum(['added', 'modified', 'deleted', 'renamed'])
              .describe("What the diff does to the file. Filled in from the task's diff when left out."),
            planItem: itemId.describe("The id of the Plan's work item the change serves."),
            summary: text('What changed in the file and why, for a reviewer.'),
          })
          .strict(),
      )
      .min(1)
      .describe("Every file of the task's diff from its base commit, once."),
  })
  .strict()
  .superRefine((d, ctx) =>
    unique(
      d.files,
      (f) => f.path,
      (i) => ['files', i, 'path'],
      'the path',
      ctx,
    ),
  )
  .meta({
    title: 'ChangeSet',
    description: "The task's diff summarised per file, with the plan item each file serves (IMPLEMENT).",
  });

/** PR: what the pull request says. */
export const prSummarySchema = z
  .object({
    version,
    title: text('The pull request title.').refine((t) => !t.includes('\n'), 'one line'),
    summary: text('What the change does and why.'),
    changedFiles: z
      .array(repoPath)
      .describe("The files the task's diff changes, sorted. Filled in from the task's diff when left out."),
    testing: text('How the change was tested.'),
    risks: z.array(text('One risk the change carries.')).min(1).describe('What could go wrong.'),
    rollback: text('How to undo the change once merged.'),
  })
  .strict()
  .meta({ title: 'PRSummary', description: 'The summary of a pull request (PR).' });

/** THINK and REVIEW: the risks, what mitigates each, and the way back. */
export const riskReportSchema = z
  .object({
    version,
    risks: z
      .array(
        z
          .object({
            id: itemId,
            risk: text('What could go wrong, and for whom.'),
            likelihood: level,
            impact: level,
          })
          .strict(),
      )
      .min(1)
      .describe('The risks of the change.'),
    mitigations: z
      .array(
        z
          .object({
            risk: itemId.describe('The id of the risk mitigated.'),
            action: text('What is done about it.'),
          })
          .strict(),
      )
      .min(1)
      .describe('At least one for every risk.'),
    rollback: z
      .object({
        plan: text('How the change is undone.'),
        steps: z.array(text('One step, in order.')).min(1),
      })
      .strict()
      .describe('The way back.'),
  })
  .strict()
  .superRefine((d, ctx) => {
    unique(
      d.risks,
      (r) => r.id,
      (i) => ['risks', i, 'id'],
      'the risk id',
      ctx,
    );
    const ids = new Set(d.risks.map((r) => r.id));
    d.mitigations.forEach((m, i) => {
      if (!ids.has(m.risk))
        ctx.addIssue({ code: 'custom', path: ['mitigations', i, 'risk'], message: `names no risk (${m.risk})` });
    });
    const mitigated = new Set(d.mitigations.map((m) => m.risk));
    d.risks.forEach((r, i) => {
      if (!mitigated.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['risks', i], message: `risk ${r.id} has no mitigation` });
    });
  })
  .meta({
    title: 'RiskReport',
    description: 'The risks of a change, their mitigations, and its rollback (THINK, REVIEW).',
  });

export type ProblemSpec = z.infer<typeof problemSpecSchema>;
export type Plan = z.infer<typeof planSchema>;
export type ChangeSet = z.infer<typeof changeSetSchema>;
export type PRSummary = z.infer<typeof prSummarySchema>;
export type RiskReport = z.infer<typeof riskReportSchema>;

/** Each contract's schema, by name. */
export const CONTRACT_SCHEMAS = {
  ProblemSpec: problemSpecSchema,
  Plan: planSchema,
  ChangeSet: changeSetSchema,
  PRSummary: prSummarySchema,
  RiskReport: riskReportSchema,
} as const satisfies Record<ContractType, z.ZodType>;

/** The file a contract's published JSON Schema is written to (`schemas/` in the package, `.autopilot/schemas/`). */
export function contractSchemaFile(type: ContractType): string {
  return `${CONTRACT_FILE_STEMS[type]}.schema.json`;
}

/** The file stem of each contract: its schema file's and the artifact name the docs suggest (`plan.json`). */
export const CONTRACT_FILE_STEMS: Readonly<Record<ContractType, string>> = {
  ProblemSpec: 'problem_spec',
  Plan: 'plan',
  ChangeSet: 'change_set',
  PRSummary: 'pr_summary',
  RiskReport: 'risk_report',
};

/** The published JSON Schema (2020-12) of a contract, generated from its zod schema. */
export function contractJsonSchema(type: ContractType): Record<string, unknown> {
  const schema = z.toJSONSchema(CONTRACT_SCHEMAS[type], { io: 'input', target: 'draft-2020-12' });
  return { ...schema, $id: `urn:autopilot:contract:${CONTRACT_FILE_STEMS[type]}:v${CONTRACT_VERSION}` };
}
