/** @module `autopilot gate [--base REF]`: the CI check of a branch, on a checkout without the local store or private key. */
import pc from 'picocolors';
import { runGate } from '../../../engine/ci/gate.ts';
import { describeProblem, type CiGateReport, type GateStage, type TaskCiGate } from '../../../engine/ci/report.ts';
import { MemoryStore } from '../../../adapters/memory/index.ts';
import { forgeFor, runnerFor, sinkFor } from '../../compose.ts';
import { UsageError, cwdOf, done, type GlobalOptions, type VerbResult } from '../runtime.ts';

function describeVerify(v: TaskCiGate['verify']): string[] {
  if ('skipped' in v) return [pc.dim(`VERIFY re-run skipped: ${v.skipped}`)];
  const tests = v.tests
    ? `${v.tests.total - v.tests.failed - v.tests.errors}/${v.tests.total} tests passed (recorded ${v.recorded?.total ?? '?'})`
    : 'no test results';
  const coverage = v.coverage
    ? `, changed-lines coverage ${v.coverage.percent.toFixed(1)}% (threshold ${v.coverage.threshold}%)`
    : '';
  const rows = [`VERIFY re-run: ${tests}${coverage}${v.sameCode ? ', same code as the recorded run' : ''}`];
  // A failed re-run shows what a person needs to fix it without re-running it: the failed cases and the output's tail.
  if (v.failedCases?.length) {
    rows.push(pc.bold('failed tests:'));
    for (const c of v.failedCases) {
      rows.push(`  ${pc.red('✗')} ${c.suite ? `${c.suite} › ` : ''}${c.name}`);
      if (c.message)
        rows.push(
          ...c.message
            .split('\n')
            .slice(0, 6)
            .map((l) => pc.dim(`      ${l}`)),
        );
    }
  }
  for (const log of v.logs ?? []) {
    const cut = log.lines - log.tail.length;
    rows.push(pc.bold(`${log.command} output${cut > 0 ? ` (last ${log.tail.length} of ${log.lines} lines)` : ''}:`));
    rows.push(...(log.tail.length ? log.tail.map((l) => pc.dim(`  │ ${l}`)) : [pc.dim('  │ (no output)')]));
  }
  return rows;
}

/** The report as text: passed or failed, each task with its re-run; a failed one says why under the task. */
function formatReport(r: CiGateReport): string {
  const head = `${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'}, ${r.base.ref} (${r.base.mergeBase.slice(0, 12)}) … HEAD ${r.head.slice(0, 12)}`;
  const rows = [
    r.passed ? `${pc.green('✓ autopilot gate passed')}: ${head}` : `${pc.red('✗ autopilot gate failed')}: ${head}`,
  ];
  for (const t of r.tasks) {
    rows.push(
      t.passed
        ? `  ${pc.green('✓')} ${pc.bold(t.taskId)} ${t.bundle}: entries ${t.fromSeq}–${t.toSeq} signed and chained, phases in order to ${t.status === 'done' ? 'DONE' : t.phase}, ${t.artifacts} evidence files match`
        : `  ${pc.red('✗')} ${pc.bold(t.taskId)} ${t.bundle}: entries ${t.fromSeq ?? '?'}–${t.toSeq ?? '?'}`,
    );
    if (t.contract)
      rows.push(
        pc.dim(
          `    judged by ${t.contract.source === 'task' ? `the contract it adopted, ${t.contract.file}` : `the committed ${t.contract.file}`}${t.contract.note ? ` (${t.contract.note})` : ''}${t.contract.adopted?.length ? `; then by the contracts a person adopted: ${t.contract.adopted.map((a) => `${a.file} (entry ${a.seq}, ${a.by})`).join(', ')}` : ''}`,
        ),
      );
    if (t.waivers?.length)
      rows.push(
        pc.yellow(
          `    relies on waived checks: ${t.waivers.map((w) => `${w.check} in ${w.phase} ("${w.reason}", entry ${w.seq})`).join(', ')}`,
        ),
      );
    for (const p of r.problems.filter((p) => p.taskId === t.taskId))
      rows.push(`    ${pc.red('-')} ${describeProblem(p)}`);
    rows.push(...describeVerify(t.verify).map((l) => `    ${l}`));
  }
  for (const p of r.problems.filter((p) => !r.tasks.some((t) => t.taskId === p.taskId)))
    rows.push(`  ${pc.red('-')} ${describeProblem(p)}`);
  rows.push(
    pc.dim(
      r.inputs.base
        ? `  config and gate workflow from the base branch (config digest ${r.inputs.base.digest.slice(0, 12)}… at ${r.inputs.base.commit.slice(0, 12)})${
            r.inputs.trusted.some((t) => t.source === 'adopted')
              ? `; configs a person adopted: ${r.inputs.trusted
                  .filter((t) => t.source === 'adopted')
                  .map((t) => `${t.digest.slice(0, 12)}… (${t.taskId}, entry ${t.seq})`)
                  .join(', ')}`
              : ''
          }`
        : '  the base branch has no Autopilot config: this branch installs it, and is judged by its own',
    ),
  );
  for (const w of r.inputs.workflows)
    rows.push(
      pc.yellow(
        `  the gate workflow ${w.file} is the branch's, allowed by ${w.by.replace(/^person:/, '')} at sha256 ${w.sha256.slice(0, 12)}… (${w.taskId}, entry ${w.seq})`,
      ),
    );
  const added = r.keys.filter((k) => k.new).map((k) => k.keyId);
  const pinned = r.keys.some((k) => k.trusted !== undefined);
  if (added.length && !pinned) {
    rows.push(
      pc.yellow(
        `  keys first committed on this branch: ${added.join(', ')} (check that they belong to your team's installations, or pin them: AUTOPILOT_TRUSTED_KEYS)`,
      ),
    );
  }
  rows.push(...formatStages(r));
  return rows.join('\n');
}

