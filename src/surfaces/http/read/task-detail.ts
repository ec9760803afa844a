/** @module Everything a task's page shows, read once: summary, entries, graph, and the selected node's entry, span and evidence. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { ArchivedArtifact, TaskState } from '../../../core/task.ts';
import type { Engine } from '../../../engine/context.ts';
import type { SpanRecord } from '../../../ports/spans.ts';
import {
  buildGraph,
  parseNodeId,
  type GraphFilter,
  type GraphNode,
  type PhaseVisit,
  type TraceGraph,
} from './graph.ts';
import { summarize, taskEntries, type TaskSummary } from './tasks.ts';
import { taskArtifacts, type ArtifactInfo } from './evidence.ts';
import { spanIdOf, type SpanReader } from '../../../ports/spans.ts';
import { phaseDir } from '../../../core/phases.ts';
import { reviewRules, rubricDimensions, type ReviewBy } from '../../../core/review.ts';
import { taskImpact, type ImpactView } from './impact.ts';
import { taskPrompts, type PromptVisitView } from './prompt.ts';
import { taskSupply, type SupplyView } from './supply.ts';

export interface SelectedNode {
  readonly id: string;
  /** The node as drawn; undefined when the filter hides it. */
  readonly node: GraphNode | undefined;
  readonly entry: LedgerEntry;
  readonly command?: number;
  readonly span: SpanRecord | undefined;
  readonly artifacts: readonly ArtifactInfo[];
}

export interface TaskModel {
  readonly summary: TaskSummary;
  readonly task: TaskState;
  readonly entries: readonly LedgerEntry[];
  readonly graph: TraceGraph;
  /** The same graph without a filter: the timeline always shows every visit. */
  readonly visits: readonly PhaseVisit[];
  readonly filter: GraphFilter;
  readonly selected: SelectedNode | undefined;
  readonly nowMs: number;
  readonly phases: readonly string[];
  /** The person's review form, while the task is in the review phase and the config lets a person review. */
  readonly review: ReviewForm | null;
  /** The grounding of its planning evidence and the tests that reach its change, once it has either. */
  readonly impact: ImpactView | undefined;
  /** The prompt each phase visit ran with, once a move recorded one. */
  readonly prompts: readonly PromptVisitView[] | undefined;
  /** The dependency diff, vulnerabilities, licences and accepted risks of its live VERIFY evidence, when it has them. */
  readonly supply: SupplyView | undefined;
}

/** What the review form asks for: the rubric's dimensions, where it goes, and the rubric written so far. */
export interface ReviewForm {
  readonly phase: string;
  readonly artifact: string;
  readonly by: ReviewBy;
  readonly dimensions: readonly string[];
  /** The rubric recorded in this visit of the phase, with its hand, if any. */
  readonly current: ArtifactInfo | undefined;
}

function reviewForm(engine: Engine, task: TaskState, all: () => ArtifactInfo[]): ReviewForm | null {
  const rules = reviewRules(engine.config);
  if (!rules || rules.by === 'agent' || task.status !== 'active' || task.phase !== rules.phase) return null;
  const rule = (engine.config.evidence[rules.phase] ?? []).find((r) => r.name === rules.artifact);
  const path = `evidence/${task.taskId}/${phaseDir(rules.phase)}/${rules.artifact}`;
  return {
    phase: rules.phase,
    artifact: rules.artifact,
    by: rules.by,
    dimensions: rubricDimensions(rule),
    current: all().find((a) => a.path === path && a.seq !== null),
  };
}

const SHOWS = new Set(['all', 'gates', 'tools', 'verify', 'refusals']);

/** Reads the graph filter from query parameters, ignoring what it does not know. */
export function parseFilter(show: string | undefined, tool: string | undefined): GraphFilter {
  return {
    ...(show && SHOWS.has(show) ? { show: show as NonNullable<GraphFilter['show']> } : {}),
    ...(tool ? { tool: tool.slice(0, 200) } : {}),
  };
}

/** Where an artifact recorded at `seq` lives now: a later backtrack may have archived it under `.stale/`. */
function resolver(entries: readonly LedgerEntry[]): (path: string, seq: number) => string {
  const moves = entries
    .filter((x) => x.kind === 'backtrack')
    .map((x) => ({
      seq: x.seq,
      archived: ((x.data['archived'] ?? []) as ArchivedArtifact[]).filter((a) => typeof a?.from === 'string'),
    }));
  return (path, seq) =>
    moves.find((m) => m.seq > seq && m.archived.some((a) => a.from === path))?.archived.find((a) => a.from === path)
      ?.to ?? path;
}

/** The artifacts a node stands for: its entry's, or for a phase visit, every artifact recorded during the visit. */
function nodeArtifacts(
  entries: readonly LedgerEntry[],
  all: readonly ArtifactInfo[],
  entry: LedgerEntry,
  phaseVisit: { from: number; to: number } | undefined,
): ArtifactInfo[] {
  const resolve = resolver(entries);
  const refs = phaseVisit
    ? entries
        .filter((x) => x.seq > phaseVisit.from && x.seq <= phaseVisit.to && x.kind !== 'backtrack')
        .flatMap((x) => x.artifacts.map((a) => ({ path: a.path, seq: x.seq })))
    : entry.artifacts.map((a) => ({ path: a.path, seq: entry.seq }));
  const byPath = new Map(all.map((a) => [a.path, a]));
  const out = new Map<string, ArtifactInfo>();
  for (const r of refs) {
    const now = resolve(r.path, r.seq);
    const info = byPath.get(now);
    if (info) out.set(now, info);
  }
  return [...out.values()];
}

/** The model of a task's page; `node` is the selected node id (`p12`, `e12`, `e12c0`). */
export async function taskDetail(
  engine: Engine,
  spans: SpanReader,
  task: TaskState,
  opts: { filter: GraphFilter; node?: string },
): Promise<TaskModel> {
  const entries = await taskEntries(engine, task.taskId);
  const phases = engine.config.phases;
  const graph = buildGraph(entries, phases, opts.filter);
  const unfiltered = opts.filter.show || opts.filter.tool ? buildGraph(entries, phases) : graph;
  let selected: SelectedNode | undefined;
  const parsed = opts.node ? parseNodeId(opts.node) : undefined;
  const entry = parsed ? entries.find((x) => x.seq === parsed.seq) : undefined;
  if (opts.node && parsed && entry) {
    const visit = opts.node.startsWith('p') ? unfiltered.visits.find((v) => v.seq === parsed.seq) : undefined;
    const all = taskArtifacts(engine, task, entries);
    selected = {
      id: opts.node,
      node: graph.nodes.find((n) => n.id === opts.node) ?? unfiltered.nodes.find((n) => n.id === opts.node),
      entry,
      ...(parsed.command !== undefined ? { command: parsed.command } : {}),
      span: spans.taskSpans(task.taskId).get(spanIdOf(task.taskId, parsed.seq, parsed.command)),
      artifacts: nodeArtifacts(
        entries,
        all,
        entry,
        visit ? { from: visit.seq, to: visit.leftSeq ?? Number.MAX_SAFE_INTEGER } : undefined,
      ),
    };
  }
  return {
    summary: await summarize(engine, task),
    task,
    entries,
    graph,
    visits: unfiltered.visits,
    filter: opts.filter,
    selected,
    nowMs: engine.clock.now().getTime(),
    phases,
    review: reviewForm(engine, task, () => taskArtifacts(engine, task, entries)),
    impact: taskImpact(engine, task, entries),
    prompts: taskPrompts(engine, unfiltered.visits, entries),
    supply: taskSupply(engine, task, entries),
  };
}
