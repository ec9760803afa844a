/** @module `autopilot init [--dry-run] [--yes]`: sets Autopilot up in a git repository. */
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import pc from 'picocolors';
import { applyInit, planInit, type FileChange, type SecretMove } from '../../../engine/setup/init.ts';
import { openStoreFor } from '../../compose.ts';
import { autopilotBin } from '../../hooks/launcher.ts';
import { unifiedDiff } from '../text-diff.ts';
import { cwdOf, done, withEngine, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { discover } from '../../../engine/task/discover.ts';
import { discoverText } from './policy.ts';

function describe(c: FileChange): string {
  if (c.action === 'unchanged') return `  ${pc.dim('unchanged')} ${c.path}`;
  const mode = c.mode !== undefined ? ` (mode ${c.mode.toString(8)})` : '';
  const body = unifiedDiff(c.path, c.before, c.after)
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? pc.green(l)
        : l.startsWith('-') && !l.startsWith('---')
          ? pc.red(l)
          : l.startsWith('@@')
            ? pc.cyan(l)
            : pc.dim(l),
    )
    .join('\n');
  return `  ${c.action === 'create' ? pc.green('create') : pc.yellow('update')} ${c.path}${mode}\n${body}`;
}

function describeMove(m: SecretMove): string {
  return m.action === 'move'
    ? `  ${pc.yellow('move')} ${m.from} → ${m.to}`
    : `  ${pc.yellow('remove')} ${m.from} (the same file is in ${m.to})`;
}

function noteLines(notes: readonly string[] = []): string {
  return notes.map((n) => `\n  ${pc.yellow('note')} ${n}`).join('');
}

/**
 * `init --discover`: what the repository's history suggests for the config, as `policy discover` reports it with
 * neither task nor files. Nothing is written; with `--dry-run` before the config exists there is nothing to read.
 */
async function withDiscovery(result: VerbResult, opts: GlobalOptions, configExists: boolean): Promise<VerbResult> {
  if (!result.ok) return result;
  if (!configExists) {
    const note = 'discovery reads the config init writes: run init without --dry-run, then autopilot policy discover';
    return done({ ...(result.value as object), discovery: null }, `${result.text}\n${pc.yellow('note')} ${note}`);
  }
  const found = await withEngine(opts, async (engine) => {
    const r = await discover(engine, {});
    return r.ok ? done(r.value, discoverText(r.value, undefined, false)) : r;
  });
  if (!found.ok) return found;
  return done({ ...(result.value as object), discovery: found.value }, `${result.text}\n\nDiscovery:\n${found.text}`);
}

export async function initVerb(
  opts: GlobalOptions & { dryRun?: boolean; yes?: boolean; discover?: boolean; policyPack?: boolean },
): Promise<VerbResult> {
  const result = await initOnly(opts);
  if (!opts.discover) return result;
  const configExists =
    !opts.dryRun ||
    (result.ok &&
      (result.value as { changes: { path: string; action: string }[] }).changes.some(
        (c) => c.path.endsWith('config.yaml') && c.action === 'unchanged',
      ));
  return withDiscovery(result, opts, configExists);
}

async function initOnly(
  opts: GlobalOptions & { dryRun?: boolean; yes?: boolean; policyPack?: boolean },
): Promise<VerbResult> {
  // Hooks and the MCP entry start Autopilot the way this process was started: this Node, this package's bin script.
  const plan = await planInit(cwdOf(opts), {
    wiring: { launcher: { node: process.execPath, bin: autopilotBin() }, home: homedir() },
    ...(opts.policyPack ? { policyPack: true } : {}),
  });
  if (!plan.ok) return plan;
  const changes = plan.value.changes;
  if (opts.dryRun) {
    return done(
      {
        dryRun: true,
        root: plan.value.root,
        changes: changes.map((c) => ({
          path: c.path,
          action: c.action,
          after: c.after,
          diff: unifiedDiff(c.path, c.before, c.after),
        })),
        notes: plan.value.notes ?? [],
        moves: plan.value.moves,
        keysDir: plan.value.keysDir,
        undecided: plan.value.undecided ?? [],
      },
      `autopilot init would make these changes in ${plan.value.root} (and create the store, and a key pair and an approval token in ${plan.value.keysDir} where there are none):\n${[...changes.map(describe), ...plan.value.moves.map(describeMove)].join('\n')}${noteLines(plan.value.notes)}`,
    );
  }
  const result = await applyInit(plan.value, openStoreFor);
  const wrote = changes.filter((c) => c.action !== 'unchanged');
  // What to commit before the first task: the files written in the repository (git's own hooks folder is not).
  const toCommit = wrote.map((c) => c.path).filter((p) => !isAbsolute(p) && !p.startsWith('.git/'));
  const commit = toCommit.length
    ? `commit what init wrote, before the first task (task start refuses until the config is committed): git add ${toCommit.join(' ')} && git commit -m "Set up Autopilot"`
    : undefined;
  // Checks left to a person: decided before the commit, they are part of the contract every task adopts.
  const undecided = plan.value.undecided ?? [];
  const decide = undecided.length
    ? `decide what init left unconfigured (${undecided.join(', ')}): configure it under commands, or uncomment its waiver under waive: with a reason that is true here; until then the phase that relies on it refuses to move on (WAIVER_REQUIRED), and a config changed after a task started needs a person to adopt it for that task`
    : undefined;
  return done(
    {
      root: plan.value.root,
      changes: changes.map((c) => ({ path: c.path, action: c.action })),
      keyId: result.keyId,
      keyCreated: result.keyCreated,
      keysDir: plan.value.keysDir,
      moves: plan.value.moves,
      notes: plan.value.notes ?? [],
      undecided,
      toCommit,
    },
    [
      wrote.length || result.keyCreated || plan.value.moves.length
        ? `${pc.green('✓')} Autopilot is set up in ${plan.value.root}`
        : `${pc.green('✓')} already set up; nothing changed`,
      ...changes.map((c) => `  ${c.action === 'unchanged' ? pc.dim('unchanged') : pc.green(c.action)} ${c.path}`),
      ...plan.value.moves.map(describeMove),
      `  key ${result.keyId}${result.keyCreated ? ' created' : ' kept'} in ${plan.value.keysDir}`,
      ...(plan.value.notes ?? []).map((n) => `  ${pc.yellow('note')} ${n}`),
      'Next: check the commands in .autopilot/config.yaml (commands.test above all) and run autopilot doctor;',
      ...(decide ? [`  ${decide};`] : []),
      ...(commit ? [`  ${commit};`] : []),
      `  in CI, the gate needs your team's key ids in a variable a branch cannot change: AUTOPILOT_TRUSTED_KEYS=${result.keyId} (a repository variable on GitHub: gh variable set AUTOPILOT_TRUSTED_KEYS --body ${result.keyId}; a protected CI/CD variable on GitLab);`,
      '  then: autopilot task start T-1 --title "…"',
    ].join('\n'),
  );
}
