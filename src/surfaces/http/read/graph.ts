/**
 * @module A task's trace graph from its ledger entries: phase visits, gates,
 * refusals, tool calls, verify runs and their commands, approvals and
 * backtracks, laid out left to right by phase. Each backtrack opens a new lane
 * below, so that a second pass through a phase sits under the first.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { ErrorCode } from '../../../core/errors.ts';

/** How a node turned out: its colour. */
export type Outcome = 'passed' | 'refused' | 'stale' | 'current' | 'pending' | 'info';

export type NodeKind =
  'phase' | 'gate' | 'refusal' | 'tool' | 'verify' | 'command' | 'approval' | 'backtrack' | 'drift' | 'end';

export interface GraphNode {
  /** `p<seq>` for a phase visit (the entry that entered it), `e<seq>` for an entry, `e<seq>c<i>` for a verify command. */
  readonly id: string;
  readonly kind: NodeKind;
  outcome: Outcome;
  readonly label: string;
  sub: string;
  /** The ledger entry the node stands for. */
  readonly seq: number;
  /** The command's index within a verify run. */
  readonly command?: number;
  /** The tool of a tool-call node. */
  readonly tool?: string;
  /** The index of the phase visit the node belongs to. */
  readonly visit: number;
  /** How many identical consecutive events the node stands for. */
  count: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** flow: inside a phase visit; forward: a passed gate into the next phase; backtrack: back to an earlier phase. */
  readonly kind: 'flow' | 'forward' | 'backtrack';
  readonly label?: string;
}

export interface PhaseVisit {
  readonly index: number;
  readonly phase: string;
  readonly phaseIndex: number;
  readonly lane: number;
  /** The entry that entered the phase. */
  readonly seq: number;
  readonly enteredAt: string;
  leftAt: string | null;
  /** How the visit ended: null while it lasts. */
  left: 'advance' | 'backtrack' | 'done' | 'aborted' | null;
  /** A backtrack archived this visit's evidence. */
  stale: boolean;
  /** The ledger entry that left the visit. */
  leftSeq: number | null;
  readonly nodes: GraphNode[];
}

export interface GraphFilter {
  /** all, gates (gates, approvals, refusals of a move), tools, verify, refusals. */
  readonly show?: 'all' | 'gates' | 'tools' | 'verify' | 'refusals';
  /** Only this tool's calls among the tool nodes. */
  readonly tool?: string;
}

export interface TraceGraph {
  readonly phases: readonly string[];
  readonly visits: readonly PhaseVisit[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly lanes: number;
  /** Every tool that has a node, for the filter. */
  readonly tools: readonly string[];
  readonly width: number;
  readonly height: number;
  /** Where each column starts, by phase index (the last one is the end column). */
  readonly columns: readonly number[];
  readonly laneTops: readonly number[];
  readonly header: number;
}

/** Short words for refusal codes, where a node has little room; the detail shows the code. */
const SHORT: Partial<Record<ErrorCode, string>> = {
  PHASE_SKIP: 'skip',
  PHASE_UNKNOWN: 'unknown phase',
  EVIDENCE_MISSING: 'evidence missing',
  EVIDENCE_INVALID: 'evidence invalid',
  EVIDENCE_PROTECTED: 'protected file',
  PATH_OUTSIDE_EVIDENCE: 'path outside',
  LEASE_HELD: 'lease held',
  LEASE_REQUIRED: 'lease required',
  LEASE_FENCED: 'lease fenced',
  PROMPT_DRIFT: 'prompt drift',
  TOOL_NOT_ALLOWED_IN_PHASE: 'tool denied',
  APPROVAL_REQUIRED: 'needs approval',
  VERIFY_FAILED: 'verify failed',
  LEDGER_TAMPERED: 'tampered',
  TASK_DONE: 'task done',
};

/** Codes that mean the phase's gate refused the move. */
const GATE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCode.EVIDENCE_MISSING,
  ErrorCode.EVIDENCE_INVALID,
  ErrorCode.VERIFY_FAILED,
  ErrorCode.APPROVAL_REQUIRED,
  ErrorCode.LEDGER_TAMPERED,
  ErrorCode.PROMPT_DRIFT,
]);

