/**
 * @module The process as data: the config schema, the defaults of the product
 * contract, and validation that names the exact key at fault.
 */
import { personaSpecSchema, personaVariantSchema, overlaySchema, skillSchema } from './persona.ts';
import { SHIPPED_OVERLAYS, SHIPPED_PERSONAS, SHIPPED_SKILLS } from './persona-library.ts';
import { z } from 'zod';
import {
  DEFAULT_PHASES,
  defaultRoles,
  OPTIONAL_ROLES,
  type OptionalRole,
  type Phase,
  type PhaseRoles,
} from './phases.ts';
import { ErrorCode, refuse, ok, type Result } from './errors.ts';
import { policiesConfigSchema } from './policy/cedar.ts';
import { gatesConfigSchema } from './gates.ts';
import { toolPolicySchema } from './policy/policy.ts';
import { COVERAGE_FORMATS, TEST_REPORT_FORMATS } from './report-formats.ts';
import { CHECKS, type CheckName } from './checks.ts';
import { isSpdxExpression } from './supply/licenses.ts';
import { CONTRACT_TYPES } from './contracts/schemas.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

const sectionRule = z
  .object({
    heading: z.string().min(1),
    /** Words of prose the section needs when it has no list. */
    minWords: z.number().int().min(0).default(8),
    /** When true the section must hold a list of at least `minItems` items. */
    list: z.boolean().default(false),
    minItems: z.number().int().min(1).default(1),
  })
  .strict();

const jsonAssertion = z
  .object({
    path: z.string().min(1),
    op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']),
    value: z.union([z.number(), z.string(), z.boolean()]),
    /** What the agent should do when the assertion fails. */
    hint: z.string().optional(),
  })
  .strict();

const artifactName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name: letters, digits, dot, dash, underscore');

const share = z.number().min(0).max(1);

/** Markdown: every section needs words of its own, not one word or one phrase over and over. */
const distinctWordsCheck = z
  .object({
    /** Distinct content words a section needs (half its content words when it has fewer than twice this many). */
    minDistinct: z.number().int().min(1).default(4),
    /** The largest share of a section's content words that one word may take, in sections of 8 content words or more. */
    maxShare: share.default(0.34),
    /** Distinct content words over the square root of all of them, in sections of 30 content words or more. */
    minRichness: z.number().min(0).default(2.5),
  })
  .strict();

/** Markdown: no section may repeat another section of the same document. */
const repeatedSectionsCheck = z
  .object({
    /** The largest share of the smaller section's 3-word runs that may also occur in the other (headings' words aside). */
    maxOverlap: share.default(0.5),
  })
  .strict();

/** Where copied text is looked for. */
export const COPY_SOURCES = ['template', 'readme', 'earlier'] as const;
export type CopySourceKind = (typeof COPY_SOURCES)[number];

/** Markdown: no section may be (near-)verbatim text the agent had at hand. */
const copiedTextCheck = z
  .object({
    /** The largest share of a section's 5-word runs that may occur in one source. */
    maxContainment: share.default(0.5),
    /**
     * template: the phase prompts Autopilot gives (every phase's); readme: the repository's README;
     * earlier: the files of the same name of the tasks started before this one.
     */
    sources: z.array(z.enum(COPY_SOURCES)).default([...COPY_SOURCES]),
    /** How many earlier tasks (the most recent first) are compared. */
    earlierTasks: z.number().int().min(0).max(500).default(50),
  })
  .strict();

/**
 * The task's spec must name something this artifact touches: a file map (JSON with `files: [{path, why}]`) or a diff.
 * Checked in the gate of the phase that holds this artifact, against the task's copy of `artifact`.
 */
const groundingCheck = z
  .object({
    /** The artifact holding the criteria, from an earlier phase of the task. */
    artifact: artifactName.default('spec.md'),
    /** Its section whose text must name something this artifact touches. */
    section: z.string().min(1).default('Acceptance Criteria'),
  })
  .strict();

/** A check that is on with its settings, `true` for its defaults, or `false` for off. */
const orOff = <T extends z.ZodObject>(check: T) =>
  z.union([z.literal(false), z.literal(true).transform(() => check.parse({}) as z.output<T>), check]);

const artifactRule = z
  .object({
    name: artifactName,
    producer: z.enum(['agent', 'autopilot']).default('agent'),
    required: z.boolean().default(true),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(64 * MiB)
      .optional(),
    /** Markdown: headings that must be present, each followed by real content. */
    sections: z.array(sectionRule).default([]),
    /** Words the whole document needs (Markdown and text). */
    minWords: z.number().int().min(0).default(0),
    /** JSON: a JSON Schema the document must satisfy. */
    schema: z.record(z.string(), z.unknown()).optional(),
    /** JSON: values at dotted paths compared with a constant. */
    assert: z.array(jsonAssertion).default([]),
    /** Regular expressions the text must match / must not match. */
    mustMatch: z.array(z.string()).default([]),
    mustNotMatch: z.array(z.string()).default([]),
    /** Markdown: the degenerate-evidence checks, each on with its defaults unless `false` (see parseConfig). */
    distinctWords: orOff(distinctWordsCheck).optional(),
    repeatedSections: orOff(repeatedSectionsCheck).optional(),
    copiedText: orOff(copiedTextCheck).optional(),
    /** The spec's criteria must name something this artifact (a file map, a diff) touches; off unless given. */
    groundedIn: orOff(groundingCheck).optional(),
    /**
     * JSON: the typed contract the document meets (ProblemSpec, Plan, ChangeSet, PRSummary, RiskReport). Added with
     * `evidence add`, it is normalised (each repair recorded) or refused naming the field; the gate takes only its
     * normal form. Optional without a default, so that configs written before it keep their digest.
     */
    contract: z.enum(CONTRACT_TYPES).optional(),
    /**
     * On a Plan contract: what the implement phase's gate does with a changed file no work item names. `report`
     * (the default) lists it in modified_files.json; `refuse` also fails the gate.
     */
    unplannedFiles: z.enum(['report', 'refuse']).optional(),
  })
  .strict();

const command = z
  .object({
    run: z.array(z.string().min(1)).min(1),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(600),
    /** Environment variables passed through to the command; everything else is cleared. */
    env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    /** Whether the command may reach the network inside the sandbox. */
    network: z.boolean().default(false),
  })
  .strict();

const reportPath = z.string().min(1);

/** The arguments of `verify.impactedFirst` that become the impacted test files, or their folders as `./dir`. */
export const IMPACTED_FILES = '{files}';
export const IMPACTED_PACKAGES = '{packages}';

const testCommand = command
  .extend({
    /** Shorthand for `report: {format: junit, path}`: JUnit XML the test command writes, relative to the repository root. */
    junit: reportPath.optional(),
    /** Shorthand for `coverage: {format: lcov, path}`: lcov file the test command writes, relative to the repository root. */
    lcov: reportPath.optional(),
    /** The test report the command writes, in any supported format. */
    report: z
      .object({ format: z.enum(TEST_REPORT_FORMATS), path: reportPath })
      .strict()
      .optional(),
    /** The coverage report the command writes, in any supported format, with how its paths map to the repository. */
    coverage: z
      .object({
        format: z.enum(COVERAGE_FORMATS),
        path: reportPath,
        /** Repository-relative folder the report's relative paths are under (JaCoCo's package paths, a Go module's folder). */
        sourceRoot: z.string().min(1).optional(),
        /** Go module path whose files live in the repository (`go`): `example.com/mod/pkg/a.go` becomes `pkg/a.go`. */
        modulePrefix: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.junit !== undefined && t.report !== undefined)
      ctx.addIssue({ code: 'custom', path: ['report'], message: 'give junit or report, not both' });
    if (t.junit === undefined && t.report === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['report'],
        message: 'the test command needs a report to read: report: {format, path} (or junit: PATH)',
      });
    if (t.lcov !== undefined && t.coverage !== undefined)
      ctx.addIssue({ code: 'custom', path: ['coverage'], message: 'give lcov or coverage, not both' });
  });

