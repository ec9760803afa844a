/**
 * @module `autopilot policy test [FILE]` (the repository's policies against its own example cases),
 * `autopilot policy explain` (which policies decide one tool call in a phase), neither of which opens the ledger, and
 * `autopilot policy discover` (the dry run before a task's first write, which reads it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { parse } from 'yaml';
import { z } from 'zod';
import { AutopilotError, ErrorCode, refuse } from '../../../core/errors.ts';
import type { Config } from '../../../core/config.ts';
import type { ActorKind } from '../../../core/policy/cedar.ts';
import { findRoot, loadConfig } from '../../../engine/repo/config-file.ts';
import { layoutFor, type Layout } from '../../../engine/repo/layout.ts';
import {
  POLICIES_DIR,
  cedarVersion,
  decideChange,
  policySetOf,
  type ChangeDecision,
} from '../../../engine/repo/policies.ts';
import { addedLinesOf, changeRequestFor } from '../../../core/policy/change.ts';
import { git } from '../../../engine/repo/git.ts';
import { scanPatch } from '../../../engine/repo/secret-scan.ts';
import { PACK_DIR } from '../../../core/policy/pack.ts';
import { judgeToolCall, narrowByPersona } from '../../../engine/task/guard.ts';
import { findPersona, personaOf } from '../../../engine/drift/persona.ts';
import { SHIPPED_PERSONAS } from '../../../core/persona-library.ts';
import type { PersonaSpec } from '../../../core/persona.ts';
import { discover, writeSuggestions, type DiscoverReport, type WriteOutcome } from '../../../engine/task/discover.ts';
import { cwdOf, done, intOption, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

const CLIENTS = ['claude', 'codex', 'cursor', 'mcp', 'generic'] as const;
const ACTORS = ['agent', 'person', 'ci'] as const;

/** The default file of example cases, relative to the repository. */
export const CASES_FILE = `${POLICIES_DIR}/cases.yaml`;

/** The policy pack's example cases, judged with the repository's when `policy test` is given no file. */
export const PACK_CASES_FILE = `${POLICIES_DIR}/${PACK_DIR}/cases.yaml`;

const count = z.number().int().min(0);
/** A change as a case describes it: its files (with the lines they add and remove, and secrets found) and facts. */
const changeSchema = z
  .object({
    files: z
      .array(
        z
          .object({
            path: z.string().min(1),
            added: count.optional(),
            removed: count.optional(),
            secrets: count.optional(),
          })
          .strict(),
      )
      .min(1, 'list at least one changed file'),
    dependencies: z.array(z.string().min(1)).optional(),
    supplyChain: z.enum(['pass', 'fail', 'unknown']).optional(),
    rollback: z.boolean().optional(),
    branch: z.string().optional(),
    base: z.string().optional(),
  })
  .strict();
const caseSchema = z
  .object({
    name: z.string().min(1).optional(),
    phase: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'upper-case phase name'),
    tool: z.string().min(1).optional(),
    input: z.unknown().optional(),
    client: z.enum(CLIENTS).optional(),
    change: changeSchema.optional(),
    actor: z.enum(ACTORS).optional(),
    /** The persona the call is made under; absent: `--persona`, else the one the config gives the phase. */
    persona: z.string().min(1).optional(),
    expect: z.enum(['allow', 'ask', 'deny']),
  })
  .strict()
  .refine((c) => (c.tool === undefined) !== (c.change === undefined), {
    message: 'a case is a tool call (tool, input) or a change (change), one of the two',
  });
const casesSchema = z.object({ cases: z.array(caseSchema).min(1, 'list at least one case') }).strict();
type Case = z.infer<typeof caseSchema>;
type ChangeCase = z.infer<typeof changeSchema>;

interface Repo {
  readonly config: Config;
  readonly layout: Layout;
}

function openRepo(opts: GlobalOptions): Repo {
  const root = findRoot(cwdOf(opts));
  if (!root) {
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `no .autopilot/config.yaml at or above ${cwdOf(opts)}; run \`autopilot init\` in the repository first`,
      { key: '(file)', reason: 'not initialised' },
    );
  }
  const config = loadConfig(root);
  return { config, layout: layoutFor(root, config.stateDir) };
}

