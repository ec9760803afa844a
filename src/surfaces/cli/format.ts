/** @module Human-readable output for the terminal. */
import pc from 'picocolors';
import type { Refusal } from '../../core/errors.ts';
import type { TaskState } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Finding } from '../../validators/index.ts';

export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map((f) => `  ${pc.red('✗')} ${f.file} [${f.rule}] ${f.problem}\n    ${pc.dim('→')} ${f.fix}`)
    .join('\n');
}

export function formatRefusal(err: Refusal): string {
  let text = `${pc.red('refused')} ${pc.bold(err.code)}: ${err.message}`;
  const findings = err.details['findings'];
  if (Array.isArray(findings) && findings.length && typeof findings[0] === 'object')
    text += `\n${formatFindings(findings as Finding[])}`;
  return text;
}

export function formatTask(t: TaskState, phases: readonly string[], lease?: Lease | null): string {
  const line = phases
    .map((p) => {
      const i = phases.indexOf(p);
      const cur = phases.indexOf(t.phase);
      if (t.status === 'done' || i < cur) return pc.green(p);
      if (i === cur) return pc.bold(pc.cyan(`[${p}]`));
      return pc.dim(p);
    })
    .join(pc.dim(' → '));
  const rows = [
    `${pc.bold(t.taskId)}${t.title ? ` ${t.title}` : ''}  ${statusLabel(t)}`,
    `  ${line}`,
    `  base ${t.baseCommit?.slice(0, 12) ?? '-'} · in ${t.phase} since ${t.phaseEnteredAt} · refusals ${t.counts.refusals} · backtracks ${t.counts.backtracks}`,
  ];
  if (lease !== undefined) {
    rows.push(
      lease && lease.holder
        ? `  lease: ${lease.holder} (token ${lease.token}) until ${lease.expiresAt}`
        : `  lease: free${lease ? ` (last token ${lease.token})` : ''}`,
    );
  }
  return rows.join('\n');
}

export function statusLabel(t: TaskState): string {
  return t.status === 'done' ? pc.green('done') : t.status === 'aborted' ? pc.red('aborted') : pc.cyan('active');
}

export function formatEntry(entry: LedgerEntry): string {
  const move =
    entry.fromPhase || entry.toPhase
      ? ` ${entry.fromPhase ?? '∅'} → ${entry.toPhase ?? (entry.data['status'] === 'done' ? 'DONE' : '·')}`
      : '';
  const code = typeof entry.data['code'] === 'string' ? ` ${pc.red(entry.data['code'])}` : '';
  const kind =
    entry.kind === 'violation' || entry.kind === 'tool_blocked'
      ? pc.red(entry.kind)
      : entry.kind === 'transition'
        ? pc.green(entry.kind)
        : entry.kind;
  return `${pc.dim(String(entry.seq).padStart(5))} ${pc.dim(entry.ts)} ${entry.taskId ?? '-'} ${kind}${move}${code} ${pc.dim(`by ${entry.actor}`)} ${pc.dim(entry.hash.slice(0, 12))}`;
}
