/** @module `autopilot gate [--base REF]`: the CI check of a branch, on a checkout without the local store or private key. */
import pc from 'picocolors';
import { runGate, type GateReport, type TaskGate } from '../../../engine/ci-gate.ts';
import { MemoryStore } from '../../../adapters/memory/index.ts';
import { runnerFor } from '../../compose.ts';
import { cwdOf, done, type GlobalOptions, type VerbResult } from '../runtime.ts';

function describeVerify(v: TaskGate['verify']): string {
  if ('skipped' in v) return pc.dim(`VERIFY re-run skipped: ${v.skipped}`);
  const tests = v.tests ? `${v.tests.total - v.tests.failed - v.tests.errors}/${v.tests.total} tests passed (recorded ${v.recorded?.total ?? '?'})` : 'no test results';
  const coverage = v.coverage ? `, changed-lines coverage ${v.coverage.percent.toFixed(1)}% (threshold ${v.coverage.threshold}%)` : '';
  return `VERIFY re-run: ${tests}${coverage}${v.sameCode ? ', same code as the recorded run' : ''}`;
}

function formatReport(r: GateReport): string {
  const rows = [
    `${pc.green('✓ autopilot gate passed')}: ${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'}, ${r.base.ref} (${r.base.mergeBase.slice(0, 12)}) … HEAD ${r.head.slice(0, 12)}`,
  ];
  for (const t of r.tasks) {
    rows.push(`  ${pc.green('✓')} ${pc.bold(t.taskId)} ${t.bundle}: entries ${t.fromSeq}–${t.toSeq} signed and chained, phases in order to ${t.status === 'done' ? 'DONE' : t.phase}, ${t.artifacts} evidence files match`);
    rows.push(`    ${describeVerify(t.verify)}`);
  }
  const added = r.keys.filter((k) => k.new).map((k) => k.keyId);
  if (added.length) rows.push(pc.yellow(`  keys first committed on this branch: ${added.join(', ')} (check that they belong to your team's installations)`));
  return rows.join('\n');
}

export async function gateVerb(opts: GlobalOptions & { base?: string }): Promise<VerbResult> {
  const r = await runGate({
    cwd: cwdOf(opts),
    ...(opts.base !== undefined ? { base: opts.base } : {}),
    openStore: async () => new MemoryStore(),
    makeRunner: runnerFor,
    ...(opts.json ? {} : { progress: (line: string) => void process.stderr.write(pc.dim(`${line}\n`)) }),
  });
  if (!r.ok) return r;
  return done(r.value, formatReport(r.value));
}
