/**
 * @module MONITOR's health checks end to end: a task in MONITOR whose configured health URL (a real server on
 * 127.0.0.1) answers 503 is refused with the failing check named and the waiting shown on stderr, and once the
 * deployment answers as expected, it finishes with the results in Autopilot's deployment_status.json.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from './helpers.ts';

let server: Server;
let port = 0;
let healthy = false;

before(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/health') return res.writeHead(404).end();
    if (healthy) res.writeHead(200).end('{"status":"ok"}');
    else res.writeHead(503).end('{"status":"starting"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('MONITOR with health checks', () => {
  it('refuses to finish while a check is unhealthy, naming it, and finishes once it answers as expected', async () => {
    const repo = await makeRepo({
      config: (c) => {
        c['monitor'] = {
          health: [
            {
              name: 'api',
              url: `http://127.0.0.1:${port}/health`,
              expect: { status: 200, bodyContains: '"ok"' },
              within: '2s',
              pollSeconds: 1,
            },
          ],
        };
      },
    });
    await repo.driveTo('T-1', 'MONITOR');
    const refused = await repo.json<{ ok: false; error: { code: string; message: string; details: unknown } }>([
      'advance',
      'T-1',
    ]);
    assert.equal(refused.code, 2);
    assert.equal(refused.body.error.code, 'EVIDENCE_INVALID');
    assert.match(JSON.stringify(refused.body.error), /api \(status 503, expected 200\)/);
    assert.match(refused.stderr, /health check api: status 503, expected 200; trying again/);
    assert.equal(repo.task('T-1')?.phase, 'MONITOR');
    const status = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'MONITOR'), 'deployment_status.json'), 'utf8'));
    assert.equal(status.healthy, false);
    assert.equal(status.health[0].status, 503);

    healthy = true;
    const done = await repo.ok<{ from: string; to: string | null }>(['advance', 'T-1']);
    assert.deepEqual([done.from, done.to], ['MONITOR', null], 'the last phase is left for no other');
    assert.equal(repo.task('T-1')?.status, 'done');
    const finished = JSON.parse(readFileSync(join(repo.phaseDir('T-1', 'MONITOR'), 'deployment_status.json'), 'utf8'));
    assert.equal(finished.healthy, true);
    assert.equal(finished.unhealthy, '');
    assert.deepEqual(
      finished.health.map((h: { name: string; status: number; healthy: boolean }) => [h.name, h.status, h.healthy]),
      [['api', 200, true]],
    );
    await repo.ok(['ledger', 'verify']);
  });
});