/** A persona by id, or undefined with the ids known: the repository's own and the shipped ones. */
function personaById(repo: Repo, id: string): { persona?: PersonaSpec; known: string[] } {
  const known = [...new Set([...(repo.config.personas?.custom ?? []).map((p) => p.id), ...SHIPPED_PERSONAS.keys()])];
  const persona = findPersona(repo.config, id);
  return persona ? { persona, known } : { known };
}

/** `--persona`: the persona every call is judged under, or a usage error naming the known ones. */
function personaOption(repo: Repo, id: string | undefined): PersonaSpec | undefined {
  if (id === undefined) return undefined;
  const { persona, known } = personaById(repo, id);
  if (!persona) throw new UsageError(`--persona: no persona ${id.slice(0, 64)}; known: ${known.join(', ')}`, 'persona');
  return persona;
}

/** A case judged as the guard judges it: the phase's policies, then the persona's allowlist, which only narrows. */
async function judge(repo: Repo, c: Case & { tool: string }, persona: PersonaSpec) {
  const j = await judgeToolCall(repo, {
    phase: c.phase,
    taskId: null,
    actor: { id: `${c.actor ?? 'agent'}:policy-test`, kind: (c.actor ?? 'agent') as ActorKind },
    call: { client: c.client ?? 'claude', tool: c.tool, input: c.input ?? {} },
  });
  return { ...j, ...narrowByPersona(persona, c.phase, c.tool, j), persona };
}

/** A change case decided as the implement move and Gate 1 decide a change. */
function judgeChange(repo: Repo, phase: string, actor: ActorKind, change: ChangeCase): ChangeDecision {
  const { files, ...facts } = change;
  return decideChange(
    repo.config,
    changeRequestFor(repo.config, {
      ...facts,
      actor: { id: `${actor}:policy-test`, kind: actor },
      phase,
      taskId: null,
      files: files.map((f) => ({
        path: f.path,
        added: f.added ?? 0,
        removed: f.removed ?? 0,
        secrets: f.secrets ?? 0,
      })),
    }),
  );
}

/** What a result says of the persona a call was judged under. */
const personaView = (p: PersonaSpec) => ({
  id: p.id,
  version: p.version,
  ...(p.tools ? { allow: [...p.tools.allow] } : {}),
});

function unknownPhase(repo: Repo, phase: string): VerbResult | undefined {
  if (repo.config.phases.includes(phase)) return undefined;
  return {
    ok: false,
    error: refuse(ErrorCode.PHASE_UNKNOWN, `unknown phase ${phase}; the phases are ${repo.config.phases.join(', ')}`, {
      phase,
      known: repo.config.phases,
    }).error,
  };
}

function loadCases(file: string): Case[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `${file}: ${why.split('\n')[0]}; write the cases there (see autopilot policy test --help)`,
      { key: '(file)', reason: why.split('\n')[0] ?? why, file },
    );
  }
  const r = casesSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue?.path.join('.') || '(root)';
    throw new AutopilotError(ErrorCode.CONFIG_INVALID, `${file}: key ${key}: ${issue?.message ?? 'invalid'}`, {
      key,
      reason: issue?.message ?? 'invalid',
      file,
    });
  }
  return r.data.cases;
}