export const LAYOUT = {
  colW: 118,
  nodeW: 108,
  phaseH: 44,
  nodeH: 34,
  gap: 10,
  laneGap: 40,
  pad: 10,
  header: 30,
  indent: 10,
} as const;

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function node(partial: Omit<GraphNode, 'x' | 'y' | 'w' | 'h' | 'count'>): GraphNode {
  return {
    ...partial,
    count: 1,
    x: 0,
    y: 0,
    w: LAYOUT.nodeW,
    h: partial.kind === 'phase' ? LAYOUT.phaseH : LAYOUT.nodeH,
  };
}

function toolInput(v: unknown): string {
  const text = str(v);
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const first = parsed['command'] ?? parsed['file_path'] ?? parsed['path'] ?? parsed['cmd'];
    if (first !== undefined) return str(first);
  } catch {
    // not JSON: shown as it is
  }
  return text;
}

/** A node as an entry describes it, before it is placed in a visit and laid out. */
type NodeDraft = Omit<GraphNode, 'x' | 'y' | 'w' | 'h' | 'count' | 'visit'>;

function violationNodes(x: LedgerEntry): NodeDraft[] {
  const code = str(x.data['code']);
  const action = str(x.data['action']);
  const gate = action === 'advance' && GATE_CODES.has(code);
  const skipTo = x.toPhase && !gate && code === ErrorCode.PHASE_SKIP ? ` → ${x.toPhase}` : '';
  return [
    {
      id: `e${x.seq}`,
      kind: gate ? 'gate' : 'refusal',
      outcome: 'refused',
      label: gate ? 'gate ✗' : `✗ ${(action || 'refused').replace(/_/g, ' ')}`,
      sub: (SHORT[code as ErrorCode] ?? code) + skipTo,
      seq: x.seq,
    },
  ];
}

function toolNodes(x: LedgerEntry): NodeDraft[] {
  const tool = str(x.data['tool']);
  const ask = x.data['decision'] === 'ask';
  return [
    {
      id: `e${x.seq}`,
      kind: 'tool',
      outcome: ask ? 'pending' : 'refused',
      label: `${ask ? '? ' : '✗ '}${tool}`,
      sub: clip(toolInput(x.data['input']), 26),
      seq: x.seq,
      tool,
    },
  ];
}

/** A verify run, then a child node for each of its commands. */
function verifyNodes(x: LedgerEntry): NodeDraft[] {
  const d = x.data;
  const t = d['tests'] as { passed?: number; total?: number } | undefined;
  const commands = (Array.isArray(d['commands']) ? d['commands'] : []) as {
    name?: string;
    exitCode?: number | null;
    durationMs?: number;
  }[];
  return [
    {
      id: `e${x.seq}`,
      kind: 'verify',
      outcome: d['passed'] ? 'passed' : 'refused',
      label: `verify ${d['passed'] ? '✓' : '✗'}`,
      sub: t ? `tests ${t.passed ?? 0}/${t.total ?? 0}` : '',
      seq: x.seq,
    },
    ...commands.map((c, i): NodeDraft => ({
      id: `e${x.seq}c${i}`,
      kind: 'command',
      outcome: c.exitCode === 0 ? 'passed' : 'refused',
      label: str(c.name) || `command ${i + 1}`,
      sub:
        (c.exitCode === 0 ? '✓' : `exit ${c.exitCode ?? '–'}`) +
        (typeof c.durationMs === 'number' ? ` · ${(c.durationMs / 1000).toFixed(1)} s` : ''),
      seq: x.seq,
      command: i,
    })),
  ];
}

/** How each approval action shows: its outcome and label. */
const APPROVAL_LOOK: Record<string, { outcome: Outcome; label: string }> = {
  approved: { outcome: 'passed', label: 'approved' },
  changes_requested: { outcome: 'refused', label: 'changes' },
  escalated: { outcome: 'pending', label: 'escalated' },
};

