/**
 * @module The attack suite's runner: each case in a throw-away repository,
 * its moves carried out, the decisive ones held to the outcome the case must
 * get, what must still hold checked, and a report of every case.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CASES, type AttackCase, type Check, type Layer } from './cases.ts';
import { Fixtures, editConfig, TASK } from './fixture.ts';
import { describeStep, runStep, type CaseContext, type Observation, type Outcome, type Step } from './steps.ts';
import { loadConfig } from '../../engine/repo/config-file.ts';
import { phaseDir } from '../../core/phases.ts';

/** One case as it went. */
export interface CaseReport {
  readonly id: string;
  readonly category: string;
  readonly title: string;
  /** The decisive move, as it reads. */
  readonly route: string;
  readonly expected: { readonly outcome: 'blocked' | 'person'; readonly layer: Layer };
  /** What the decisive move got. */
  readonly observed: {
    readonly outcome: Outcome | 'error';
    readonly code?: string;
    readonly exit?: number;
    readonly detail: string;
    /** The layer that answered, as observed (see {@link observedLayer}); null when none did. */
    readonly layer: Layer | null;
  };
  /** The layer that stopped it, as observed, or null for a miss. */
  readonly stoppedBy: Layer | null;
  readonly passed: boolean;
  /** Why a miss is a miss. */
  readonly problems: readonly string[];
  readonly durationMs: number;
}

export interface RedteamReport {
  readonly passed: boolean;
  readonly total: number;
  readonly misses: number;
  readonly durationMs: number;
  readonly cases: readonly CaseReport[];
  /** Where the throw-away repositories are, when they were kept. */
  readonly kept?: string;
}

export interface RedteamOptions {
  /** The suite to run (default {@link CASES}). */
  readonly cases?: readonly AttackCase[];
  /** Only the cases whose id contains this text. */
  readonly only?: string;
  /** How many cases run at once (each spawns Autopilot processes). */
  readonly concurrency?: number;
  /** Keep the throw-away repositories (their folder is in each report's detail). */
  readonly keep?: boolean;
  /** Called as each case finishes. */
  readonly onCase?: (report: CaseReport) => void;
}

/** Every file of a folder tree: relative path → sha256, or `-> symlink`. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs)) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(a);
      if (st.isSymbolicLink()) out.set(r, '-> symlink');
      else if (st.isDirectory()) walk(a, r);
      else out.set(r, createHash('sha256').update(readFileSync(a)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

function sameSnapshot(a: Map<string, string>, b: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) diff.push(`${a.has(k) ? 'changed' : 'added'} ${k}`);
  for (const k of a.keys()) if (!b.has(k)) diff.push(`removed ${k}`);
  return diff;
}

function readDb<T>(dir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dir, '.autopilot', 'autopilot.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function check(c: Check, ctx: CaseContext, outsideBefore: Map<string, string>): string | null {
  switch (c.kind) {
    case 'phase': {
      const row = readDb(
        ctx.dir,
        (db) => db.prepare('SELECT state FROM tasks WHERE task_id = ?').get(TASK) as { state: string } | undefined,
      );
      const phase = row ? (JSON.parse(row.state) as { phase: string }).phase : '(no task)';
      return phase === c.is ? null : `${TASK} must still be in ${c.is}, and is in ${phase}`;
    }
    case 'no-approval': {
      const n = readDb(
        ctx.dir,
        (db) =>
          (
            db
              .prepare(
                "SELECT count(*) AS n FROM ledger WHERE kind = 'approval' AND json_extract(data, '$.action') = 'approved'",
              )
              .get() as { n: number }
          ).n,
      );
      return n === 0 ? null : `the ledger holds ${n} approval${n === 1 ? '' : 's'}`;
    }
    case 'outside-unchanged': {
      const diff = sameSnapshot(outsideBefore, snapshot(ctx.outside));
      return diff.length === 0 ? null : `the folder outside the repository changed: ${diff.slice(0, 3).join(', ')}`;
    }
    case 'absent':
      return existsSync(join(ctx.dir, c.path)) || isLink(join(ctx.dir, c.path)) ? `${c.path} was written` : null;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The layer that answered a move, as observed rather than as the case expects it: the
 * surface the move went through (a git hook, a client's hook, SQL on the store, the MCP
 * protocol) and, for Autopilot's refusals, the code and details of the refusal. Null when
 * the move was let through, or when what answered is none of the layers.
 */
