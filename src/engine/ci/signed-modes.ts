/**
 * @module The modes a person changed for a task, as the CI gate honours them: a `change_modes` decision recorded in a
 * task's bundle (a `contract_adopted` entry with `data.modes`) whose passkey assertion verified relaxes (or tightens)
 * the gate's and policies' modes of the base branch's config, mode by mode, where the base still has the mode the
 * person changed from. Nothing else changes modes: the branch's own config never does, and the agent has no passkey.
 */
import type { Config } from '../../core/config.ts';
import { isPersonDecision, modeChangesProblem, type ModeChange } from '../../core/decision.ts';
import { GATE_IDS, gateModes, type GateId } from '../../core/gates.ts';
import type { LedgerEntry } from '../../core/ledger.ts';

/** One mode a person's decision changed, and whether the gate applied it. */
export interface SignedMode extends ModeChange {
  readonly taskId: string;
  /** The `contract_adopted` entry of the decision. */
  readonly seq: number;
  readonly person: string;
  /** The gate the mode belongs to (`g1` for the policies' modes, which Gate 1 applies). */
  readonly gate: GateId;
  readonly applied: boolean;
  /** Why a mode was not applied: the base branch's config has another mode than the one the person changed from. */
  readonly note?: string;
}

/** A task as the gate read it: its entries and the seqs whose person's decision verified. */
interface TaskEntries {
  readonly taskId: string;
  readonly entries: readonly LedgerEntry[];
  readonly verified: ReadonlySet<number>;
}

const DEFAULT_MODE = 'enforce';

function modeOf(config: Config, key: string): string {
  if (key.startsWith('gates.')) return gateModes(config.gates)[key.slice('gates.'.length) as GateId];
  const all = config.policies?.mode ?? DEFAULT_MODE;
  if (key === 'policies.mode') return all;
  return config.policies?.overrides?.[key.slice('policies.overrides.'.length)] ?? all;
}

function withMode(config: Config, key: string, to: string): Config {
  if (key.startsWith('gates.')) return { ...config, gates: { ...config.gates, [key.slice('gates.'.length)]: to } };
  if (key === 'policies.mode') return { ...config, policies: { ...config.policies, mode: to } } as Config;
  const id = key.slice('policies.overrides.'.length);
  return {
    ...config,
    policies: { ...config.policies, overrides: { ...config.policies?.overrides, [id]: to } },
  } as Config;
}

const gateOfKey = (key: string): GateId => {
  const g = key.slice('gates.'.length) as GateId;
  return key.startsWith('gates.') && GATE_IDS.includes(g) ? g : 'g1';
};

/**
 * `config` with the modes the tasks' verified `change_modes` decisions set, in the order they were taken, and each
 * mode with whether it was applied. An entry whose decision did not verify (no person's passkey) changes nothing.
 */
export function withSignedModes(
  config: Config,
  tasks: readonly TaskEntries[],
): { config: Config; modes: SignedMode[] } {
  let out = config;
  const modes: SignedMode[] = [];
  for (const t of tasks)
    for (const x of t.entries) {
      if (x.kind !== 'contract_adopted' || !t.verified.has(x.seq) || !isPersonDecision(x)) continue;
      if (!x.actor.startsWith('person:') || modeChangesProblem(x.data['modes']) !== null) continue;
      for (const m of x.data['modes'] as ModeChange[]) {
        const now = modeOf(out, m.key);
        const base = { ...m, taskId: t.taskId, seq: x.seq, person: x.actor, gate: gateOfKey(m.key) };
        if (now === m.from) {
          out = withMode(out, m.key, m.to);
          modes.push({ ...base, applied: true });
        } else
          modes.push({
            ...base,
            applied: now === m.to,
            note: `the base branch's config has ${m.key}: ${now}, not ${m.from} as the person saw it`,
          });
      }
    }
  return { config: out, modes };
}