const namedCommand = command.extend({ name: z.string().min(1) });

/** Code files by extension: what counts as source where init could not name the source folders. */
export const CODE_EXTENSIONS = [
  'js',
  'mjs',
  'cjs',
  'jsx',
  'ts',
  'mts',
  'cts',
  'tsx',
  'py',
  'go',
  'java',
  'kt',
  'rs',
  'rb',
  'php',
  'cs',
  'c',
  'h',
  'cc',
  'cpp',
  'hpp',
  'swift',
  'scala',
] as const;

/** Source globs of a config that names none: every code file (test files are told apart by {@link DEFAULT_TEST_GLOBS}). */
export const DEFAULT_SOURCE_GLOBS: readonly string[] = CODE_EXTENSIONS.map((x) => `**/*.${x}`);

/** Test globs of a config that names none: the layouts of the common test runners. */
export const DEFAULT_TEST_GLOBS: readonly string[] = [
  '**/*.test.*',
  '**/*.spec.*',
  '**/*_test.go',
  '**/test_*.py',
  '**/*_test.py',
  '**/conftest.py',
  '**/test/**',
  '**/tests/**',
  '**/__tests__/**',
  '**/spec/**',
  '**/testdata/**',
];

/** The values of `verify.mutation.engine`. */
export const MUTATION_ENGINES = ['auto', 'stryker', 'autopilot'] as const;

const mutationSchema = z
  .object({
    /** Run mutants at all. */
    enabled: z.boolean().default(true),
    /** Mutants a VERIFY runs at most, each a full run of the test command. */
    maxMutants: z.number().int().min(1).max(1000).default(5),
    /** Time all the mutants of one VERIFY may take together; what does not fit is recorded as not run. */
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(120),
    /** Minimum mutation score, percent of the mutants that ran and were killed; under it VERIFY fails. 0: survivors only need a person. */
    threshold: z.number().min(0).max(100).default(0),
    /**
     * Who makes the mutants: `stryker` (StrykerJS, for JavaScript/TypeScript tested by vitest, jest or mocha),
     * `autopilot` (Autopilot's own line mutations, any language) or `auto` (Stryker where it applies). Optional
     * without a default, like `waive`, so that configs written before it keep their digest; absent means `auto`.
     */
    engine: z.enum(MUTATION_ENGINES).optional(),
  })
  .strict();

/** How a VERIFY's mutants are made, as `verify.mutation.engine` names it. */
export type MutationEngineSetting = (typeof MUTATION_ENGINES)[number];

const DEFAULT_MUTATION = { enabled: true, maxMutants: 5, timeoutSeconds: 120, threshold: 0 };

/** The mutation settings of `verify.mutation`. */
export type MutationSettings = z.infer<typeof mutationSchema>;

const commandsSchema = z
  .object({
    build: command.optional(),
    test: testCommand.optional(),
    lint: command.optional(),
    smoke: z.array(namedCommand).default([]),
    ci: z.array(namedCommand).default([]),
  })
  .strict();

/** The commands section as a person writes it (defaults not yet filled in). */
export type CommandsInput = z.input<typeof commandsSchema>;

/** An ISO calendar date, `YYYY-MM-DD`, that exists. */
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => {
    // Date.parse rolls some impossible days over (or gives NaN): only a date that reads back the same exists.
    const t = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
  }, 'not a date of the calendar');

/** One licence of an allow or deny list: an SPDX id (`MIT`, `GPL-2.0+`, `Apache-2.0 WITH LLVM-exception`), no AND/OR. */
const spdxId = z
  .string()
  .trim()
  .refine(
    (id) => isSpdxExpression(id) && !/\s(AND|OR)\s/i.test(id),
    'an SPDX licence id such as MIT or Apache-2.0 (one id, not an AND/OR expression; see https://spdx.org/licenses/)',
  );

