/**
 * @module `autopilot policy test [FILE]` (the repository's policies against its own example cases) and
 * `autopilot policy explain` (which policies decide one tool call in a phase). Neither opens the ledger.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import { parse } from 'yaml';
import { z } from 'zod';
import { AutopilotError, ErrorCode, refuse } from '../../../core/errors.ts';
import type { Config } from '../../../core/config.ts';
import type { ActorKind } from '../../../core/policy/cedar.ts';
import { findRoot, loadConfig } from '../../../engine/repo/config-file.ts';
import { layoutFor, type Layout } from '../../../engine/repo/layout.ts';
import { POLICIES_DIR, cedarVersion, policySetOf } from '../../../engine/repo/policies.ts';
import { judgeToolCall, type Judgement } from '../../../engine/task/guard.ts';
import { cwdOf, done, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

const CLIENTS = ['claude', 'codex', 'cursor', 'mcp', 'generic'] as const;
const ACTORS = ['agent', 'person', 'ci'] as const;

/** The default file of example cases, relative to the repository. */
export const CASES_FILE = `${POLICIES_DIR}/cases.yaml`;

const caseSchema = z
  .object({
    name: z.string().min(1).optional(),
    phase: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'upper-case phase name'),
    tool: z.string().min(1),
    input: z.unknown().optional(),
    client: z.enum(CLIENTS).optional(),
    actor: z.enum(ACTORS).optional(),
    expect: z.enum(['allow', 'ask', 'deny']),
  })
  .strict();
const casesSchema = z.object({ cases: z.array(caseSchema).min(1, 'list at least one case') }).strict();
type Case = z.infer<typeof caseSchema>;

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

function judge(repo: Repo, c: Case): Promise<Judgement> {
  return judgeToolCall(repo, {
    phase: c.phase,
    taskId: null,
    actor: { id: `${c.actor ?? 'agent'}:policy-test`, kind: (c.actor ?? 'agent') as ActorKind },
    call: { client: c.client ?? 'claude', tool: c.tool, input: c.input ?? {} },
  });
}

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
export async function policyTest(fileArg: string | undefined, opts: GlobalOptions): Promise<VerbResult> {
  const repo = openRepo(opts);
  const file = fileArg ? resolve(cwdOf(opts), fileArg) : join(repo.layout.root, CASES_FILE);
  const cases = loadCases(file);
  for (const c of cases) {
    const bad = unknownPhase(repo, c.phase);
    if (bad) return bad;
  }
  const results = [];
  for (const [i, c] of cases.entries()) {
    const j = await judge(repo, c);
    results.push({
      name: c.name ?? `${c.tool} in ${c.phase}`,
      index: i,
      expect: c.expect,
      got: j.decision,
      passed: j.decision === c.expect,
      policyIds: j.policy.enforced.policyIds,
      reason: j.reason,
    });
  }
  const failed = results.filter((r) => !r.passed);
  const digest = policySetOf(repo.config).digest;
  const lines = results.map(
    (r) =>
      `${r.passed ? pc.green('pass') : pc.red('FAIL')} ${r.name}: ${r.got}${r.passed ? '' : ` (expected ${r.expect})`}` +
      ` [${r.policyIds.join(', ') || 'no policy permits'}]`,
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

/** `autopilot policy explain --tool NAME --phase P`: the decision and the policies that made it, with their files. */
export async function policyExplain(
  opts: GlobalOptions & { tool: string; input?: string; phase: string; client?: string; actor?: string },
): Promise<VerbResult> {
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
  const j = await judge(repo, { phase: opts.phase, tool: opts.tool, input, client, actor, expect: 'allow' });
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
    reason: j.reason,
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
