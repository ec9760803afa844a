/**
 * @module Answering one hook event: open the engine for the repository, let the
 * client's module answer, and deny in the client's terms whenever Autopilot
 * cannot decide (fail closed), saying how to repair.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { closeEngine, openEngine, type Engine } from '../../engine/context.ts';
import { openStoreAt, parseStoreSpec, runnerFor, forgeFor, sinkFor, storeSpecFor } from '../compose.ts';
import {
  brokenMessage,
  type ClientHooks,
  type HookAnswer,
  type HookClient,
  type HookRequest,
  type Payload,
} from './request.ts';

async function hooksOf(client: HookClient): Promise<ClientHooks> {
  switch (client) {
    case 'claude':
      return (await import('./claude.ts')).claudeHooks;
    case 'codex':
      return (await import('./codex.ts')).codexHooks;
    case 'cursor':
      return (await import('./cursor.ts')).cursorHooks;
    case 'git':
      return (await import('./git.ts')).gitHooks;
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 600);
}

// Opens the engine as the hook process's environment says: AUTOPILOT_STORE and the OTLP variables are the
// hook's, not the daemon's.
function open(req: HookRequest): Promise<Engine> {
  return openEngine({
    cwd: req.root,
    openStore: (layout, config) => {
      const { spec, key } = storeSpecFor(config, req.env);
      return openStoreAt(parseStoreSpec(spec, layout.root, layout.dbFile, key));
    },
    makeSink: (layout) => sinkFor(layout, req.env),
    makeRunner: runnerFor,
    openForge: forgeFor,
  });
}

function fileSig(path: string, identityOnly = false): string {
  try {
    const st = statSync(path);
    return identityOnly ? `${st.dev}:${st.ino}` : `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * An engine kept open between the daemon's requests. It is opened again when
 * the config or the signing key changes, when the store file is replaced, or
 * when a hook brings another store or telemetry setting, and after any error.
 */
export class EngineCache {
  private cached: { engine: Engine; sig: string } | undefined;

  private signature(req: HookRequest, engine?: Engine): string {
    const env = Object.entries(req.env).filter(([k]) => k === 'AUTOPILOT_STORE' || k.startsWith('OTEL_'));
    const layout = engine?.layout;
    return JSON.stringify([
      fileSig(join(req.root, '.autopilot', 'config.yaml')),
      layout ? fileSig(join(layout.keysDir, 'private.pem')) : '',
      layout ? fileSig(layout.dbFile, true) : '',
      env,
    ]);
  }

  /** The engine for a request: the open one while nothing it was opened from has changed. */
  async engineFor(req: HookRequest): Promise<Engine> {
    if (this.cached && this.cached.sig === this.signature(req, this.cached.engine)) return this.cached.engine;
    await this.drop();
    const engine = await open(req);
    this.cached = { engine, sig: this.signature(req, engine) };
    return engine;
  }

  async drop(): Promise<void> {
    const old = this.cached;
    this.cached = undefined;
    if (old) await closeEngine(old.engine).catch(() => {});
  }
}

/**
 * Answers one hook event, on an engine of its own or, in the daemon, on the
 * cached one. Never throws: anything that goes wrong is a denial with a way to repair it.
 */
export async function runHook(req: HookRequest, cache?: EngineCache): Promise<HookAnswer> {
  const hooks = await hooksOf(req.client);
  let payload: Payload;
  try {
    payload = hooks.parse(req);
  } catch (err) {
    return hooks.failClosed(req, undefined, brokenMessage(req.root, reasonOf(err)));
  }
  let engine: Engine | undefined;
  try {
    engine = cache ? await cache.engineFor(req) : await open(req);
    const answer = await hooks.handle(engine, req, payload);
    if (cache) await engine.sink.flush();
    return answer;
  } catch (err) {
    if (cache) await cache.drop();
    return hooks.failClosed(req, payload, brokenMessage(req.root, reasonOf(err)));
  } finally {
    if (engine && !cache) await closeEngine(engine).catch(() => {});
  }
}

/** The answer of a hook that found no Autopilot repository around it: it was wired by `autopilot init`, so something is missing. */
export async function noRepository(req: Omit<HookRequest, 'root'>, start: string): Promise<HookAnswer> {
  const hooks = await hooksOf(req.client);
  let payload: Payload | undefined;
  try {
    payload = hooks.parse({ ...req, root: start });
  } catch {
    payload = undefined;
  }
  const message = brokenMessage(
    undefined,
    `no .autopilot/config.yaml at or above ${start}, though Autopilot's ${req.client} hook is wired here`,
  );
  return hooks.failClosed(
    { ...req, root: start },
    payload,
    `${message} To take Autopilot out of this repository instead, remove its hooks.`,
  );
}
