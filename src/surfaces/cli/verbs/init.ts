/** @module `autopilot init [--dry-run] [--yes]`: sets Autopilot up in a git repository. */
import pc from 'picocolors';
import { applyInit, planInit, type FileChange } from '../../../engine/init.ts';
import { openStoreFor } from '../../compose.ts';
import { cwdOf, done, type GlobalOptions, type VerbResult } from '../runtime.ts';

function describe(c: FileChange): string {
  if (c.action === 'unchanged') return `  ${pc.dim('unchanged')} ${c.path}`;
  const added = c.after.slice(c.before?.length ?? 0);
  const body = added
    .split('\n')
    .filter((l, i, a) => i < a.length - 1 || l !== '')
    .map((l) => pc.green(`+ ${l}`))
    .join('\n');
  return `  ${c.action === 'create' ? pc.green('create') : pc.yellow('update')} ${c.path}\n${body}`;
}

export async function initVerb(opts: GlobalOptions & { dryRun?: boolean; yes?: boolean }): Promise<VerbResult> {
  const plan = await planInit(cwdOf(opts));
  if (!plan.ok) return plan;
  const changes = plan.value.changes;
  if (opts.dryRun) {
    return done(
      { dryRun: true, root: plan.value.root, changes: changes.map((c) => ({ path: c.path, action: c.action, after: c.after })) },
      `autopilot init would make these changes in ${plan.value.root} (and create a key pair and the store):\n${changes.map(describe).join('\n')}`,
    );
  }
  const result = await applyInit(plan.value, openStoreFor);
  const wrote = changes.filter((c) => c.action !== 'unchanged');
  return done(
    { root: plan.value.root, changes: changes.map((c) => ({ path: c.path, action: c.action })), keyId: result.keyId, keyCreated: result.keyCreated },
    [
      wrote.length || result.keyCreated ? `${pc.green('✓')} Autopilot is set up in ${plan.value.root}` : `${pc.green('✓')} already set up; nothing changed`,
      ...changes.map((c) => `  ${c.action === 'unchanged' ? pc.dim('unchanged') : pc.green(c.action)} ${c.path}`),
      `  key ${result.keyId}${result.keyCreated ? ' created' : ' kept'}`,
      'Next: set the test command in .autopilot/config.yaml (commands.test), then: autopilot task start T-1 --title "…"',
    ].join('\n'),
  );
}
