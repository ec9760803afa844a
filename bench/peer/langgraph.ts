/**
 * @module The peer, in the same run: LangGraph.js running a nine-node graph
 * (one node a phase, in order) with its SQLite checkpointer. One checkpointed
 * step is one resume of a paused thread: load its latest checkpoint, run the
 * next node, write the checkpoint and pause again, which is what one
 * Autopilot transition does around its checks. Measured STRATEGIZE → SPEC,
 * as the transition rows are. Run alone with `node --import tsx bench/peer/langgraph.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { DEFAULT_PHASES } from '../../src/core/phases.ts';
import { measure, table, type Stats } from '../stats.ts';

const State = Annotation.Root({
  phase: Annotation<string>(),
  /** Each node appends its phase, as a ledger would: the state grows with the thread. */
  history: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function compile(saver: SqliteSaver, phases: readonly string[]) {
  const graph = new StateGraph(State);
  for (const phase of phases) graph.addNode(phase, () => ({ phase, history: [phase] }));
  // The builder's types track node names given as literals; these come from the phase list.
  const edges = graph as unknown as { addEdge(from: string, to: string): void };
  edges.addEdge(START, phases[0]!);
  for (let i = 1; i < phases.length; i++) edges.addEdge(phases[i - 1]!, phases[i]!);
  edges.addEdge(phases[phases.length - 1]!, END);
  return graph.compile({ checkpointer: saver, interruptAfter: [...phases] as never });
}

/** Times `n` checkpointed steps with the checkpointer as it comes, then with `synchronous = NORMAL` (Autopilot's durability). */
export async function benchLangGraph(n: number, phases: readonly string[] = DEFAULT_PHASES): Promise<Stats[]> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-langgraph-'));
  const rows: Stats[] = [];
  try {
    const variants: [string, string | null, string][] = [
      [
        'LangGraph.js step (SqliteSaver as it comes)',
        null,
        'WAL, synchronous FULL (SQLite default): an fsync per commit',
      ],
      [
        'LangGraph.js step (SqliteSaver, synchronous NORMAL)',
        'NORMAL',
        "WAL, synchronous NORMAL: Autopilot's durability",
      ],
    ];
    for (const [name, synchronous, note] of variants) {
      const saver = SqliteSaver.fromConnString(join(dir, `${synchronous ?? 'default'}.db`));
      if (synchronous) saver.db.pragma(`synchronous = ${synchronous}`);
      const app = compile(saver, phases);
      const warmup = Math.min(50, n);
      // Every thread starts paused after its first node, as every bench task starts in STRATEGIZE.
      for (let i = 0; i < n + warmup; i++)
        await app.invoke({ phase: 'start' }, { configurable: { thread_id: `t-${i}` } });
      let next = 0;
      const row = await measure(
        name,
        n,
        async () => {
          const out = await app.invoke(null, { configurable: { thread_id: `t-${next++}` } });
          if (out.phase !== phases[1]) throw new Error(`LangGraph stepped to ${out.phase}, expected ${phases[1]}`);
        },
        {
          warmup,
          cpu: true,
          note: `nine-node graph, one node a phase; load checkpoint, run one node, write checkpoint; ${note}`,
        },
      );
      rows.push(row);
      saver.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchLangGraph(Number(process.env['N'] ?? 300)))}\n`);
}
