/**
 * @module The five gates of the CI gate: the checks it adds to those it already made (commands runnable, secrets
 * found, grounding, rollback plan for migrations and flags, hermetic commands; Gate 5's owners, labels and risk
 * approvals in owners.ts), each gate's mode applied to its problems, and the named stages of the report with a
 * pass/fail per check.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ErrorCode } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import {
  GATE_IDS,
  GATE_TITLES,
  gateModes,
  gateOf,
  gateStatus,
  isFooting,
  type CheckStatus,
  type GateId,
} from '../../core/gates.ts';
import { fileKinds } from '../../reports/file-kinds.ts';
import { git } from '../repo/git.ts';
import { simulatePolicies } from './policy-sim.ts';
import { readJson } from './committed.ts';
import { reviewChecks, type GateForge } from './owners.ts';
import type { CiProblem, GateCheck, GateStage, RelaxedProblem, TaskCiGate } from './report.ts';

export type { GateCheck, GateStage, RelaxedProblem } from './report.ts';

/** The checks of each gate, in the order the report lists them, with what a check covers when nothing failed. */
const CHECKS: Readonly<Record<GateId, readonly { name: string; covers: string }[]>> = {
  g0: [
    { name: 'bundles', covers: 'every attestation bundle signed, hashed and chained' },
    { name: 'process', covers: 'phases in the order of the contract' },
    { name: 'contract', covers: 'each task judged by a trusted contract; the gate inputs from the base branch' },
    { name: 'commands', covers: 'the configured commands' },
  ],
  g1: [
    { name: 'secrets', covers: 'no secret in the lines the change adds' },
    { name: 'policy', covers: "the base branch's policies allow the branch's diff" },
  ],
  g2: [{ name: 'grounding', covers: 'the spec and plan cite files and symbols that exist' }],
  g3: [
    { name: 'evidence', covers: 'the evidence of every passed phase re-validated under its contract' },
    { name: 'tests', covers: 'tests ran and passed for the changed source files, changed lines covered' },
    { name: 'rollback', covers: 'migrations and feature flags come with a rollback plan' },
  ],
  g4: [
    { name: 'rerun', covers: 'VERIFY re-run on the checkout matches the recorded run' },
    { name: 'hermetic', covers: 'build and test commands run without the network' },
    { name: 'supply-chain', covers: 'dependencies, licences and vulnerabilities' },
  ],
  g5: [
    { name: 'approvals', covers: "every move that needed a person rests on a person's verified decision" },
    { name: 'owners', covers: 'the code owners of the changed paths approved' },
    { name: 'labels', covers: 'the pull request carries the required labels' },
    { name: 'risk', covers: "the change's risk class has the approvals it needs" },
  ],
};

const baseName = (file: string | undefined) => (file ?? '').slice((file ?? '').lastIndexOf('/') + 1);

/** The check of its gate a problem counts against. */
export function checkNameOf(p: CiProblem): string {
  switch (p.check) {
    case 'bundle':
    case 'signature':
    case 'chain':
      return 'bundles';
    case 'process':
      return 'process';
    case 'config':
    case 'inputs':
      return 'contract';
    case 'onboarding':
      return 'commands';
    case 'secrets':
      return 'secrets';
    case 'policy':
      return 'policy';
    case 'grounding':
      return 'grounding';
    case 'evidence':
      return 'evidence';
    case 'safety':
      return 'rollback';
    case 'tests':
      return 'tests';
    case 'hermetic':
      return 'hermetic';
    case 'supply':
      return 'supply-chain';
    case 'owners':
      return 'owners';
    case 'labels':
      return 'labels';
    case 'risk':
      return 'risk';
    case 'decision':
      return 'approvals';
    case 'verify': {
      const g = gateOf(p);
      if (g === 'g1') return 'secrets';
      if (g === 'g3') return 'tests';
      return ['vulnerabilities.json', 'licenses.json', 'dependency_diff.json', 'sbom.cdx.json'].includes(
        baseName(p.file),
      )
        ? 'supply-chain'
        : 'rerun';
    }
    default:
      return 'contract';
  }
}