const supplyChainSchema = z
  .object({
    /** The OSV database: a folder of OSV JSON records, or a zip of them (osv.dev's per-ecosystem all.zip), relative to the repository. */
    osv: z.string().trim().min(1, 'the path of an OSV folder or zip'),
    /** The lowest severity that fails VERIFY. A finding without a severity counts as critical. */
    failOn: z.enum(['low', 'medium', 'high', 'critical']).default('high'),
    /** Known vulnerabilities a person accepts: by OSV id or alias (CVE, GHSA), with the reason and the last day it counts. */
    accept: z
      .array(
        z
          .object({
            id: z.string().trim().min(1),
            reason: z.string().trim().min(3, 'an acceptance needs its reason, in a few words'),
            expires: isoDate,
          })
          .strict(),
      )
      .default([]),
    /**
     * `npm audit --json` as a second source of findings for each package-lock.json: true (when the registry cannot
     * be reached, the evidence records that it did not run, and why) or `required` (VERIFY fails then). Off unless set.
     */
    npmAudit: z.union([z.boolean(), z.literal('required')]).optional(),
    /** The licence policy: SPDX ids allowed and denied, and what a package without a readable licence does. */
    licenses: z
      .object({
        allow: z.array(spdxId).default([]),
        deny: z.array(spdxId).default([]),
        unknown: z.enum(['fail', 'warn']).default('warn'),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The longest a health check may be waited for: six hours. */
const MAX_WITHIN_S = 21_600;

/**
 * A duration in seconds from the config's notation: a whole number of seconds, or a string `90s`, `10m`, `1h`;
 * undefined for anything else.
 */
export function durationSeconds(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const m = /^(\d{1,6})(s|m|h)$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

const healthCheckSchema = z
  .object({
    /** What the check is called in messages; the URL when absent. */
    name: z.string().min(1).max(100).optional(),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL')
      .refine((u) => URL.canParse(u), 'an http(s) URL'),
    expect: z
      .object({
        status: z.number().int().min(100).max(599).default(200),
        bodyContains: z.string().min(1).optional(),
      })
      .strict()
      .default({ status: 200 }),
    within: z
      .union([z.number(), z.string()])
      .refine((v) => {
        const s = durationSeconds(v);
        return s !== undefined && s <= MAX_WITHIN_S;
      }, 'a duration up to 6h: seconds (600) or 90s, 10m, 1h')
      .default('10m'),
    /** Seconds between two tries while the check is not yet as expected (default 10). */
    pollSeconds: z.number().int().min(1).max(600).optional(),
  })
  .strict();

const deploymentsSchema = z
  .object({
    /** The environments that must have a successful deployment of the commit (default: every one it went to). */
    environments: z.array(z.string().min(1).max(200)).default([]),
    within: z
      .union([z.number(), z.string()])
      .refine((v) => {
        const s = durationSeconds(v);
        return s !== undefined && s <= MAX_WITHIN_S;
      }, 'a duration up to 6h: seconds (600) or 90s, 10m, 1h')
      .default('10m'),
    pollSeconds: z.number().int().min(1).max(600).optional(),
  })
  .strict();

/** `monitor.deployments`. */
export type DeploymentsSpec = z.infer<typeof deploymentsSchema>;

/** One of `monitor.health`. */
export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;

/** The `supplyChain` settings. */
export type SupplyChainSettings = z.infer<typeof supplyChainSchema>;

const configSchema = z
  .object({
    version: z.literal(1).default(1),
    stateDir: z.string().min(1).default('.autopilot'),
    phases: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'upper-case identifier'))
      .min(2)
      .default([...DEFAULT_PHASES]),
    process: z
      .object({
        /** Phases that may send a task back; `any` allows every phase but the first. */
        backtrackFrom: z.union([z.literal('any'), z.array(z.string())]).default('any'),
      })
      .strict()
      .default({ backtrackFrom: 'any' }),
    /** Which phase plays each part of the process (see `PhaseRoles`); a role left out takes its default. */
    roles: z
      .object({
        implement: z.string().nullable().optional(),
        verify: z.string().nullable().optional(),
        review: z.string().nullable().optional(),
        ci: z.string().nullable().optional(),
        monitor: z.string().nullable().optional(),
        seal: z.string().optional(),
      })
      .strict()
      .default({}),
    evidence: z.record(z.string(), z.array(artifactRule)).default({}),
    commands: commandsSchema.default({ smoke: [], ci: [] }),
    verify: z
      .object({
        /** Minimum line coverage, percent, of the lines the task changed. */
        coverageThreshold: z.number().min(0).max(100).default(80),
        /**
         * `compare`: total coverage must not fall below the base commit's, when a
         * VERIFY recorded in the ledger measured the base commit's tree. `off`: no such check.
         */
        baseCoverage: z.enum(['compare', 'off']).default('compare'),
        /** Globs of the repository's source files: their changed lines need tests that run them. */
        sources: z.array(z.string().min(1)).default([...DEFAULT_SOURCE_GLOBS]),
        /** Globs of its test files (they win over `sources`): they never count toward changed-lines coverage. */
        tests: z.array(z.string().min(1)).default([...DEFAULT_TEST_GLOBS]),
        /** Mutants of a sample of the changed lines, each a re-run of the test command: a survivor is a finding. */
        mutation: mutationSchema.default(DEFAULT_MUTATION),
        /**
         * A command that runs only the tests reaching the change (the atlas's impact), before the full suite: an
         * argument `{files}` becomes the impacted test files, `{packages}` their folders as `./dir` (Go). A failure
         * ends VERIFY there, failed, without the full suite. Optional without a default, so that configs written
         * before it keep their digest.
         */
        impactedFirst: command
          .refine((c) => c.run.some((a) => a === IMPACTED_FILES || a === IMPACTED_PACKAGES), {
            message: `give an argument that is exactly ${IMPACTED_FILES} or ${IMPACTED_PACKAGES}: it becomes the impacted test files or their packages`,
            path: ['run'],
          })
          .optional(),
      })
      .strict()
      .default({
        coverageThreshold: 80,
        baseCoverage: 'compare',
        sources: [...DEFAULT_SOURCE_GLOBS],
        tests: [...DEFAULT_TEST_GLOBS],
        mutation: DEFAULT_MUTATION,
      }),
    limits: z
      .object({
        maxEvidenceBytes: z
          .number()
          .int()
          .min(1)
          .max(256 * MiB)
          .default(4 * MiB),
        maxLogBytes: z
          .number()
          .int()
          .min(1)
          .max(256 * MiB)
          .default(2 * MiB),
      })
      .strict()
      .default({ maxEvidenceBytes: 4 * MiB, maxLogBytes: 2 * MiB }),
    /** Tool policy: capabilities per phase, what a person may approve, third-party MCP servers. */
    tools: toolPolicySchema.default({ phases: {}, ask: [], mcpServers: {} }),
    /** Policy as code: the modes of the repository's Cedar policies, and their text (see core/policy/cedar.ts). */
    policies: policiesConfigSchema.optional(),
    /** The mode of each of the CI gate's five gates (`g0`…`g5`: enforce, observe, off), enforce when left out (core/gates.ts). */
    gates: gatesConfigSchema.optional(),
    attest: z
      .object({
        /** Instruction files whose content is attested, as globs relative to the repository root. */
        files: z
          .array(z.string().min(1))
          .default([
            'AGENTS.md',
            'CLAUDE.md',
            '.claude/**/*.md',
            '.cursor/rules/**',
            '.github/copilot-instructions.md',
          ]),
        /** Phases in which drift blocks a move (PROMPT_DRIFT); elsewhere it is a warning. */
        blockIn: z.array(z.string()).default(['VERIFY', 'REVIEW', 'MONITOR']),
      })
      .strict()
      .default({
        files: ['AGENTS.md', 'CLAUDE.md', '.claude/**/*.md', '.cursor/rules/**', '.github/copilot-instructions.md'],
        blockIn: ['VERIFY', 'REVIEW', 'MONITOR'],
      }),
    leases: z
      .object({
        mode: z.enum(['implicit', 'explicit', 'off']).default('implicit'),
        ttlSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 3600)
          .default(300),
      })
      .strict()
      .default({ mode: 'implicit', ttlSeconds: 300 }),
    /**
     * The watchdog: a task refused `refusals` times in a row for the same reason in one phase visit, or that has not
     * moved forward for `idleMinutes` (0: never), is held for a person, with a loop diary in its journal.
     */
    watchdog: z
      .object({
        refusals: z.number().int().min(2).max(1000).default(3),
        idleMinutes: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 60)
          .default(90),
      })
      .strict()
      .default({ refusals: 3, idleMinutes: 90 }),
    /** Where the ledger, leases and approvals live: `sqlite` (the embedded store) or a `postgres://` URL. AUTOPILOT_STORE overrides it. */
    store: z
      .string()
      .regex(
        /^(sqlite|sqlite:.+|postgres(ql)?:\/\/.+)$/,
        'sqlite, sqlite:<path> or a postgres://user@host/database URL',
      )
      .default('sqlite'),
    /** The sandbox evidence commands run in. */
    sandbox: z
      .object({
        /** required: refuse to run without bubblewrap; preferred: run unsandboxed (and say so) when it is missing; off. */
        mode: z.enum(['required', 'preferred', 'off']).default('preferred'),
        /** readonly: the repository is bound read-only; copy: commands run on a scratch copy of it. */
        workspace: z.enum(['readonly', 'copy']).default('copy'),
        /**
         * In a copy: bind (installed dependencies, node_modules, are bound read-only rather than copied, with tmpfs
         * caches; the default) or copy (copied with the rest, for a build that writes into them). No default is
         * written, so configs written before it keep their digest.
         */
        dependencies: z.enum(['bind', 'copy']).optional(),
        memoryMb: z
          .number()
          .int()
          .min(16)
          .max(1024 * 1024)
          .default(4096),
        maxProcesses: z.number().int().min(1).max(1_000_000).default(1024),
      })
      .strict()
      .default({ mode: 'preferred', workspace: 'copy', memoryMb: 4096, maxProcesses: 1024 }),
    /** Alert rules `autopilot alerts` evaluates: a metric or counter compared with a threshold over a window. */
    alerts: z
      .array(
        z
          .object({
            name: z.string().min(1),
            metric: z.string().min(1),
            op: z.enum(['gt', 'gte', 'lt', 'lte']),
            threshold: z.number(),
            windowHours: z.number().positive().default(24),
          })
          .strict(),
      )
      .default([]),
    /** The service-level figures of `autopilot slo`: when a phase counts as a loop, when an active task counts as stuck. */
    slo: z
      .object({
        /** A task loops when it entered one phase more than this many times. */
        loopThreshold: z.number().int().min(1).default(3),
        /** An active task is stuck once this long has passed without an entry other than a refusal. */
        stuckAfterHours: z.number().positive().default(24),
      })
      .strict()
      .default({ loopThreshold: 3, stuckAfterHours: 24 }),
    /** Which moves need a person, and how risk is computed from a task's diff. */
    approvals: z
      .object({
        /** Moves into these phases need an approval when the task's risk is at least `minRisk`. */
        enter: z.array(z.string()).default(['PR']),
        minRisk: z.enum(['low', 'medium', 'high']).default('high'),
        /** Extra globs that make a change high-risk. */
        riskyPaths: z.array(z.string()).default([]),
        /** A diff larger than this many changed lines is high-risk. */
        maxLines: z.number().int().min(1).default(500),
        /**
         * A diff over this many files needs a person where the policy pack's diff caps are on (`pack.diff-caps`);
         * 50 when absent. No default is filled in, so that configs without it keep their digest.
         */
        maxFiles: z.number().int().min(1).optional(),
        /**
         * `person` (the default when absent): a move that relies on a waiver (`waive:`) needs a person's approval;
         * `none`: the waiver is recorded and needs no one. No default is filled in, so that configs written before
         * waivers existed keep their digest (the contract a task adopted is compared by it).
         */
        waivers: z.enum(['person', 'none']).optional(),
      })
      .strict()
      .default({ enter: ['PR'], minRisk: 'high', riskyPaths: [], maxLines: 500 }),
    /**
     * REVIEW is not self-review: who may write the review phase's rubric (`by`: person, agent or either; never a hand
     * that worked the implement phase). Optional without defaults filled in, like `approvals.waivers`, so that configs
     * written before keep their digest; `reviewRules` (core/review.ts) fills in by: either, REVIEW, review_rubric.json,
     * IMPLEMENT.
     */
    review: z
      .object({
        by: z.enum(['person', 'agent', 'either']).optional(),
        phase: z.string().optional(),
        artifact: z.string().min(1).optional(),
        of: z.string().optional(),
      })
      .strict()
      .optional(),
    /**
     * MONITOR's health checks: each URL is asked with GET until it answers as expected (`expect.status`, default 200,
     * and `expect.bodyContains` when given) or `within` has passed; the results go into `deployment_status.json`, and
     * one that never answered as expected keeps the task in MONITOR. Optional without a default, so that configs
     * written before it keep their digest.
     */
    monitor: z
      .object({
        health: z.array(healthCheckSchema).default([]),
        /**
         * The forge's deployments of the task's head commit (GitHub deployments and their statuses, GitLab
         * deployments): each environment named (every one the commit went to, when none is) must have succeeded.
         */
        deployments: deploymentsSchema.optional(),
        /** Where an unhealthy result proposes to send the task back (default: the implement role's phase). */
        backtrackTo: z.string().optional(),
      })
      .strict()
      .optional(),
    /**
     * How PR reaches the outside world. Absent (or `mode: manual`): the agent writes `pr_url.txt`, as before.
     * `mode: git` (git-only mode, for a repository without a forge): entering PR decides a push of the task branch
     * to `remote`, which the outbox sends; PR's evidence is then `pushed_commit.json`, written by Autopilot, and no
     * PR URL. `mode: github`: after the push, Autopilot opens (or updates) the pull request, posts the evidence comment
     * and sets a commit status, writes `pr_url.txt` from GitHub's answer and reads `ci_results.json` from the checks of
     * the PR's head commit. `mode: gitlab` and `mode: gitea` do the same with a merge request on GitLab and a pull
     * request on Gitea or Forgejo. `mode: auto`: the forge the remote's host runs (github.com, gitlab.com, or a host
     * named in `forges`), git otherwise. Optional without a default, like `waive`, so that configs written before it
     * keep their digest; the new keys have none either.
     */
    pr: z
      .object({
        mode: z.enum(['manual', 'git', 'github', 'gitlab', 'gitea', 'auto']).default('manual'),
        remote: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
            'a git remote name (letters, digits, . _ / -), not a URL or an option',
          )
          .default('origin'),
        /** The branch the pull request targets; the forge's default branch when absent. */
        base: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a branch name (letters, digits, . _ / -)')
          .optional(),
        /** `owner/name` on the forge (GitLab: `group/sub/name`); read from the remote's URL when absent. */
        repository: z
          .string()
          .regex(
            /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/,
            'owner/name, as in github.com/owner/name (GitLab: group/subgroup/name)',
          )
          .optional(),
        /**
         * The forge's REST API; by default https://api.github.com, or `https://<remote host>/api/v4` (GitLab) and
         * `/api/v1` (Gitea, Forgejo). GitHub Enterprise: https://host/api/v3.
         */
        apiUrl: z
          .string()
          .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL')
          .optional(),
        /**
         * The forge each self-hosted host runs, for `mode: auto` (`git.example.com: gitea`; `host:port` when the
         * remote names a port). github.com and gitlab.com are known without it.
         */
        forges: z
          .record(
            z.string().regex(/^[A-Za-z0-9.-]+(?::\d+)?$/, 'a host name, or host:port, as the remote URL names it'),
            z.enum(['github', 'gitlab', 'gitea']),
          )
          .optional(),
        /**
         * Who is asked to review the pull request once it is open (user logins), and which teams (slugs: GitHub's
         * `team-slug`, Gitea's team name; GitLab has no team reviewers). Optional without a default, like the rest.
         */
        reviewers: z
          .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a user login (letters, digits, . _ -)'))
          .max(50)
          .optional(),
        teamReviewers: z
          .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a team slug (letters, digits, . _ -)'))
          .max(50)
          .optional(),
        /** Checks of the PR's head commit that must be reported green before the task may leave PR. */
        requiredChecks: z.array(z.string().min(1)).optional(),
        /**
         * How long leaving PR waits for the checks to finish (default 600), and how often it asks (default 15; a
         * fraction of a second allowed, down to 0.1).
         */
        ciTimeoutSeconds: z.number().int().min(0).max(21600).optional(),
        ciPollSeconds: z.number().min(0.1).max(600).optional(),
      })
      .strict()
      .optional(),
    /**
     * The supply-chain check of VERIFY: SBOMs of the base and the head from their lockfiles, the dependency diff, and
     * the head's known vulnerabilities from an offline OSV database. Optional without a default: a config without it
     * keeps its digest, and VERIFY then reads no lockfile.
     */
    supplyChain: supplyChainSchema.optional(),
    /**
     * Who the agent is told to be in each phase: `byPhase` names a persona (shipped or one of `custom`), `overlays`
     * and `skills` add the repository's own domain overlays and skill packs (winning over shipped ones of the same
     * id), `budgetTokens` bounds the compiled prompt. Absent: the shipped persona that serves each phase, within
     * 6,000 tokens.
     */
    personas: z
      .object({
        byPhase: z.record(z.string(), z.string()).default({}),
        custom: z.array(personaSpecSchema).default([]),
        overlays: z.array(overlaySchema).default([]),
        // Optional without a default, like every key added later: a config without it keeps its digest.
        skills: z.array(skillSchema).optional(),
        /** Prompt variants by persona id, each with a sampling weight; a task gets one per persona, by its id. */
        variants: z.record(z.string(), z.array(personaVariantSchema).min(1).max(16)).optional(),
        budgetTokens: z.number().int().min(500).max(200_000).default(6000),
      })
      .strict()
      .optional(),
    /**
     * Observer hints: the finished tasks most like this one, and what went wrong in them, told to the agent in these
     * phases (default: STRATEGIZE and THINK, where there are such phases). Advice only: not part of the contract.
     */
    similarTasks: z
      .object({
        phases: z.array(z.string()).optional(),
        limit: z.number().int().min(1).max(50).optional(),
        minScore: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /**
     * Checks left unconfigured on purpose, each with the reason: without a waiver an unconfigured check blocks its
     * phase (WAIVER_REQUIRED). Optional without a default, like `approvals.waivers`, for the same reason.
     */
    waive: z
      .object(
        Object.fromEntries(
          CHECKS.map((c) => [c, z.string().trim().min(3, 'a waiver needs its reason, in a few words').optional()]),
        ) as Record<CheckName, z.ZodOptional<z.ZodString>>,
      )
      .strict()
      .optional(),
  })
  .strict();

export type SectionRule = z.infer<typeof sectionRule>;
export type DistinctWordsCheck = z.infer<typeof distinctWordsCheck>;
export type RepeatedSectionsCheck = z.infer<typeof repeatedSectionsCheck>;
export type CopiedTextCheck = z.infer<typeof copiedTextCheck>;
export type GroundingCheck = z.infer<typeof groundingCheck>;
export type JsonAssertion = z.infer<typeof jsonAssertion>;
export type ArtifactRule = z.infer<typeof artifactRule>;
export type CommandSpec = z.infer<typeof command>;
export type TestCommandSpec = z.infer<typeof testCommand>;
export type NamedCommandSpec = z.infer<typeof namedCommand>;
type ParsedConfig = z.infer<typeof configSchema>;

/** The validated config with every default filled in, evidence contract included for every phase. */
export interface Config extends Omit<ParsedConfig, 'evidence' | 'roles'> {
  readonly evidence: Readonly<Record<Phase, readonly ArtifactRule[]>>;
  /** Which phase verifies and which seals the bundle, defaults filled in. */
  readonly roles: PhaseRoles;
}

const section = (heading: string, extra: Partial<SectionRule> = {}): SectionRule => ({
  heading,
  minWords: 8,
  list: false,
  minItems: 1,
  ...extra,
});

/** True for an artifact validated as Markdown (`.md`, `.markdown`). */
export function isMarkdownName(name: string): boolean {
  return /\.(md|markdown)$/i.test(name);
}

/** The degenerate-evidence checks with their defaults, as every Markdown artifact gets them unless its rule says `false`. */
export const DEFAULT_CONTENT_CHECKS: {
  readonly distinctWords: DistinctWordsCheck;
  readonly repeatedSections: RepeatedSectionsCheck;
  readonly copiedText: CopiedTextCheck;
} = {
  distinctWords: distinctWordsCheck.parse({}),
  repeatedSections: repeatedSectionsCheck.parse({}),
  copiedText: copiedTextCheck.parse({}),
};

/** The default grounding: the spec's Acceptance Criteria. */
export const DEFAULT_GROUNDING: GroundingCheck = groundingCheck.parse({});

/**
 * A Markdown rule with each content check it leaves out set to its default. Each rule gets copies of its own, so
 * that the config init writes out spells every rule's settings out rather than aliasing one shared object.
 */
function withContentChecks(rule: ArtifactRule): ArtifactRule {
  if (!isMarkdownName(rule.name)) return rule;
  const d = DEFAULT_CONTENT_CHECKS;
  return {
    ...rule,
    distinctWords: rule.distinctWords ?? { ...d.distinctWords },
    repeatedSections: rule.repeatedSections ?? { ...d.repeatedSections },
    copiedText: rule.copiedText ?? { ...d.copiedText, sources: [...d.copiedText.sources] },
  };
}

const artifact = (name: string, extra: Partial<ArtifactRule> = {}): ArtifactRule =>
  withContentChecks({
    name,
    producer: 'agent',
    required: true,
    sections: [],
    minWords: 0,
    assert: [],
    mustMatch: [],
    mustNotMatch: [],
    ...extra,
  });

const FILE_MAP_SCHEMA = {
  type: 'object',
  required: ['files'],
  properties: {
    files: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['path', 'change', 'why'],
        properties: {
          path: { type: 'string', minLength: 1 },
          change: { enum: ['add', 'modify', 'delete', 'rename'] },
          why: { type: 'string', minLength: 3 },
        },
      },
    },
  },
} as const;