export function observedLayer(step: Step, obs: Observation, produced: ReadonlySet<string>): Layer | null {
  if (obs.outcome === 'allowed') return null;
  // A hook that did not take the answer of what held the daemon's socket says so: it judged the call itself.
  if (step.kind === 'hook' && DAEMON_UNTRUSTED.test(obs.raw)) return 'hook: daemon proof';
  // The guard's own words for the rule that answered: a protected path named, or a person's verb.
  if ((step.kind === 'hook' && step.client !== 'git') || (step.kind === 'mcp' && step.tool === 'tool_check')) {
    if (PROTECTED_RULE.test(obs.raw)) return 'guard: protected paths';
    if (PERSON_RULE.test(obs.raw)) return 'guard: person verbs';
  }
  switch (step.kind) {
    case 'hook':
      if (step.client === 'git') return 'git hook';
      // A shell command reaches the policy as what the shell parser made of it; any other tool call as it is.
      return isShellCall(step) ? 'guard: shell parser' : 'guard: tool policy';
    case 'sql':
      return obs.code?.startsWith('SQLITE_CONSTRAINT') ? 'store: append-only triggers' : null;
    case 'mcp':
      if (obs.code === 'NO_SUCH_TOOL' || obs.code === 'PROTOCOL_ERROR') return 'MCP surface';
      if (step.tool === 'approval_request' && obs.outcome === 'person') return 'approvals: passkey';
      break;
    case 'cli':
    case 'lease':
      break;
    default:
      return null;
  }
  switch (obs.code) {
    case 'PHASE_SKIP':
      return 'engine: phase order';
    case 'PATH_OUTSIDE_EVIDENCE':
      return 'engine: evidence paths';
    case 'LEASE_HELD':
    case 'LEASE_FENCED':
    case 'LEASE_REQUIRED':
      return 'leases: fencing';
    case 'PROMPT_DRIFT':
      return 'attestation: drift';
    case 'APPROVAL_REQUIRED':
      return 'approvals: passkey';
    case 'TOOL_NOT_ALLOWED_IN_PHASE':
      return 'guard: tool policy';
    case 'LEDGER_TAMPERED':
      // `ledger verify` reads the whole chain; a move re-checks the sealed evidence of the phases passed.
      return step.kind === 'cli' && step.args[0] === 'ledger' && step.args[1] === 'verify'
        ? 'ledger verify'
        : 'gate: sealed evidence';
    case 'EVIDENCE_PROTECTED':
      return obs.details?.['producer'] === 'sealed' ? 'gate: sealed evidence' : 'gate: produced evidence';
    case 'VERIFY_FAILED':
      return 'gate: produced evidence';
    case 'USAGE':
      // A task id becomes a folder name: the engine's path check refuses one that would climb out.
      return obs.details?.['argument'] === 'taskId' ? 'engine: evidence paths' : null;
    case 'EVIDENCE_INVALID':
    case 'EVIDENCE_MISSING': {
      const findings = (obs.details?.['findings'] ?? []) as { file?: unknown; rule?: unknown }[];
      if (findings.some((f) => f.rule === 'symlink')) return 'engine: evidence paths';
      const ofProduced = findings.some((f) => typeof f.file === 'string' && produced.has(phaseAndName(f.file)));
      return ofProduced ? 'gate: produced evidence' : 'gate: evidence content';
    }
  }
  return null;
}

/** A client's shell command: Claude Code's Bash, Codex's shell tool, Cursor's shell execution. */
function isShellCall(step: Extract<Step, { kind: 'hook' }>): boolean {
  if (step.client === 'cursor') return step.event === 'beforeShellExecution';
  const payload = step.payload as { tool_name?: unknown } | null;
  const name = typeof payload === 'object' && payload !== null ? payload.tool_name : undefined;
  return name === 'Bash' || name === 'shell' || name === 'local_shell' || name === 'exec_command';
}

const DAEMON_UNTRUSTED = /did not prove it is Autopilot's daemon .* this hook judged the call itself/;
const PROTECTED_RULE = /one of Autopilot's secrets|only Autopilot and people change/;
const PERSON_RULE = /a person's command, never an agent's|cannot name another holder, repository or store/;

/** `phase/name` of an evidence path (`evidence/T-1/implement/git_diff.patch` → `implement/git_diff.patch`). */
function phaseAndName(path: string): string {
  return path.split('/').slice(-2).join('/');
}

/** The artifacts Autopilot produces itself under the case's config, as `phase/name`. */
function producedArtifacts(dir: string): Set<string> {
  try {
    const config = loadConfig(dir);
    return new Set(
      Object.entries(config.evidence).flatMap(([phase, rules]) =>
        rules.filter((r) => r.producer === 'autopilot').map((r) => `${phaseDir(phase)}/${r.name}`),
      ),
    );
  } catch {
    return new Set();
  }
}

