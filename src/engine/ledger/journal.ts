/**
 * @module The decision journal, `<stateDir>/journal/<TASK>.md`: one Markdown
 * line per decision (start, move, refusal, backtrack, verify run, blocked tool,
 * drift, approval, abort, rename) with its reason, links to the evidence, the ledger
 * entry (seq and hash prefix) and the span id. It is hooked at the store's
 * commit rather than written by a sink or inside `append`: a line appears only
 * once the transaction holding its entry committed (a rolled-back move never
 * shows), it carries what only the entry has (hash, evidence paths, the
 * reason), and every use case that appends (approvals included) is journaled
 * with no wiring of its own.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Store, StoreTx } from '../../ports/store.ts';
import { entrySpanId, type FiringAlert } from '../../ports/events.ts';

/** The journal of the alerts `autopilot alerts` saw firing (a task id cannot start with `_`). */
export const ALERTS_JOURNAL = '_alerts.md';

/** Kinds whose entries a span stands for, with the span's name. */
const SPAN_OF: Partial<Record<string, string>> = {
  task_started: 'agent.state.transition',
  transition: 'agent.state.transition',
  backtrack: 'agent.state.transition',
  violation: 'process.violation',
  verify: 'agent.verify',
  tool_blocked: 'tool.guard',
};

const APPROVAL_LABEL: Partial<Record<string, string>> = {
  requested: 'approval requested',
  approved: 'approved',
  changes_requested: 'changes requested',
  escalated: 'escalated',
};

/** Text from the ledger (an agent's reason, say) made safe for one Markdown line. */
function md(text: unknown, max = 400): string {
  const s = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  // Intra-word underscores (PHASE_SKIP, file_map.json) stay as they are: CommonMark does not emphasise them.
  return cut.replace(/[\\`*[\]<>|]/g, (c) => `\\${c}`);
}

const link = (path: string) => `[${md(path.split('/').pop() ?? path, 120)}](../${encodeURI(path)})`;

/** What a move that entered a phase told the agent: the compiled prompt's digest, the persona's, and its variant. */
function promptNote(d: Readonly<Record<string, unknown>>): string {
  const p = d['prompt'] as
    | { sha256?: unknown; persona?: { id?: unknown; version?: unknown; sha256?: unknown }; variant?: { id?: unknown } }
    | undefined;
  if (typeof p?.sha256 !== 'string' || typeof p.persona?.sha256 !== 'string') return '';
  const variant = typeof p.variant?.id === 'string' ? `, variant ${md(p.variant.id, 64)}` : '';
  return ` · prompt \`${p.sha256.slice(0, 12)}\` (persona ${md(p.persona.id, 64)}@${md(p.persona.version, 32)} \`${p.persona.sha256.slice(0, 12)}\`${variant})`;
}

/** The journal line of a ledger entry, or null for entries that are not decisions (evidence, leases, keys). */
export function journalLine(entry: LedgerEntry): string | null {
  const d = entry.data;
  const from = entry.fromPhase ?? '∅';
  let what: string;
  switch (entry.kind) {
    case 'task_started':
      what = `**started** in ${entry.toPhase}${d['title'] ? ` — ${md(d['title'])}` : ''}`;
      break;
    case 'transition': {
      const context = d['context'] as { hash?: string } | undefined;
      what = `**${d['status'] === 'done' ? 'finished' : 'moved'}** ${from} → ${entry.toPhase ?? 'DONE'}${d['summary'] ? ` — ${md(d['summary'])}` : ''}${
        context?.hash ? ` · context \`${context.hash.slice(0, 12)}\`` : ''
      }${d['promptDrift'] ? ` · with drifted instructions` : ''}`;
      break;
    }
    case 'backtrack':
      what = `**backtracked** ${from} ↩ ${entry.toPhase} — ${md(d['reason'])}`;
      break;
    case 'violation':
      what = `**refused** ${md(d['code'])} (${md(d['action'])} in ${from}${entry.toPhase ? ` → ${entry.toPhase}` : ''}) — ${md(d['message'])}`;
      break;
    case 'verify': {
      const problems = Array.isArray(d['problems']) ? (d['problems'] as unknown[]) : [];
      what = `**verify ${d['passed'] ? 'passed' : 'failed'}** in ${from}${problems.length ? ` — ${md(problems.join('; '))}` : ''}`;
      break;
    }
    case 'tool_blocked':
      what = `**tool ${d['decision'] === 'ask' ? 'held for a person' : 'denied'}** ${md(d['tool'], 100)} in ${from} — ${md(d['reason'])}`;
      break;
    case 'prompt_drift':
    case 'attestation': {
      // A drift warning is `prompt_drift`; older ledgers recorded it as an `attestation` entry with action `drift`.
      if (entry.kind === 'attestation' && d['action'] !== 'drift') return null;
      const changes = Array.isArray(d['changes']) ? (d['changes'] as { input?: string; change?: string }[]) : [];
      what = `**drift** of the agent's instructions (baseline ${md(d['baseline'])}) on ${from} → ${entry.toPhase ?? '·'} — ${md(
        changes.map((c) => `${c.input} ${c.change}`).join(', '),
      )}`;
      break;
    }
    case 'approval': {
      const action = String(d['action'] ?? 'approval');
      const label = APPROVAL_LABEL[action] ?? action;
      const why = d['reason'] ?? (Array.isArray(d['reasons']) ? (d['reasons'] as unknown[]).join('; ') : '');
      what = `**${md(label)}**${entry.toPhase ? ` for ${entry.toPhase}` : ''}${d['backtrackTo'] ? ` (back to ${md(d['backtrackTo'])})` : ''}${d['by'] ? ` by ${md(d['by'], 120)}` : ''} — ${md(why)}`;
      break;
    }
    case 'task_aborted':
      what = `**aborted** in ${from} — ${md(d['reason'])}`;
      break;
    case 'task_held': {
      // The loop diary: what was refused, on which evidence, for how long.
      const diary = (d['diary'] ?? {}) as {
        refusals?: { seq: number; code: string; action: string }[];
        evidence?: { path: string; sha256: string }[];
        minutesInPhase?: number;
      };
      const refusals = (diary.refusals ?? []).map((r) => `${md(r.code, 40)} on ${md(r.action, 40)} (#${r.seq})`);
      const evidence = (diary.evidence ?? []).map((a) => `${link(a.path)} ${md(a.sha256.slice(0, 12), 12)}`);
      what = `**held by the watchdog** in ${from} — ${md(d['reason'])}. Loop diary: ${diary.minutesInPhase ?? 0} min in the phase; refusals: ${refusals.join(', ') || 'none'}; evidence: ${evidence.join(', ') || 'none'}. A person releases it by approving it`;
      break;
    }
    case 'task_renamed':
      what = `**renamed** in ${from} — ${md(d['previousTitle'])} → ${md(d['title'])}`;
      break;
    case 'contract_adopted': {
      const keys = Array.isArray(d['keys']) ? (d['keys'] as unknown[]).join(', ') : '';
      what = `**contract ${md(d['version'])} adopted** in ${from}${d['by'] ? ` by ${md(d['by'], 120)}` : ''} (${md(keys)}) — ${md(d['reason'])}`;
      break;
    }
    case 'gate_inputs_adopted': {
      const files = Array.isArray(d['inputs'])
        ? (d['inputs'] as { path?: unknown; sha256?: unknown }[]).map(
            (i) => `${md(i.path)} ${md(String(i.sha256 ?? '').slice(0, 12), 12)}`,
          )
        : [];
      what = `**gate workflow allowed** in ${from}${d['by'] ? ` by ${md(d['by'], 120)}` : ''} (${files.join(', ')}) — ${md(d['reason'])}`;
      break;
    }
    default:
      return null;
  }
  const evidence = entry.artifacts.length ? ` · evidence: ${entry.artifacts.map((a) => link(a.path)).join(', ')}` : '';
  const span = SPAN_OF[entry.kind] ? ` · span \`${entrySpanId(entry.taskId, entry.seq)}\`` : '';
  return `- ${entry.ts} · #${entry.seq} \`${entry.hash.slice(0, 12)}\`${span} · ${what}${promptNote(d)} · by ${md(entry.actor, 120)}${evidence}`;
}