const STAGE_MARK: Record<GateStage['status'], string> = {
  pass: pc.green('✓'),
  fail: pc.red('✗'),
  would_block: pc.yellow('!'),
  off: pc.dim('–'),
  not_evaluated: pc.dim('·'),
};
const CHECK_MARK = { pass: pc.green('✓'), fail: pc.red('✗'), not_evaluated: pc.dim('·') } as const;

/** The five gates as stages: each gate's outcome and mode, then its checks with what they saw. */
function formatStages(r: CiGateReport): string[] {
  // A refusal before the checks ran (no bundle, no config) carries no stages.
  const stages = r.stages as readonly GateStage[] | undefined;
  if (!stages) return [];
  const rows = [pc.bold(`gates${r.mergeable ? `: ${pc.green('mergeable')}` : `: ${pc.red('not mergeable')}`}`)];
  for (const g of stages) {
    const status = g.status === 'would_block' ? 'would have blocked (observe)' : g.status.replace('_', ' ');
    rows.push(
      `  ${STAGE_MARK[g.status]} Gate ${g.gate.slice(1)} ${g.title}: ${status}${g.mode !== 'enforce' ? pc.dim(` [${g.mode}]`) : ''}`,
    );
    for (const c of g.checks) rows.push(`      ${CHECK_MARK[c.status]} ${c.name}: ${pc.dim(c.detail)}`);
  }
  for (const m of r.modes ?? [])
    rows.push(
      pc.yellow(
        `  mode ${m.key}: ${m.from} → ${m.to} for Gate ${m.gate.slice(1)}, signed by ${m.person.replace(/^person:/, '')} for ${m.taskId} (entry ${m.seq})${m.applied ? '' : `; not applied: ${m.note ?? ''}`}`,
      ),
    );
  for (const p of r.relaxed ?? [])
    rows.push(
      pc.yellow(
        `  ${p.mode === 'observe' ? 'would have blocked' : 'not decided (gate off)'}, Gate ${p.gate.slice(1)}: ${describeProblem(p)}`,
      ),
    );
  return rows;
}

/** The trusted key ids: --trusted-keys, else AUTOPILOT_TRUSTED_KEYS; comma- or space-separated. */
function trustedKeys(opts: { trustedKeys?: string }): string[] | undefined {
  // An empty variable is an unset one: CI systems pass a variable nobody defined as "".
  const text = opts.trustedKeys ?? (process.env['AUTOPILOT_TRUSTED_KEYS']?.trim() || undefined);
  if (text === undefined) return undefined;
  const ids = text.split(/[\s,]+/).filter(Boolean);
  const bad = ids.find((id) => !/^[0-9a-f]{16}$/.test(id));
  if (bad !== undefined || ids.length === 0) {
    const from = opts.trustedKeys !== undefined ? '--trusted-keys' : 'AUTOPILOT_TRUSTED_KEYS';
    throw new UsageError(
      `${from} takes key ids (16 hex digits, as in <stateDir>/attestations/keys/<id>.pub.pem), separated by commas${bad !== undefined ? `; "${bad}" is not one` : ''}`,
      'trusted-keys',
    );
  }
  return ids;
}

/** CI mode: `--ci`, or the `CI` variable GitHub Actions, GitLab CI and most others set to `true`. */
function ciMode(opts: { ci?: boolean }): boolean {
  if (opts.ci) return true;
  const v = process.env['CI']?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

export async function gateVerb(
  opts: GlobalOptions & { base?: string; trustedKeys?: string; ci?: boolean },
): Promise<VerbResult> {
  const trusted = trustedKeys(opts);
  const r = await runGate({
    cwd: cwdOf(opts),
    ci: ciMode(opts),
    ...(opts.base !== undefined ? { base: opts.base } : {}),
    ...(trusted ? { trustedKeys: trusted } : {}),
    openStore: async () => new MemoryStore(),
    makeRunner: runnerFor,
    makeSink: sinkFor,
    openForge: forgeFor,
    ...(opts.json ? {} : { progress: (line: string) => void process.stderr.write(pc.dim(`${line}\n`)) }),
  });
  if (!r.ok) {
    // A failed gate's details are its report: shown in full above the refusal, so the reasons sit under their task.
    const report = r.error.details as Partial<CiGateReport>;
    return Array.isArray(report.tasks) ? { ...r, text: formatReport(report as CiGateReport) } : r;
  }
  return done(r.value, formatReport(r.value));
}
