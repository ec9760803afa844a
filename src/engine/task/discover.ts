/**
 * @module Use case: policy discovery, a dry run before a task's first write. From PLAN's file map (or a proposed list
 * of files) and the repository it reports the files the task would touch, the expected diff size, the policies and
 * risk classes each file meets, the approvals the moves ahead would need, the evidence still missing, and the
 * settings this repository's history suggests. Nothing is written, except the suggestions with {@link writeSuggestions}.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import { phaseDir } from '../../core/phases.ts';
import { assessRisk, atLeast, type RiskLevel, type RiskReason } from '../../core/risk.ts';
import { phaseWaivers, waiversNeedPerson, type CheckName } from '../../core/waivers.ts';
import {
  estimateFile,
  historySizes,
  suggestSettings,
  type CommitStat,
  type FileTouch,
  type HistorySizes,
  type PlannedFile,
  type Suggestion,
  type VerifyHistory,
} from '../../core/discover.ts';
import { loadTask } from '../ledger/load-task.ts';
import { git } from '../repo/git.ts';
import { readNoFollow } from '../repo/files.ts';
import { evidenceRel } from '../repo/layout.ts';
import { loadConfig, writeConfigValues } from '../repo/config-file.ts';
import { contractChange } from '../repo/contract.ts';
import { policySetOf } from '../repo/policies.ts';
import { phaseFolder } from '../evidence/folder.ts';
import { judgeToolCall } from './guard.ts';
import type { Engine } from '../context.ts';

/** What to discover for: a task (its file map), a proposed list of files, both (the list wins), or neither (settings). */
export interface DiscoverRequest {
  readonly taskId?: string;
  readonly files?: readonly string[];
  /** How many commits of history to read (newest first); 500 by default. */
  readonly commits?: number;
}

/** One file the task would touch, and what it would meet. */
export interface DiscoveredFile {
  readonly path: string;
  readonly change: PlannedFile['change'];
  readonly why?: string;
  readonly exists: boolean;
  readonly expectedLines: number;
  readonly basis: string;
  /** The risk classes the file's path falls in (migration, ci-config, dependencies, auth, configured-path, secret). */
  readonly risk: readonly RiskReason[];
  /** What the policy set decides on writing the file in the phase that changes the source. */
  readonly policy: {
    readonly phase: string;
    readonly verdict: 'allow' | 'ask' | 'deny';
    readonly ids: readonly string[];
    readonly reason: string;
    readonly observed?: { readonly verdict: 'allow' | 'ask' | 'deny'; readonly ids: readonly string[] };
  };
}

/** A move ahead that needs a person, or cannot be made until the config decides a check. */
export interface ApprovalNeed {
  /** The phase entered (`enter`) or left (`leave`). */
  readonly phase: string;
  readonly move: 'enter' | 'leave';
  /** `approval`: a person's approval; `waiver`: the check must be configured or waived first (WAIVER_REQUIRED). */
  readonly needs: 'approval' | 'waiver';
  readonly reasons: readonly string[];
}

/** The evidence a phase still needs. */
export interface MissingEvidence {
  readonly phase: string;
  readonly artifacts: readonly { readonly name: string; readonly producer: 'agent' | 'autopilot' }[];
}

/** The report of a discovery. */
export interface DiscoverReport {
  readonly task: { readonly id: string; readonly phase: string; readonly status: string } | null;
  /** Where the files came from: the task's file map (its path in the state folder) or the given list. */
  readonly source:
    { readonly kind: 'file-map'; readonly path: string } | { readonly kind: 'list' } | { readonly kind: 'none' };
  readonly files: readonly DiscoveredFile[];
  readonly diff: { readonly files: number; readonly expectedLines: number; readonly maxLines: number };
  readonly risk: { readonly level: RiskLevel; readonly reasons: readonly RiskReason[] };
  readonly approvals: readonly ApprovalNeed[];
  readonly evidence: readonly MissingEvidence[];
  readonly history: HistorySizes & { readonly verify: VerifyHistory };
  readonly suggestions: readonly (Suggestion & { readonly differs: boolean })[];
  readonly policyDigest: string;
  /** What a discovery cannot know before the diff exists. */
  readonly unknown: readonly string[];
}

const DEFAULT_COMMITS = 500;
const MAX_COMMITS = 10_000;
const MAX_FILES = 2000;
/** VERIFY runs read for the test command's time. */
const VERIFY_RUNS = 20;