function approvalNodes(x: LedgerEntry): NodeDraft[] {
  const action = str(x.data['action']);
  const look = APPROVAL_LOOK[action] ?? { outcome: 'pending', label: 'approval' };
  const by = clip(str(x.data['by']).replace(/^person:/, ''), 24);
  const risk = x.data['risk'];
  const sub =
    action === 'requested'
      ? risk
        ? `asked · ${str(risk)} risk`
        : `asked by ${by}`
      : action === 'changes_requested'
        ? `asked by ${by}`
        : `by ${by}`;
  return [{ id: `e${x.seq}`, kind: 'approval', outcome: look.outcome, label: look.label, sub, seq: x.seq }];
}

/** The nodes of the entries that happen inside a phase visit without ending it. */
const EVENT_NODES: Partial<Record<LedgerEntry['kind'], (x: LedgerEntry) => NodeDraft[]>> = {
  violation: violationNodes,
  tool_blocked: toolNodes,
  verify: verifyNodes,
  approval: approvalNodes,
  prompt_drift: (x) => [
    { id: `e${x.seq}`, kind: 'drift', outcome: 'pending', label: '! drift', sub: 'instructions changed', seq: x.seq },
  ],
};

/** The phase visits of a task, with their nodes, as its entries open, fill and close them. */
interface Walk {
  readonly visits: PhaseVisit[];
  readonly backtrackEdges: { from: string; to: string; label: string }[];
  /** Visit index → the gate node that passed it. */
  readonly forwardFrom: Map<number, string>;
  /** How many lanes: one a pass through the phases (a backtrack starts a new one). */
  lanes: number;
  /** The DONE node and the visit it follows, once the task finished. */
  end?: { node: GraphNode; visit: PhaseVisit };
}

function walkVisits(entries: readonly LedgerEntry[], phases: readonly string[]): Walk {
  const w: Walk = { visits: [], backtrackEdges: [], forwardFrom: new Map(), lanes: 1 };
  let current: PhaseVisit | undefined;
  const open = (x: LedgerEntry, phase: string): PhaseVisit => {
    const v: PhaseVisit = {
      index: w.visits.length,
      phase,
      phaseIndex: Math.max(0, phases.indexOf(phase)),
      lane: w.lanes - 1,
      seq: x.seq,
      enteredAt: x.ts,
      leftAt: null,
      left: null,
      stale: false,
      leftSeq: null,
      nodes: [],
    };
    v.nodes.push(
      node({ id: `p${x.seq}`, kind: 'phase', outcome: 'current', label: phase, sub: '', seq: x.seq, visit: v.index }),
    );
    w.visits.push(v);
    current = v;
    return v;
  };
  const close = (x: LedgerEntry, how: NonNullable<PhaseVisit['left']>) => {
    if (!current) return;
    current.leftAt = x.ts;
    current.left = how;
    current.leftSeq = x.seq;
  };
  const add = (n: NodeDraft) => {
    if (!current) return undefined;
    const full = node({ ...n, visit: current.index });
    current.nodes.push(full);
    return full;
  };

  for (const x of entries) {
    const events = EVENT_NODES[x.kind];
    if (events) {
      events(x).forEach(add);
      continue;
    }
    switch (x.kind) {
      case 'task_started':
        open(x, x.toPhase ?? phases[0] ?? '?');
        break;
      case 'transition': {
        const done = x.data['status'] === 'done';
        const sub = done ? 'finish' : `→ ${x.toPhase ?? ''}`;
        const gate = add({ id: `e${x.seq}`, kind: 'gate', outcome: 'passed', label: 'gate ✓', sub, seq: x.seq });
        close(x, done ? 'done' : 'advance');
        const from = current;
        if (gate && from) w.forwardFrom.set(from.index, gate.id);
        if (done) {
          const end = node({
            id: `d${x.seq}`,
            kind: 'end',
            outcome: 'passed',
            label: 'DONE',
            sub: '',
            seq: x.seq,
            visit: from?.index ?? 0,
          });
          if (from) w.end = { node: end, visit: from };
        } else {
          open(x, x.toPhase ?? '?');
        }
        break;
      }
      case 'backtrack': {
        const to = x.toPhase ?? '?';
        const b = add({
          id: `e${x.seq}`,
          kind: 'backtrack',
          outcome: 'info',
          label: '↩ backtrack',
          sub: `to ${to}`,
          seq: x.seq,
        });
        close(x, 'backtrack');
        const toIndex = phases.indexOf(to);
        for (const v of w.visits) if (v.phaseIndex >= toIndex) v.stale = true;
        w.lanes++;
        const next = open(x, to);
        if (b) w.backtrackEdges.push({ from: b.id, to: next.nodes[0]!.id, label: 'backtrack' });
        break;
      }
      case 'task_aborted':
        add({
          id: `e${x.seq}`,
          kind: 'refusal',
          outcome: 'refused',
          label: '✗ aborted',
          sub: clip(str(x.data['by']).replace(/^person:/, ''), 24),
          seq: x.seq,
        });
        close(x, 'aborted');
        break;
      default:
        break; // evidence, leases and keys are shown on the timeline, not as nodes
    }
  }
  return w;
}

