/** @module Reading spans back from `telemetry/traces.jsonl`: a task's spans by span id, the file re-read only when it changes. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { taskTraceIds } from '../../ports/events.ts';
import type { SpanReader, SpanRecord } from '../../ports/spans.ts';

/** The tail of the file that is read: a very long history shows its newest spans. */
const MAX_BYTES = 32 * 1024 * 1024;

let cache: { file: string; size: number; mtimeMs: number; lines: string[] } | undefined;

function lines(file: string): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const st = fstatSync(fd);
    if (cache && cache.file === file && cache.size === st.size && cache.mtimeMs === st.mtimeMs) return cache.lines;
    const start = Math.max(0, st.size - MAX_BYTES);
    const buf = Buffer.alloc(st.size - start);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, start + off);
      if (n === 0) break;
      off += n;
    }
    const text = buf.subarray(0, off).toString('utf8').split('\n');
    if (start > 0) text.shift(); // a partial first line
    cache = { file, size: st.size, mtimeMs: st.mtimeMs, lines: text };
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The spans the JSONL sink wrote to `<telemetryDir>/traces.jsonl`. */
export class JsonlSpanReader implements SpanReader {
  readonly #file: string;
  constructor(telemetryDir: string) {
    this.#file = join(telemetryDir, 'traces.jsonl');
  }

  taskSpans(taskId: string): Map<string, SpanRecord> {
    const { traceId } = taskTraceIds(taskId);
    const out = new Map<string, SpanRecord>();
    for (const line of lines(this.#file)) {
      if (!line.includes(traceId)) continue;
      try {
        const span = JSON.parse(line) as SpanRecord;
        if (span.traceId === traceId) out.set(span.spanId, span);
      } catch {
        // a torn line while the sink writes: skipped
      }
    }
    return out;
  }
}