const TASK_HEADER = (taskId: string) =>
  `# Decision journal: ${taskId}\n\nOne line per decision, in ledger order: time · ledger entry (seq, hash) · span · what happened and why · evidence.\n\n`;

/** The heading of `_alerts.md`. */
export const ALERTS_HEADER =
  '# Alerts\n\nOne line per alert that fired: time · span of the evaluation · rule: metric = value (rule, window).\n\n';

/** Journal files this process has seen exist: the next lines are only appended (no folder check, no failing create). */
const started = new Set<string>();

/** Appends lines to a journal file, writing `header` first when the file is new. Never throws: `report` hears of a failure. */
export function appendJournal(
  dir: string,
  file: string,
  header: string,
  lines: readonly string[],
  report: (err: unknown) => void = reportOnce,
): void {
  if (lines.length === 0) return;
  try {
    const path = join(dir, file);
    const text = `${lines.join('\n')}\n`;
    if (started.has(path)) {
      try {
        appendFileSync(path, text);
        return;
      } catch (err) {
        // The folder went away (a clean-up): start the file again, heading first.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        started.delete(path);
      }
    }
    mkdirSync(dir, { recursive: true });
    try {
      // 'wx': exactly one process writes the heading, however many start the file at once.
      writeFileSync(path, header, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    started.add(path);
    appendFileSync(path, text);
  } catch (err) {
    report(err);
  }
}

let reported = false;
function reportOnce(err: unknown): void {
  if (reported) return;
  reported = true;
  process.stderr.write(
    `autopilot: the decision journal could not be written (${(err as Error).message}); the ledger is unaffected\n`,
  );
}

/** Writes the journal lines of committed entries, task by task. */
export function journalEntries(dir: string, entries: readonly LedgerEntry[]): void {
  const byTask = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.taskId === null) continue;
    const line = journalLine(entry);
    if (!line) continue;
    const lines = byTask.get(entry.taskId) ?? [];
    lines.push(line);
    byTask.set(entry.taskId, lines);
  }
  for (const [taskId, lines] of byTask) appendJournal(dir, `${taskId}.md`, TASK_HEADER(taskId), lines);
}

/** The journal line of an alert that fired. */
export function alertLine(at: Date, alert: FiringAlert, spanId: string): string {
  return `- ${at.toISOString()} · span \`${spanId}\` · **alert firing** ${md(alert.name, 120)}: ${md(alert.metric, 80)} = ${alert.value} (${alert.op} ${alert.threshold}, over ${alert.windowHours} h)`;
}

/**
 * The store with the journal hooked to its commits: the entries a transaction
 * appended are journaled once it committed. Everything else passes through.
 */
export function journaled<S extends Store>(store: S, journalDir: string): S {
  const transact = async <T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> => {
    let appended: LedgerEntry[] = [];
    const result = await store.transact((tx) => {
      appended = [];
      const watched = new Proxy(tx, {
        get(target, prop) {
          if (prop === 'append') {
            return async (entry: LedgerEntry) => {
              await target.append(entry);
              appended.push(entry);
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return fn(watched);
    });
    journalEntries(journalDir, appended);
    return result;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'transact') return transact;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