/** A task as the stage checks read it: its committed evidence, its entries, and the decisions that verified. */
export interface StagedTask {
  readonly taskId: string;
  /** Committed evidence that matched its ledger digest, by state-relative path. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly entries: readonly LedgerEntry[];
  /** Seqs of the entries whose person's decision verified. */
  readonly verified: ReadonlySet<number>;
}

export interface StageContext {
  readonly root: string;
  readonly mergeBase: string;
  readonly head: string;
  /** The config the gate judges by (the base branch's when it has one): its commands, globs and gate modes. */
  readonly config: Config;
  readonly tasks: readonly StagedTask[];
  /** PATH to look the configured commands up in. */
  readonly path?: string;
  /** The forge Gate 5 reads reviews and labels from, opened on first use; absent: signed decisions only. */
  readonly forge?: () => Promise<GateForge>;
}

/** What the added checks found: a result for each one that ran, and the problems of those that failed. */
export interface StageChecks {
  readonly checks: Map<string, GateCheck>;
  readonly problems: CiProblem[];
}

/** The checks the gate adds to those it made before it had stages. */
export async function stageChecks(ctx: StageContext): Promise<StageChecks> {
  const checks = new Map<string, GateCheck>();
  const problems: CiProblem[] = [];
  const changed = await changedPaths(ctx);
  const add = (name: string, status: CheckStatus, detail: string, found: CiProblem[] = []) => {
    checks.set(name, { name, status, detail });
    problems.push(...found);
  };
  add(...(await commandsCheck(ctx)));
  add(...secretsCheck(ctx));
  const sim = await simulatePolicies(ctx);
  checks.set('policy', {
    name: 'policy',
    status: sim.status,
    detail: sim.detail,
    policies: sim.policies,
    ...(sim.digest ? { policyDigest: sim.digest } : {}),
  });
  problems.push(...sim.problems);
  add(...groundingCheck(ctx));
  add(...testsCheck(ctx, changed));
  add(...(await rollbackCheck(ctx, changed)));
  add(...hermeticCheck(ctx));
  add(...supplyCheck(ctx));
  const review = await reviewChecks(ctx, changed);
  for (const c of review.checks) checks.set(c.name, c);
  problems.push(...review.problems);
  return { checks, problems };
}

type Found = [name: string, status: CheckStatus, detail: string, problems?: CiProblem[]];

/** The paths the branch changes from the merge-base. */
async function changedPaths(ctx: StageContext): Promise<string[]> {
  const r = await git(ctx.root, ['diff', '--name-only', '--no-renames', '-z', `${ctx.mergeBase}..${ctx.head}`]);
  if (r.code !== 0) throw new Error(`git diff ${ctx.mergeBase}..${ctx.head} failed: ${r.stderr.trim()}`);
  return r.stdout.split('\0').filter((p) => p !== '');
}

/** Each configured command with its role, as the config lists them. */
function configuredCommands(config: Config): { role: string; run: readonly string[]; network: boolean }[] {
  const c = config.commands;
  return [
    ...(c.build ? [{ role: 'build', run: c.build.run, network: c.build.network }] : []),
    ...(c.test ? [{ role: 'test', run: c.test.run, network: c.test.network }] : []),
    ...(c.lint ? [{ role: 'lint', run: c.lint.run, network: c.lint.network }] : []),
    ...c.ci.map((x) => ({ role: `ci ${x.name}`, run: x.run, network: x.network })),
    ...c.smoke.map((x) => ({ role: `smoke ${x.name}`, run: x.run, network: x.network })),
  ];
}