/** The dimensions of the default review rubric, each passed with notes. */
export const RUBRIC_DIMENSIONS = ['readability', 'maintainability', 'performance', 'security', 'governance'] as const;
const RUBRIC_SCHEMA = {
  type: 'object',
  required: ['dimensions'],
  properties: {
    dimensions: {
      type: 'object',
      required: [...RUBRIC_DIMENSIONS],
      properties: Object.fromEntries(
        RUBRIC_DIMENSIONS.map((d) => [
          d,
          {
            type: 'object',
            required: ['pass', 'notes'],
            properties: { pass: { const: true }, notes: { type: 'string', minLength: 10 } },
          },
        ]),
      ),
    },
  },
} as const;

/** The default evidence contract of the product brief, phase by phase. */
export const DEFAULT_EVIDENCE: Readonly<Record<string, readonly ArtifactRule[]>> = {
  STRATEGIZE: [
    artifact('strategy.md', {
      sections: ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'].map((h) => section(h)),
    }),
  ],
  SPEC: [
    artifact('spec.md', {
      sections: [section('Acceptance Criteria', { list: true }), section('KPIs', { minWords: 3 })],
    }),
  ],
  PLAN: [
    artifact('plan.md', { sections: [section('Work Breakdown', { list: true })] }),
    artifact('file_map.json', {
      schema: FILE_MAP_SCHEMA as unknown as Record<string, unknown>,
      groundedIn: { ...DEFAULT_GROUNDING },
    }),
  ],
  THINK: [
    artifact('edge_cases.md', {
      sections: [section('Edge Cases', { list: true }), section('Mitigations', { list: true })],
    }),
  ],
  IMPLEMENT: [
    artifact('git_diff.patch', {
      producer: 'autopilot',
      minWords: 1,
      maxBytes: 64 * MiB,
      groundedIn: { ...DEFAULT_GROUNDING },
    }),
    artifact('modified_files.json', {
      producer: 'autopilot',
      assert: [
        { path: 'files.length', op: 'gt', value: 0, hint: 'change the source: the diff from the base commit is empty' },
      ],
    }),
  ],
  VERIFY: [
    artifact('verify_run.json', {
      producer: 'autopilot',
      assert: [{ path: 'build.exitCode', op: 'eq', value: 0, hint: 'fix the build, then run `autopilot verify`' }],
    }),
    artifact('build_output.log', { producer: 'autopilot', maxBytes: 64 * MiB }),
    artifact('test_results.json', {
      producer: 'autopilot',
      assert: [
        { path: 'totals.total', op: 'gt', value: 0, hint: 'the test command ran no test: check its JUnit report path' },
        { path: 'totals.failed', op: 'eq', value: 0, hint: 'fix the failing tests, then run `autopilot verify`' },
        { path: 'totals.errors', op: 'eq', value: 0, hint: 'fix the erroring tests, then run `autopilot verify`' },
      ],
    }),
    artifact('coverage_report.json', {
      producer: 'autopilot',
      assert: [
        {
          path: 'changedLines.meetsThreshold',
          op: 'eq',
          value: true,
          hint: 'add tests that run the lines this task changed',
        },
      ],
    }),
  ],
  REVIEW: [
    artifact('review_rubric.json', { schema: RUBRIC_SCHEMA as unknown as Record<string, unknown> }),
    artifact('code_quality_score.json', {
      producer: 'autopilot',
      assert: [{ path: 'passed', op: 'eq', value: true, hint: 'fix what the linter reports' }],
    }),
  ],
  PR: [
    artifact('pr_template_filled.md', {
      sections: [section('Summary'), section('Risks', { minWords: 4 }), section('Rollback', { minWords: 4 })],
    }),
    artifact('pr_url.txt', { mustMatch: ['^\\s*https?://[^\\s]+\\s*$'] }),
    artifact('ci_results.json', {
      producer: 'autopilot',
      assert: [{ path: 'passed', op: 'eq', value: true, hint: 'make the CI commands pass' }],
    }),
  ],
  MONITOR: [
    artifact('smoke_test_results.json', {
      producer: 'autopilot',
      assert: [{ path: 'passed', op: 'eq', value: true, hint: 'the smoke commands failed: fix or backtrack' }],
    }),
    artifact('deployment_status.json', { producer: 'autopilot' }),
  ],
};

