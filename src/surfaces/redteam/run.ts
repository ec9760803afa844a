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
import { describeStep, runStep, type CaseContext, type Observation, type Outcome } from './steps.ts';

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
  };
  /** The layer that stopped it, or null for a miss. */
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

/** Runs one case in a fresh copy of its waypoint. */
async function runCase(c: AttackCase, fixtures: Fixtures): Promise<CaseReport> {
  const started = Date.now();
  const problems: string[] = [];
  let decisive: { route: string; obs: Observation } | undefined;
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
      decisive = { route: describeStep(step), obs };
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
    expected: { outcome: c.outcome, layer: c.layer },
    observed: obs
      ? {
          outcome: obs.outcome,
          ...(obs.code ? { code: obs.code } : {}),
          ...(obs.exit !== undefined ? { exit: obs.exit } : {}),
          detail: obs.detail,
        }
      : { outcome: 'error', detail: problems[0] ?? '' },
    stoppedBy: passed ? c.layer : null,
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