/** Outcomes that only the whole history tells: the current visit, stale passes, an aborted end. */
function settleOutcomes(visits: readonly PhaseVisit[]): void {
  const last = visits.at(-1);
  for (const v of visits) {
    const head = v.nodes[0]!;
    head.outcome = v.stale
      ? 'stale'
      : v.left === 'aborted'
        ? 'refused'
        : v.left === null && v === last
          ? 'current'
          : 'passed';
    head.sub = duration(v) || (v.left === null ? 'now' : '');
    if (v.stale) for (const n of v.nodes) if (n.outcome === 'passed') n.outcome = 'stale';
  }
}

/** Whether the filter keeps a node: phases, backtracks and the end always; among the rest, what was asked for. */
function kept(filter: GraphFilter, n: GraphNode): boolean {
  if (n.kind === 'phase' || n.kind === 'backtrack' || n.kind === 'end') return true;
  switch (filter.show ?? 'all') {
    case 'gates':
      return n.kind === 'gate' || n.kind === 'approval';
    case 'tools':
      return n.kind === 'tool' && (!filter.tool || n.tool === filter.tool);
    case 'verify':
      return n.kind === 'verify' || n.kind === 'command';
    case 'refusals':
      return n.outcome === 'refused';
    default:
      return n.kind !== 'tool' || !filter.tool || n.tool === filter.tool;
  }
}

/** Filters each visit's nodes, and makes identical consecutive events (the same tool denied five times) one node with a count. */
function filterAndMerge(visits: readonly PhaseVisit[], filter: GraphFilter): void {
  for (const v of visits) {
    const merged: GraphNode[] = [];
    for (const n of v.nodes.filter((n) => kept(filter, n))) {
      const prev = merged.at(-1);
      const same =
        prev &&
        prev.kind !== 'phase' &&
        prev.kind === n.kind &&
        prev.label === n.label &&
        prev.sub === n.sub &&
        prev.outcome === n.outcome &&
        n.command === undefined;
      if (same) prev.count++;
      else merged.push(n);
    }
    v.nodes.splice(0, v.nodes.length, ...merged);
  }
}

