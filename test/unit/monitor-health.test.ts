/**
 * @module MONITOR's health checks against a real HTTP server on 127.0.0.1: healthy at once, healthy after failing
 * tries, never healthy within its time, a body without the expected text, nothing listening; and the config that
 * asks for them, refused with the exact key when it is wrong.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEPLOYMENT_STATUS, parseConfig, type HealthCheckSpec } from '../../src/core/config.ts';
import { ErrorCode } from '../../src/core/errors.ts';
import { probeHealth } from '../../src/engine/evidence/producers/health.ts';

let server: Server;
let base: string;
/** Requests each path got, in order. */
const hits = new Map<string, number>();

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    if (path === '/ok') return res.writeHead(200).end('ready');
    if (path === '/warming') return n <= 2 ? res.writeHead(503).end('warming up') : res.writeHead(200).end('ready');
    if (path === '/down') return res.writeHead(503).end('down');
    if (path === '/starting') return res.writeHead(200).end('starting');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const check = (path: string, extra: Partial<HealthCheckSpec> = {}): HealthCheckSpec => ({
  url: `${base}${path}`,
  expect: { status: 200 },
  within: '30s',
  pollSeconds: 10,
  ...extra,
});

/** A sleep that only records what it was asked to wait, and the progress lines. */
function recorder() {
  const waits: number[] = [];
  const lines: string[] = [];
  return {
    waits,
    lines,
    opts: { sleep: async (ms: number) => void waits.push(ms), progress: (l: string) => void lines.push(l) },
  };
}

describe('probeHealth', () => {
  it('passes a check that answers as expected at once, without waiting', async () => {
    const r = recorder();
    const v = await probeHealth(
      [check('/ok', { name: 'api', expect: { status: 200, bodyContains: 'ready' } })],
      r.opts,
    );
    assert.equal(v.healthy, true);
    assert.equal(v.unhealthy, '');
    assert.deepEqual(
      v.checks.map((c) => [c.name, c.healthy, c.status, c.tries]),
      [['api', true, 200, 1]],
    );
    assert.deepEqual(r.waits, []);
  });

  it('waits while a check is not yet healthy, with progress, and passes once it is', async () => {
    const r = recorder();
    const v = await probeHealth([check('/warming', { name: 'warming' })], r.opts);
    assert.equal(v.healthy, true);
    assert.equal(v.checks[0]?.tries, 3);
    assert.equal(v.checks[0]?.waitedSeconds, 20);
    assert.deepEqual(r.waits, [10_000, 10_000]);
    assert.equal(r.lines.length, 2);
    assert.match(r.lines[0] ?? '', /health check warming: status 503, expected 200; trying again \(0 s of 30 s\)/);
  });

  it('fails a check that never answers as expected within its time, and names it', async () => {
    const r = recorder();
    const v = await probeHealth([check('/ok', { name: 'api' }), check('/down', { name: 'db', within: 25 })], r.opts);
    assert.equal(v.healthy, false);
    assert.equal(v.unhealthy, 'db (status 503, expected 200)');
    const db = v.checks[1];
    assert.equal(db?.healthy, false);
    assert.equal(db?.status, 503);
    // 0, 10, 20, then the last 5 s of the 25: four tries, never past the time given.
    assert.deepEqual(r.waits, [10_000, 10_000, 5_000]);
    assert.equal(db?.tries, 4);
    assert.equal(db?.waitedSeconds, 25);
  });

  it('fails a body without the expected text, and a URL where nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', () => res()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((res) => closed.close(() => res()));
    const v = await probeHealth(
      [
        check('/starting', { expect: { status: 200, bodyContains: 'ready' }, within: 0 }),
        { url: `http://127.0.0.1:${port}/health`, expect: { status: 200 }, within: '0s' },
      ],
      recorder().opts,
    );
    assert.equal(v.healthy, false);
    assert.equal(v.checks[0]?.problem, 'the body does not contain "ready"');
    assert.equal(v.checks[0]?.name, `${base}/starting`, 'a check without a name is named by its URL');
    assert.equal(v.checks[1]?.status, null);
    assert.match(v.checks[1]?.problem ?? '', /^no answer: ECONNREFUSED/);
    assert.match(
      v.unhealthy,
      /starting \(the body does not contain "ready"\), http:\/\/127\.0\.0\.1:\d+\/health \(no answer/,
    );
  });
});

