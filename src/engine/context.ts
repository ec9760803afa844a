/** @module The engine's dependencies, and opening them for a repository. */
import type { Config } from '../core/config.ts';
import type { Store } from '../ports/store.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { noopSink, type EventSink } from '../ports/events.ts';
import type { CommandRunner } from '../ports/runner.ts';
import type { ForgeOpener } from '../ports/forge.ts';
import { layoutFor, type Layout } from './repo/layout.ts';
import { findRoot, loadConfig } from './repo/config-file.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigner, PRIVATE_KEY_FILE, type Signer } from './ledger/keys.ts';
import { anchored } from './ledger/anchor.ts';
import { AutopilotError, ErrorCode } from '../core/errors.ts';
import { journaled } from './ledger/journal.ts';

export interface Engine {
  readonly layout: Layout;
  readonly config: Config;
  readonly store: Store;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly sink: EventSink;
  readonly runner: CommandRunner;
  /** Opens a forge client (pull requests, checks) when the config's `pr.mode` asks for one; absent in tests that need none. */
  readonly forge?: ForgeOpener;
}

/** Who is acting, for the ledger and for leases. */
export interface Actor {
  /** Recorded as the entry's actor: `cli:alice`, `mcp:session-id`, `hook:claude:…`. */
  readonly id: string;
  /** Lease holder id; defaults to `id`. */
  readonly holder?: string;
  readonly sessionId?: string;
  /**
   * `reviewer`: a session that reviews another hand's work (`autopilot mcp --role reviewer`); it may write the review
   * phase's rubric and nothing else. Recorded with every evidence entry it writes.
   */
  readonly role?: 'reviewer';
}

export interface OpenOptions {
  readonly cwd: string;
  readonly clock?: Clock;
  readonly sink?: EventSink;
  /** Makes the sink once the layout is known (used when `sink` is absent). */
  readonly makeSink?: (layout: Layout) => EventSink;
  readonly runner?: CommandRunner;
  /**
   * Makes the command runner once the config is known (used when `runner` is absent; the composition root picks the
   * sandbox). With neither, running a command is a bug: nothing runs unsandboxed by default.
   */
  readonly makeRunner?: (layout: Layout, config: Config) => CommandRunner;
  /** Opens a forge client (the composition root picks the adapter). */
  readonly openForge?: ForgeOpener;
  /** Opens the store for the layout (the composition root picks the adapter). */
  readonly openStore: (layout: Layout, config: Config) => Promise<Store>;
}

/** Opens the engine for the repository around `cwd`: config, keys, store. */
export async function openEngine(opts: OpenOptions): Promise<Engine> {
  const root = findRoot(opts.cwd);
  if (!root) {
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `no .autopilot/config.yaml at or above ${opts.cwd}; run \`autopilot init\` in the repository first`,
      {
        key: '(file)',
        reason: 'not initialised',
      },
    );
  }
  const config = loadConfig(root);
  const layout = layoutFor(root, config.stateDir);
  const signer = signerFor(layout);
  // Every committed decision also goes to the task's decision journal (see journal.ts), and every commit moves the
  // anchored head in the per-user state (see anchor.ts), which a wiped, truncated or replaced store cannot match.
  const store = anchored(journaled(await opts.openStore(layout, config), layout.journalDir), layout.user);
  const keys = await store.keys();
  if (keys.get(signer.keyId) !== signer.publicKeyPem) await store.putKey(signer.keyId, signer.publicKeyPem);
  return {
    layout,
    config,
    store,
    signer,
    clock: opts.clock ?? systemClock,
    sink: opts.sink ?? opts.makeSink?.(layout) ?? noopSink,
    runner: opts.runner ?? opts.makeRunner?.(layout, config) ?? NO_RUNNER,
    ...(opts.openForge ? { forge: opts.openForge } : {}),
  };
}

/**
 * The signer, from the per-user state folder only. A key pair left in the repository by an older installation is
 * not used (the agent could have read it): `autopilot init` moves it out.
 */
function signerFor(layout: Layout): Signer {
  const file = join(layout.keysDir, PRIVATE_KEY_FILE);
  const legacy = join(layout.repoKeysDir, PRIVATE_KEY_FILE);
  if (!existsSync(file) && existsSync(legacy)) {
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `the signing key is still in the repository (${legacy}), where an agent can read it; run \`autopilot init\` to move it to this user's state folder (${layout.keysDir})`,
      { key: 'keys', reason: 'key in the repository', file: legacy },
    );
  }
  return loadSigner(layout.keysDir);
}

/** The runner of an engine that was given none: a command it is asked to run is a wiring bug, never an unsandboxed run. */
const NO_RUNNER: CommandRunner = {
  run: async (req) => {
    throw new AutopilotError(
      ErrorCode.INTERNAL,
      `no command runner is wired into this engine, so ${JSON.stringify(req.argv[0] ?? '')} was not run`,
    );
  },
};

export async function closeEngine(engine: Engine): Promise<void> {
  await engine.sink.flush();
  await engine.store.close();
}
