/**
 * @module The quality graph: each finished task as a vector (the words of its evidence, the files it planned and
 * changed) with what happened to it (refusals, backtracks, failed VERIFY runs, coverage), and the past tasks most like
 * a given one, so that an agent starting a task hears what went wrong in similar work before. Read from the ledger
 * and the evidence folder; nothing is written.
 */
import { join } from 'node:path';
import { similarTaskPhases } from '../../core/config.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { rankSimilar, termCounts, wordTerms, type TermCounts } from '../../core/similar.ts';
import type { TaskState, TaskStatus } from '../../core/task.ts';
import { readNoFollow } from '../repo/files.ts';
import type { Engine } from '../context.ts';

/** How much of one evidence file goes into a task's vector. */
const TEXT_BYTES = 64 * 1024;
/** Refusal codes, backtracks and VERIFY problems kept per past task. */
const KEEP = 5;

/** What happened to a task on its way: the signs that something went wrong, or that nothing did. */
export interface TaskOutcome {
  readonly status: TaskStatus;
  /** Refused moves and writes by code, most frequent first. */
  readonly refusals: readonly { readonly code: string; readonly count: number }[];
  readonly toolCallsBlocked: number;
  readonly backtracks: readonly { readonly from: string | null; readonly to: string | null; readonly reason: string }[];
  readonly verifyRuns: number;
  readonly verifyFailed: number;
  /** The problems of the failed VERIFY runs, first ones first. */
  readonly verifyProblems: readonly string[];
  /** Changed-lines coverage of the last VERIFY run that measured it. */
  readonly changedLinesCoverage: number | null;
  /** The watchdog held the task for a person. */
  readonly held: boolean;
}

/** A past task like the one asked about. */
export interface SimilarTask {
  readonly taskId: string;
  readonly title: string;
  /** Cosine similarity of the two tasks' TF-IDF vectors, 0 to 1, three decimals. */
  readonly score: number;
  /** Words they share that weigh most. */
  readonly sharedTerms: readonly string[];
  /** Files both planned or changed. */
  readonly sharedFiles: readonly string[];
  readonly outcome: TaskOutcome;
  /** One line each on what went wrong, for an agent to read; empty when the task went through cleanly. */
  readonly lessons: readonly string[];
}

export interface SimilarQuery {
  /** Rank against this task's own title and evidence so far. */
  readonly taskId?: string;
  /** Or against free text (a title, a problem statement) and optional paths. */
  readonly text?: string;
  readonly files?: readonly string[];
  readonly limit?: number;
  readonly minScore?: number;
}

export interface SimilarAnswer {
  /** The finished tasks compared against. */
  readonly compared: number;
  readonly similar: readonly SimilarTask[];
}

export const SIMILAR_DEFAULTS = { limit: 3, minScore: 0.1 } as const;

/** A finished task's terms, kept while its last entry stays the same. */
interface Profile {
  readonly lastSeq: number;
  readonly files: ReadonlySet<string>;
  readonly counts: TermCounts;
}

/**
 * The profiles an engine has read, so that a long-lived server (MCP, the hook daemon) reads each finished task's
 * evidence once. A task that gets a new entry (renamed, say) is read again.
 */
const PROFILES = new WeakMap<Engine, Map<string, Profile>>();

function profiles(engine: Engine): Map<string, Profile> {
  let known = PROFILES.get(engine);
  if (!known) PROFILES.set(engine, (known = new Map()));
  return known;
}

/** Words every task's evidence carries because the contract asks for them: section headings and artifact names. */
function contractWords(engine: Engine): Set<string> {
  const words = new Set<string>();
  for (const rules of Object.values(engine.config.evidence))
    for (const rule of rules) {
      for (const w of wordTerms(rule.name)) words.add(w);
      for (const s of rule.sections) for (const w of wordTerms(s.heading)) words.add(w);
    }
  for (const phase of engine.config.phases) for (const w of wordTerms(phase)) words.add(w);
  return words;
}

/** Text worth comparing in a JSON document: its string values, paths left to {@link filesOf}. */
function jsonStrings(value: unknown, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) jsonStrings(v, out, depth + 1);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) if (k !== 'path' && k !== 'sha256') jsonStrings(v, out, depth + 1);
}