/** `autopilot policy test [FILE]`: every case judged as the guard would; a case whose verdict differs fails. */
export async function policyTest(
  fileArg: string | undefined,
  opts: GlobalOptions & { persona?: string },
): Promise<VerbResult> {
  const repo = openRepo(opts);
  // Without FILE: the repository's cases and the policy pack's, those of the two that exist (the first when neither).
  const defaults = [CASES_FILE, PACK_CASES_FILE].map((f) => join(repo.layout.root, f));
  const present = defaults.filter((f) => existsSync(f));
  const files = fileArg ? [resolve(cwdOf(opts), fileArg)] : present.length ? present : defaults.slice(0, 1);
  const cases = files.flatMap((f) => loadCases(f).map((c) => ({ ...c, file: f })));
  const file = files.join(', ');
  const given = personaOption(repo, opts.persona);
  const personas: PersonaSpec[] = [];
  for (const [i, c] of cases.entries()) {
    const bad = unknownPhase(repo, c.phase);
    if (bad) return bad;
    const named = c.persona !== undefined ? personaById(repo, c.persona) : undefined;
    if (named && !named.persona)
      throw new AutopilotError(
        ErrorCode.CONFIG_INVALID,
        `${file}: key cases.${i}.persona: no persona ${c.persona?.slice(0, 64)}; known: ${named.known.join(', ')}`,
        { key: `cases.${i}.persona`, reason: 'unknown persona', file },
      );
    personas.push(named?.persona ?? given ?? personaOf(repo.config, c.phase));
  }
  const results = [];
  for (const [i, c] of cases.entries()) {
    if (c.change) {
      const d = judgeChange(repo, c.phase, (c.actor ?? 'agent') as ActorKind, c.change);
      results.push({
        name: c.name ?? `a change of ${c.change.files.map((f) => f.path).join(', ')} in ${c.phase}`,
        index: i,
        expect: c.expect,
        got: d.enforced.verdict,
        passed: d.enforced.verdict === c.expect,
        policyIds: d.enforced.policyIds,
        reason: d.enforced.findings.map((f) => `${f.policyId} ${f.verdict} on ${f.on.join(', ')}`).join('; '),
      });
      continue;
    }
    const j = await judge(repo, { ...c, tool: c.tool ?? '' }, personas[i]!);
    results.push({
      name: c.name ?? `${c.tool} in ${c.phase}`,
      index: i,
      expect: c.expect,
      got: j.decision,
      passed: j.decision === c.expect,
      ...(j.code ? { code: j.code } : {}),
      persona: personaView(j.persona),
      policyIds: j.policy.enforced.policyIds,
      reason: j.reason,
    });
  }
  const failed = results.filter((r) => !r.passed);
  const digest = policySetOf(repo.config).digest;
  const lines = results.map(
    (r) =>
      `${r.passed ? pc.green('pass') : pc.red('FAIL')} ${r.name}: ${r.got}${r.passed ? '' : ` (expected ${r.expect})`}` +
      ('persona' in r && r.code === ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA
        ? ` [persona ${r.persona.id} may not use it]`
        : ` [${r.policyIds.join(', ') || 'no policy permits'}]`),
  );
  const summary = `${results.length - failed.length} of ${results.length} cases pass (policy set ${digest.slice(0, 12)})`;
  const value = { file, digest, passed: results.length - failed.length, failed: failed.length, cases: results };
  if (failed.length === 0) return done(value, [...lines, summary].join('\n'));
  return {
    ok: false,
    text: [...lines, summary].join('\n'),
    error: {
      code: ErrorCode.VERIFY_FAILED,
      message: `${failed.length} policy case(s) decided otherwise than expected: ${failed
        .map((f) => `${f.name} (${f.got}, expected ${f.expect})`)
        .join('; ')
        .slice(0, 1500)}. Fix the policy or the case`,
      details: value,
    },
  };
}

/**
 * `autopilot policy explain --change [--base REF] [--files a,b] [--branch B]`: the working tree's change from REF
 * (tracked files; new files once added to the index), decided by the policy set as Gate 1 decides a branch's diff,
 * with each policy's verdict, file and line. The secrets are the scanner's on the added lines.
 */
