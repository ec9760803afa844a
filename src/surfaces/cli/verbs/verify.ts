/** @module `autopilot verify <TASK>`: runs the configured build and test commands now. */
import pc from 'picocolors';
import { runVerify } from '../../../engine/task/verify.ts';
import { done, intOption, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { plural } from '../../../core/phrasing.ts';

export async function verifyVerb(taskId: string, opts: GlobalOptions & { token?: string }): Promise<VerbResult> {
  const token = intOption(opts.token, 'token');
  return withEngine(opts, async (engine, actor) => {
    if (!opts.json) process.stderr.write(pc.dim(`running VERIFY commands for ${taskId}…\n`));
    const r = await runVerify(engine, actor, { taskId, ...(token !== undefined ? { token } : {}) });
    if (!r.ok) return r;
    const v = r.value.verify;
    const lines = v.commands.map(
      (c) =>
        `  ${c.exitCode === 0 ? pc.green('✓') : pc.red('✗')} ${c.name}: ${c.argv.join(' ')} (${c.durationMs} ms, exit ${c.exitCode})`,
    );
    if (v.tests)
      lines.push(
        `  tests: ${v.tests.passed} passed, ${v.tests.failed} failed, ${plural(v.tests.errors, 'error')}, ${v.tests.skipped} skipped`,
      );
    if (v.coverage)
      lines.push(
        `  changed-lines coverage: ${v.coverage.percent.toFixed(1)}% of ${plural(v.coverage.executable, 'line')} (threshold ${v.coverage.threshold}%)`,
      );
    const m = v.mutation;
    lines.push(
      m.mutants.length > 0
        ? `  mutants: ${m.killed + m.timedOut} of ${m.killed + m.timedOut + m.survived} killed${m.errors ? `, ${plural(m.errors, 'error')}` : ''}${m.score !== null ? ` (score ${m.score}%)` : ''}`
        : `  mutants: none ran (${m.skipped ?? 'nothing to mutate'})`,
    );
    // Findings are no failure of the run, but the move out of VERIFY waits for a person's decision on them.
    for (const f of v.findings) lines.push(`  ${pc.yellow('!')} ${f.kind}: ${f.detail}`);
    if (v.findings.length > 0)
      lines.push(
        `  ${plural(v.findings.length, 'finding')} about the tests: leaving VERIFY needs a person's approval, given with a passkey in the dashboard (autopilot serve)`,
      );
    return done(
      {
        passed: v.passed,
        seq: r.value.entry.seq,
        commands: v.commands,
        tests: v.tests,
        coverage: v.coverage,
        findings: v.findings,
        mutation: {
          ran: m.mutants.length,
          killed: m.killed,
          survived: m.survived,
          timedOut: m.timedOut,
          errors: m.errors,
          score: m.score,
          ...(m.skipped ? { skipped: m.skipped } : {}),
        },
      },
      `${pc.green('verify passed')} (ledger entry ${r.value.entry.seq})\n${lines.join('\n')}`,
    );
  });
}
