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

export function formatEntry(e: LedgerEntry): string {
  const move =
    e.fromPhase || e.toPhase
      ? ` ${e.fromPhase ?? '∅'} → ${e.toPhase ?? (e.data['status'] === 'done' ? 'DONE' : '·')}`
      : '';
  const code = typeof e.data['code'] === 'string' ? ` ${pc.red(e.data['code'])}` : '';
  const kind =
    e.kind === 'violation' || e.kind === 'tool_blocked'
      ? pc.red(e.kind)
      : e.kind === 'transition'
        ? pc.green(e.kind)
        : e.kind;
  return `${pc.dim(String(e.seq).padStart(5))} ${pc.dim(e.ts)} ${e.taskId ?? '-'} ${kind}${move}${code} ${pc.dim(`by ${e.actor}`)} ${pc.dim(e.hash.slice(0, 12))}`;
}