/** The artifact of a push the outbox made in git-only mode (`pr.mode: git`); see engine/outbox/push.ts. */
export const PUSHED_COMMIT = 'pushed_commit.json';

/**
 * The default contract in git-only mode: PR needs the commit Autopilot pushed, read back from the remote, instead of a
 * PR URL, which no forge gave and which nobody may make up.
 */
export const GIT_ONLY_EVIDENCE: Readonly<Record<string, readonly ArtifactRule[]>> = {
  ...DEFAULT_EVIDENCE,
  PR: [
    ...(DEFAULT_EVIDENCE['PR'] ?? []).filter((r) => r.name !== 'pr_url.txt'),
    artifact(PUSHED_COMMIT, {
      producer: 'autopilot',
      assert: [
        {
          path: 'pushed',
          op: 'eq',
          value: true,
          hint: 'run autopilot outbox run: it pushes the task branch and records the commit the remote holds',
        },
      ],
    }),
  ],
};

/** PR's URL, written by Autopilot from the forge's answer when it opened or found the pull request. */
export const PR_URL = 'pr_url.txt';

const forgeUrl = (required: boolean) =>
  artifact(PR_URL, {
    producer: 'autopilot',
    required,
    mustMatch: ['^\\s*https?://[^\\s]+\\s*$'],
  });

