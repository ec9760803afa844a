/** @module Reading counters back from `telemetry/metrics.jsonl`: the increments of some counters over a window, summed by attributes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Counter, CounterReader } from '../../ports/events.ts';

/** Attributes that name one command's run, not a kind of event: left out so that runs sum up. */
const PER_RUN = new Set(['autopilot.task.id']);

export class JsonlCounterReader implements CounterReader {
  readonly #file: string;
  constructor(telemetryDir: string) {
    this.#file = join(telemetryDir, 'metrics.jsonl');
  }

  counters(names: readonly Counter[], sinceMs: number, untilMs: number) {
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch {
      return [];
    }
    const wanted = new Set<string>(names);
    const sums = new Map<string, { name: Counter; attributes: Record<string, string>; value: number }>();
    for (const line of text.split('\n')) {
      if (!line.includes('"counter"')) continue;
      let rec: { ts?: unknown; type?: unknown; name?: unknown; value?: unknown; attributes?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue; // a torn line while a sink writes
      }
      const t = typeof rec.ts === 'string' ? Date.parse(rec.ts) : NaN;
      if (rec.type !== 'counter' || typeof rec.name !== 'string' || !wanted.has(rec.name)) continue;
      if (!(t >= sinceMs && t <= untilMs) || typeof rec.value !== 'number') continue;
      const attributes = Object.fromEntries(
        Object.entries((rec.attributes ?? {}) as Record<string, unknown>)
          .filter(([k]) => !PER_RUN.has(k))
          .map(([k, v]) => [k, String(v)]),
      );
      const key = JSON.stringify([rec.name, Object.entries(attributes).sort()]);
      const had = sums.get(key);
      sums.set(key, { name: rec.name as Counter, attributes, value: (had?.value ?? 0) + rec.value });
    }
    return [...sums.values()];
  }
}
