/**
 * @module A person's change of modes for a running task: when the config loaded now differs from the task's contract
 * only in the mode of gates (`gates.g0`…`g5`) or of the repository's policies (`policies.mode`, `policies.overrides`),
 * the change is listed mode by mode, from and to, for the person to sign; the adoption is recorded as for any
 * contract (approvals/adopt.ts), with the modes in its entry.
 */
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
import { configKeysDiffering } from '../../core/config-diff.ts';
import type { ModeChange } from '../../core/decision.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { GATE_IDS, gateModes } from '../../core/gates.ts';
import type { TaskState } from '../../core/task.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { readNoFollow } from '../repo/files.ts';
import { adoptable } from './adopt.ts';
import type { Engine } from '../context.ts';

/** The mode of the repository's policies when the config names none. */
const DEFAULT_POLICY_MODE = 'enforce';

/** `config` with the modes of `modes` (gates, policies' mode and overrides), the rest as it is. */
function withModesOf(config: Config, modes: Config): Config {
  const { mode: _m, overrides: _o, ...rest } = config.policies ?? {};
  const policies = {
    ...rest,
    ...(modes.policies?.mode ? { mode: modes.policies.mode } : {}),
    ...(modes.policies?.overrides ? { overrides: modes.policies.overrides } : {}),
  };
  return {
    ...config,
    gates: modes.gates,
    policies: Object.keys(policies).length || modes.policies ? policies : undefined,
  } as Config;
}

/** Each mode in force that differs between the two configs, sorted by key. */
export function modesDiffering(from: Config, to: Config): ModeChange[] {
  const out: ModeChange[] = [];
  const [a, b] = [gateModes(from.gates), gateModes(to.gates)];
  for (const g of GATE_IDS) if (a[g] !== b[g]) out.push({ key: `gates.${g}`, from: a[g], to: b[g] });
  const [pa, pb] = [from.policies?.mode ?? DEFAULT_POLICY_MODE, to.policies?.mode ?? DEFAULT_POLICY_MODE];
  if (pa !== pb) out.push({ key: 'policies.mode', from: pa, to: pb });
  const ids = new Set([...Object.keys(from.policies?.overrides ?? {}), ...Object.keys(to.policies?.overrides ?? {})]);
  for (const id of ids) {
    const x = from.policies?.overrides?.[id] ?? pa;
    const y = to.policies?.overrides?.[id] ?? pb;
    if (x !== y) out.push({ key: `policies.overrides.${id}`, from: x, to: y });
  }
  return out.sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : 0));
}

/**
 * The modes a person would change for `state` by adopting the config loaded now. Refused (USAGE) when there is no
 * change, when the config changes more than modes (the whole contract must be adopted then), or when no mode in force
 * differs.
 */
export function modeChanges(engine: Engine, state: TaskState): Result<ModeChange[]> {
  const change = adoptable(engine, state);
  if (!change.ok) return change;
  const path = state.contract?.path;
  const text = path ? readNoFollow(join(engine.layout.stateDir, path), 16 * 1024 * 1024) : undefined;
  if (!path || text?.kind !== 'file' || change.value.note)
    return refuse(
      ErrorCode.USAGE,
      `${state.taskId}'s contract cannot be read to compare its modes (${change.value.note ?? path ?? 'no contract file'}): adopt the whole contract instead`,
      { argument: 'decision', taskId: state.taskId },
    );
  let adopted: Config;
  try {
    adopted = parseConfigText(text.bytes.toString('utf8'), path);
  } catch (err) {
    return refuse(
      ErrorCode.USAGE,
      `${state.taskId}'s contract (${path}) does not load (${(err as Error).message}): adopt the whole contract instead`,
      { argument: 'decision', taskId: state.taskId },
    );
  }
  const others = configKeysDiffering(withModesOf(adopted, engine.config), engine.config);
  if (others.length)
    return refuse(
      ErrorCode.USAGE,
      `the config changes more than modes for ${state.taskId} (${others.slice(0, 8).join(', ')}): a person adopts the whole contract instead ("Adopt the new contract")`,
      { argument: 'decision', taskId: state.taskId, keys: others },
    );
  const modes = modesDiffering(adopted, engine.config);
  if (modes.length === 0)
    return refuse(
      ErrorCode.USAGE,
      `the modes in force are those of ${state.taskId}'s contract (only how they are written changed): adopt the contract instead`,
      { argument: 'decision', taskId: state.taskId },
    );
  return ok(modes);
}
