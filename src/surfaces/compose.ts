/** @module The composition root: which adapters the surfaces wire into the engine. */
import type { Config } from '../core/config.ts';
import type { Layout } from '../engine/layout.ts';
import type { Store } from '../ports/store.ts';
import { SqliteStore } from '../adapters/sqlite/index.ts';
import { JsonlSink } from '../adapters/jsonl/index.ts';
import type { EventSink } from '../ports/events.ts';

/** The store for a layout: the embedded SQLite store. */
export async function openStoreFor(layout: Layout, _config: Config): Promise<Store> {
  return new SqliteStore(layout.dbFile);
}

/** The telemetry sink for a layout: JSON lines always. */
export function sinkFor(layout: Layout): EventSink {
  return new JsonlSink(layout.telemetryDir);
}
