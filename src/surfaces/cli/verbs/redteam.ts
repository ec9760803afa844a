/** @module `autopilot redteam`: the attack suite against the enforcer itself, each case in a throw-away repository; exit 2 on any miss. */
import pc from 'picocolors';
import { runRedteam, selectCases, type CaseReport } from '../../redteam/run.ts';
import { intOption, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

function line(r: CaseReport): string {
  const mark = r.passed ? pc.green('✓') : pc.red('✗ MISS');
  const got = `${r.observed.outcome}${r.observed.code ? ` ${r.observed.code}` : ''}${r.observed.exit !== undefined ? ` (exit ${r.observed.exit})` : ''}`;
  const by = r.stoppedBy
    ? `stopped by ${pc.bold(r.stoppedBy)}`
    : pc.red(`expected ${r.expected.outcome} by ${r.expected.layer}`);
  const lines = [
    `${mark} ${r.id} ${pc.dim(`[${r.category}]`)}: ${r.title}`,
    `    ${got}, ${by}; ${pc.dim(r.route.length > 160 ? `${r.route.slice(0, 160)}…` : r.route)}`,
  ];
  for (const p of r.problems) lines.push(`    ${pc.red(p)}`);
  return lines.join('\n');
}

export async function redteamVerb(
  opts: GlobalOptions & { only?: string; concurrency?: string; keep?: boolean },
): Promise<VerbResult> {
  const concurrency = intOption(opts.concurrency, 'concurrency');
  if (opts.only !== undefined && selectCases({ only: opts.only }).length === 0)
    throw new UsageError(`--only ${opts.only} selects no case`, 'only');
  if (!opts.json)
    process.stdout.write(pc.bold('Autopilot red team: attacks on the enforcer, each in a throw-away repository\n\n'));
  const report = await runRedteam({
    ...(opts.only ? { only: opts.only } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(opts.keep ? { keep: true } : {}),
    onCase: (r) => {
      if (!opts.json) process.stdout.write(`${line(r)}\n`);
    },
  });
  const layers = new Map<string, number>();
  for (const c of report.cases) if (c.stoppedBy) layers.set(c.stoppedBy, (layers.get(c.stoppedBy) ?? 0) + 1);
  const summary = report.passed
    ? pc.green(`\n✓ ${report.total} attacks, every one stopped (${(report.durationMs / 1000).toFixed(1)} s)`)
    : pc.red(
        `\n✗ ${report.misses} of ${report.total} attacks were not stopped as they must be (${(report.durationMs / 1000).toFixed(1)} s)`,
      );
  const byLayer = [...layers].sort((a, b) => b[1] - a[1]).map(([l, n]) => `  ${String(n).padStart(3)}  ${l}`);
  return {
    ok: true,
    value: report,
    text: [
      summary,
      ...(byLayer.length ? ['stopped by layer:', ...byLayer] : []),
      ...(report.kept ? [`repositories kept in ${report.kept}`] : []),
    ].join('\n'),
    exitCode: report.passed ? 0 : 2,
  };
}
