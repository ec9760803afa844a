/** @module One line of plain text for a ledger entry, as the dashboard lists it. */
import type { LedgerEntry } from '../../../core/ledger.ts';
import { plural } from '../../../core/phrasing.ts';

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const clip = (s: string, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The waived checks an entry relied on, as a suffix: ` · waived: lint, ci`. */
function waived(d: Readonly<Record<string, unknown>>): string {
  const list = Array.isArray(d['waivers']) ? (d['waivers'] as { check?: unknown }[]).map((w) => str(w.check)) : [];
  return list.length ? ` · waived: ${list.join(', ')}` : '';
}

/** What an entry says, in a few words: "SPEC → PLAN", "refused EVIDENCE_INVALID: …". */
export function describeEntry(x: LedgerEntry): string {
  const d = x.data;
  switch (x.kind) {
    case 'task_started':
      return `started in ${x.toPhase ?? '?'}${d['title'] ? `: ${str(d['title'])}` : ''}`;
    case 'transition':
      return d['status'] === 'done'
        ? `finished ${x.fromPhase ?? ''}: task done`
        : `${x.fromPhase ?? '?'} → ${x.toPhase ?? '?'}${d['summary'] ? ` (${clip(str(d['summary']), 80)})` : ''}${waived(d)}`;
    case 'backtrack':
      return `${x.fromPhase ?? '?'} ↩ ${x.toPhase ?? '?'}: ${clip(str(d['reason']))}`;
    case 'backtrack_proposed':
      return `proposed ${x.fromPhase ?? '?'} ↩ ${x.toPhase ?? '?'}, for a person to decide: ${clip(str(d['reason']))}`;
    case 'violation':
      return `refused ${str(d['code'])}${d['action'] ? ` (${str(d['action'])}${x.toPhase ? ` → ${x.toPhase}` : ''})` : ''}: ${clip(str(d['message']))}`;
    case 'evidence':
      return `evidence ${str(d['name'])} added${typeof d['findings'] === 'number' && d['findings'] > 0 ? `, ${plural(d['findings'], 'finding')}` : ''}`;
    case 'verify': {
      const t = d['tests'] as { passed?: number; total?: number } | undefined;
      return `verify ${d['passed'] ? 'passed' : 'failed'}${t ? `: tests ${t.passed ?? 0}/${t.total ?? 0}` : ''}${typeof d['changedLinesCoverage'] === 'number' ? `, changed-lines coverage ${d['changedLinesCoverage'].toFixed(1)}%` : ''}`;
    }
    case 'tool_blocked':
      return `${d['decision'] === 'ask' ? 'asked a person about' : 'denied'} ${str(d['tool'])}: ${clip(str(d['input']), 100)}`;
    case 'approval': {
      const action = str(d['action']);
      const by = d['by'] ? ` by ${str(d['by']).replace(/^person:/, '')}` : '';
      if (action === 'requested')
        return `approval requested${by}${d['risk'] ? ` (${str(d['risk'])} risk)` : ''}${d['reason'] ? `: ${clip(str(d['reason']))}` : ''}`;
      const label =
        action === 'approved'
          ? 'approved'
          : action === 'changes_requested'
            ? 'changes requested'
            : action === 'escalated'
              ? 'escalated'
              : action;
      return `${label}${by}${d['passkey'] ? ' (passkey)' : ''}${d['backtrackTo'] ? `, back to ${str(d['backtrackTo'])}` : ''}: ${clip(str(d['reason']))}`;
    }
    case 'lease':
      return `lease ${str(d['change'])}${d['holder'] ? ` by ${str(d['holder'])}` : ''}`;
    case 'prompt_drift':
      return `instructions drifted from baseline ${str(d['baseline'])}`;
    case 'attestation':
      return `instructions ${str(d['action']) || 'baseline'} ${str(d['version'])}`.trim();
    case 'task_aborted':
      return `aborted by ${str(d['by']).replace(/^person:/, '')}${d['passkey'] ? ' (passkey)' : ''}: ${clip(str(d['reason']))}`;
    case 'task_renamed':
      return `renamed: ${clip(str(d['title']))} (was ${clip(str(d['previousTitle']), 80)})`;
    case 'contract_adopted':
      return `contract ${str(d['version'])} adopted by ${str(d['by']).replace(/^person:/, '')}: ${clip(str(d['reason']))}`;
    case 'gate_inputs_adopted': {
      const files = Array.isArray(d['inputs']) ? (d['inputs'] as { path?: unknown }[]).map((i) => str(i.path)) : [];
      return `gate workflow ${files.join(', ')} allowed by ${str(d['by']).replace(/^person:/, '')}${d['passkey'] ? ' (passkey)' : ''}: ${clip(str(d['reason']))}`;
    }
    case 'key':
      return 'signing key recorded';
    case 'person_registered':
      return `passkey registered for ${str(d['name'])}`;
    default:
      return x.kind;
  }
}
