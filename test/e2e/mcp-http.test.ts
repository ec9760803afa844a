/**
 * E2E: `autopilot mcp --http <port>` with the official client over Streamable
 * HTTP: a task started, read, refused and advanced under the session's own
 * holder; a second session kept off it, unless `--holder` or AUTOPILOT_HOLDER names one holder for
 * every session; requests with a foreign Host or Origin
 * refused before they reach MCP; a clean exit on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { after, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { httpSession } from '../../src/surfaces/mcp/server.ts';
import { binary, makeRepo, P } from './helpers.ts';
import { callOk, callRefused } from './mcp-helpers.ts';

let child: ChildProcess | undefined;
const clients: Client[] = [];
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  child?.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const INITIALIZE = {
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A raw POST of a JSON-RPC request (initialize unless told) with the given headers; resolves with the status code. */
function rawPost(
  port: number,
  headers: Record<string, string>,
  message: { method: string; params?: unknown } = INITIALIZE,
): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, ...message });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function connect(url: URL, name: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

interface Served {
  readonly port: number;
  readonly url: URL;
  readonly exit: Promise<number | null>;
  readonly output: () => { stdout: string; stderr: string };
}

/** `autopilot mcp --http <free port> [extra]` in the repository, once it says it serves. */
async function serve(repoDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  child = spawn(process.execPath, [await binary(), '-C', repoDir, 'mcp', '--http', String(port), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  const exit = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child?.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes('serving MCP')) resolve();
    });
    child?.once('exit', () => reject(new Error(`the server exited: ${stderr}`)));
  });
  return { port, url: new URL(`http://127.0.0.1:${port}/mcp`), exit, output: () => ({ stdout, stderr }) };
}

async function stop(served: Served): Promise<void> {
  child?.kill('SIGTERM');
  assert.equal(await served.exit, 0, served.output().stderr);
  child = undefined;
  assert.equal(served.output().stdout, '');
}

it('serves MCP over Streamable HTTP on 127.0.0.1, one holder a session, localhost only', async () => {
  const repo = await makeRepo({ urgent: true });
  const served = await serve(repo.dir);
  const { port, url } = served;
  assert.match(served.output().stderr, new RegExp(`http://127\\.0\\.0\\.1:${port}/mcp`));

  const { client, transport } = await connect(url, 'http-agent');
  const sessionId = transport.sessionId;
  assert.ok(sessionId, 'the server gave the session an Mcp-Session-Id');
  const holder = `mcp:http-agent:${httpSession(sessionId)}`;

  const started = await callOk<{ task: { phase: string } }>(client, 'task_start', {
    taskId: 'H-1',
    title: 'over http',
  });
  assert.equal(started.task.phase, 'STRATEGIZE');
  const status = await callOk<{ task: { taskId: string; phase: string }; holder: string }>(client, 'task_status', {
    taskId: 'H-1',
  });
  assert.deepEqual([status.task.phase, status.holder], ['STRATEGIZE', holder]);
  await callRefused(client, 'phase_advance', { taskId: 'H-1', to: 'PR' }, 'PHASE_SKIP');
  await callOk(client, 'evidence_put', {
    taskId: 'H-1',
    phase: 'strategize',
    name: 'strategy.md',
    content: P.STRATEGY,
  });
  const moved = await callOk<{ from: string; to: string }>(client, 'phase_advance', { taskId: 'H-1' });
  assert.deepEqual([moved.from, moved.to], ['STRATEGIZE', 'SPEC']);
  assert.ok(repo.ledger('H-1').some((e) => e.kind === 'transition' && e.actor === holder));
  // The session id itself, a key to the session, is never written down.
  assert.ok(!repo.ledger().some((e) => JSON.stringify(e).includes(sessionId)));

  // Another session is another holder.
  const other = await connect(url, 'http-agent');
  assert.notEqual(other.transport.sessionId, sessionId);
  const held = await callRefused(
    other.client,
    'evidence_put',
    { taskId: 'H-1', phase: 'SPEC', name: 'spec.md', content: P.SPEC },
    'LEASE_HELD',
  );
  assert.equal(held.details['holder'], holder);

  // DNS rebinding: a foreign Host or Origin is refused before MCP sees the request.
  assert.equal(await rawPost(port, { host: 'evil.example.com' }), 403);
  assert.equal(await rawPost(port, { host: `attacker.example:${port}` }), 403);
  assert.equal(await rawPost(port, { host: `localhost:${port}`, origin: 'http://evil.example.com' }), 403);
  assert.equal(await rawPost(port, { host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200);
  // A session the server does not know, and a request outside any session.
  assert.equal(
    await rawPost(port, { host: `localhost:${port}`, 'mcp-session-id': 'no-such-session' }, { method: 'tools/list' }),
    404,
  );
  assert.equal(await rawPost(port, { host: `127.0.0.1:${port}` }, { method: 'tools/list' }), 400);

  await client.callTool({ name: 'task_status', arguments: { taskId: 'H-1' } });
  await stop(served);
});

for (const [how, extra, env] of [
  ['--holder', ['--holder', 'agent-a'], {}],
  ['AUTOPILOT_HOLDER', [], { AUTOPILOT_HOLDER: 'agent-a' }],
] as const) {
  it(`names every session's holder with ${how}, so a client's next session goes on with its lease`, async () => {
    const repo = await makeRepo({ urgent: true });
    const served = await serve(repo.dir, [...extra], env);
    const first = await connect(served.url, 'http-agent');
    await callOk(first.client, 'task_start', { taskId: 'N-1', title: 'named holder' });
    await callOk(first.client, 'evidence_put', {
      taskId: 'N-1',
      phase: 'STRATEGIZE',
      name: 'strategy.md',
      content: P.STRATEGY,
    });
    const status = await callOk<{ holder: string }>(first.client, 'task_status', { taskId: 'N-1' });
    assert.equal(status.holder, 'agent-a');
    await first.client.close();

    // A new session (a client that connects again for its next call) is the same holder: no LEASE_HELD.
    const second = await connect(served.url, 'http-agent');
    assert.notEqual(second.transport.sessionId, first.transport.sessionId);
    const moved = await callOk<{ from: string; to: string }>(second.client, 'phase_advance', { taskId: 'N-1' });
    assert.deepEqual([moved.from, moved.to], ['STRATEGIZE', 'SPEC']);
    const moves = repo.ledger('N-1').filter((e) => e.kind === 'transition');
    assert.equal(moves.length, 1);
    // The ledger still names the session that moved, not only the holder.
    assert.equal(moves[0]?.actor, `mcp:http-agent:${httpSession(second.transport.sessionId ?? '')}`);
    await stop(served);
  });
}