/**
 * The default contract with GitHub (`pr.mode: github`): the pushed commit, the PR URL from the forge, and the CI
 * results read from the forge's checks of the PR's head commit, no red or missing required check among them.
 */
export const GITHUB_EVIDENCE: Readonly<Record<string, readonly ArtifactRule[]>> = {
  ...GIT_ONLY_EVIDENCE,
  PR: [
    ...(GIT_ONLY_EVIDENCE['PR'] ?? []).filter((r) => r.name !== 'ci_results.json'),
    forgeUrl(true),
    artifact('ci_results.json', {
      producer: 'autopilot',
      assert: [
        {
          path: 'redChecks',
          op: 'eq',
          value: '',
          hint: 'make the named checks pass on the pull request (push a fix, then outbox run), or backtrack',
        },
        { path: 'passed', op: 'eq', value: true, hint: 'make the CI checks of the pull request pass' },
      ],
    }),
  ],
};

/** GitLab's and Gitea's contract is GitHub's: the forge's PR URL and its CI, whichever forge answers. */
export const FORGE_EVIDENCE = GITHUB_EVIDENCE;

/**
 * `pr.mode: auto`: the forge follows the remote's URL when the task enters PR (github.com: GitHub; anything else:
 * git-only), so the contract asks for what both give, and for the PR URL only when a forge gave one.
 */
export const AUTO_FORGE_EVIDENCE: Readonly<Record<string, readonly ArtifactRule[]>> = {
  ...GIT_ONLY_EVIDENCE,
  PR: [...(GIT_ONLY_EVIDENCE['PR'] ?? []), forgeUrl(false)],
};

/** MONITOR's record of the deployment: the commit, the smoke verdict and the health checks' results. */
export const DEPLOYMENT_STATUS = 'deployment_status.json';

const HEALTH_ASSERTS = [
  {
    path: 'unhealthy',
    op: 'eq' as const,
    value: '',
    hint: 'a health check or a deployment was not healthy in time: a person decides the backtrack proposal, or fix the deployment and advance again',
  },
  { path: 'healthy', op: 'eq' as const, value: true, hint: 'the health checks must all answer as expected' },
];

/** MONITOR's deployment status when health checks are configured and the config names no rule for it. */
const HEALTH_EVIDENCE: ArtifactRule = artifact(DEPLOYMENT_STATUS, { producer: 'autopilot', assert: HEALTH_ASSERTS });

/** VERIFY's evidence when `supplyChain` is configured (added to the phase's rules unless they name the files). */
export const SUPPLY_CHAIN_EVIDENCE: readonly ArtifactRule[] = [
  artifact('sbom.cdx.json', { producer: 'autopilot', maxBytes: 64 * MiB }),
  artifact('dependency_diff.json', { producer: 'autopilot', maxBytes: 64 * MiB }),
  artifact('vulnerabilities.json', {
    producer: 'autopilot',
    maxBytes: 64 * MiB,
    assert: [
      {
        path: 'status',
        op: 'eq',
        value: 'checked',
        hint: 'the OSV database could not be read: run `autopilot advisories update` (or fix supplyChain.osv), then `autopilot verify`',
      },
      {
        path: 'passed',
        op: 'eq',
        value: true,
        hint: 'a dependency has a known vulnerability at or above supplyChain.failOn: upgrade it to a fixed version, or have a person accept it in supplyChain.accept with a reason and an expiry date',
      },
    ],
  }),
];

/** VERIFY's licence evidence when `supplyChain.licenses` is configured. */
export const LICENSES_EVIDENCE: ArtifactRule = artifact('licenses.json', {
  producer: 'autopilot',
  maxBytes: 64 * MiB,
  assert: [
    {
      path: 'passed',
      op: 'eq',
      value: true,
      hint: 'a dependency has a licence that supplyChain.licenses does not allow (or none that can be read): replace the dependency, or have a person change the policy',
    },
  ],
});

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/**
 * The issue to report: for a value that matches no branch of a union (`copiedText: {sources: [wiki]}` is neither
 * `false` nor a valid object), the issue of the branch that got furthest, so that the key and reason are exact.
 */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const inner = issue.errors
    .map((branch) => branch[0])
    .filter((i): i is z.core.$ZodIssue => i !== undefined)
    .reduce<z.core.$ZodIssue | undefined>((a, b) => (!a || b.path.length > a.path.length ? b : a), undefined);
  if (!inner || inner.path.length === 0) return issue;
  return deepest({ ...inner, path: [...issue.path, ...inner.path] });
}

/** The key an issue is about: for an unknown key, the unknown key itself (`commands.tset`), not its parent. */
function issueKey(issue: z.core.$ZodIssue): string {
  return formatPath(
    issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path,
  );
}

/**
 * Validates a raw config (parsed YAML) and fills in the defaults. The refusal names
 * the exact key (`evidence.SPEC.0.sections.1.heading`) and the reason.
 */
