/**
 * @module The gates' rates from the ledger: per gate, the blocks of a window (the refusals a task met), the
 * would-have-blocked of observe mode, the blocks a person overrode (`false_positive_gate_rate`) and the blocks the
 * same code passed later (`spurious_block_rate`), for a window and for the baseline window before it.
 */
import { ErrorCode } from '../../core/errors.ts';
import { GATE_IDS, type GateId } from '../../core/gates.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { entriesInWindow, windowOf, type TimeWindow } from './metrics.ts';
import type { Engine } from '../context.ts';

/** The default baseline of the rates: the 30 days before the window. */
export const DEFAULT_BASELINE = '30d';

/**
 * The gate a refusal of a task belongs to, by its code, as the CI gate places the same findings: the process, the
 * contract and unconfigured checks to Gate 0; tool calls and writes the policy refuses to Gate 1; the evidence of a
 * phase and VERIFY's run to Gate 3; a move that needs a person to Gate 5. Other refusals (leases, usage, a task that
 * is done or held) are not a gate's block.
 */
const GATE_OF_CODE: Partial<Record<string, GateId>> = {
  [ErrorCode.PHASE_SKIP]: 'g0',
  [ErrorCode.CONFIG_CHANGED]: 'g0',
  [ErrorCode.PROMPT_DRIFT]: 'g0',
  [ErrorCode.WAIVER_REQUIRED]: 'g0',
  [ErrorCode.TOOL_NOT_ALLOWED_IN_PHASE]: 'g1',
  [ErrorCode.TOOL_NOT_ALLOWED_FOR_PERSONA]: 'g1',
  [ErrorCode.EVIDENCE_PROTECTED]: 'g1',
  [ErrorCode.EVIDENCE_MISSING]: 'g3',
  [ErrorCode.EVIDENCE_INVALID]: 'g3',
  [ErrorCode.VERIFY_FAILED]: 'g3',
  [ErrorCode.APPROVAL_REQUIRED]: 'g5',
};

/** One gate's figures over a window. */
export interface GateRate {
  readonly gate: GateId;
  /** Refusals of tasks' moves, writes and tool calls this gate stands for. */
  readonly blocks: number;
  /** Calls an observe-mode policy would have blocked (`policy_observed`), which went ahead. */
  readonly wouldBlock: number;
  /** Blocks a person overrode: a person adopted a new contract for the task (a mode among it) before it left the phase, or allowed a blocked tool call. */
  readonly overridden: number;
  /** Failed VERIFY runs whose very tree (the same code) a later run of the task passed: a flaky block. */
  readonly spurious: number;
  /** overridden / blocks; null without blocks. */
  readonly falsePositiveGateRate: number | null;
  /** spurious / blocks; null without blocks. */
  readonly spuriousBlockRate: number | null;
}

/** The rates of a window and of its baseline (the window of `baseline` length that ends where it starts). */
export interface GateRatesReport {
  readonly window: TimeWindow;
  readonly gates: readonly GateRate[];
  readonly baseline: { readonly window: TimeWindow; readonly gates: readonly GateRate[] };
}

/** The gate an entry blocked for, or undefined when it is not a block. */
export function blockGate(x: Pick<LedgerEntry, 'kind' | 'data'>): GateId | undefined {
  if (x.kind === 'tool_blocked') return x.data['decision'] === 'deny' ? 'g1' : undefined;
  if (x.kind === 'violation') return GATE_OF_CODE[String(x.data['code'] ?? '')];
  return undefined;
}

/** A person's decision that lifts a block rather than meets it: a contract adopted (config or mode), or, for a tool call, an approval. */
function overrides(x: LedgerEntry, gate: GateId): boolean {
  if (!x.actor.startsWith('person:')) return false;
  if (x.kind === 'contract_adopted') return true;
  return gate === 'g1' && x.kind === 'approval' && x.data['action'] === 'approved';
}

/** The task left the phase it was blocked in: a move forward or back out of it, or its end. */
const leaves = (x: LedgerEntry, phase: string | null) =>
  ((x.kind === 'transition' || x.kind === 'backtrack') && x.fromPhase === phase) || x.kind === 'task_aborted';

/**
 * The rates of each gate over `entries` (oldest first, as the ledger holds them). A block's fate is read from the
 * entries of its task that follow it in the same list: a block whose cure lies past the list's end counts as a block
 * only.
 */
export function gateRates(entries: readonly LedgerEntry[]): GateRate[] {
  const byTask = new Map<string, LedgerEntry[]>();
  for (const x of entries) if (x.taskId !== null) byTask.set(x.taskId, [...(byTask.get(x.taskId) ?? []), x]);
  const tally = new Map<GateId, { blocks: number; wouldBlock: number; overridden: number; spurious: number }>(
    GATE_IDS.map((g) => [g, { blocks: 0, wouldBlock: 0, overridden: 0, spurious: 0 }]),
  );
  for (const list of byTask.values()) {
    list.forEach((x, i) => {
      if (x.kind === 'policy_observed') tally.get('g1')!.wouldBlock += 1;
      const gate = blockGate(x);
      if (!gate) return;
      const t = tally.get(gate)!;
      t.blocks += 1;
      const later = list.slice(i + 1);
      const end = later.findIndex((y) => leaves(y, x.fromPhase));
      const inPhase = end < 0 ? later : later.slice(0, end);
      if (inPhase.some((y) => overrides(y, gate))) t.overridden += 1;
      else if (isFlaky(x, list.slice(0, i + 1), inPhase)) t.spurious += 1;
    });
  }
  return GATE_IDS.map((gate) => {
    const t = tally.get(gate)!;
    return {
      gate,
      ...t,
      falsePositiveGateRate: t.blocks ? t.overridden / t.blocks : null,
      spuriousBlockRate: t.blocks ? t.spurious / t.blocks : null,
    };
  });
}

/**
 * A block the ledger shows to be spurious: a refusal of VERIFY whose failed run (the task's last `verify` entry up to
 * it) was on a tree that a later run of the same visit passed on. The same code, another outcome: a flaky test or a
 * machine's hiccup, not a finding. Other refusals are cured by changes the ledger cannot always see (a file put
 * back, the config restored), so no other block is called spurious.
 */
function isFlaky(block: LedgerEntry, upTo: readonly LedgerEntry[], after: readonly LedgerEntry[]): boolean {
  if (block.kind !== 'violation' || block.data['code'] !== ErrorCode.VERIFY_FAILED) return false;
  const run = upTo.findLast((y) => y.kind === 'verify');
  const tree = run?.data['treeDigest'];
  if (!run || run.data['passed'] !== false || typeof tree !== 'string') return false;
  return after.some((y) => y.kind === 'verify' && y.data['passed'] === true && y.data['treeDigest'] === tree);
}

/** The gates' rates over the window ending now and over the baseline window of `baselineMs` before it. */
export async function computeGateRates(engine: Engine, windowMs: number, baselineMs: number): Promise<GateRatesReport> {
  const until = engine.clock.now().getTime();
  const since = until - windowMs;
  const baseSince = since - baselineMs;
  // One read for both windows; each is rated on its own entries, so a block's cure after its window does not count.
  const all = await entriesInWindow(engine, baseSince, until);
  const recent = all.filter((x) => Date.parse(x.ts) >= since);
  const before = all.filter((x) => Date.parse(x.ts) < since);
  return {
    window: windowOf(since, until),
    gates: gateRates(recent),
    baseline: { window: windowOf(baseSince, since), gates: gateRates(before) },
  };
}
