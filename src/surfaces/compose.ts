/** @module The composition root: which adapters the surfaces wire into the engine. */
import type { Config } from '../core/config.ts';
import type { Layout } from '../engine/repo/layout.ts';
import type { Store } from '../ports/store.ts';
import type { Forge, ForgeSpec } from '../ports/forge.ts';
import { isAbsolute, resolve } from 'node:path';
import { AutopilotError, ErrorCode } from '../core/errors.ts';
import { SqliteStore } from '../adapters/sqlite/index.ts';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../adapters/sqlite/migrations.ts';
import { JsonlCounterReader, JsonlSink, JsonlSpanReader } from '../adapters/jsonl/index.ts';
import type { SpanReader } from '../ports/spans.ts';
import { deferredSink, fanOut, type CounterReader, type EventSink } from '../ports/events.ts';
import type { CommandRunner } from '../ports/runner.ts';
import { ProcessRunner } from '../adapters/process/index.ts';
import { redactUrl } from '../adapters/shared/store.ts';
import { BwrapRunner } from '../adapters/bwrap/index.ts';
import { userStateRoot } from '../engine/repo/user-state.ts';

import { probeWall, runWalled } from '../adapters/bwrap/wall.ts';
import type { WallPlan } from '../engine/repo/wall.ts';

export { sandboxStatus, type SandboxStatus } from '../adapters/bwrap/index.ts';
export { probeWall, type WallProbe } from '../adapters/bwrap/wall.ts';

/**
 * Runs an agent's command behind the wall that `plan` describes, with the caller's standard streams; resolves to its
 * exit code, or to a reason when bubblewrap cannot raise the wall on this machine (the command did not run).
 */
export async function runBehindWall(
  plan: WallPlan,
  run: {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
    readonly argv: readonly string[];
    readonly marker: string;
  },
): Promise<{ readonly exitCode: number } | { readonly unavailable: string }> {
  const probe = probeWall();
  if (!probe.available || !probe.bwrap) return { unavailable: probe.reason ?? 'bubblewrap is not available' };
  return { exitCode: await runWalled(probe.bwrap, probe.privileged, { ...plan, ...run }) };
}

/**
 * The runner of evidence commands, as `sandbox` in the config says: bubblewrap
 * (`required` or `preferred`, which falls back to running unsandboxed and says
 * so in the evidence), or no sandbox at all (`off`).
 */
export function runnerFor(layout: Layout, config: Config): CommandRunner {
  const { mode, workspace, dependencies, memoryMb, maxProcesses } = config.sandbox;
  if (mode === 'off') return new ProcessRunner({ isolation: 'none (sandbox.mode is off)' });
  return new BwrapRunner({
    mode,
    workspace,
    ...(dependencies ? { dependencies } : {}),
    memoryMb,
    maxProcesses,
    host: new ProcessRunner(),
    // The state folder, and the per-user state with the signing key and the approval token: a test the agent wrote
    // must not read them.
    hide: [layout.stateDir, userStateRoot()],
    // The tools' caches (GOCACHE, pip's, npm's) are the one part of the state folder a command sees, and may write.
    writable: [layout.cacheDir],
  });
}

/**
 * The forge client for a spec: GitHub through Octokit, GitLab and Gitea (Forgejo) over fetch; loaded on first use so
 * that a hook or a verb that opens no pull request does not pay for it.
 */
export async function forgeFor(spec: ForgeSpec): Promise<Forge> {
  if (spec.kind === 'gitlab') return (await import('../adapters/gitlab/index.ts')).openGitLab(spec);
  if (spec.kind === 'gitea') return (await import('../adapters/gitea/index.ts')).openGitea(spec);
  const { openGitHub } = await import('../adapters/github/index.ts');
  return openGitHub(spec);
}