describe('monitor.health in the config', () => {
  const bad = (health: unknown[]) => {
    const r = parseConfig({ monitor: { health } });
    assert.equal(r.ok, false);
    if (r.ok) throw new Error('unreachable');
    assert.equal(r.error.code, ErrorCode.CONFIG_INVALID);
    return String(r.error.details['key']);
  };

  it('refuses a wrong check with the exact key', () => {
    assert.equal(bad([{ url: 'ftp://example.test/' }]), 'monitor.health.0.url');
    assert.equal(bad([{ url: 'http://127.0.0.1/', within: '10 minutes' }]), 'monitor.health.0.within');
    assert.equal(bad([{ url: 'http://127.0.0.1/', within: '7h' }]), 'monitor.health.0.within');
    assert.equal(bad([{ url: 'http://127.0.0.1/', expect: { status: 99 } }]), 'monitor.health.0.expect.status');
    assert.equal(bad([{ url: 'http://127.0.0.1/', expect: { code: 200 } }]), 'monitor.health.0.expect.code');
  });

  it('makes MONITOR ask for a healthy deployment status, with defaults filled in', () => {
    const r = parseConfig({ monitor: { health: [{ url: 'http://127.0.0.1:8080/health' }] } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value.monitor?.health[0], {
      url: 'http://127.0.0.1:8080/health',
      expect: { status: 200 },
      within: '10m',
    });
    const rule = r.value.evidence['MONITOR']?.find((x) => x.name === DEPLOYMENT_STATUS);
    assert.deepEqual(
      rule?.assert.map((a) => [a.path, a.value]),
      [
        ['unhealthy', ''],
        ['healthy', true],
      ],
    );
    assert.equal(rule?.producer, 'autopilot');
    // Without health checks the deployment status asks for nothing more than before.
    const plain = parseConfig({});
    assert.ok(plain.ok);
    assert.deepEqual(plain.value.evidence['MONITOR']?.find((x) => x.name === DEPLOYMENT_STATUS)?.assert, []);
  });

  it("gates the monitor role's phase, whatever it is called, and refuses checks in a process without one", () => {
    const health = [{ url: 'http://127.0.0.1:8080/health' }];
    const r = parseConfig({ phases: ['BUILD', 'SHIP', 'WATCH'], roles: { monitor: 'WATCH' }, monitor: { health } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.evidence['WATCH']?.find((x) => x.name === DEPLOYMENT_STATUS)?.producer, 'autopilot');
    const none = parseConfig({ phases: ['BUILD', 'SHIP'], monitor: { health } });
    assert.ok(!none.ok && none.error.details['key'] === 'monitor.health', JSON.stringify(none));
  });

  it("refuses a URL no request can be made to as the config's mistake, naming the key, rather than an unhealthy service", async () => {
    for (const [url, why] of [
      ['http://user:secret@127.0.0.1:8080/health', /includes credentials/],
      ['http://127.0.0.1:6000/health', /bad port/],
    ] as const) {
      await assert.rejects(
        probeHealth([check('/ok', { within: 0 }), { url, expect: { status: 200 }, within: '0s' }], recorder().opts),
        (err: { code?: string; details?: Record<string, unknown>; message: string }) => {
          assert.equal(err.code, ErrorCode.CONFIG_INVALID);
          assert.equal(err.details?.['key'], 'monitor.health.1.url');
          assert.match(err.message, why);
          assert.match(err.message, /fix the URL in the config/);
          return true;
        },
      );
    }
  });
});
