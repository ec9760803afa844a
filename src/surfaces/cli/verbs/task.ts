/** @module `autopilot task start|list|status|rename`. */
import { proposalLine, proposalStatus } from '../../../engine/task/monitor-proposal.ts';
import { startTask } from '../../../engine/task/start.ts';
import { renameTask } from '../../../engine/task/rename.ts';
import { contractStatus } from '../../../engine/task/contract.ts';
import pc from 'picocolors';
import { done, intOption, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { formatTask, statusLabel } from '../format.ts';
import { loadTask } from '../../../engine/ledger/load-task.ts';

/** Values given several times or comma-separated (`--domain api,web`), in order, without blanks. */
function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export async function taskStart(
  taskId: string,
  opts: GlobalOptions & { title?: string; base?: string; persona?: string; domain?: string[]; label?: string[] },
): Promise<VerbResult> {
  return withEngine(opts, async (engine, actor) => {
    const r = await startTask(engine, actor, {
      taskId,
      ...(opts.title ? { title: opts.title } : {}),
      ...(opts.base ? { base: opts.base } : {}),
      ...(opts.persona !== undefined ? { persona: opts.persona } : {}),
      ...(opts.domain ? { domains: splitList(opts.domain) } : {}),
      ...(opts.label ? { labels: splitList(opts.label) } : {}),
    });
    if (!r.ok) return r;
    return done(
      { task: r.value.task, seq: r.value.entry.seq },
      `${formatTask(r.value.task, engine.config.phases)}\nstarted at ledger entry ${r.value.entry.seq}. Next: write ${engine.config.evidence[
        r.value.task.phase
      ]
        ?.map((a) => a.name)
        .join(', ')} and run: autopilot advance ${taskId}`,
    );
  });
}

export async function taskList(opts: GlobalOptions & { status?: string }): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const tasks = (await engine.store.listTasks()).filter((t) => !opts.status || t.status === opts.status);
    const text = tasks.length
      ? tasks
          .map(
            (t) =>
              `${t.taskId.padEnd(16)} ${statusLabel(t).padEnd(16)} ${t.phase.padEnd(11)} ${t.updatedAt}  ${t.title}`,
          )
          .join('\n')
      : 'no tasks yet; start one with: autopilot task start T-1 --title "…"';
    return done({ tasks }, text);
  });
}

export async function taskStatus(taskId: string, opts: GlobalOptions): Promise<VerbResult> {
  return withEngine(opts, async (engine) => {
    const loaded = await loadTask(engine.store, taskId);
    if (!loaded.ok) return loaded;
    const task = loaded.value;
    const lease = (await engine.store.getLease(taskId)) ?? null;
    const live =
      lease && lease.holder && Date.parse(lease.expiresAt) > engine.clock.now().getTime()
        ? lease
        : lease
          ? { ...lease, holder: null }
          : null;
    const needs =
      engine.config.evidence[task.phase]?.map((a) => `${a.name}${a.producer === 'autopilot' ? ' (Autopilot)' : ''}`) ??
      [];
    // A reading verb says the contract changed but refuses nothing: the next move will.
    const contract = contractStatus(engine, task);
    const changed =
      contract.changed && task.status === 'active'
        ? `\n  ${pc.yellow('the config is not the contract this task adopted')} (changed: ${contract.keys.join(', ') || 'see the config'}): moves are refused with CONFIG_CHANGED until it is restored or a person adopts it with their passkey (the dashboard's approval panel, autopilot serve)`
        : '';
    const proposal = (await proposalStatus(engine, task)) ?? null;
    const proposed = proposal ? `\n  ${pc.yellow(proposalLine(task.taskId, proposal))}` : '';
    return done(
      { task, lease: live, evidence: needs, contract, proposal },
      `${formatTask(task, engine.config.phases, live)}${task.status === 'active' ? `\n  ${task.phase} needs: ${needs.join(', ')}` : ''}${changed}${proposed}`,
    );
  });
}

export async function taskRename(
  taskId: string,
  opts: GlobalOptions & { title: string; token?: string },
): Promise<VerbResult> {
  const token = intOption(opts.token, 'token');
  return withEngine(opts, async (engine, actor) => {
    const r = await renameTask(engine, actor, { taskId, title: opts.title, ...(token !== undefined ? { token } : {}) });
    if (!r.ok) return r;
    const { task, previousTitle, entry } = r.value;
    return done(
      { task, previousTitle, seq: entry?.seq ?? null },
      entry
        ? `${formatTask(task, engine.config.phases)}
renamed from "${previousTitle}" at ledger entry ${entry.seq}`
        : `${formatTask(task, engine.config.phases)}
the title is already "${task.title}"; nothing was recorded`,
    );
  });
}
