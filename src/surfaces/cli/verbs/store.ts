/** @module `autopilot store migrate [--store S]` and `autopilot store copy --from S --to S`. */
import { existsSync } from 'node:fs';
import pc from 'picocolors';
import { AutopilotError } from '../../../core/errors.ts';
import { findRoot, loadConfig } from '../../../engine/repo/config-file.ts';
import { layoutFor } from '../../../engine/repo/layout.ts';
import { copyStore } from '../../../engine/ledger/store-copy.ts';
import type { Store } from '../../../ports/store.ts';
import {
  describeStore,
  migrateStoreAt,
  openStoreAt,
  parseStoreSpec,
  storeSpecFor,
  type StoreLocation,
} from '../../compose.ts';
import { cwdOf, done, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';
import { plural } from '../../../core/phrasing.ts';

/** A store named on the command line; a bad spec is a usage error naming the option. */
function locate(spec: string, option: string, cwd: string): StoreLocation {
  try {
    return parseStoreSpec(spec, cwd, undefined, `--${option}`);
  } catch (err) {
    if (err instanceof AutopilotError) throw new UsageError(err.message, option);
    throw err;
  }
}

/** The store to migrate: --store, else AUTOPILOT_STORE or the config of the repository around the working directory. */
function configuredStore(opts: GlobalOptions & { store?: string }): StoreLocation {
  const cwd = cwdOf(opts);
  if (opts.store) return locate(opts.store, 'store', cwd);
  const root = findRoot(cwd);
  if (!root) {
    const fromEnv = process.env['AUTOPILOT_STORE'];
    if (fromEnv) return locate(fromEnv, 'store', cwd);
    throw new UsageError(
      `no store to migrate: not in an Autopilot repository (${cwd}), and neither --store nor AUTOPILOT_STORE is set`,
      'store',
    );
  }
  const config = loadConfig(root);
  const layout = layoutFor(root, config.stateDir);
  const { spec, key } = storeSpecFor(config);
  return parseStoreSpec(spec, root, layout.dbFile, key);
}

export async function storeMigrate(opts: GlobalOptions & { store?: string }): Promise<VerbResult> {
  const loc = configuredStore(opts);
  const { applied, versions } = await migrateStoreAt(loc);
  const where = describeStore(loc);
  const at = versions.length ? `schema version ${versions.at(-1)}` : 'no schema';
  const text =
    applied === null
      ? `${pc.green('✓')} ${where}: the embedded store migrates itself when opened; ${at}`
      : applied.length
        ? `${pc.green('✓')} ${where}: applied migration${applied.length > 1 ? 's' : ''} ${applied.join(', ')}; ${at}`
        : `${pc.green('✓')} ${where}: up to date, nothing to apply; ${at}`;
  return done({ store: where, kind: loc.kind, applied, versions }, text);
}

export async function storeCopy(opts: GlobalOptions & { from: string; to: string }): Promise<VerbResult> {
  const cwd = cwdOf(opts);
  const from = locate(opts.from, 'from', cwd);
  const to = locate(opts.to, 'to', cwd);
  if (describeStore(from) === describeStore(to)) throw new UsageError('--from and --to name the same store', 'to');
  // Opening an SQLite store creates it: a mistyped source path must not copy an empty new file.
  if (from.kind === 'sqlite' && !existsSync(from.file)) throw new UsageError(`no SQLite store at ${from.file}`, 'from');
  const source: Store = await openStoreAt(from);
  try {
    const target = await openStoreAt(to);
    try {
      const r = await copyStore(source, target);
      if (!r.ok) return r;
      const { entries, tasks, leases, keys, head } = r.value;
      return done(
        { from: describeStore(from), to: describeStore(to), ...r.value, verified: true },
        `${pc.green('✓')} copied ${plural(entries, 'ledger entry')}, ${plural(tasks, 'task')}, ${plural(leases, 'lease')} and ${plural(keys, 'key')} from ${describeStore(from)} to ${describeStore(to)}\n` +
          `  verified: the chain and every signature, same head ${head ? `${head.seq} ${head.hash.slice(0, 16)}` : '(empty ledger)'}`,
      );
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