export function parseConfig(raw: unknown): Result<Config> {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map(deepest);
    const issue = issues[0];
    const key = issue ? issueKey(issue) : '(root)';
    const reason = issue?.message ?? 'invalid';
    return refuse(ErrorCode.CONFIG_INVALID, `config key ${key}: ${reason}`, {
      key,
      reason,
      issues: issues.map((i) => ({ key: issueKey(i), reason: i.message })),
    });
  }
  const c = parsed.data;
  const problem = (key: string, reason: string) =>
    refuse(ErrorCode.CONFIG_INVALID, `config key ${key}: ${reason}`, { key, reason });

  const phases = c.phases;
  if (new Set(phases).size !== phases.length) return problem('phases', 'a phase is listed twice');
  if (c.personas) {
    const known = new Set([...SHIPPED_PERSONAS.keys(), ...c.personas.custom.map((p) => p.id)]);
    for (const [phase, id] of Object.entries(c.personas.byPhase)) {
      if (!phases.includes(phase))
        return problem(`personas.byPhase.${phase}`, `unknown phase; phases are ${phases.join(', ')}`);
      if (!known.has(id))
        return problem(`personas.byPhase.${phase}`, `unknown persona ${id}; known: ${[...known].join(', ')}`);
    }
    const overlays = new Set([...SHIPPED_OVERLAYS.keys(), ...c.personas.overlays.map((o) => o.id)]);
    const skills = new Set([...SHIPPED_SKILLS.keys(), ...(c.personas.skills ?? []).map((k) => k.id)]);
    for (const [i, p] of c.personas.custom.entries()) {
      for (const k of p.skills)
        if (!skills.has(k))
          return problem(`personas.custom.${i}.skills`, `unknown skill pack ${k}; known: ${[...skills].join(', ')}`);
      for (const o of p.overlays)
        if (!overlays.has(o))
          return problem(`personas.custom.${i}.overlays`, `unknown overlay ${o}; known: ${[...overlays].join(', ')}`);
    }
    for (const [persona, variants] of Object.entries(c.personas.variants ?? {})) {
      const key = `personas.variants.${persona}`;
      if (!known.has(persona)) return problem(key, `unknown persona ${persona}; known: ${[...known].join(', ')}`);
      const ids = variants.map((v) => v.id);
      const twice = ids.find((v, i) => ids.indexOf(v) !== i);
      if (twice !== undefined) return problem(key, `variant ${twice} is listed twice`);
      if (!variants.some((v) => v.weight > 0))
        return problem(key, 'every weight is 0: give at least one variant a weight');
      for (const [i, v] of variants.entries())
        for (const k of v.skills ?? [])
          if (!skills.has(k))
            return problem(`${key}.${i}.skills`, `unknown skill pack ${k}; known: ${[...skills].join(', ')}`);
    }
  }
  for (const [i, p] of (c.similarTasks?.phases ?? []).entries())
    if (!phases.includes(p))
      return problem(`similarTasks.phases.${i}`, `unknown phase ${p}; phases are ${phases.join(', ')}`);
  for (const key of Object.keys(c.evidence)) {
    if (!phases.includes(key)) return problem(`evidence.${key}`, `unknown phase; phases are ${phases.join(', ')}`);
  }
  for (const [i, p] of c.approvals.enter.entries()) {
    if (!phases.includes(p) && (raw as { approvals?: { enter?: unknown } } | null)?.approvals?.enter !== undefined) {
      return problem(`approvals.enter.${i}`, `unknown phase ${p}`);
    }
  }
  for (const key of Object.keys(c.tools.phases)) {
    if (!phases.includes(key)) return problem(`tools.phases.${key}`, `unknown phase; phases are ${phases.join(', ')}`);
  }
  const explicitBlockIn = (raw as { attest?: { blockIn?: unknown } } | null)?.attest?.blockIn !== undefined;
  for (const [i, p] of c.attest.blockIn.entries()) {
    if (explicitBlockIn && !phases.includes(p)) return problem(`attest.blockIn.${i}`, `unknown phase ${p}`);
  }
  // The default names the default phases; a custom process keeps the ones it has.
  const attest = { ...c.attest, blockIn: c.attest.blockIn.filter((p) => phases.includes(p)) };
  if (c.process.backtrackFrom !== 'any') {
    for (const [i, p] of c.process.backtrackFrom.entries()) {
      if (!phases.includes(p)) return problem(`process.backtrackFrom.${i}`, `unknown phase ${p}`);
    }
  }
  if (c.review) {
    for (const key of ['phase', 'of'] as const) {
      const p = c.review[key];
      if (p !== undefined && !phases.includes(p)) return problem(`review.${key}`, `unknown phase ${p}`);
    }
    const r = { phase: c.review.phase ?? 'REVIEW', of: c.review.of ?? 'IMPLEMENT' };
    if (phases.includes(r.phase) && phases.includes(r.of) && phases.indexOf(r.of) >= phases.indexOf(r.phase))
      return problem('review.of', `${r.of} must come before the review phase ${r.phase}`);
  }
  for (const [phase, rules] of Object.entries(c.evidence)) {
    const seen = new Set<string>();
    for (const [i, rule] of rules.entries()) {
      if (seen.has(rule.name)) return problem(`evidence.${phase}.${i}.name`, `artifact ${rule.name} is listed twice`);
      seen.add(rule.name);
      // The spec is Markdown; what grounds it is a file map or a diff, never another Markdown file.
      if (rule.groundedIn && isMarkdownName(rule.name))
        return problem(
          `evidence.${phase}.${i}.groundedIn`,
          'groundedIn applies to a file map (JSON) or a diff, not to a Markdown artifact',
        );
      if (rule.contract && !/\.json$/i.test(rule.name))
        return problem(
          `evidence.${phase}.${i}.contract`,
          `a contract is a JSON document: name the artifact ${rule.name.replace(/\.[^.]*$/, '')}.json`,
        );
      if (rule.unplannedFiles && rule.contract !== 'Plan')
        return problem(
          `evidence.${phase}.${i}.unplannedFiles`,
          'unplannedFiles applies to the artifact whose contract is Plan',
        );
      if (rule.contract && rule.schema)
        return problem(
          `evidence.${phase}.${i}.schema`,
          `the contract ${rule.contract} is the schema of ${rule.name}: give one or the other`,
        );
      if (rule.groundedIn && rule.groundedIn.artifact === rule.name)
        return problem(`evidence.${phase}.${i}.groundedIn.artifact`, 'an artifact cannot be grounded in itself');
      for (const field of ['mustMatch', 'mustNotMatch'] as const) {
        for (const [j, pattern] of rule[field].entries()) {
          try {
            new RegExp(pattern, 'm');
          } catch (err) {
            return problem(
              `evidence.${phase}.${i}.${field}.${j}`,
              `not a regular expression: ${(err as Error).message}`,
            );
          }
        }
      }
    }
  }
  const roles = resolveRoles(c.roles, phases);
  if (!roles.ok) return problem(roles.error.key, roles.error.reason);
  // With a forge, the PR URL is the forge's answer, written by Autopilot: an agent-written one is a made-up one.
  if (c.pr?.mode === 'github' || c.pr?.mode === 'gitlab' || c.pr?.mode === 'gitea' || c.pr?.mode === 'auto') {
    const phase = roles.value.seal;
    const url = c.evidence[phase]?.findIndex((r) => r.name === 'pr_url.txt' && r.producer !== 'autopilot') ?? -1;
    if (url >= 0)
      return problem(
        `evidence.${phase}.${url}.producer`,
        `pr.mode is ${c.pr.mode}: pr_url.txt is written by Autopilot from the forge's answer, so its producer must be autopilot`,
      );
  }
  // Git-only mode has no forge, so no PR URL: the contract of the push's phase must ask for the pushed commit instead.
  if (c.pr?.mode === 'git') {
    const phase = roles.value.seal;
    const given = c.evidence[phase];
    const url = given?.findIndex((r) => r.name === 'pr_url.txt' && r.required) ?? -1;
    if (url >= 0)
      return problem(
        `evidence.${phase}.${url}`,
        `pr.mode is git, where no forge opens a pull request and nobody may make up its URL: replace pr_url.txt with ${PUSHED_COMMIT} (producer: autopilot), which records the commit Autopilot pushed`,
      );
    if (given && !given.some((r) => r.name === PUSHED_COMMIT && r.producer === 'autopilot' && r.required))
      return problem(
        `evidence.${phase}`,
        `pr.mode is git: ${phase} needs ${PUSHED_COMMIT} (producer: autopilot, required), the commit Autopilot pushed to pr.remote`,
      );
  }
  const evidence: Record<Phase, readonly ArtifactRule[]> = {};
  const defaults =
    c.pr?.mode === 'git'
      ? GIT_ONLY_EVIDENCE
      : c.pr?.mode === 'github' || c.pr?.mode === 'gitlab' || c.pr?.mode === 'gitea'
        ? FORGE_EVIDENCE
        : c.pr?.mode === 'auto'
          ? AUTO_FORGE_EVIDENCE
          : DEFAULT_EVIDENCE;
  for (const phase of phases) {
    const given = c.evidence[phase];
    evidence[phase] = given ? given.map(withContentChecks) : (defaults[phase] ?? []);
  }
  // The supply-chain check gates the move out of the verify phase through its evidence, like its other checks.
  const verifyPhase = roles.value.verify;
  const verify = verifyPhase ? evidence[verifyPhase] : undefined;
  if (c.supplyChain && verifyPhase && verify) {
    const named = new Set(verify.map((r) => r.name));
    const added = [...SUPPLY_CHAIN_EVIDENCE, ...(c.supplyChain.licenses ? [LICENSES_EVIDENCE] : [])];
    evidence[verifyPhase] = [...verify, ...added.filter((r) => !named.has(r.name))];
  }
  // Health checks gate the move out of the monitor role's phase (whose producer runs them) through its deployment
  // status, whatever rule the config gives it.
  const monitorPhase = roles.value.monitor;
  if (c.monitor && c.monitor.health.length > 0 && !monitorPhase)
    return problem('monitor.health', 'the process has no monitor phase to run them in: name one in roles.monitor');
  const watched = !!c.monitor && (c.monitor.health.length > 0 || !!c.monitor.deployments);
  if (c.monitor?.deployments && !monitorPhase)
    return problem(
      'monitor.deployments',
      'the process has no monitor phase to read them in: name one in roles.monitor',
    );
  const mode = c.pr?.mode ?? 'manual';
  if (c.monitor?.deployments && (mode === 'manual' || mode === 'git'))
    return problem(
      'monitor.deployments',
      `deployments are read from the forge, and pr.mode is ${mode}: set pr.mode to github, gitlab or auto, or use monitor.health`,
    );
  if (c.monitor?.deployments && mode === 'gitea')
    return problem(
      'monitor.deployments',
      "Gitea and Forgejo have no deployments API: use monitor.health with the deployment's health URL instead",
    );
  if (c.monitor?.backtrackTo !== undefined && !phases.includes(c.monitor.backtrackTo))
    return problem('monitor.backtrackTo', `unknown phase ${c.monitor.backtrackTo}; phases are ${phases.join(', ')}`);
  if (
    c.monitor?.backtrackTo !== undefined &&
    monitorPhase &&
    phases.indexOf(c.monitor.backtrackTo) >= phases.indexOf(monitorPhase)
  )
    return problem('monitor.backtrackTo', `a backtrack goes to a phase before ${monitorPhase}`);
  const monitor = monitorPhase ? evidence[monitorPhase] : undefined;
  if (watched && monitorPhase && monitor) {
    const given = monitor.find((r) => r.name === DEPLOYMENT_STATUS);
    const rule = given ? { ...given, assert: [...given.assert, ...HEALTH_ASSERTS] } : HEALTH_EVIDENCE;
    evidence[monitorPhase] = given ? monitor.map((r) => (r === given ? rule : r)) : [...monitor, rule];
  }
  return ok({ ...c, attest, roles: roles.value, evidence });
}

