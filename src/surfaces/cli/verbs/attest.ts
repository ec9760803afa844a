/** @module `autopilot attest baseline|check|update`: the agent's instructions, and noticing when they change. */
import pc from 'picocolors';
import { ErrorCode } from '../../../core/errors.ts';
import type { Drift } from '../../../core/drift.ts';
import { checkDrift, instructionFiles, recordBaseline, recordDriftCheck } from '../../../engine/drift/baseline.ts';
import { done, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';

const describeDrift = (d: readonly Drift[]) =>
  d
    .map(
      (x) =>
        `  ${x.change === 'changed' ? pc.yellow('~') : x.change === 'added' ? pc.green('+') : pc.red('-')} ${x.input} ${pc.dim(`${x.old?.slice(0, 12) ?? '∅'} → ${x.new?.slice(0, 12) ?? '∅'}`)}`,
    )
    .join('\n');

export async function attestBaseline(opts: GlobalOptions & { tag?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    const r = await recordBaseline(engine, actor, { ...(opts.tag ? { version: opts.tag } : {}) });
    if (!r.ok) return r;
    const files = Object.keys(r.value.files);
    return done(
      r.value,
      `baseline ${r.value.version} recorded (ledger entry ${r.value.seq}): ${engine.config.phases.length} phase prompts, ${files.length} instruction files${files.length ? `: ${files.join(', ')}` : ''}`,
    );
  });
}

export async function attestUpdate(opts: GlobalOptions & { tag?: string; reason?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    const r = await recordBaseline(engine, actor, {
      update: true,
      ...(opts.tag ? { version: opts.tag } : {}),
      reason: opts.reason ?? '',
    });
    if (!r.ok) return r;
    return done(
      r.value,
      `baseline ${r.value.version} recorded by ${actor.id} (ledger entry ${r.value.seq})${r.value.drift.length ? `; it accepts:\n${describeDrift(r.value.drift)}` : '; nothing had changed'}`,
    );
  });
}

export async function attestCheck(opts: GlobalOptions & { phase?: string; task?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    let phase = opts.phase?.toUpperCase();
    if (!phase && opts.task) phase = (await engine.store.getTask(opts.task))?.phase;
    const check = await checkDrift(engine, phase);
    // Drift found is recorded and counted as a move records it; a check that finds none records nothing.
    const recorded = await recordDriftCheck(engine, actor, check, opts.task);
    const seq = recorded
      ? ` (recorded: ledger entry ${recorded.seq}${recorded.taskId ? `, task ${recorded.taskId}` : ''})`
      : '';
    if (!check.baseline) {
      return done(
        { ...check, files: instructionFiles(engine) },
        'no baseline yet: record one with: autopilot attest baseline (the first task start records one too)',
      );
    }
    if (check.drift.length === 0)
      return done(check, `${pc.green('✓')} instructions match baseline ${check.baseline.version}`);
    const text = `${pc.yellow('drift')} from baseline ${check.baseline.version}${seq}:\n${describeDrift(check.drift)}`;
    if (check.blocking) {
      return {
        ok: false,
        text,
        error: {
          code: ErrorCode.PROMPT_DRIFT,
          message: `the agent's instructions changed since baseline ${check.baseline.version}, and ${phase} blocks on drift`,
          details: { changes: check.drift, phase, ...(recorded ? { seq: recorded.seq } : {}) },
        },
      };
    }
    return done(
      { ...check, ...(recorded ? { seq: recorded.seq, taskId: recorded.taskId } : {}) },
      `${text}\n(a warning in ${phase ?? 'this phase'}; it blocks moves into ${engine.config.attest.blockIn.join(', ')})`,
    );
  });
}