export async function policyExplainChange(
  opts: GlobalOptions & { base?: string; files?: string; phase?: string; branch?: string; actor?: string },
): Promise<VerbResult> {
  const actor = (opts.actor ?? 'agent') as ActorKind;
  if (!ACTORS.includes(actor)) throw new UsageError(`--actor must be one of ${ACTORS.join(', ')}`, 'actor');
  const repo = openRepo(opts);
  const phase = opts.phase ?? repo.config.roles.implement ?? '';
  const bad = opts.phase ? unknownPhase(repo, opts.phase) : undefined;
  if (bad) return bad;
  const base = opts.base ?? 'HEAD';
  const root = repo.layout.root;
  const only = opts.files
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const paths = only?.length ? ['--', ...only] : [];
  const stat = await git(root, ['diff', '--numstat', '--no-renames', '-z', base, ...paths]);
  if (stat.code !== 0)
    throw new UsageError(
      `git diff ${base} failed: ${stat.stderr.trim().split('\n')[0] ?? ''}; give a commit as --base`,
      'base',
    );
  const files = stat.stdout
    .split('\0')
    .filter(Boolean)
    .map((row) => {
      const [a = '0', d = '0', ...rest] = row.split('\t');
      return { path: rest.join('\t'), added: Number(a) || 0, removed: Number(d) || 0 };
    });
  if (files.length === 0)
    throw new UsageError(
      `no change from ${base}${only?.length ? ` in ${only.join(', ')}` : ''}: change a file (a new one once git add-ed), or give another --base`,
      'files',
    );
  const patch = (await git(root, ['diff', '-U0', '--no-renames', base, ...paths])).stdout;
  const secrets = new Map<string, number>();
  for (const f of await scanPatch(patch)) secrets.set(f.file, (secrets.get(f.file) ?? 0) + 1);
  const branch = opts.branch ?? (await git(root, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim();
  const request = changeRequestFor(repo.config, {
    actor: { id: `${actor}:policy-explain`, kind: actor },
    phase,
    taskId: null,
    files: files.map((f) => ({ ...f, secrets: secrets.get(f.path) ?? 0 })),
    addedLines: addedLinesOf(patch),
    branch: branch === 'HEAD' ? '' : branch,
  });
  const d = decideChange(repo.config, request);
  const set = policySetOf(repo.config);
  const where = (id: string): { file?: string; line?: number; mode?: string; reason?: string } => {
    const p = set.policies.find((x) => x.id === id);
    return p ? { file: p.file, line: p.line, mode: p.mode, ...(p.reason ? { reason: p.reason } : {}) } : {};
  };
  const findings = d.enforced.findings.map((f) => ({ ...f, ...where(f.policyId) }));
  const enforcedIds = new Set(findings.map((f) => f.policyId));
  const observed = (d.observed?.findings ?? [])
    .filter((f) => !enforcedIds.has(f.policyId))
    .map((f) => ({ ...f, ...where(f.policyId) }));
  const value = {
    change: { base, branch: request.branch, phase, files: request.files, dependencies: request.dependencies },
    decision: d.enforced.verdict,
    policies: findings,
    ...(d.observed ? { observed: { verdict: d.observed.verdict, policies: observed } } : {}),
    errors: d.enforced.errors,
    digest: d.digest,
    cedar: cedarVersion(),
  };
  const color = d.enforced.verdict === 'allow' ? pc.green : d.enforced.verdict === 'ask' ? pc.yellow : pc.red;
  const lines = [
    `${color(d.enforced.verdict)} a change of ${request.files.length} file(s) from ${base} (${request.files
      .map((f) => `${f.path} ${f.kind} +${f.added}/-${f.removed}`)
      .join(', ')})`,
    ...findings.map(
      (f) =>
        `  ${f.verdict} ${f.policyId} (${f.file ? `${f.file}:${f.line}` : '?'}) on ${f.on.join(', ')}${f.reason ? `: ${f.reason}` : ''}`,
    ),
    ...(findings.length ? [] : ['  no policy forbids it']),
    ...observed.map((f) => `  observe mode would: ${f.verdict} ${f.policyId} on ${f.on.join(', ')}`),
    `  policy set ${d.digest.slice(0, 12)}, Cedar ${value.cedar}`,
  ];
  return done(value, lines.join('\n'));
}

/** `autopilot policy explain --tool NAME --phase P`: the decision and the policies that made it, with their files. */
export async function policyExplain(
  opts: GlobalOptions & {
    tool: string;
    input?: string;
    phase: string;
    client?: string;
    actor?: string;
    persona?: string;
  },
): Promise<VerbResult> {
  if (!opts.tool) throw new UsageError('give --tool NAME (a tool call) or --change (a change)', 'tool');
  if (!opts.phase) throw new UsageError('give --phase PHASE to judge the tool call in', 'phase');
  let input: unknown = {};
  if (opts.input !== undefined) {
    try {
      input = JSON.parse(opts.input);
    } catch (err) {
      throw new UsageError(`--input is not JSON: ${(err as Error).message}`, 'input');
    }
  }
  const client = (opts.client ?? 'claude') as (typeof CLIENTS)[number];
  if (!CLIENTS.includes(client)) throw new UsageError(`--client must be one of ${CLIENTS.join(', ')}`, 'client');
  const actor = (opts.actor ?? 'agent') as ActorKind;
  if (!ACTORS.includes(actor)) throw new UsageError(`--actor must be one of ${ACTORS.join(', ')}`, 'actor');
  const repo = openRepo(opts);
  const bad = unknownPhase(repo, opts.phase);
  if (bad) return bad;
  const persona = personaOption(repo, opts.persona) ?? personaOf(repo.config, opts.phase);
  const j = await judge(
    repo,
    { phase: opts.phase, tool: opts.tool, input, client, actor, expect: 'allow' } as Case & { tool: string },
    persona,
  );
  const set = policySetOf(repo.config);
  const describe = (id: string) => {
    const p = set.policies.find((x) => x.id === id);
    return p
      ? { id, effect: p.effect, file: p.file, line: p.line, mode: p.mode, ...(p.reason ? { reason: p.reason } : {}) }
      : { id };
  };
  const deciding = j.policy.enforced.policyIds.map(describe);
  const observed = j.policy.observed;
  const value = {
    tool: opts.tool,
    phase: opts.phase,
    decision: j.decision,
    ...(j.code ? { code: j.code } : {}),
    reason: j.reason,
    persona: personaView(j.persona),
    missing: j.missing,
    capabilities: j.classification.capabilities,
    unknown: j.classification.unknown,
    table: j.table.decision,
    policies: deciding,
    ...(observed && observed.verdict !== j.decision
      ? { observed: { verdict: observed.verdict, policies: observed.policyIds.map(describe) } }
      : {}),
    digest: j.policy.digest,
    cedar: cedarVersion(),
  };
  const color = j.decision === 'allow' ? pc.green : j.decision === 'ask' ? pc.yellow : pc.red;
  const lines = [
    `${color(j.decision)} ${opts.tool} in ${opts.phase} (${j.classification.capabilities.join(', ') || 'no capability'}${
      j.classification.unknown ? ', unknown' : ''
    })`,
    `  ${j.reason}`,
    `  persona: ${j.persona.id}@${j.persona.version} (${j.persona.tools ? `may use ${j.persona.tools.allow.join(', ')}` : "the phase's capabilities"})`,
    deciding.length
      ? `  decided by: ${deciding.map((d) => ('file' in d ? `${d.id} (${d.effect}, ${d.file}:${d.line})` : d.id)).join(', ')}`
      : '  decided by: no policy permits it (Cedar denies by default)',
    ...(value.observed
      ? [`  observe mode would have: ${value.observed.verdict} (${observed?.policyIds.join(', ') ?? ''})`]
      : []),
    `  policy set ${j.policy.digest.slice(0, 12)}, Cedar ${value.cedar}`,
  ];
  return done(value, lines.join('\n'));
}

/** The files of `--files`: a comma-separated list, or `-` for one path a line on standard input. */
async function filesOption(value: string | undefined): Promise<string[] | undefined> {
  if (value === undefined) return undefined;
  if (value !== '-')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The report as text (also what `init --discover` prints). */
export function discoverText(r: DiscoverReport, wrote: WriteOutcome | undefined, writing: boolean): string {
  const verdictColor = (v: string) => (v === 'allow' ? pc.green : v === 'ask' ? pc.yellow : pc.red)(v);
  const from = r.source.kind === 'file-map' ? `the file map ${r.source.path}` : 'the files given';
  const lines = [
    r.source.kind === 'none'
      ? "no task and no files: this repository's history and the settings it suggests"
      : `${r.task ? `${r.task.id} (${r.task.status === 'active' ? `in ${r.task.phase}` : r.task.status})` : 'a task yet to start'}: ${r.files.length} file(s) from ${from}`,
    ...r.files.map((f) => {
      const risk = f.risk.length ? ` ${pc.yellow(`risk: ${[...new Set(f.risk.map((x) => x.class))].join(', ')}`)}` : '';
      const observed = f.policy.observed ? ` (observe mode would: ${f.policy.observed.verdict})` : '';
      return `  ${f.change.padEnd(6)} ${f.path}  ~${f.expectedLines} lines (${f.basis}); writing it in ${f.policy.phase}: ${verdictColor(f.policy.verdict)} [${f.policy.ids.join(', ') || 'no policy permits it'}]${observed}${risk}`;
    }),
  ];
  if (r.source.kind !== 'none')
    lines.push(
      `expected diff: ${r.diff.files} file(s), about ${r.diff.expectedLines} changed lines (approvals.maxLines ${r.diff.maxLines}); risk ${r.risk.level}`,
    );
  lines.push(r.approvals.length ? 'moves ahead that need a person or a decision:' : 'no move ahead needs a person');
  for (const a of r.approvals)
    lines.push(
      `  ${a.move} ${a.phase}: ${a.needs === 'approval' ? "a person's approval" : 'configure or waive the check first (WAIVER_REQUIRED)'} (${a.reasons.join('; ')})`,
    );
  lines.push(r.evidence.length ? 'evidence still missing:' : 'no evidence missing');
  for (const e of r.evidence)
    lines.push(
      `  ${e.phase}: ${e.artifacts.map((a) => (a.producer === 'autopilot' ? `${a.name} (Autopilot writes it)` : a.name)).join(', ')}`,
    );
  const h = r.history;
  lines.push(
    `history: ${h.commits} commit(s)${h.lines ? `, changed lines per commit p50 ${h.lines.p50}, p90 ${h.lines.p90}, p95 ${h.lines.p95}` : ''}; ${h.verify.testMs.length} recorded test run(s)${h.verify.coverage?.totalPercent != null ? `; coverage last measured ${h.verify.coverage.totalPercent.toFixed(1)}%` : ''}`,
  );
  lines.push(r.suggestions.length ? 'suggested settings:' : 'no suggested settings: the history is too short');
  for (const s of r.suggestions)
    lines.push(`  ${s.key}: ${s.current ?? 'unset'} → ${s.suggested}${s.differs ? '' : ' (already so)'}  (${s.basis})`);
  if (r.source.kind !== 'none') for (const u of r.unknown) lines.push(pc.dim(`  not known yet: ${u}`));
  if (wrote) {
    lines.push(
      wrote.written.length
        ? `wrote ${wrote.written.map((w) => `${w.key} ${w.to}`).join(', ')} into ${wrote.configFile}; commit it`
        : `nothing to write: ${wrote.configFile} already has the suggested values`,
    );
    for (const t of wrote.contractChanged)
      lines.push(
        pc.yellow(
          `  ${t.taskId} adopted the config as it was: its next move is refused with CONFIG_CHANGED (${t.keys.join(', ')}) until a person adopts the new config for it in the dashboard's approval panel, or the change is undone`,
        ),
      );
  } else if (!writing && r.suggestions.some((s) => s.differs)) {
    lines.push(pc.dim('nothing written: add --write to write the suggested settings into the config'));
  }
  lines.push(pc.dim(`policy set ${r.policyDigest.slice(0, 12)}`));
  return lines.join('\n');
}

/**
 * `autopilot policy discover [TASK] [--files a,b|-] [--write]`: the dry run before a task's first write. Writes
 * nothing unless `--write`, which writes the suggested settings into the config.
 */
export async function policyDiscover(
  taskId: string | undefined,
  opts: GlobalOptions & { files?: string; commits?: string; write?: boolean },
): Promise<VerbResult> {
  const files = await filesOption(opts.files);
  const commits = intOption(opts.commits, 'commits');
  if (commits === 0) throw new UsageError('--commits needs at least 1', 'commits');
  return withEngine(opts, async (engine) => {
    const r = await discover(engine, {
      ...(taskId !== undefined ? { taskId } : {}),
      ...(files !== undefined ? { files } : {}),
      ...(commits !== undefined ? { commits } : {}),
    });
    if (!r.ok) return r;
    let wrote: WriteOutcome | undefined;
    if (opts.write) {
      const w = await writeSuggestions(engine, r.value.suggestions);
      if (!w.ok) return w;
      wrote = w.value;
    }
    return done({ ...r.value, ...(wrote ? { wrote } : {}) }, discoverText(r.value, wrote, !!opts.write));
  });
}