/**
 * The roles with their defaults filled in. A role the config names must be one of its phases, a named implement phase
 * must come before the verify phase (VERIFY checks the diff IMPLEMENT recorded), and the verify phase before the seal
 * (the bundle seals what VERIFY checked).
 */
function resolveRoles(
  given: Partial<Record<OptionalRole, string | null | undefined>> & { seal?: string | undefined },
  phases: readonly Phase[],
): { ok: true; value: PhaseRoles } | { ok: false; error: { key: string; reason: string } } {
  const fallback = defaultRoles(phases);
  const pick = (role: OptionalRole) => (given[role] === undefined ? fallback[role] : given[role]!);
  const roles: PhaseRoles = {
    implement: pick('implement'),
    verify: pick('verify'),
    review: pick('review'),
    ci: pick('ci'),
    monitor: pick('monitor'),
    seal: given.seal ?? fallback.seal,
  };
  const unknown = (key: string, p: string) => ({
    ok: false as const,
    error: { key, reason: `unknown phase ${p}; phases are ${phases.join(', ')}` },
  });
  for (const role of Object.keys(OPTIONAL_ROLES) as OptionalRole[]) {
    const named = given[role];
    if (named && !phases.includes(named)) return unknown(`roles.${role}`, named);
  }
  if (given.seal !== undefined && !phases.includes(given.seal)) return unknown('roles.seal', given.seal);
  const named = given.verify !== undefined || given.seal !== undefined;
  if (named && roles.verify !== null && phases.indexOf(roles.verify) >= phases.indexOf(roles.seal)) {
    const key = given.verify !== undefined ? 'roles.verify' : 'roles.seal';
    return {
      ok: false,
      error: { key, reason: `the verify phase (${roles.verify}) must come before the seal phase (${roles.seal})` },
    };
  }
  // Checked only when the config names the implement phase: a config written before this role keeps loading.
  if (
    given.implement !== undefined &&
    roles.implement !== null &&
    roles.verify !== null &&
    phases.indexOf(roles.implement) >= phases.indexOf(roles.verify)
  ) {
    return {
      ok: false,
      error: {
        key: 'roles.implement',
        reason: `the implement phase (${roles.implement}) must come before the verify phase (${roles.verify})`,
      },
    };
  }
  return { ok: true, value: roles };
}

/**
 * The config as its digest covers it: roles that are the defaults for its phases are left out, so that a config
 * written before roles existed keeps the digest its tasks adopted (a config that names the default roles is the
 * same contract, with the same digest). The implement role came after verify and seal: it is left out when it is the
 * default, so that a config that moved only those keeps its digest too. The similar-task hints are left out always.
 */
export function digestedConfig(
  config: Config,
): Omit<Config, 'roles' | 'similarTasks'> & { roles?: Partial<PhaseRoles> & Pick<PhaseRoles, 'verify' | 'seal'> } {
  // Hints are advice, never part of what a task must meet: changing them changes no task's contract.
  const { roles, similarTasks: _advice, ...rest } = config;
  const fallback = defaultRoles(config.phases);
  const implementMoved = roles.implement !== fallback.implement;
  // The review, CI and monitor roles came last: each is in the digest only when it is not its default.
  const later: { -readonly [K in keyof PhaseRoles]?: PhaseRoles[K] } = {};
  for (const role of ['review', 'ci', 'monitor'] as const)
    if (roles[role] !== fallback[role]) later[role] = roles[role];
  const laterMoved = Object.keys(later).length > 0;
  if (roles.verify === fallback.verify && roles.seal === fallback.seal && !implementMoved && !laterMoved) return rest;
  const first = implementMoved
    ? { implement: roles.implement, verify: roles.verify, seal: roles.seal }
    : { verify: roles.verify, seal: roles.seal };
  return { ...rest, roles: { ...first, ...later } };
}

/** The phases whose agents hear about similar past tasks: the config's, else STRATEGIZE and THINK where present. */
export function similarTaskPhases(config: Config): readonly string[] {
  return config.similarTasks?.phases ?? config.phases.filter((p) => p === 'STRATEGIZE' || p === 'THINK');
}

/** The config a repository gets when it has no config file at all. */
export function defaultConfig(): Config {
  const r = parseConfig({});
  if (!r.ok) throw new Error('default config is invalid');
  return r.value;
}
