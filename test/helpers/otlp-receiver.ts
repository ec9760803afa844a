/**
 * @module Test helper: a tiny OTLP/HTTP JSON receiver on 127.0.0.1 that keeps
 * what arrives at /v1/traces and /v1/metrics and decodes it into flat spans and
 * metric points.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

export type Attr = string | number | boolean | Attr[];

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly status: 'UNSET' | 'OK' | 'ERROR';
  readonly statusMessage: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, Attr>;
  readonly events: { name: string; attributes: Record<string, Attr> }[];
  readonly resource: Record<string, Attr>;
}

export interface ReceivedPoint {
  readonly name: string;
  readonly kind: 'sum' | 'histogram';
  readonly temporality: number;
  readonly attributes: Record<string, Attr>;
  /** The sum's value, or the histogram's sum. */
  readonly value: number;
  /** The histogram's count (1 for a sum point). */
  readonly count: number;
}

const value = (v: AnyValue): Attr => {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return (v.arrayValue?.values ?? []).map(value);
};
const attrs = (kvs: KeyValue[] | undefined): Record<string, Attr> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));
const nanosToMs = (n: string | number) => Number(BigInt(n) / 1_000_000n);

export interface Receiver {
  readonly url: string;
  /** Raw request bodies by path, in arrival order. */
  readonly bodies: { path: string; contentType: string; body: unknown }[];
  spans(): ReceivedSpan[];
  points(): ReceivedPoint[];
  close(): Promise<void>;
}

/**
 * Starts a receiver. `mode` ok answers 200; `fail` answers 500; `hang` reads the
 * request and never answers (a collector that stalls).
 */
export async function startReceiver(mode: 'ok' | 'fail' | 'hang' = 'ok'): Promise<Receiver> {
  const bodies: Receiver['bodies'] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: kept as text, which the test will notice
      }
      bodies.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
      if (mode === 'hang') {
        open.add(res);
        return;
      }
      res.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'application/json' });
      res.end(mode === 'ok' ? '{}' : '{"code":13,"message":"receiver says no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans() {
      const out: ReceivedSpan[] = [];
      for (const b of bodies.filter((x) => x.path === '/v1/traces')) {
        for (const rs of (b.body as { resourceSpans?: unknown[] }).resourceSpans ?? []) {
          const r = rs as { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: unknown[] }[] };
          for (const ss of r.scopeSpans ?? []) {
            for (const raw of ss.spans ?? []) {
              const s = raw as {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                status?: { code?: number; message?: string };
                startTimeUnixNano: string;
                endTimeUnixNano: string;
                attributes?: KeyValue[];
                events?: { name: string; attributes?: KeyValue[] }[];
              };
              out.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || null,
                name: s.name,
                status: s.status?.code === 2 ? 'ERROR' : s.status?.code === 1 ? 'OK' : 'UNSET',
                statusMessage: s.status?.message,
                startMs: nanosToMs(s.startTimeUnixNano),
                endMs: nanosToMs(s.endTimeUnixNano),
                attributes: attrs(s.attributes),
                events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
                resource: attrs(r.resource?.attributes),
              });
            }
          }
        }
      }
      return out;
    },
    points() {
      const out: ReceivedPoint[] = [];
      for (const b of bodies.filter((x) => x.path === '/v1/metrics')) {
        for (const rm of (b.body as { resourceMetrics?: unknown[] }).resourceMetrics ?? []) {
          for (const sm of (rm as { scopeMetrics?: { metrics?: unknown[] }[] }).scopeMetrics ?? []) {
            for (const raw of sm.metrics ?? []) {
              const m = raw as {
                name: string;
                sum?: {
                  aggregationTemporality: number;
                  dataPoints: { attributes?: KeyValue[]; asInt?: string | number; asDouble?: number }[];
                };
                histogram?: {
                  aggregationTemporality: number;
                  dataPoints: { attributes?: KeyValue[]; count: string | number; sum?: number }[];
                };
              };
              for (const p of m.sum?.dataPoints ?? []) {
                out.push({
                  name: m.name,
                  kind: 'sum',
                  temporality: m.sum!.aggregationTemporality,
                  attributes: attrs(p.attributes),
                  value: Number(p.asInt ?? p.asDouble ?? 0),
                  count: 1,
                });
              }
              for (const p of m.histogram?.dataPoints ?? []) {
                out.push({
                  name: m.name,
                  kind: 'histogram',
                  temporality: m.histogram!.aggregationTemporality,
                  attributes: attrs(p.attributes),
                  value: p.sum ?? 0,
                  count: Number(p.count),
                });
              }
            }
          }
        }
      }
      return out;
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sums sum points by metric name and the attributes named in `keys`: `name{k=v,…}` → total. */
export function totals(points: readonly ReceivedPoint[], keys: readonly string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of points.filter((x) => x.kind === 'sum')) {
    const k = `${p.name}{${keys.map((key) => `${key}=${p.attributes[key] ?? ''}`).join(',')}}`;
    out.set(k, (out.get(k) ?? 0) + p.value);
  }
  return out;
}
