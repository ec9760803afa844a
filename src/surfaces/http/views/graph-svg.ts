/** @module The trace graph as inline SVG: column heads by phase, edges, and nodes that link to their details. */
import { html, raw, type Html } from './html.ts';
import type { GraphEdge, GraphNode, TraceGraph } from '../read/graph.ts';

const OUTCOME_WORD: Record<GraphNode['outcome'], string> = {
  passed: 'passed',
  refused: 'refused',
  stale: 'stale (archived by a backtrack)',
  current: 'current',
  pending: 'waiting',
  info: 'backtrack',
};

function fit(text: string, width: number, px: number, bold = false): string {
  const max = Math.max(4, Math.floor(width / (px * (bold ? 0.6 : 0.53))));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function edgePath(e: GraphEdge, a: GraphNode, b: GraphNode): string {
  if (e.kind === 'flow') {
    const x1 = a.x + a.w / 2;
    const x2 = b.x + b.w / 2;
    return `M${x1},${a.y + a.h} L${x2},${b.y - 1}`;
  }
  if (e.kind === 'forward') {
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x - 3;
    const y2 = b.y + b.h / 2;
    const dx = Math.max(16, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }
  // A backtrack leaves its node on the left and comes down into the earlier phase, one lane below.
  const x1 = a.x;
  const y1 = a.y + a.h / 2;
  const x2 = b.x + b.w / 2;
  const y2 = b.y - 3;
  return `M${x1},${y1} C${x1 - 60},${y1} ${x2},${y2 - 70} ${x2},${y2}`;
}

/** An arrowhead the edges end with, in `fill`. */
function arrowMarker(id: string, fill: string): Html {
  const box = html`viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"`;
  return html`<marker id="${id}" ${box}><path d="M0,0 L10,5 L0,10 z" fill="${fill}"/></marker>`;
}

/** The graph; `href(node)` is where a node leads, `selected` the node shown in detail. */
export function graphSvg(
  g: TraceGraph,
  opts: { taskId: string; href: (n: GraphNode) => string; selected?: string },
): Html {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const heads = g.phases.map(
    (p, i) => html`<text class="colhead" x="${g.columns[i]! + 54}" y="${16 + 12}" text-anchor="middle">${p}</text>`,
  );
  const end = g.nodes.find((n) => n.kind === 'end');
  if (end) heads.push(html`<text class="colhead" x="${end.x + 54}" y="28" text-anchor="middle">END</text>`);
  const guides = g.columns
    .slice(0, g.phases.length + (end ? 1 : 0))
    .map((x) => html`<line class="guide" x1="${x + 54}" y1="36" x2="${x + 54}" y2="${g.height - 8}"/>`);
  const lanes = g.laneTops
    .slice(1)
    .map((y, i) => html`<text class="lane-label" x="6" y="${y - 12}">pass ${i + 2} ↓</text>`);
  const edges = g.edges.map((e) => {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    if (!a || !b) return '';
    const marker =
      e.kind === 'flow' ? '' : e.kind === 'backtrack' ? ' marker-end="url(#arrow-back)"' : ' marker-end="url(#arrow)"';
    const title = e.kind === 'backtrack' ? html`<title>backtrack</title>` : '';
    return html`<path class="edge ${e.kind}" d="${edgePath(e, a, b)}"${raw(marker)}>${title}</path>`;
  });
  const nodes = g.nodes.map((n) => {
    const phase = n.kind === 'phase' || n.kind === 'end';
    const ly = phase ? n.y + 19 : n.y + 15;
    const sy = phase ? n.y + 35 : n.y + 29;
    const countText = n.count > 1 ? `×${n.count}` : '';
    const labelW = n.w - 16 - (countText ? 20 : 0);
    const times = n.count > 1 ? `, ${n.count} times` : '';
    const what = `${n.label}${n.sub ? `, ${n.sub}` : ''}: ${OUTCOME_WORD[n.outcome]}${times}, ledger entry ${n.seq}`;
    const cls = `node k-${n.kind} o-${n.outcome}${n.id === opts.selected ? ' sel' : ''}`;
    return html`<a class="${cls}" href="${opts.href(n)}" id="node-${n.id}" data-node="${n.id}" aria-label="${what}">
<title>${what}</title>
<rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="${phase ? 9 : 7}"/>
<text class="l" x="${n.x + 8}" y="${ly}">${fit(n.label, labelW, phase ? 12.5 : 12, n.kind !== 'command')}</text>
${n.sub ? html`<text class="s" x="${n.x + 8}" y="${sy}">${fit(n.sub, n.w - 14, 10.5)}</text>` : ''}
${countText ? html`<text class="count" x="${n.x + n.w - 7}" y="${n.y + 15}" text-anchor="end">${countText}</text>` : ''}
</a>`;
  });
  const size = html`width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}"`;
  const label = `Trace graph of ${opts.taskId}: phases left to right, each pass after a backtrack one lane lower`;
  return html`<svg class="graph" xmlns="http://www.w3.org/2000/svg" ${size} role="group" aria-label="${label}">
<defs>
${arrowMarker('arrow', '#7d8aa0')}
${arrowMarker('arrow-back', '#9a5b00')}
</defs>
<g aria-hidden="true">${guides}${heads}${lanes}</g>
<g aria-hidden="true">${edges}</g>
<g>${nodes}</g>
</svg>`;
}
