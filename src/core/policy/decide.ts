/** @module The guard's decision: allow, ask a person, or deny a classified tool call in a phase. */
import type { Phase } from '../phases.ts';
import { sortCapabilities, type Capability } from './capabilities.ts';
import type { Classification } from './findings.ts';
import { DEFAULT_POLICY, type ToolPolicy } from './policy.ts';
import { clause } from '../phrasing.ts';

/** The guard's answer, with the capabilities the phase lacks and a reason that tells the agent what to do next. */
export interface ToolDecision {
  readonly decision: 'allow' | 'deny' | 'ask';
  readonly missing: Capability[];
  readonly reason: string;
}

function subjects(c: Classification, cap: Capability): string[] {
  const found = c.needs.filter((n) => n.capability === cap).map((n) => n.subject);
  return [...new Set(found)].slice(0, 3);
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function advice(cap: Capability, phase: Phase, order: readonly Phase[], policy: ToolPolicy): string {
  const where = order.filter((p) => policy.phases[p]?.includes(cap));
  if (where.length === 0) {
    return `${cap} is allowed in no phase; a person can allow it in the config (tools.phases, or tools.ask for approval)`;
  }
  const here = order.indexOf(phase);
  const later = where.filter((p) => order.indexOf(p) > here);
  const earlier = where.filter((p) => order.indexOf(p) < here);
  const allowed = where.length === 1 ? `allowed only in ${where[0] ?? ''}` : `allowed in ${list(where)}`;
  if (later.length > 0) return `${allowed}; finish ${phase} and advance first`;
  if (earlier.length > 0) {
    return `${allowed}; if it is really needed, backtrack to ${earlier[earlier.length - 1] ?? ''} with a reason`;
  }
  return allowed;
}

/**
 * Decides a classified call in `phase`: allow when the phase allows every capability it needs;
 * ask when every missing capability is in `policy.ask`; deny otherwise, and always for an
 * unknown call or a phase without a policy.
 */
export function decideToolCall(
  classification: Classification,
  phase: Phase,
  policy: ToolPolicy = DEFAULT_POLICY,
): ToolDecision {
  const needed = sortCapabilities(classification.capabilities);
  if (classification.unknown) {
    const why = classification.notes;
    return {
      decision: 'deny',
      missing: [],
      reason:
        `denied in every phase: ${clause(why.join('; ')) || 'Autopilot cannot tell what this call does'}. ` +
        'Spell the command out literally (no variable, substitution or unknown alias as a command or subcommand), ' +
        'or use the dedicated tool (evidence_put for evidence)',
    };
  }
  const allowed = policy.phases[phase];
  if (!allowed) {
    return {
      decision: 'deny',
      missing: needed,
      reason: `phase ${phase} has no tool policy, so every tool call is denied in it`,
    };
  }
  const missing = needed.filter((c) => !allowed.includes(c));
  if (missing.length === 0) {
    const what = needed.length === 0 ? 'needs no capability' : `needs ${needed.join(', ')}`;
    return { decision: 'allow', missing, reason: `allowed in ${phase}: the call ${what}` };
  }
  const order = Object.keys(policy.phases);
  const parts = missing.map((cap) => {
    const who = subjects(classification, cap);
    return `${who.length > 0 ? list(who) : 'this call'} is ${cap}, ${advice(cap, phase, order, policy)}`;
  });
  if (missing.every((c) => policy.ask.includes(c))) {
    return {
      decision: 'ask',
      missing,
      reason: `${parts.map(clause).join('. ')}. ${phase} does not allow ${missing.join(', ')}, but the policy lets a person approve it: ask for approval`,
    };
  }
  return { decision: 'deny', missing, reason: `${parts.map(clause).join('. ')}.` };
}