/** Gate 0: the commands the contract runs are configured, and each one's program exists and may be run here. */
async function commandsCheck(ctx: StageContext): Promise<Found> {
  const commands = configuredCommands(ctx.config);
  if (commands.length === 0)
    return [
      'commands',
      'fail',
      'no command is configured',
      [
        {
          taskId: null,
          check: 'onboarding',
          code: ErrorCode.CONFIG_INVALID,
          file: 'commands',
          reason:
            'the config names no build, test or lint command, so Autopilot has nothing to run: run `autopilot init` or set commands.test',
        },
      ],
    ];
  const missing: CiProblem[] = [];
  for (const cmd of commands) {
    const program = cmd.run[0]!;
    if (!(await runnable(program, ctx.root, ctx.path ?? process.env['PATH'] ?? ''))) {
      missing.push({
        taskId: null,
        check: 'onboarding',
        code: ErrorCode.CONFIG_INVALID,
        file: `commands.${cmd.role.replace(' ', '.')}`,
        reason: `the ${cmd.role} command runs "${program}", which is not an executable program on this runner's PATH or in the repository: install it in the CI job, or fix commands.${cmd.role.split(' ')[0]}`,
      });
    }
  }
  const list = commands.map((c) => `${c.role} (${c.run[0]})`).join(', ');
  return missing.length
    ? ['commands', 'fail', `${missing.length} of ${commands.length} not runnable: ${list}`, missing]
    : ['commands', 'pass', `configured and runnable: ${list}`];
}

/** True when `program` resolves to an executable file: a path (relative to the root) or a name on PATH. */
async function runnable(program: string, root: string, path: string): Promise<boolean> {
  const candidates = program.includes('/')
    ? [isAbsolute(program) ? program : join(root, program)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(isAbsolute(dir) ? dir : join(root, dir), program));
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      return true;
    } catch {
      // not here: the next one
    }
  }
  return false;
}

/** A task's committed evidence file by its name, in whichever phase folder holds it (the last one recorded). */
function evidenceNamed(t: StagedTask, name: string): { path: string; bytes: Buffer } | undefined {
  let found: { path: string; bytes: Buffer } | undefined;
  for (const [path, bytes] of t.files)
    if (path.startsWith(`evidence/${t.taskId}/`) && baseName(path) === name) found = { path, bytes };
  return found;
}

/** Gate 1: the secrets scan VERIFY recorded over the lines the change adds found nothing. */
function secretsCheck(ctx: StageContext): Found {
  const scans = ctx.tasks.flatMap((t) => {
    const f = evidenceNamed(t, 'secrets_scan.json');
    const doc = readJson(f?.bytes) as { findings?: unknown } | undefined;
    return f && doc && Array.isArray(doc.findings) ? [{ t, f, findings: doc.findings as { file?: unknown }[] }] : [];
  });
  if (scans.length === 0) return ['secrets', 'not_evaluated', 'no task recorded a secrets scan (secrets_scan.json)'];
  const problems: CiProblem[] = scans
    .filter((s) => s.findings.length > 0)
    .map((s) => ({
      taskId: s.t.taskId,
      check: 'secrets',
      code: ErrorCode.VERIFY_FAILED,
      file: s.f.path,
      reason: `the secrets scan found ${s.findings.length} secret${s.findings.length === 1 ? '' : 's'} in the added lines (${[...new Set(s.findings.map((x) => String(x.file ?? '?')))].join(', ')}): remove them from the change and rotate them`,
    }));
  const scanned = scans.map((s) => s.t.taskId).join(', ');
  return problems.length
    ? ['secrets', 'fail', `secrets found (scans of ${scanned})`, problems]
    : ['secrets', 'pass', `no secret in the scans of ${scanned}`];
}

/**
 * Gate 2: `grounding.json` as the grounding check writes it (`{citations: [{text, kind, path, symbol?, resolved}],
 * score, reachable, passed}`). A task without it is not evaluated; one that did not pass, or cites what does not
 * resolve, fails.
 */
