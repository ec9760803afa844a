/**
 * @module The "Notes" section of bench/RESULTS.md: each target against this run's numbers (the median of its rows'
 * runs, with their spread), and facts of this run that explain a row. Only figures this run measured are printed:
 * findings of a profile belong in a dated file under bench/profiles/ that names the commit and the command.
 */
import { FLOOR_ROW } from './hooks.ts';
import { median, spread, type Stats } from './stats.ts';

export interface RunFacts {
  /** Load averages (1 min) when the run started and when it ended. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly cores: number;
  /** NODE_OPTIONS and NODE_EXTRA_CA_CERTS of the bench's own environment: the rows run with it unless they say otherwise. */
  readonly nodeEnv: Readonly<Record<string, string>>;
}

/** The ratios of `row` to `floor`, run by run (both measured in the same loop), and their median. */
function ratios(row: Stats | undefined, floor: Stats | undefined, pick: (s: Stats) => number) {
  const a = row?.rounds ?? (row ? [row] : []);
  const b = floor?.rounds ?? (floor ? [floor] : []);
  const each = a.map((r, i) => (b[i] ? pick(r) / pick(b[i]) : NaN)).filter((v) => !Number.isNaN(v));
  return { each, median: median(each) };
}

const times = (vs: readonly number[]) => vs.map((v) => `${v.toFixed(2)}×`).join(', ');