/** Where a store lives: an SQLite file, or a PostgreSQL database. */
export type StoreLocation =
  { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

/**
 * Reads a store spec: `sqlite` (the embedded store, `defaultFile`), `sqlite:<path>`
 * (relative to `baseDir`) or a `postgres://` (`postgresql://`) URL. `key` names
 * the setting in the CONFIG_INVALID error.
 */
export function parseStoreSpec(spec: string, baseDir: string, defaultFile?: string, key = 'store'): StoreLocation {
  if (/^postgres(ql)?:\/\/./.test(spec)) return { kind: 'postgres', url: spec };
  if (spec === 'sqlite' && defaultFile) return { kind: 'sqlite', file: defaultFile };
  const path = /^sqlite:(.+)$/.exec(spec)?.[1];
  if (path) return { kind: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path) };
  throw new AutopilotError(
    ErrorCode.CONFIG_INVALID,
    `${key} must be sqlite, sqlite:<path> or a postgres://user@host/database URL, got "${spec}"`,
    {
      key,
      reason: 'unknown store',
    },
  );
}

/** A location for messages: the SQLite path, or the URL without its password. */
export function describeStore(loc: StoreLocation): string {
  return loc.kind === 'sqlite' ? `sqlite:${loc.file}` : redactUrl(loc.url, 'postgres://(unparsable URL)');
}

/** The configured store spec: AUTOPILOT_STORE, when set, wins over `store:` in the config. */
export function storeSpecFor(config: Config, env: NodeJS.ProcessEnv = process.env): { spec: string; key: string } {
  const fromEnv = env['AUTOPILOT_STORE'];
  return fromEnv ? { spec: fromEnv, key: 'AUTOPILOT_STORE' } : { spec: config.store, key: 'store' };
}

/** Opens the store at a location; the PostgreSQL adapter (and `pg`) is loaded only when one is asked for. */
export async function openStoreAt(loc: StoreLocation): Promise<Store> {
  if (loc.kind === 'sqlite') return new SqliteStore(loc.file);
  const { PostgresStore } = await import('../adapters/postgres/index.ts');
  return PostgresStore.open(loc.url);
}

/** Applies pending schema migrations to the store at a location; returns the versions applied now (null when the store does not say) and all of its versions. */
export async function migrateStoreAt(loc: StoreLocation): Promise<{ applied: number[] | null; versions: number[] }> {
  if (loc.kind === 'sqlite') {
    // The SQLite store migrates itself whenever it is opened, and does not say what it applied.
    await new SqliteStore(loc.file).close();
    return { applied: null, versions: SQLITE_MIGRATIONS.map((m) => m.version) };
  }
  const { PostgresStore } = await import('../adapters/postgres/index.ts');
  const store = PostgresStore.connect(loc.url);
  try {
    return await store.migrate();
  } finally {
    await store.close();
  }
}

/** The store for a layout: AUTOPILOT_STORE or the config's `store` (default the embedded SQLite store). */
export async function openStoreFor(layout: Layout, config: Config): Promise<Store> {
  const { spec, key } = storeSpecFor(config);
  return openStoreAt(parseStoreSpec(spec, layout.root, layout.dbFile, key));
}

/** True when the environment asks for OTLP export (an OTLP endpoint is set and the SDK is not disabled). */
export function otlpWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  return !!(
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] ||
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ||
    env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT']
  );
}

/**
 * The telemetry sink for a layout: JSON lines always; OpenTelemetry as well when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Only then is the SDK imported, so that a
 * hook or a CLI verb does not pay for loading it otherwise.
 */
export function sinkFor(layout: Layout, env: NodeJS.ProcessEnv = process.env): EventSink {
  const jsonl = new JsonlSink(layout.telemetryDir);
  if (!otlpWanted(env)) return jsonl;
  const otel = deferredSink(
    import('../adapters/otel/index.ts').then((m) => m.createOtelSink({ env })),
    (err) =>
      process.stderr.write(
        `autopilot: OpenTelemetry export is off: the SDK could not be loaded (${(err as Error)?.message ?? String(err)}); the JSONL files are unaffected\n`,
      ),
  );
  return fanOut(jsonl, otel);
}

/** Where `autopilot metrics` reads back the counters recorded outside the ledger: the JSONL file the sink writes. */
export function counterReaderFor(layout: Layout): CounterReader {
  return new JsonlCounterReader(layout.telemetryDir);
}

/** Where the dashboard reads spans back: the JSONL files the sink always writes. */
export function spanReaderFor(layout: Layout): SpanReader {
  return new JsonlSpanReader(layout.telemetryDir);
}