function groundingCheck(ctx: StageContext): Found {
  const docs = ctx.tasks.flatMap((t) => {
    const f = evidenceNamed(t, 'grounding.json');
    return f ? [{ t, f, doc: readJson(f.bytes) as Record<string, unknown> | undefined }] : [];
  });
  if (docs.length === 0) return ['grounding', 'not_evaluated', 'no task recorded grounding.json'];
  const problems: CiProblem[] = [];
  const seen: string[] = [];
  for (const { t, f, doc } of docs) {
    const citations = Array.isArray(doc?.['citations']) ? (doc['citations'] as Record<string, unknown>[]) : undefined;
    if (!doc || typeof doc['passed'] !== 'boolean' || !citations) {
      problems.push({
        taskId: t.taskId,
        check: 'grounding',
        code: ErrorCode.EVIDENCE_INVALID,
        file: f.path,
        reason: "grounding.json is not the grounding check's document ({citations: [...], score, reachable, passed})",
      });
      continue;
    }
    const unresolved = citations.filter((c) => c['resolved'] !== true);
    const score = typeof doc['score'] === 'number' ? `, score ${doc['score']}` : '';
    seen.push(`${t.taskId}: ${citations.length - unresolved.length}/${citations.length} citations resolve${score}`);
    if (doc['passed'] !== true || unresolved.length > 0)
      problems.push({
        taskId: t.taskId,
        check: 'grounding',
        code: ErrorCode.EVIDENCE_INVALID,
        file: f.path,
        reason: `the spec and plan are not grounded${unresolved.length ? `: ${unresolved.map((c) => String(c['symbol'] ? `${String(c['path'])}#${String(c['symbol'])}` : c['path'])).join(', ')} do not resolve` : ' (passed: false)'}`,
      });
  }
  return problems.length
    ? ['grounding', 'fail', seen.join('; ') || 'grounding.json unreadable', problems]
    : ['grounding', 'pass', seen.join('; ')];
}

/**
 * Gate 3: when the branch changes source files, a task's recorded VERIFY ran tests (and none failed) and covered the
 * changed lines. The re-run checks the same again; this reads what was recorded, so it shows without a re-run.
 */
function testsCheck(ctx: StageContext, changed: readonly string[]): Found {
  const kind = fileKinds(ctx.config.verify);
  const sources = changed.filter((p) => kind(p) === 'source');
  if (sources.length === 0) return ['tests', 'not_evaluated', 'the branch changes no source file'];
  const recorded = ctx.tasks.flatMap((t) => {
    const tests = readJson(evidenceNamed(t, 'test_results.json')?.bytes) as
      { totals?: { total?: number; failed?: number; errors?: number } } | undefined;
    const cov = readJson(evidenceNamed(t, 'coverage_report.json')?.bytes) as
      { changedLines?: { percent?: number | null; meetsThreshold?: boolean } } | undefined;
    return tests?.totals ? [{ t, totals: tests.totals, changedLines: cov?.changedLines }] : [];
  });
  const good = recorded.find(
    // Coverage that was not measured (waived in the config, `waive: coverage`) does not count against the tests: the
    // waiver is judged with the task's moves (a person's approval, Gate 5).
    (r) =>
      (r.totals.total ?? 0) > 0 && !r.totals.failed && !r.totals.errors && r.changedLines?.meetsThreshold !== false,
  );
  const files = `${sources.length} source file${sources.length === 1 ? '' : 's'} changed`;
  if (good) {
    const pct =
      typeof good.changedLines?.percent === 'number'
        ? `, changed lines ${good.changedLines.percent}% covered`
        : ', changed-lines coverage not measured';
    return ['tests', 'pass', `${files}; ${good.t.taskId} ran ${good.totals.total} tests, none failed${pct}`];
  }
  return [
    'tests',
    'fail',
    files,
    [
      {
        taskId: null,
        check: 'tests',
        code: ErrorCode.EVIDENCE_MISSING,
        file: sources.slice(0, 5).join(', '),
        reason: `the branch changes ${files.replace(' changed', '')} and no task recorded a VERIFY whose tests ran, passed and covered the changed lines: take the change through VERIFY`,
      },
    ],
  ];
}