/** Places the nodes: columns by phase, lanes by pass, nodes stacked under their phase. */
function layOut(w: Walk, phases: readonly string[]) {
  const { colW, nodeW, phaseH, nodeH, gap, laneGap, pad, header, indent } = LAYOUT;
  const laneHeight: number[] = Array.from({ length: w.lanes }, () => phaseH);
  for (const v of w.visits) {
    const h = phaseH + (v.nodes.length - 1) * (gap + nodeH);
    laneHeight[v.lane] = Math.max(laneHeight[v.lane] ?? 0, h);
  }
  const laneTops: number[] = [];
  let y = pad + header;
  for (let i = 0; i < w.lanes; i++) {
    laneTops.push(y);
    y += (laneHeight[i] ?? phaseH) + laneGap;
  }
  const cols = phases.length + (w.end || w.visits.some((v) => v.left === 'aborted') ? 1 : 0);
  const columns = Array.from({ length: Math.max(cols, phases.length) + 1 }, (_, i) => pad + i * colW);
  for (const v of w.visits) {
    let ny = laneTops[v.lane]!;
    for (const n of v.nodes) {
      const child = n.kind === 'command';
      n.x = columns[v.phaseIndex]! + (child ? indent : 0);
      n.w = nodeW - (child ? indent : 0);
      n.y = ny;
      ny += n.h + gap;
    }
  }
  const nodes = w.visits.flatMap((v) => v.nodes);
  if (w.end) {
    w.end.node.x = columns[phases.length]!;
    w.end.node.y = laneTops[w.end.visit.lane]!;
    w.end.node.h = phaseH;
    nodes.push(w.end.node);
  }
  return {
    nodes,
    columns,
    laneTops,
    width: pad * 2 + (cols || 1) * colW - (colW - nodeW),
    height: y - laneGap + pad,
  };
}

/** The edges: along each visit, forward from the gate that passed it, and back along each backtrack. */
function edgesOf(w: Walk): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const passedBy = (v: PhaseVisit) => {
    const gate = w.forwardFrom.get(v.index);
    return gate && v.nodes.some((n) => n.id === gate) ? gate : v.nodes[0]!.id;
  };
  for (const v of w.visits) {
    for (let i = 1; i < v.nodes.length; i++) edges.push({ from: v.nodes[i - 1]!.id, to: v.nodes[i]!.id, kind: 'flow' });
    const next = w.visits[v.index + 1];
    if (v.left === 'advance' && next) edges.push({ from: passedBy(v), to: next.nodes[0]!.id, kind: 'forward' });
    if (v.left === 'done' && w.end) edges.push({ from: passedBy(v), to: w.end.node.id, kind: 'forward' });
  }
  for (const b of w.backtrackEdges) edges.push({ ...b, kind: 'backtrack' });
  return edges;
}

/** Builds the graph of a task from its entries (oldest first). */
export function buildGraph(
  entries: readonly LedgerEntry[],
  phases: readonly string[],
  filter: GraphFilter = {},
): TraceGraph {
  const w = walkVisits(entries, phases);
  settleOutcomes(w.visits);
  const tools = [
    ...new Set(w.visits.flatMap((v) => v.nodes.filter((n) => n.kind === 'tool').map((n) => n.tool ?? ''))),
  ].sort();
  filterAndMerge(w.visits, filter);
  const placed = layOut(w, phases);
  return {
    phases,
    visits: w.visits,
    nodes: placed.nodes,
    edges: edgesOf(w),
    lanes: w.lanes,
    tools,
    width: placed.width,
    height: placed.height,
    columns: placed.columns,
    laneTops: placed.laneTops,
    header: LAYOUT.header,
  };
}

function duration(v: PhaseVisit): string {
  if (!v.leftAt) return '';
  return formatDuration(Date.parse(v.leftAt) - Date.parse(v.enteredAt));
}

/** A duration in the largest units that matter: 850 ms, 12 s, 4 min 3 s, 2 h 5 min, 3 d 4 h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const days = Math.floor(h / 24);
  return `${days} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** Finds the entry a node id names: `p12`, `e12`, `e12c0`, `d12`. */
export function parseNodeId(id: string): { seq: number; command?: number } | undefined {
  const m = /^[ped](\d+)(?:c(\d+))?$/.exec(id);
  if (!m) return undefined;
  return { seq: Number(m[1]), ...(m[2] !== undefined ? { command: Number(m[2]) } : {}) };
}
