/** @module `autopilot evidence add <TASK> <PHASE> <FILE> [--as NAME]` and `autopilot evidence check <TASK> [PHASE]`. */
import { basename, resolve } from 'node:path';
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { checkEvidence, putEvidence, readSourceFile, refuseSourceFile } from '../../../engine/task/evidence.ts';
import { contractStatus } from '../../../engine/task/contract.ts';
import { cwdOf, done, intOption, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { formatFindings } from '../format.ts';
import { plural } from '../../../core/phrasing.ts';

export async function evidenceAdd(
  taskId: string,
  phase: string,
  file: string,
  opts: GlobalOptions & { as?: string; token?: string },
): Promise<VerbResult> {
  const token = intOption(opts.token, 'token');
  // A relative FILE is relative to where the command runs: the -C folder when one is given.
  const source = resolve(cwdOf(opts), file);
  return withEngine(opts, async (engine, actor) => {
    const content = readSourceFile(source, engine.config.limits.maxEvidenceBytes);
    if (!content.ok) return { ok: false, error: await refuseSourceFile(engine, actor, taskId, content.error) };
    const r = await putEvidence(engine, actor, {
      taskId,
      phase,
      name: opts.as ?? basename(file),
      content: content.value,
      ...(token !== undefined ? { token } : {}),
    });
    if (!r.ok) return r;
    const { path, sha256, findings, entry, repairs } = r.value;
    const verdict = findings.length
      ? `${pc.yellow('stored, but the contract is not met yet:')}\n${formatFindings(findings)}`
      : pc.green('stored; it meets the contract');
    const repaired = repairs.length
      ? `\nrepaired (recorded in the ledger entry):\n${repairs.map((x) => `  ${x.field}: ${x.detail}`).join('\n')}`
      : '';
    return done(
      { path, sha256, seq: entry.seq, findings, repairs },
      `${path} (sha256 ${sha256.slice(0, 12)}…, ledger entry ${entry.seq}) ${verdict}${repaired}`,
    );
  });
}

export async function evidenceCheck(
  taskId: string,
  phase: string | undefined,
  opts: GlobalOptions,
): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const r = await checkEvidence(engine, { taskId, ...(phase !== undefined ? { phase } : {}) });
    if (!r.ok) return r;
    const report = r.value;
    const task = await engine.store.getTask(taskId);
    const contract = task ? contractStatus(engine, task) : undefined;
    const note =
      contract?.changed && task?.status === 'active'
        ? `\n${pc.yellow('note:')} the config is not the contract ${taskId} adopted (changed: ${contract.keys.join(', ') || 'see the config'}); the next move is refused with CONFIG_CHANGED until it is restored or a person adopts it`
        : '';
    if (report.passed) {
      return done(
        { ...report, ...(contract ? { contract } : {}) },
        `${pc.green('✓')} ${report.phase} evidence of ${taskId} meets the contract (${plural(report.artifacts.length, 'file')})${note}`,
      );
    }
    const code = report.findings.some((f) => f.rule === 'missing')
      ? ErrorCode.EVIDENCE_MISSING
      : ErrorCode.EVIDENCE_INVALID;
    return {
      ok: false,
      error: {
        code,
        message: `${report.phase} evidence of ${taskId} does not meet the contract yet${note}`,
        details: { phase: report.phase, findings: report.findings },
      },
    };
  });
}
