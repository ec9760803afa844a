/** @module `autopilot task context <TASK>`: how each phase of a task grew from the ones before it. */
import pc from 'picocolors';
import { contextHash, type PhaseContext } from '../../../engine/task/phase-context.ts';
import { done, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { loadTask } from '../../../engine/ledger/load-task.ts';

export interface ContextStep {
  readonly seq: number;
  readonly ts: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly context: PhaseContext | null;
  /** True when `context.hash` is the digest of its parts; null for a transition recorded without context. */
  readonly hashOk: boolean | null;
}

export async function taskContextVerb(taskId: string, opts: GlobalOptions): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const loaded = await loadTask(engine.store, taskId);
    if (!loaded.ok) return loaded;
    const entries = await engine.store.entries({ taskId, kind: 'transition' });
    const steps: ContextStep[] = entries.map((x) => {
      const context = (x.data['context'] as PhaseContext | undefined) ?? null;
      return {
        seq: x.seq,
        ts: x.ts,
        from: x.fromPhase,
        to: x.toPhase,
        context,
        hashOk: context ? contextHash(context) === context.hash : null,
      };
    });
    const text = steps.length
      ? steps
          .map((s) => {
            const head = `${pc.bold(`#${s.seq}`)} ${s.from} → ${s.to ?? 'DONE'} ${pc.dim(s.ts)}`;
            if (!s.context) return `${head}\n  ${pc.dim('(recorded without context)')}`;
            const c = s.context;
            const list = (xs: readonly { path: string; sha256: string }[]) =>
              xs.length ? xs.map((a) => `\n    ${a.path} ${pc.dim(a.sha256.slice(0, 12))}`).join('') : pc.dim(' none');
            return [
              head,
              `  built on:${list(c.inputs)}`,
              `  summary:  ${c.summary ?? pc.dim('(none given)')}`,
              `  produced:${list(c.outputs)}`,
              `  context ${c.hash.slice(0, 16)} ${s.hashOk ? pc.green('✓ matches its parts') : pc.red('✗ does not match its parts')}`,
            ].join('\n');
          })
          .join('\n\n')
      : `${taskId} has passed no phase yet`;
    return done({ taskId, steps }, text);
  });
}