/** The phase whose evidence holds the file map, and the artifact's name, from the config's evidence rules. */
function fileMapRule(engine: Engine): { phase: string; name: string } | undefined {
  for (const phase of engine.config.phases) {
    const rule = (engine.config.evidence[phase] ?? []).find((r) => r.name === 'file_map.json');
    if (rule) return { phase, name: rule.name };
  }
  return undefined;
}

const CHANGES = new Set(['add', 'modify', 'delete', 'rename']);

/** A path as the repository names it: relative, forward slashes, inside the repository; undefined otherwise. */
function repoPath(root: string, raw: string): string | undefined {
  const p = raw.trim().replace(/\\/g, '/').replace(/^\.\//, '');
  if (p === '' || p.includes('\0')) return undefined;
  const rel = isAbsolute(p) ? relative(root, p) : normalize(p);
  const clean = rel.replace(/\\/g, '/');
  if (clean === '' || clean === '.' || clean.startsWith('../') || clean === '..' || isAbsolute(clean)) return undefined;
  return clean;
}

/** The task's file map, as planned files; a refusal when there is none or it is not a file map. */
function readFileMap(
  engine: Engine,
  state: TaskState,
): Result<{ path: string; files: (PlannedFile & { why?: string })[] }> {
  const rule = fileMapRule(engine);
  if (!rule) {
    return refuse(
      ErrorCode.EVIDENCE_MISSING,
      `the config's evidence names no file_map.json in any phase, so ${state.taskId} has no file map to read; pass the files instead (--files a,b or a list on stdin)`,
      { taskId: state.taskId, artifact: 'file_map.json' },
    );
  }
  const rel = evidenceRel(state.taskId, rule.phase, rule.name);
  const file = readNoFollow(
    join(engine.layout.evidenceDir, state.taskId, phaseDir(rule.phase), rule.name),
    engine.config.limits.maxEvidenceBytes,
  );
  if (file.kind !== 'file') {
    return refuse(
      ErrorCode.EVIDENCE_MISSING,
      `${state.taskId} has no ${rule.name} in ${rule.phase} yet (${rel}); put the file map in ${rule.phase} first, or pass the files instead (--files a,b or a list on stdin)`,
      { taskId: state.taskId, phase: rule.phase, artifact: rule.name, path: rel },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(file.bytes.toString('utf8'));
  } catch (err) {
    return refuse(ErrorCode.EVIDENCE_INVALID, `${rel} is not JSON (${(err as Error).message}); put a valid file map`, {
      taskId: state.taskId,
      phase: rule.phase,
      artifact: rule.name,
      path: rel,
    });
  }
  const list = (doc as { files?: unknown } | null)?.files;
  if (!Array.isArray(list)) {
    return refuse(
      ErrorCode.EVIDENCE_INVALID,
      `${rel} has no files list; a file map is {files: [{path, change, why}]}`,
      {
        taskId: state.taskId,
        phase: rule.phase,
        artifact: rule.name,
        path: rel,
      },
    );
  }
  const files: (PlannedFile & { why?: string })[] = [];
  for (const [i, entry] of list.entries()) {
    const e = (entry ?? {}) as { path?: unknown; change?: unknown; why?: unknown };
    const path = typeof e.path === 'string' ? repoPath(engine.layout.root, e.path) : undefined;
    if (!path) {
      return refuse(
        ErrorCode.EVIDENCE_INVALID,
        `${rel}: files.${i}.path is not a path inside the repository (${JSON.stringify(e.path)?.slice(0, 100)}); fix the file map`,
        { taskId: state.taskId, phase: rule.phase, artifact: rule.name, path: rel, key: `files.${i}.path` },
      );
    }
    const change =
      typeof e.change === 'string' && CHANGES.has(e.change) ? (e.change as PlannedFile['change']) : 'unknown';
    files.push({
      path,
      change,
      currentLines: null,
      ...(typeof e.why === 'string' && e.why ? { why: e.why } : {}),
    });
  }
  return ok({ path: rel, files });
}

/** The line count of a text file in the working tree; null when it is not there, too large, or binary. */
function linesOf(root: string, path: string): number | null {
  const abs = join(root, path);
  try {
    const st = statSync(abs);
    if (!st.isFile() || st.size > 8 * 1024 * 1024) return null;
    const bytes = readFileSync(abs);
    if (bytes.includes(0)) return null;
    if (bytes.length === 0) return 0;
    let n = 0;
    for (const b of bytes) if (b === 10) n++;
    return bytes[bytes.length - 1] === 10 ? n : n + 1;
  } catch {
    return null;
  }
}

/** The new path of a numstat rename (`a => b`, `dir/{a => b}/f`). */
function renamedTo(path: string): string {
  const braced = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(path);
  if (braced) return `${braced[1]}${braced[3]}${braced[4]}`.replace(/\/\//g, '/');
  const plain = /^(.*) => (.*)$/.exec(path);
  return plain ? plain[2]! : path;
}

/** The history's commits (no merges) as changed lines and files, and every file touch; the state folder left out. */
async function readHistory(engine: Engine, commits: number): Promise<{ stats: CommitStat[]; touches: FileTouch[] }> {
  const state = relative(engine.layout.root, engine.layout.stateDir).replace(/\\/g, '/');
  const r = await git(engine.layout.root, [
    'log',
    '--no-merges',
    '--numstat',
    '--no-renames',
    '--format=%x00%H',
    '-n',
    String(commits),
    'HEAD',
    '--',
  ]);
  // A repository without commits has no history: nothing to suggest from.
  if (r.code !== 0) return { stats: [], touches: [] };
  const stats: CommitStat[] = [];
  const touches: FileTouch[] = [];
  for (const block of r.stdout.split('\0').slice(1)) {
    let lines = 0;
    let files = 0;
    for (const row of block.split('\n').slice(1)) {
      const m = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(row);
      if (!m) continue;
      const path = renamedTo(m[3]!);
      if (state && (path === state || path.startsWith(`${state}/`))) continue;
      files++;
      if (m[1] === '-' || m[2] === '-') continue; // binary: a file, no lines
      const n = Number(m[1]) + Number(m[2]);
      lines += n;
      touches.push({ path, lines: n });
    }
    // A commit that touched only the state folder (evidence, config) says nothing of the code's diffs.
    if (files > 0) stats.push({ lines, files });
  }
  return { stats, touches };
}

/** The test command's recorded durations and the newest coverage measured, from the signed VERIFY entries. */
async function readVerifyHistory(engine: Engine): Promise<VerifyHistory> {
  const entries = await engine.store.entries({ kind: 'verify', newestFirst: true, limit: 200 });
  const testMs: number[] = [];
  let coverage: VerifyHistory['coverage'] = null;
  for (const e of entries) {
    const commands = Array.isArray(e.data['commands']) ? (e.data['commands'] as Record<string, unknown>[]) : [];
    const test = commands.find((c) => c['name'] === 'test');
    if (testMs.length < VERIFY_RUNS && test && test['exitCode'] === 0 && typeof test['durationMs'] === 'number')
      testMs.push(test['durationMs']);
    const total = e.data['totalCoverage'] as { percent?: unknown } | undefined;
    if (!coverage && total && typeof total.percent === 'number' && Number.isFinite(total.percent)) {
      const changed = e.data['changedLinesCoverage'];
      coverage = {
        totalPercent: total.percent,
        changedPercent: typeof changed === 'number' ? changed : null,
        taskId: e.taskId ?? '',
        seq: e.seq,
      };
    }
  }
  return { testMs, coverage };
}

/** What the policy set decides on writing (or removing) `file` in `phase`, as the guard would for an agent. */
async function policyOnFile(engine: Engine, state: TaskState | null, phase: string, file: PlannedFile) {
  const call =
    file.change === 'delete'
      ? { client: 'claude' as const, tool: 'Bash', input: { command: `rm -- ${JSON.stringify(file.path)}` } }
      : { client: 'claude' as const, tool: 'Write', input: { file_path: file.path, content: '' } };
  const j = await judgeToolCall(engine, {
    phase,
    taskId: state?.taskId ?? null,
    actor: { id: 'agent:discover', kind: 'agent' },
    call,
  });
  const observed = j.policy.observed;
  return {
    phase,
    verdict: j.decision,
    ids: j.policy.enforced.policyIds,
    reason: j.reason,
    ...(observed && observed.verdict !== j.decision
      ? { observed: { verdict: observed.verdict, ids: observed.policyIds } }
      : {}),
  };
}

/** The moves ahead of the task (or of a task yet to start) that need a person or a decided check. */
function approvalsAhead(
  engine: Engine,
  from: string | null,
  level: RiskLevel,
  reasons: readonly RiskReason[],
): ApprovalNeed[] {
  const phases = engine.config.phases;
  const start = from === null ? 0 : phases.indexOf(from);
  const out: ApprovalNeed[] = [];
  const { enter, minRisk } = engine.config.approvals;
  for (const phase of phases.slice(start)) {
    // Leaving a phase with checks the config does not decide is refused; with waived checks it needs a person.
    const w = phaseWaivers(engine.config, phase);
    if (w.missing.length)
      out.push({
        phase,
        move: 'leave',
        needs: 'waiver',
        reasons: w.missing.map((c: CheckName) => `${c} is neither configured nor waived`),
      });
    if (w.waived.length && waiversNeedPerson(engine.config))
      out.push({
        phase,
        move: 'leave',
        needs: 'approval',
        reasons: w.waived.map((x) => `${x.check} waived: ${x.reason}`),
      });
  }
  for (const phase of phases.slice(start + 1)) {
    if (!enter.includes(phase) || !atLeast(level, minRisk)) continue;
    out.push({
      phase,
      move: 'enter',
      needs: 'approval',
      reasons: reasons.filter((r) => atLeast(r.level, minRisk)).map((r) => `${r.class}: ${r.detail}`),
    });
  }
  return out;
}

/** The required evidence of the phases from `from` on that is not in the task's phase folders yet. */
function evidenceAhead(engine: Engine, state: TaskState | null): MissingEvidence[] {
  const phases = engine.config.phases;
  const start = state ? phases.indexOf(state.phase) : 0;
  const out: MissingEvidence[] = [];
  for (const phase of phases.slice(start)) {
    const folder = state ? phaseFolder(engine.layout, state.taskId, phase) : undefined;
    const artifacts = (engine.config.evidence[phase] ?? [])
      .filter((r) => r.required)
      .filter((r) => !(folder?.ok && existsSync(join(folder.value, r.name))))
      .map((r) => ({ name: r.name, producer: r.producer }));
    if (artifacts.length) out.push({ phase, artifacts });
  }
  return out;
}

/**
 * Runs a discovery. Refuses an unknown task, a task without a readable file map (when no files are given), paths
 * outside the repository. Without a task or files it reports the repository's history and suggested settings alone.
 */
export async function discover(engine: Engine, req: DiscoverRequest): Promise<Result<DiscoverReport>> {
  let state: TaskState | null = null;
  if (req.taskId !== undefined) {
    const loaded = await loadTask(engine.store, req.taskId);
    if (!loaded.ok) return loaded;
    state = loaded.value;
  }
  let planned: (PlannedFile & { why?: string })[];
  let source: DiscoverReport['source'];
  if (req.files !== undefined) {
    planned = [];
    for (const raw of req.files) {
      const path = repoPath(engine.layout.root, raw);
      if (!path)
        return refuse(
          ErrorCode.USAGE,
          `${JSON.stringify(raw.slice(0, 200))} is not a path inside the repository; name files relative to ${engine.layout.root}`,
          { argument: 'files', path: raw.slice(0, 200) },
        );
      if (!planned.some((p) => p.path === path)) planned.push({ path, change: 'unknown', currentLines: null });
    }
    if (planned.length === 0)
      return refuse(ErrorCode.USAGE, 'the list of files is empty; name at least one file the task would touch', {
        argument: 'files',
      });
    source = { kind: 'list' };
  } else if (state) {
    const map = readFileMap(engine, state);
    if (!map.ok) return map;
    planned = map.value.files;
    source = { kind: 'file-map', path: map.value.path };
  } else {
    // Neither a task nor files: the repository's settings alone (what `init --discover` shows).
    planned = [];
    source = { kind: 'none' };
  }
  if (planned.length > MAX_FILES)
    return refuse(ErrorCode.USAGE, `${planned.length} files is more than ${MAX_FILES}; split the task`, {
      argument: 'files',
      count: planned.length,
    });

  const commits = Math.min(Math.max(1, req.commits ?? DEFAULT_COMMITS), MAX_COMMITS);
  const history = await readHistory(engine, commits);
  const sizes = historySizes(history.stats, history.touches);
  const verify = await readVerifyHistory(engine);

  // The phase that changes the source: where the policies meet the task's writes.
  const writePhase = engine.config.roles.implement ?? state?.phase ?? (engine.config.phases[0] as string);
  const files: DiscoveredFile[] = [];
  for (const p of planned) {
    const currentLines = linesOf(engine.layout.root, p.path);
    const exists = existsSync(join(engine.layout.root, p.path));
    const change: PlannedFile['change'] = p.change !== 'unknown' ? p.change : exists ? 'modify' : 'add';
    const file = { ...p, change, currentLines };
    const est = estimateFile(file, history.touches, sizes.linesPerFileTouch);
    const risk = assessRisk({
      files: [{ path: p.path, additions: est.lines, deletions: 0, status: change }],
      addedLines: new Map(),
      secrets: [],
      riskyPaths: engine.config.approvals.riskyPaths,
      maxLines: Number.MAX_SAFE_INTEGER,
    }).reasons;
    files.push({
      path: p.path,
      change,
      ...(p.why ? { why: p.why } : {}),
      exists,
      expectedLines: est.lines,
      basis: est.basis,
      risk,
      policy: await policyOnFile(engine, state, writePhase, file),
    });
  }
  const overall = assessRisk({
    files: files.map((f) => ({ path: f.path, additions: f.expectedLines, deletions: 0, status: f.change })),
    addedLines: new Map(),
    secrets: [],
    riskyPaths: engine.config.approvals.riskyPaths,
    maxLines: engine.config.approvals.maxLines,
  });
  const suggestions = suggestSettings(sizes, verify, {
    maxLines: engine.config.approvals.maxLines,
    testTimeoutSeconds: engine.config.commands.test?.timeoutSeconds ?? null,
    coverageThreshold: engine.config.verify.coverageThreshold,
  }).map((s) => ({ ...s, differs: s.current !== s.suggested }));
  return ok({
    task: state ? { id: state.taskId, phase: state.phase, status: state.status } : null,
    source,
    files,
    diff: { files: files.length, expectedLines: overall.changedLines, maxLines: engine.config.approvals.maxLines },
    risk: { level: overall.level, reasons: overall.reasons },
    approvals: approvalsAhead(engine, state?.status === 'active' ? state.phase : null, overall.level, overall.reasons),
    evidence: evidenceAhead(engine, state?.status === 'active' ? state : null),
    history: { ...sizes, verify },
    suggestions,
    policyDigest: policySetOf(engine.config).digest,
    unknown: [
      'secrets in the added lines and new dependencies: known once the diff exists (VERIFY and the approval check scan it)',
      'what VERIFY finds in the tests (removed, skipped, surviving mutants): each finding asks a person when it is found',
    ],
  });
}

/** What writing the suggestions did: the keys written, and the running tasks whose contract the change leaves. */
export interface WriteOutcome {
  readonly written: readonly { readonly key: string; readonly from: number | null; readonly to: number }[];
  readonly configFile: string;
  /** Active tasks whose next move is refused with CONFIG_CHANGED until a person adopts the new config. */
  readonly contractChanged: readonly { readonly taskId: string; readonly keys: readonly string[] }[];
}

/**
 * Writes the suggestions that differ from the config into the config file (comments and order kept). The config is
 * the contract running tasks adopted: each active task whose contract it leaves is named, and its next move is
 * refused (CONFIG_CHANGED) until the change is undone or a person adopts it, as for any edit of the config.
 */
export async function writeSuggestions(
  engine: Engine,
  suggestions: readonly (Suggestion & { readonly differs: boolean })[],
): Promise<Result<WriteOutcome>> {
  const edits = suggestions.filter((s) => s.differs);
  const configFile = relative(engine.layout.root, engine.layout.configFile).replace(/\\/g, '/');
  if (edits.length === 0) return ok({ written: [], configFile, contractChanged: [] });
  const wrote = writeConfigValues(
    engine.layout.configFile,
    edits.map((s) => ({ path: s.path, value: s.suggested })),
  );
  if (!wrote.ok) return wrote;
  const next = loadConfig(engine.layout.root);
  const active = await engine.store.activeTasks();
  const contractChanged = active.flatMap((t) => {
    const change = contractChange(engine.layout.stateDir, next, t);
    return change ? [{ taskId: t.taskId, keys: change.keys }] : [];
  });
  return ok({
    written: edits.map((s) => ({ key: s.key, from: s.current, to: s.suggested })),
    configFile,
    contractChanged,
  });
}