/** The paths a JSON evidence file lists as `files: [{path}]` (a plan's file map, the files a diff touches). */
function filesOf(doc: unknown): string[] {
  const files = doc && typeof doc === 'object' ? (doc as { files?: unknown }).files : undefined;
  if (!Array.isArray(files)) return [];
  return files
    .map((f) => (f && typeof f === 'object' ? (f as { path?: unknown }).path : undefined))
    .filter((p): p is string => typeof p === 'string' && p.length > 0 && p.length < 1000);
}

/** A task's title, evidence texts and paths, from its live artifacts in the evidence folder. */
function taskText(engine: Engine, task: TaskState): { title: string; texts: string[]; files: string[] } {
  const texts: string[] = [];
  const files: string[] = [];
  for (const a of Object.values(task.artifacts)) {
    if (!a.path.startsWith('evidence/')) continue;
    const ext = a.path.slice(a.path.lastIndexOf('.') + 1).toLowerCase();
    if (ext !== 'md' && ext !== 'txt' && ext !== 'json') continue;
    const file = readNoFollow(join(engine.layout.stateDir, a.path), TEXT_BYTES);
    if (file.kind !== 'file') continue;
    const text = file.bytes.toString('utf8');
    if (ext !== 'json') {
      // What Autopilot wrote is measured, not said: only the agent's prose is compared.
      if (a.producer === 'agent') texts.push(text);
      continue;
    }
    try {
      const doc: unknown = JSON.parse(text);
      files.push(...filesOf(doc).map((p) => p.replace(/^\.\//, '')));
      if (a.producer === 'agent') {
        const strings: string[] = [];
        jsonStrings(doc, strings);
        texts.push(strings.join('\n'));
      }
    } catch {
      // A file cut at TEXT_BYTES, or not JSON after all: its words are not worth a guess.
    }
  }
  return { title: task.title, texts, files: [...new Set(files)].sort() };
}

/** What happened to a task, from its ledger entries. */
export function outcomeOf(task: TaskState, entries: readonly LedgerEntry[]): TaskOutcome {
  const codes = new Map<string, number>();
  const backtracks: { from: string | null; to: string | null; reason: string }[] = [];
  const problems: string[] = [];
  let blocked = 0;
  let runs = 0;
  let failed = 0;
  let coverage: number | null = null;
  let held = false;
  for (const entry of entries) {
    if (entry.kind === 'violation') {
      const code = String(entry.data['code'] ?? 'UNKNOWN');
      codes.set(code, (codes.get(code) ?? 0) + 1);
    } else if (entry.kind === 'tool_blocked') blocked++;
    else if (entry.kind === 'backtrack')
      backtracks.push({
        from: entry.fromPhase,
        to: entry.toPhase,
        reason: String(entry.data['reason'] ?? '').slice(0, 300),
      });
    else if (entry.kind === 'task_held') held = true;
    else if (entry.kind === 'verify') {
      runs++;
      const c = entry.data['changedLinesCoverage'];
      if (typeof c === 'number') coverage = c;
      if (entry.data['passed'] !== true) {
        failed++;
        const list = entry.data['problems'];
        if (Array.isArray(list))
          for (const p of list) if (typeof p === 'string' && problems.length < KEEP) problems.push(p.slice(0, 300));
      }
    }
  }
  return {
    status: task.status,
    refusals: [...codes]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
      .slice(0, KEEP),
    toolCallsBlocked: blocked,
    backtracks: backtracks.slice(0, KEEP),
    verifyRuns: runs,
    verifyFailed: failed,
    verifyProblems: problems,
    changedLinesCoverage: coverage,
    held,
  };
}

/** The outcome in a few lines an agent can act on. */
export function lessonsOf(outcome: TaskOutcome): string[] {
  const lines: string[] = [];
  if (outcome.status === 'aborted') lines.push('it was aborted');
  if (outcome.held) lines.push('the watchdog held it for a person after repeated refusals');
  for (const b of outcome.backtracks)
    lines.push(`went back from ${b.from ?? '?'} to ${b.to ?? '?'}${b.reason ? `: ${b.reason}` : ''}`);
  if (outcome.verifyFailed > 0)
    lines.push(
      `VERIFY failed ${outcome.verifyFailed} of ${outcome.verifyRuns} time(s)${outcome.verifyProblems[0] ? `: ${outcome.verifyProblems[0]}` : ''}`,
    );
  if (outcome.refusals.length)
    lines.push(`refused: ${outcome.refusals.map((r) => `${r.code} ×${r.count}`).join(', ')}`);
  if (outcome.toolCallsBlocked > 0) lines.push(`${outcome.toolCallsBlocked} tool call(s) blocked`);
  return lines;
}

/**
 * The finished tasks most like a task (or a text), best first, each with what went wrong in it. Refused with
 * TASK_UNKNOWN for an unknown task and USAGE when neither a task nor a text is given.
 */
export async function similarTasks(engine: Engine, query: SimilarQuery): Promise<Result<SimilarAnswer>> {
  const limit = query.limit ?? engine.config.similarTasks?.limit ?? SIMILAR_DEFAULTS.limit;
  const minScore = query.minScore ?? engine.config.similarTasks?.minScore ?? SIMILAR_DEFAULTS.minScore;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50)
    return refuse(ErrorCode.USAGE, `limit must be a whole number from 1 to 50, not ${limit}`, { argument: 'limit' });
  if (!(minScore >= 0 && minScore <= 1))
    return refuse(ErrorCode.USAGE, `minScore must be from 0 to 1, not ${minScore}`, { argument: 'minScore' });
  const ignore = contractWords(engine);
  let queryCounts: TermCounts;
  let self: string | undefined;
  if (query.taskId !== undefined) {
    const task = await engine.store.getTask(query.taskId);
    if (!task) return refuse(ErrorCode.TASK_UNKNOWN, `no task ${query.taskId}`, { taskId: query.taskId });
    const own = taskText(engine, task);
    if (query.text) own.texts.push(query.text);
    queryCounts = termCounts({ ...own, files: [...own.files, ...(query.files ?? [])] }, ignore);
    self = task.taskId;
  } else if (query.text?.trim() || query.files?.length) {
    queryCounts = termCounts({ title: query.text ?? '', texts: [], files: query.files ?? [] }, ignore);
  } else {
    return refuse(ErrorCode.USAGE, 'name a task (taskId) or give a text to compare against', {
      argument: 'taskId',
    });
  }
  const finished = (await engine.store.listTasks()).filter((t) => t.status !== 'active' && t.taskId !== self);
  const known = profiles(engine);
  const corpus = finished.map((task) => {
    const cached = known.get(task.taskId);
    if (cached && cached.lastSeq === task.lastSeq)
      return { item: { task, files: cached.files }, counts: cached.counts };
    const text = taskText(engine, task);
    const profile = { lastSeq: task.lastSeq, files: new Set(text.files), counts: termCounts(text, ignore) };
    known.set(task.taskId, profile);
    return { item: { task, files: profile.files }, counts: profile.counts };
  });
  const ranked = rankSimilar(queryCounts, corpus, limit, minScore);
  const queryFiles = new Set([...queryCounts.keys()].filter((t) => t.startsWith('file:')).map((t) => t.slice(5)));
  const similar: SimilarTask[] = [];
  for (const r of ranked) {
    const entries = await engine.store.entries({ taskId: r.item.task.taskId });
    const outcome = outcomeOf(r.item.task, entries);
    similar.push({
      taskId: r.item.task.taskId,
      title: r.item.task.title,
      score: Math.round(r.score * 1000) / 1000,
      sharedTerms: r.shared.filter((t) => !t.startsWith('file:') && !t.startsWith('dir:')),
      sharedFiles: [...r.item.files].filter((f) => queryFiles.has(f)).sort(),
      outcome,
      lessons: lessonsOf(outcome),
    });
  }
  return ok({ compared: corpus.length, similar });
}

/**
 * The observer hint for a task in a phase that hears hints (config `similarTasks.phases`): the similar past tasks
 * that had something go wrong, as lines for the task's volatile note (never the stable phase prompt, whose digest
 * attestation pins). Empty when there is nothing to say.
 */
export async function similarTaskHints(engine: Engine, task: TaskState): Promise<string[]> {
  if (task.status !== 'active' || !similarTaskPhases(engine.config).includes(task.phase)) return [];
  const answer = await similarTasks(engine, { taskId: task.taskId });
  if (!answer.ok) return [];
  const worth = answer.value.similar.filter((s) => s.lessons.length > 0);
  if (!worth.length) return [];
  return [
    'Similar past tasks, and what went wrong in them (similar_tasks has more):',
    ...worth.map((s) => `- ${s.taskId} "${s.title}" (similarity ${s.score}): ${s.lessons.slice(0, 3).join('; ')}`),
  ];
}
