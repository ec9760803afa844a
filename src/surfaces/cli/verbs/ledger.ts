/** @module `autopilot ledger verify | show | export`. */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import { verifyLedger } from '../../../engine/ledger/verify.ts';
import { exportLedger, type ExportFormat } from '../../../engine/ledger/export.ts';
import { done, intOption, UsageError, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { formatEntry } from '../format.ts';
import { plural } from '../../../core/phrasing.ts';

export async function ledgerVerify(opts: GlobalOptions & { chainOnly?: boolean }): Promise<VerbResult> {
  const chainOnly = opts.chainOnly === true;
  return withEngine(opts, async (engine) => {
    const report = await verifyLedger(engine, { chainOnly });
    if (!report.ok) {
      const first = report.problems[0]!;
      return {
        ok: false,
        error: {
          code: ErrorCode.LEDGER_TAMPERED,
          message: `ledger verification failed${first.seq !== undefined ? ` at entry ${first.seq}` : ''}: ${first.reason}`,
          details: { ...report },
        },
      };
    }
    if (chainOnly)
      return done(
        report,
        `${pc.green('✓ ledger chain verified')}: ${plural(report.entries, 'entry')} (sequence, links, every hash and signature; the task states, decisions, evidence digests and the store's own check left out: run \`autopilot ledger verify\` for them); head ${report.head?.hash.slice(0, 16) ?? '-'}`,
      );
    return done(
      report,
      `${pc.green('✓ ledger verified')}: ${plural(report.entries, 'entry')} (chain and every signature), ${plural(report.tasks, 'task')}, ${plural(report.artifacts, 'evidence file')} ${report.artifacts === 1 ? 'matches its digest' : 'match their digests'}, ${plural(report.decisions, "person's decision", "people's decisions")} with a valid passkey assertion; head ${report.head?.hash.slice(0, 16) ?? '-'}`,
    );
  });
}

export async function ledgerShow(
  opts: GlobalOptions & { task?: string; from?: string; limit?: string },
): Promise<VerbResult> {
  const from = intOption(opts.from, 'from');
  const limit = intOption(opts.limit, 'limit') ?? 200;
  return withEngine(opts, async (engine) => {
    const entries = await engine.store.entries({
      ...(opts.task ? { taskId: opts.task } : {}),
      ...(from !== undefined ? { fromSeq: from } : {}),
      limit,
    });
    return done({ entries }, entries.length ? entries.map(formatEntry).join('\n') : 'the ledger has no entries yet');
  });
}

export async function ledgerExport(opts: GlobalOptions & { task?: string; format?: string }): Promise<VerbResult> {
  const format = (opts.format ?? 'jsonl') as ExportFormat;
  if (format !== 'jsonl' && format !== 'intoto')
    throw new UsageError(`--format must be jsonl or intoto, got "${opts.format}"`, 'format');
  return withEngine(opts, async (engine) => {
    let n = 0;
    for await (const line of exportLedger(engine, { format, ...(opts.task ? { taskId: opts.task } : {}) })) {
      process.stdout.write(`${line}\n`);
      n++;
    }
    // The lines are the output; nothing else goes to stdout, in either mode.
    return { ok: true, value: { exported: n }, text: '', streamed: true };
  });
}