/** Paths that are a schema migration or a feature-flag definition: a change to them needs a way back. */
const MIGRATION_OR_FLAG = [
  /(^|\/)migrations?\//i,
  /(^|\/)db\/migrate\//i,
  /\.migration\.[a-z]+$/i,
  /(^|\/)(feature[-_]?)?flags?\//i,
  /(^|\/)(feature[-_]?)?flags?\.(json|ya?ml|toml|ts|js)$/i,
];

/**
 * Gate 3: a branch that changes a migration or a feature flag carries a rollback plan: a task's filled PR template
 * with a `Rollback` section of at least four words.
 */
async function rollbackCheck(ctx: StageContext, changed: readonly string[]): Promise<Found> {
  const risky = changed.filter((p) => MIGRATION_OR_FLAG.some((r) => r.test(p)));
  if (risky.length === 0) return ['rollback', 'not_evaluated', 'the branch changes no migration or feature flag'];
  const plans = ctx.tasks.flatMap((t) => {
    const f = evidenceNamed(t, 'pr_template_filled.md');
    const words = f ? rollbackWords(f.bytes.toString('utf8')) : 0;
    return words >= 4 ? [t.taskId] : [];
  });
  if (plans.length)
    return ['rollback', 'pass', `${risky.join(', ')} changed; rollback plan in the PR of ${plans.join(', ')}`];
  return [
    'rollback',
    'fail',
    `${risky.join(', ')} changed, no rollback plan`,
    [
      {
        taskId: null,
        check: 'safety',
        code: ErrorCode.EVIDENCE_MISSING,
        file: risky.slice(0, 5).join(', '),
        reason: `the branch changes a migration or feature flag (${risky.slice(0, 5).join(', ')}) and no task's pr_template_filled.md has a Rollback section that says how to undo it`,
      },
    ],
  ];
}