/** Runs one case in a fresh copy of its waypoint. */
async function runCase(c: AttackCase, fixtures: Fixtures): Promise<CaseReport> {
  const started = Date.now();
  const problems: string[] = [];
  let decisive: { route: string; obs: Observation; layer: Layer | null; wanted: Layer } | undefined;
  const { dir, outside } = await fixtures.caseRepo(c.at, c.id);
  const ctx: CaseContext = { dir, outside };
  try {
    if (c.config) editConfig(dir, (config) => merge(config, c.config as Record<string, unknown>));
    const outsideBefore = snapshot(outside);
    for (const step of c.steps) {
      const obs = await runStep(step, ctx);
      const { expect } = step;
      if (!expect) {
        if (obs.outcome === 'allowed') continue;
        problems.push(
          `the move "${describeStep(step)}" the attack builds on was refused: ${obs.code ?? ''} ${obs.detail}`.trim(),
        );
        break;
      }
      const layer = observedLayer(step, obs, producedArtifacts(dir));
      const wanted = expect.layer ?? c.layer;
      decisive = { route: describeStep(step), obs, layer, wanted };
      if (obs.outcome === c.outcome && layer !== wanted)
        problems.push(`${describeStep(step)}: answered by ${layer ?? 'no known layer'}, expected ${wanted}`);
      if (obs.outcome !== c.outcome)
        problems.push(
          `${describeStep(step)}: ${obs.outcome}, expected ${c.outcome}${obs.code ? ` (${obs.code})` : ''}: ${obs.detail}`,
        );
      if (expect.code !== undefined && obs.code !== expect.code)
        problems.push(`${describeStep(step)}: code ${obs.code ?? 'none'}, expected ${expect.code}`);
      if (expect.exit !== undefined && obs.exit !== expect.exit)
        problems.push(`${describeStep(step)}: exit ${obs.exit ?? 'none'}, expected ${expect.exit}`);
      if (expect.mentions !== undefined && !new RegExp(expect.mentions).test(obs.raw))
        problems.push(`${describeStep(step)}: the answer does not name ${expect.mentions}`);
      if (problems.length > 0) break;
    }
    if (problems.length === 0) {
      for (const ch of c.then ?? []) {
        const p = check(ch, ctx, outsideBefore);
        if (p) problems.push(p);
      }
    }
  } catch (err) {
    problems.push(`the attack could not be carried out: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await ctx.mcp?.close().catch(() => {});
  }
  if (!decisive) problems.push('no decisive move ran');
  const passed = problems.length === 0;
  const obs = decisive?.obs;
  return {
    id: c.id,
    category: c.category,
    title: c.title,
    route: decisive?.route ?? describeStep(c.steps[c.steps.length - 1]!),
    expected: { outcome: c.outcome, layer: decisive?.wanted ?? c.layer },
    observed: obs
      ? {
          outcome: obs.outcome,
          ...(obs.code ? { code: obs.code } : {}),
          ...(obs.exit !== undefined ? { exit: obs.exit } : {}),
          detail: obs.detail,
          layer: decisive?.layer ?? null,
        }
      : { outcome: 'error', detail: problems[0] ?? '', layer: null },
    stoppedBy: passed ? (decisive?.layer ?? null) : null,
    passed,
    problems,
    durationMs: Date.now() - started,
  };
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t))
      merge(t as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

/** The cases the options select. */
export function selectCases(opts: Pick<RedteamOptions, 'cases' | 'only'> = {}): readonly AttackCase[] {
  const all = opts.cases ?? CASES;
  return opts.only ? all.filter((c) => c.id.includes(opts.only!)) : all;
}

/** Runs the attack suite; a miss is any case that did not get its outcome from its layer, or left a trace it must not. */
export async function runRedteam(opts: RedteamOptions = {}): Promise<RedteamReport> {
  const started = Date.now();
  const cases = selectCases(opts);
  const fixtures = new Fixtures();
  const reports: CaseReport[] = new Array<CaseReport>(cases.length);
  try {
    // The waypoints first, one after the other: each builds on the one before.
    for (const at of new Set(cases.map((c) => c.at))) await fixtures.waypoint(at);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const report = await runCase(cases[i]!, fixtures);
        reports[i] = report;
        opts.onCase?.(report);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 3) }, worker));
  } finally {
    if (!opts.keep) fixtures.dispose();
  }
  const misses = reports.filter((r) => !r.passed).length;
  return {
    passed: misses === 0,
    total: reports.length,
    misses,
    durationMs: Date.now() - started,
    cases: reports,
    ...(opts.keep ? { kept: fixtures.root } : {}),
  };
}
