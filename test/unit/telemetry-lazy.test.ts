/**
 * Unit: the composition root loads the OpenTelemetry SDK only when an OTLP
 * endpoint is set. A module hook makes every `@opentelemetry/*` import fail in
 * this process: without the variable the sink works and nothing fails; with it,
 * the one failure is reported and the JSONL lines are still written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { otlpWanted, sinkFor } from '../../src/surfaces/compose.ts';
import { layoutFor } from '../../src/engine/repo/layout.ts';
import { deferredSink, type AutopilotEvent, type EventSink } from '../../src/ports/events.ts';
import { tempDir } from '../helpers/ledger.ts';

const BLOCK = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) throw new Error('blocked by the test: ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(BLOCK)}`);

const event: AutopilotEvent = {
  type: 'transition',
  kind: 'start',
  taskId: 'T-1',
  from: null,
  to: 'STRATEGIZE',
  result: 'ok',
  seq: 1,
  startMs: 1,
  endMs: 2,
};

function captureStderr(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { lines, restore: () => (process.stderr.write = write) };
}

describe('loading the OpenTelemetry SDK on demand', () => {
  it('the hook does block the SDK in this process (so the next tests can fail)', async () => {
    await assert.rejects(import('@opentelemetry/api'), /blocked by the test/);
  });

  it('without OTEL_EXPORTER_OTLP_ENDPOINT the sink is JSONL only and never touches the SDK', async () => {
    const t = tempDir('autopilot-lazy-');
    const err = captureStderr();
    try {
      const sink = sinkFor(layoutFor(t.dir, '.autopilot'), {});
      sink.emit(event);
      await sink.flush();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(err.lines, []);
      assert.equal(
        readFileSync(join(t.dir, '.autopilot', 'telemetry', 'traces.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean).length,
        1,
      );
    } finally {
      err.restore();
      t.remove();
    }
  });

  it('with it, the SDK is imported; when that fails it is said once on stderr and the JSONL lines are still written', async () => {
    const t = tempDir('autopilot-lazy-');
    const err = captureStderr();
    try {
      const sink = sinkFor(layoutFor(t.dir, '.autopilot'), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
      sink.emit(event);
      sink.emit(event);
      await sink.flush();
      await sink.flush();
      const said = err.lines.filter((l) => l.includes('OpenTelemetry'));
      assert.equal(said.length, 1, err.lines.join(''));
      assert.match(said[0]!, /SDK could not be loaded .*blocked by the test/);
      assert.ok(existsSync(join(t.dir, '.autopilot', 'telemetry', 'traces.jsonl')));
    } finally {
      err.restore();
      t.remove();
    }
  });

  it('reads the environment the way the brief says', () => {
    assert.equal(otlpWanted({}), false);
    assert.equal(otlpWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
    assert.equal(otlpWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
    assert.equal(
      otlpWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }),
      false,
    );
  });

  it('a deferred sink keeps the events that came before it was ready, in order, and flushes them', async () => {
    const seen: number[] = [];
    let flushed = 0;
    let ready!: (s: EventSink) => void;
    const sink = deferredSink(new Promise<EventSink>((r) => (ready = r)), () => assert.fail('no failure expected'));
    for (const seq of [1, 2, 3]) sink.emit({ ...event, seq });
    ready({ emit: (ev) => void seen.push((ev as { seq: number }).seq), flush: async () => void flushed++ });
    sink.emit({ ...event, seq: 4 });
    await sink.flush();
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.equal(flushed, 1);
  });
});