const find = (rows: readonly Stats[], prefix: string) => rows.find((r) => r.name.startsWith(prefix));
const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? '-' : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`;
const perSec = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? '-' : `${Math.round(v).toLocaleString('en-US')}/s`;
/** Operations a second one core would do at this CPU cost per operation. */
const coreRate = (cpuUs: number | undefined) => (cpuUs ? 1e6 / cpuUs : NaN);
/** A target's verdict; `shown` for a row the notes show beside the targets without a target of its own. */
const verdict = (met: boolean | 'shown' | undefined) =>
  met === 'shown' ? 'no target' : met === undefined ? 'not measured' : met ? 'met' : '**missed**';

/** The share of `whole`'s time that `part` took, both rows over the same entries. */
const share = (part: Stats | undefined, whole: Stats) =>
  part ? `${((whole.throughput / part.throughput) * 100).toFixed(0)}%` : '-';

/** The Notes section for `rows`. */
export function notes(rows: readonly Stats[], facts: RunFacts): string {
  const transition = find(rows, 'transition STRATEGIZE→SPEC (sqlite, telemetry on)');
  const quiet = find(rows, 'transition STRATEGIZE→SPEC (sqlite, telemetry off)');
  const implement = find(rows, 'transition IMPLEMENT→VERIFY');
  const append = find(rows, 'ledger append (sqlite');
  const sigs = rows.find((r) => r.name.startsWith('ledger verify, signatures') && r.name.includes('worker'));
  const chain = find(rows, 'ledger verify, chain only');
  const chainAlone = find(rows, 'ledger verify, chain only, one thread');
  const sigsWorkersOnly = rows.find((r) => /^ledger verify, signatures, \d+ worker threads \(/.test(r.name));
  const refold = find(rows, 'ledger verify, task refold');
  const full = find(rows, 'ledger verify, full (');
  const integrity = find(rows, 'store integrity check');
  const guard = find(rows, 'guard decision in process, every command new');
  const guardCached = find(rows, 'guard decision in process, repeated calls');
  const guardPolicies = find(rows, 'guard decision, policies on, every call new');
  const guardPack = find(rows, 'guard decision, policies and the policy pack on, every call new');
  const mcp = find(rows, 'MCP task_status');
  const hookFloor = find(rows, FLOOR_ROW);
  const hookRows = rows.filter((r) => r.name.startsWith('hook ') && r.name.includes('fast client'));
  const peer = find(rows, 'LangGraph.js step (SqliteSaver as it comes)');
  const peerNormal = find(rows, 'LangGraph.js step (SqliteSaver, synchronous NORMAL)');
  const supply = find(rows, 'supply chain, 2,000-package lockfile');

  const targets: [string, string, boolean | 'shown' | undefined][] = [
    ['transition p99 < 1 ms (telemetry on)', ms(transition?.p99), transition && transition.p99 < 1],
    [
      'transitions ≥ 5,000/s from one process',
      `${perSec(transition?.throughput)} measured; ${perSec(coreRate(transition?.cpuUs))} at its CPU cost on one free core`,
      transition && transition.throughput >= 5000,
    ],
    [
      'IMPLEMENT→VERIFY move, with its git diff',
      `p50 ${ms(implement?.p50)}, p99 ${ms(implement?.p99)}, ${perSec(implement?.throughput)}${implement && spread(implement) ? ` (${spread(implement)})` : ''}`,
      implement ? 'shown' : undefined,
    ],
    [
      'verify with signatures ≥ 10,000 entries/s',
      `${perSec(sigs?.throughput)} measured (${perSec(sigsWorkersOnly?.throughput)} with the workers alone); ${perSec(coreRate(sigs?.cpuUs) * facts.cores)} at its CPU cost on ${facts.cores} free cores`,
      sigs && sigs.throughput >= 10_000,
    ],
    [
      'verify, chain only ≥ 500,000 entries/s',
      `${perSec(chain?.throughput)} measured (${perSec(chainAlone?.throughput)} on one thread); ${perSec(coreRate(chain?.cpuUs) * facts.cores)} at its CPU cost on ${facts.cores} free cores`,
      chain && chain.throughput >= 500_000,
    ],
    [
      'guard decision p99 < 0.2 ms',
      `${ms(guard?.p99)} with every command new (${ms(guardCached?.p99)} with repeated calls)`,
      guard && guard.p99 < 0.2,
    ],
    [
      'guard decision with policies on p99 < 0.5 ms',
      `${ms(guardPolicies?.p99)} with every call new (${ms(guardPack?.p99)} with the policy pack too)`,
      guardPolicies && guardPolicies.p99 < 0.5 && (!guardPack || guardPack.p99 < 0.5),
    ],
    [
      'SBOMs and OSV matching, 2,000-package lockfile, < 2 s',
      `${ms(supply?.p50)} at p50, ${ms(supply?.p95)} at p95, ${ms(supply?.p99)} at p99`,
      supply && supply.p95 < 2000,
    ],
  ];

  // The dashboard's rows: judged on the median run's p50, as a page is judged by what it usually takes.
  for (const [row, limit, what] of [
    ['dashboard: task list, first page', 200, 'task list < 200 ms'],
    ['dashboard: a task page', 200, 'a task page < 200 ms'],
    ['dashboard: a new entry to an open page', 100, 'a new entry reaches an open page < 100 ms'],
  ] as const) {
    const r = find(rows, row);
    if (!r) continue;
    const size = /over ([^;]+)|; ([0-9,]+ tasks[^;]*)$/.exec(r.note ?? '');
    targets.push([
      `dashboard: ${what}${size ? ` (${size[1] ?? size[2]})` : ''}`,
      `${ms(r.p50)} at p50, ${ms(r.p99)} at p99`,
      r.p50 < limit,
    ]);
  }

  for (const hook of hookRows) {
    const p50 = ratios(hook, hookFloor, (s) => s.p50);
    const p99 = ratios(hook, hookFloor, (s) => s.p99);
    targets.push([
      `${hook.name.replace(/, answered by the daemon$/, '')}: p50 ≤ 0.25× and p99 ≤ 0.5× the clean \`node -e 0\``,
      `p50 ${p50.median.toFixed(2)}×, p99 ${p99.median.toFixed(2)}× (median of runs; each run: p50 ${times(p50.each)}; p99 ${times(p99.each)})`,
      p50.each.length >= 3 ? p50.median <= 0.25 && p99.median <= 0.5 : undefined,
    ]);
  }

  const lines: string[] = [];
  lines.push('## Notes', '');
  // A verdict rests on the median of three runs or more, and says how far apart they were.
  const byTarget = new Map<string, Stats | undefined>([
    ['transition p99 < 1 ms (telemetry on)', transition],
    ['transitions ≥ 5,000/s from one process', transition],
    ['verify with signatures ≥ 10,000 entries/s', sigs],
    ['verify, chain only ≥ 500,000 entries/s', chain],
    ['guard decision p99 < 0.2 ms', guard],
    ['guard decision with policies on p99 < 0.5 ms', guardPolicies],
    ['SBOMs and OSV matching, 2,000-package lockfile, < 2 s', supply],
  ]);
  for (const t of targets) {
    const row = byTarget.get(t[0]);
    if (!row || t[2] === undefined || t[2] === 'shown') continue;
    const runs = row.rounds?.length ?? 1;
    if (runs < 3) t[2] = undefined;
    t[1] = `${t[1]}; ${spread(row) || `${runs} run${runs === 1 ? '' : 's'}: not judged`}`;
  }
  lines.push(
    `Load average ${facts.loadBefore.toFixed(1)} at the start and ${facts.loadAfter.toFixed(1)} at the end, on ${facts.cores} cores${Math.max(facts.loadBefore, facts.loadAfter) > facts.cores * 0.75 ? ': the machine was shared while this ran' : ''}. ` +
      'Where other work runs, wall-clock numbers (latencies, throughput) measure the wait for a core as much as the work; compare rows of the same run with each other, not with another run. ' +
      'CPU/op is the CPU time of this process, all threads, per operation: it moves much less with the load, and "at its CPU cost" below is what that cost allows on free cores.',
    '',
  );
  lines.push(
    "Each target is judged on the median of separate runs of its row (three, one after the other in this process; the hook rows interleave theirs with the floor); the table above gives each row's spread.",
    '',
  );
  lines.push('| target | this run | |', '|---|---|---|');
  for (const [what, got, met] of targets) lines.push(`| ${what} | ${got} | ${verdict(met)} |`);
  lines.push('');
  const sandboxNode = find(rows, '`node -e 0`, unsandboxed');
  if (hookFloor && sandboxNode) {
    const env = Object.entries(facts.nodeEnv);
    lines.push(
      `**Two \`node -e 0\` rows.** The floor of the hook rows (${ms(hookFloor.p50)} at p50) starts Node with PATH and HOME only; \`node -e 0\` among the sandbox rows (${ms(sandboxNode.p50)}) starts it with the bench's own environment${env.length ? `, which here sets ${env.map(([k, v]) => `\`${k}=${v}\``).join(', ')}: Node reads that at every start (NODE_EXTRA_CA_CERTS loads and parses a certificate bundle)` : ' (no NODE_OPTIONS or NODE_EXTRA_CA_CERTS in it: the difference is the load between the two rows)'}.`,
      '',
    );
  }

  if (transition && peer) {
    const side = [transition, quiet, peer, peerNormal].filter((r): r is Stats => r !== undefined);
    const faster = (a: Stats, b: Stats) => {
      const r = b.p50 / a.p50;
      return r >= 1 ? `${r.toFixed(1)}× faster` : `${(1 / r).toFixed(1)}× slower`;
    };
    lines.push(
      '**Peer, same run.** One Autopilot transition against one LangGraph.js checkpointed step (resume a paused thread of a nine-node graph, run one node, write the checkpoint):',
      '',
      '| step | p50 | p99 | throughput | CPU/op |',
      '|---|---:|---:|---:|---:|',
      ...side.map(
        (r) => `| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${perSec(r.throughput)} | ${ms((r.cpuUs ?? NaN) / 1000)} |`,
      ),
      '',
      `At p50 the transition with telemetry on is ${faster(transition, peer)} than LangGraph's step as it comes` +
        (quiet && peerNormal
          ? `, and with telemetry off ${faster(quiet, peerNormal)} than LangGraph's step at the same durability (synchronous NORMAL).`
          : '.') +
        " The transition does more: it checks the lease, re-reads and validates the phase's evidence, compares the agent's instructions with the attested baseline, re-checks the digests of passed phases, signs a hash-chained entry and writes the decision journal; the LangGraph step loads a checkpoint, runs a node that does nothing and writes the checkpoint. " +
        "LangGraph's SQLite checkpointer keeps SQLite's default synchronous FULL, an fsync per commit, which on this machine's disk is a large part of its step.",
      '',
    );
  }

  const cpu = (label: string, row: Stats | undefined) =>
    row?.cpuUs === undefined
      ? []
      : [
          `- ${label}: ${ms(row.cpuUs / 1000)} of CPU an operation in this run${spread(row) ? ` (${spread(row)})` : ''}.`,
        ];
  const costs = [
    ...cpu('Transition, telemetry on', transition),
    ...cpu('Transition, telemetry off', quiet),
    ...cpu('IMPLEMENT→VERIFY move (its git processes not counted)', implement),
    ...cpu('Ledger append', append),
    ...cpu('Verify with signatures, worker threads', sigs),
    ...cpu('Verify, chain only', chain),
    ...cpu('Verify, chain only, one thread', chainAlone),
    ...cpu('Verify, task refold', refold),
    ...cpu('Guard, every command new', guard),
    ...cpu('Guard, repeated calls', guardCached),
    ...cpu('Guard with policies on, every call new', guardPolicies),
  ];
  if (costs.length)
    lines.push(
      '**CPU cost, this run.** Where the time goes inside them takes a profile (`node --cpu-prof`); see bench/profiles/.',
      '',
      ...costs,
    );
  if (integrity && chain && refold && full)
    lines.push(
      `- \`ledger verify\` as a whole (${perSec(full.throughput)}, evidence digests aside) is the sum of its parts, each a row above: the chain with every signature ${share(sigs, full)}, the task refold ${share(refold, full)}, the store's own check (\`PRAGMA integrity_check\`) ${share(integrity, full)} of its time in this run. \`ledger verify --chain-only\` leaves out all but the chain.`,
    );
  if (mcp) lines.push(`- MCP \`task_status\` over stdio: p50 ${ms(mcp.p50)} a round trip.`);
  lines.push('');
  return lines.join('\n');
}