/** Words under a Markdown heading named Rollback, up to the next heading of any level. */
function rollbackWords(md: string): number {
  const lines = md.split(/\r?\n/);
  const at = lines.findIndex((l) => /^#{1,6}\s+rollback\b/i.test(l.trim()));
  if (at < 0) return 0;
  const end = lines.findIndex((l, i) => i > at && /^#{1,6}\s/.test(l.trim()));
  return lines
    .slice(at + 1, end < 0 ? undefined : end)
    .join(' ')
    .split(/\s+/)
    .filter((w) => /\w/.test(w)).length;
}

/** Gate 4: the build and test commands the re-run uses do not reach the network (`network: false`, the default). */
function hermeticCheck(ctx: StageContext): Found {
  const used = configuredCommands(ctx.config).filter((c) => c.role === 'build' || c.role === 'test');
  if (used.length === 0) return ['hermetic', 'not_evaluated', 'no build or test command'];
  const open = used.filter((c) => c.network);
  if (open.length === 0) return ['hermetic', 'pass', `${used.map((c) => c.role).join(' and ')} run without network`];
  return [
    'hermetic',
    'fail',
    `${open.map((c) => c.role).join(', ')} may reach the network`,
    open.map((c) => ({
      taskId: null,
      check: 'hermetic',
      code: ErrorCode.CONFIG_INVALID,
      file: `commands.${c.role}`,
      reason: `commands.${c.role}.network is true: the re-run is not hermetic (its result may depend on what the network serves); vendor what it downloads and set network: false`,
    })),
  ];
}

/** Gate 4: the supply-chain evidence VERIFY recorded (vulnerabilities, licences) passed. */
function supplyCheck(ctx: StageContext): Found {
  const docs = ctx.tasks.flatMap((t) =>
    ['vulnerabilities.json', 'licenses.json'].flatMap((name) => {
      const f = evidenceNamed(t, name);
      const doc = readJson(f?.bytes) as { passed?: unknown } | undefined;
      return f && typeof doc?.passed === 'boolean' ? [{ t, f, passed: doc.passed }] : [];
    }),
  );
  if (docs.length === 0)
    return ['supply-chain', 'not_evaluated', 'no task recorded supply-chain evidence (supplyChain is not configured)'];
  const failed = docs.filter((d) => !d.passed);
  const list = docs.map((d) => `${d.t.taskId} ${baseName(d.f.path)}`).join(', ');
  return failed.length
    ? [
        'supply-chain',
        'fail',
        list,
        failed.map((d) => ({
          taskId: d.t.taskId,
          check: 'supply',
          code: ErrorCode.VERIFY_FAILED,
          file: d.f.path,
          reason: `${baseName(d.f.path)} records a failed supply-chain check`,
        })),
      ]
    : ['supply-chain', 'pass', list];
}

/**
 * Splits problems by their gate's mode: those of an enforcing gate, and those no mode relaxes, block; those of a gate
 * in observe or off are relaxed (observe: would have blocked).
 */
export function applyModes(
  problems: readonly CiProblem[],
  config: Config,
): { blocking: CiProblem[]; relaxed: RelaxedProblem[] } {
  const modes = gateModes(config.gates);
  const blocking: CiProblem[] = [];
  const relaxed: RelaxedProblem[] = [];
  for (const p of problems) {
    const gate = gateOf(p);
    const mode = modes[gate];
    if (mode === 'enforce' || isFooting(p)) blocking.push(p);
    else relaxed.push({ ...p, gate, mode });
  }
  return { blocking, relaxed };
}

/** The named stages: each gate's checks with their outcome, from the problems (blocking and relaxed) and the added checks. */
export function buildStages(
  config: Config,
  blocking: readonly CiProblem[],
  relaxed: readonly RelaxedProblem[],
  added: ReadonlyMap<string, GateCheck>,
  tasks: readonly TaskCiGate[],
): GateStage[] {
  const modes = gateModes(config.gates);
  const all = [...blocking, ...relaxed];
  return GATE_IDS.map((gate) => {
    const mode = modes[gate];
    const checks = CHECKS[gate].map(({ name, covers }): GateCheck => {
      const found = all.filter((p) => gateOf(p) === gate && checkNameOf(p) === name);
      const own = added.get(name);
      if (mode === 'off' && !found.some(isFooting)) return { name, status: 'not_evaluated', detail: 'the gate is off' };
      if (found.length) {
        return {
          // What the check saw beyond its problems (Gate 1's policy verdicts) stays with it.
          ...(own?.policies ? { policies: own.policies } : {}),
          ...(own?.policyDigest ? { policyDigest: own.policyDigest } : {}),
          // Gate 5's owner rules, with who approved which, stay with the check whose problems they explain.
          ...(own?.owners ? { owners: own.owners } : {}),
          name,
          status: 'fail',
          detail: `${found.length} problem${found.length === 1 ? '' : 's'}: ${found
            .slice(0, 3)
            .map((p) => p.reason)
            .join('; ')}${found.length > 3 ? '; …' : ''}`,
        };
      }
      if (own) return own;
      if (name === 'rerun') return rerunCheck(tasks);
      return { name, status: 'pass', detail: covers };
    });
    const footingFailed = blocking.some((p) => gateOf(p) === gate && isFooting(p));
    return {
      gate,
      title: GATE_TITLES[gate],
      mode,
      status: gateStatus(
        mode,
        checks.map((c) => c.status),
        footingFailed,
      ),
      checks,
    };
  });
}

/** Gate 4's re-run as the tasks report it: run and passed, or not run (and why). */
function rerunCheck(tasks: readonly TaskCiGate[]): GateCheck {
  const ran = tasks.find((t) => !('skipped' in t.verify));
  if (ran && !('skipped' in ran.verify))
    return {
      name: 'rerun',
      status: ran.verify.passed ? 'pass' : 'fail',
      detail: `VERIFY of ${ran.taskId} re-run: ${ran.verify.tests ? `${ran.verify.tests.total} tests` : 'no test results'}${ran.verify.sameCode ? ', same code as recorded' : ''}`,
    };
  const why = tasks.map((t) => ('skipped' in t.verify ? t.verify.skipped : '')).find(Boolean);
  return { name: 'rerun', status: 'not_evaluated', detail: why ?? 'no task recorded a passed VERIFY' };
}
