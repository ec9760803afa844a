/**
 * E2E: `autopilot serve` as a process on a free port, against a real store,
 * through its JSON API and pages with node's fetch (no browser): the reads,
 * evidence and its integrity, ledger verification, live events, passkey
 * registration with the printed code and decisions signed by a (software)
 * passkey, forged ones refused, and the DNS-rebinding and cross-site guards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { advance } from '../../src/engine/task/advance.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { P, ROOT } from './helpers.ts';
import { SoftPasskey } from '../helpers/passkey.ts';
import { AGENT, quickRepo, serve, withAgent, type DashboardRepo, type Served } from './dashboard-fixture.ts';

let d: DashboardRepo;
let s: Served;

/** Every page of the dashboard, with the variants of their queries. */
const PAGES = [
  '/',
  '/tasks/T-1',
  '/tasks/T-1?node=p1&show=gates',
  '/approvals',
  '/metrics',
  '/metrics?window=24h',
  '/ledger',
  '/ledger?task=T-2',
  '/evidence',
  '/evidence/T-1',
  '/evidence/T-1/strategize/strategy.md',
  '/register',
];

interface Body {
  ok: boolean;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

const url = (path: string) => `http://127.0.0.1:${s.port}${path}`;
const origin = () => `http://127.0.0.1:${s.port}`;

async function getJson<T = Body>(path: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url(path));
  return { status: r.status, body: (await r.json()) as T };
}

async function post(
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body }> {
  const r = await fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: origin(), ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Body };
}

const decideOn = (taskId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  post(`/api/tasks/${taskId}/decision`, body, headers);

/** The relying party of the server under test, and Dana's passkey (registered by the registration test). */
let RP: { origin: string; rpId: string };
let dana: SoftPasskey;

/** Asks the server for a decision, and signs its challenge with `key`: what the page sends after the passkey signed. */
async function signed(
  taskId: string,
  draft: Record<string, unknown>,
  key: SoftPasskey,
): Promise<{ decision: Record<string, unknown>; response: unknown }> {
  const r = await post(`/api/tasks/${taskId}/decision/options`, draft);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return {
    decision: r.body['decision'] as Record<string, unknown>,
    response: key.assert((r.body['options'] as { challenge: string }).challenge),
  };
}

/** A request with a Host header of our choosing (fetch sets its own). */
function rawGet(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path, method: 'GET', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const headSeq = () => d.repo.head()?.seq ?? 0;

before(async () => {
  d = await quickRepo();
  s = await serve(d.repo);
  RP = { origin: `http://localhost:${s.port}`, rpId: 'localhost' };
  dana = new SoftPasskey(RP);
});

after(async () => {
  await s?.stop();
});

describe('autopilot serve: JSON API', () => {
  it('prints its URL as localhost (WebAuthn needs a domain) and a one-time registration code', () => {
    assert.match(s.url, /^http:\/\/localhost:\d+\/$/);
    assert.match(s.registrationCode, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it('lists the tasks with phase, holder, last move and flags; filters by status and searches', async () => {
    const { status, body } = await getJson<{
      ok: true;
      tasks: {
        taskId: string;
        phase: string;
        holder: string | null;
        lastMove: { seq: number };
        flags: { refusals: number; approval: string };
      }[];
    }>('/api/tasks');
    assert.equal(status, 200);
    assert.deepEqual(body.tasks.map((t) => t.taskId).sort(), ['T-1', 'T-2', 'T-3']);
    const t1 = body.tasks.find((t) => t.taskId === 'T-1')!;
    assert.equal(t1.phase, 'STRATEGIZE');
    assert.equal(t1.flags.refusals, 2, 'the skip and the denied edit');
    assert.equal(t1.holder, null, 'the fixture released its lease');
    assert.equal(body.tasks.find((t) => t.taskId === 'T-2')!.flags.approval, 'requested');
    const waiting = await getJson<{ tasks: { taskId: string }[] }>('/api/tasks?status=waiting');
    assert.deepEqual(waiting.body.tasks.map((t) => t.taskId).sort(), ['T-2', 'T-3']);
    const search = await getJson<{ tasks: { taskId: string }[] }>('/api/tasks?q=wordcount');
    assert.deepEqual(
      search.body.tasks.map((t) => t.taskId),
      ['T-1'],
    );
  });

  it("gives a task's graph: phases, refusals and tool calls, each node naming its ledger entry, with its span", async () => {
    const { status, body } = await getJson<{
      graph: { nodes: { id: string; kind: string; outcome: string; seq: number; tool?: string }[]; edges: unknown[] };
      entries: { seq: number; kind: string }[];
    }>('/api/tasks/T-1');
    assert.equal(status, 200);
    const kinds = body.graph.nodes.map((n) => `${n.kind}:${n.outcome}`);
    assert.ok(kinds.includes('phase:current'), kinds.join(' '));
    assert.ok(kinds.includes('refusal:refused'), 'the skip');
    const tool = body.graph.nodes.find((n) => n.kind === 'tool');
    assert.equal(tool?.outcome, 'refused');
    assert.equal(tool?.tool, 'Edit');
    assert.equal(body.entries.find((x) => x.seq === tool?.seq)?.kind, 'tool_blocked');

    const detail = await getJson<{
      selected: { entry: { kind: string }; span?: { name: string; attributes: Record<string, unknown> } };
    }>(`/api/tasks/T-1?node=${tool!.id}`);
    assert.equal(detail.body.selected.entry.kind, 'tool_blocked');
    assert.equal(detail.body.selected.span?.name, 'tool.guard', 'the span from telemetry/traces.jsonl');
    assert.equal(detail.body.selected.span?.attributes['gen_ai.tool.name'], 'Edit');

    const tools = await getJson<{ graph: { nodes: { kind: string }[] } }>('/api/tasks/T-1?show=tools');
    assert.deepEqual([...new Set(tools.body.graph.nodes.map((n) => n.kind))].sort(), ['phase', 'tool']);
    assert.equal((await getJson('/api/tasks/NOPE')).status, 404);
  });

  it('serves evidence with its digest, producer and ledger state, and nothing outside the listed artifacts', async () => {
    const list = await getJson<{ artifacts: { path: string; producer: string; state: string; sha256: string }[] }>(
      '/api/evidence/T-1',
    );
    const strategy = list.body.artifacts.find((a) => a.path === 'evidence/T-1/strategize/strategy.md');
    assert.equal(strategy?.producer, 'agent');
    assert.equal(strategy?.state, 'matches');
    const one = await getJson<{ artifact: { sha256: string; state: string }; text: string }>(
      '/api/evidence/T-1/strategize/strategy.md',
    );
    assert.equal(one.status, 200);
    assert.equal(one.body.text, P.STRATEGY);
    assert.equal(one.body.artifact.sha256, createHash('sha256').update(P.STRATEGY).digest('hex'));
    assert.equal((await fetch(url('/api/evidence/T-1/strategize/..%2F..%2F..%2Fkeys%2Fapproval-token'))).status, 404);
    assert.equal((await fetch(url('/api/evidence/T-1/..%2F..%2Fkeys/approval-token'))).status, 404);
    assert.equal((await fetch(url('/evidence/T-1/strategize/nothing.md'))).status, 404);
  });

  it('renders Markdown evidence with the raw HTML escaped and unsafe links dropped', async () => {
    const evil =
      '# Notes\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) and [docs](https://example.com/docs)\n';
    await withAgent(d.repo, async (engine) => {
      const r = await putEvidence(engine, AGENT, {
        taskId: 'T-1',
        phase: 'STRATEGIZE',
        name: 'notes.md',
        content: Buffer.from(evil),
      });
      assert.equal(r.ok, true);
    });
    const r = await fetch(url('/evidence/T-1/strategize/notes.md'));
    assert.equal(r.status, 200);
    const page = await r.text();
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the script is shown as text');
    assert.ok(!page.includes('<script>alert'), 'and never rendered');
    assert.ok(!/<img[^>]*onerror/i.test(page));
    assert.ok(!page.includes('javascript:alert'));
    assert.ok(page.includes('href="https://example.com/docs"'));
    assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  it('pages answer with HTML, the unknown with 404', async () => {
    for (const path of PAGES) {
      const r = await fetch(url(path));
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/, path);
      assert.match(await r.text(), /<main id="main"/, path);
    }
    const raw = await fetch(url('/evidence/T-1/strategize/strategy.md?raw=1'));
    assert.match(raw.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(await raw.text(), P.STRATEGY);
    assert.equal((await fetch(url('/tasks/NOPE'))).status, 404);
    assert.equal((await fetch(url('/api/nothing'))).status, 404);
  });

  it('serves its browser script and inlines its style sheet from the asset files; pages style by class, but for the timeline widths', async () => {
    const assets = join(ROOT, 'src', 'surfaces', 'http', 'assets');
    const script = await fetch(url('/assets/app.js'));
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await script.text(), readFileSync(join(assets, 'client.js'), 'utf8'));
    const webauthn = await fetch(url('/assets/webauthn.js'));
    assert.equal(webauthn.status, 200);
    assert.match(await webauthn.text(), /SimpleWebAuthnBrowser/);

    const page = await fetch(url('/'));
    const css = readFileSync(join(assets, 'app.css'), 'utf8');
    assert.ok((await page.text()).includes(`<style>${css}</style>`), 'the page inlines app.css as it is');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'unsafe-inline'/);

    // Styles are classes of app.css; the one style attribute is a timeline segment's width, a share of the task's time.
    const segments: string[] = [];
    for (const path of PAGES) {
      const text = await (await fetch(url(path))).text();
      for (const [tag, style] of text.matchAll(/<[a-z][^>]*\sstyle="([^"]*)"[^>]*>/g)) {
        assert.match(tag, /^<div class="seg /, `${path}: ${tag}`);
        segments.push(style!);
      }
    }
    assert.ok(segments.length > 0, 'the task pages draw their timeline');
    for (const style of segments) assert.match(style, /^flex-grow:\d+\.\d\d$/);
  });

  it('runs ledger verify and reports the chain, the signatures and every evidence digest', async () => {
    const r = await fetch(url('/api/ledger/verify'), { method: 'POST', headers: { origin: origin() } });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { report: { ok: boolean; entries: number; problems: unknown[] } };
    assert.equal(body.report.ok, true, JSON.stringify(body.report.problems));
    assert.equal(body.report.entries, headSeq());
    const page = await getJson<{ rows: { entry: { seq: number }; check: string }[]; head: { seq: number } }>(
      '/api/ledger?limit=5',
    );
    assert.equal(page.body.rows.length, 5);
    assert.equal(page.body.rows[0]!.entry.seq, headSeq(), 'newest first');
    assert.ok(page.body.rows.every((x) => x.check === 'ok'));
  });

  it('lists the approvals waiting, with the risk and its reasons', async () => {
    const { body } = await getJson<{
      waiting: {
        task: { taskId: string };
        state: string;
        to: string;
        risk: { level: string; reasons: { class: string; detail: string }[] };
        diff: { files: { path: string }[] };
      }[];
    }>('/api/approvals');
    assert.deepEqual(
      body.waiting.map((w) => w.task.taskId),
      ['T-2', 'T-3'],
    );
    const w = body.waiting[0]!;
    assert.equal(w.to, 'SPEC');
    assert.equal(w.risk.level, 'high');
    assert.ok(w.risk.reasons.some((r) => r.class === 'ci-config' && r.detail === '.github/workflows/ci.yml'));
    assert.ok(w.diff.files.some((f) => f.path === '.github/workflows/ci.yml'));
  });

  it('registers a passkey only with the printed code: a wrong code, a used code and a registration never begun are refused; the ledger grows by one entry', async () => {
    const head = headSeq();
    const wrong = await post('/api/passkeys/options', { name: 'Mallory', code: 'AAAA-BBBB' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error?.code, 'APPROVAL_REQUIRED');
    assert.match(String(wrong.body.error?.message), /not the registration code/);
    const noName = await post('/api/passkeys/options', { name: '', code: s.registrationCode });
    assert.equal(noName.status, 400);
    const skipped = await post('/api/passkeys', {
      name: 'Mallory',
      code: s.registrationCode,
      response: new SoftPasskey(RP).register('made-up'),
    });
    assert.equal(skipped.status, 403, 'a registration not begun with options is refused');
    assert.equal(headSeq(), head);

    const options = await post('/api/passkeys/options', { name: 'Dana Reviewer', code: s.registrationCode });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const challenge = (options.body['options'] as { challenge: string; rp: { id: string } }).challenge;
    assert.equal((options.body['options'] as { rp: { id: string } }).rp.id, 'localhost');
    const done = await post('/api/passkeys', {
      name: 'Dana Reviewer',
      code: s.registrationCode,
      response: dana.register(challenge),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(headSeq(), head + 1);
    const entry = d.repo.ledger().at(-1)!;
    assert.deepEqual(
      [entry.kind, entry.actor, entry.data['credentialId']],
      ['person_registered', 'person:Dana Reviewer', dana.credentialId],
    );

    const again = await post('/api/passkeys/options', { name: 'Eve', code: s.registrationCode });
    assert.equal(again.status, 403, 'the code worked once');
    assert.notEqual(s.latestCode(), s.registrationCode, 'and serve printed a new one');
  });

  it('refuses decisions that no registered passkey signed, that were changed after signing or replayed, that come from another origin or not as JSON; the ledger does not grow', async () => {
    const head = headSeq();
    const approve = { decision: 'approve', reason: 'looks fine' };
    const stranger = await signed('T-2', approve, new SoftPasskey(RP));
    const unregistered = await decideOn('T-2', stranger);
    assert.equal(unregistered.status, 403);
    assert.match(String(unregistered.body.error?.message), /not registered/);
    const real = await signed('T-2', approve, dana);
    const note = await decideOn('T-2', { ...real, decision: { ...real.decision, note: 'ship it' } });
    assert.equal(note.status, 403);
    assert.match(String(note.body.error?.message), /assertion does not verify/);
    const digest = await decideOn('T-2', {
      ...real,
      decision: { ...real.decision, diff: createHash('sha256').update('x').digest('hex') },
    });
    assert.equal(digest.status, 403);
    const otherTask = await decideOn('T-3', { ...real, decision: { ...real.decision, task: 'T-3' } });
    assert.equal(otherTask.status, 403, 'an assertion over T-2 does not decide T-3');
    const noAssertion = await decideOn('T-2', { decision: real.decision });
    assert.equal(noAssertion.status, 403);
    const cross = await decideOn('T-2', real, { origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    assert.equal(cross.body.error?.code, 'ORIGIN_REFUSED');
    const site = await decideOn('T-2', real, { 'sec-fetch-site': 'cross-site' });
    assert.equal(site.status, 403);
    const rebound = await decideOn('T-2', real, { origin: `http://127.0.0.1:${s.port + 1}` });
    assert.equal(rebound.status, 403, 'another port is another origin');
    const form = await fetch(url('/api/tasks/T-2/decision'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: origin() },
      body: 'decision=approve',
    });
    assert.equal(form.status, 415);
    const get = await fetch(url('/api/tasks/T-2/decision'));
    assert.equal(get.status, 404, 'a decision is a POST');
    const put = await fetch(url('/api/tasks/T-2/decision'), { method: 'PUT', headers: { origin: origin() } });
    assert.equal(put.status, 405);
    const unknownDecision = await post('/api/tasks/T-2/decision/options', { decision: 'merge', reason: 'x' });
    assert.equal(unknownDecision.status, 400);
    const noNote = await post('/api/tasks/T-2/decision/options', { decision: 'approve', reason: ' ' });
    assert.equal(noNote.status, 400);
    assert.equal(headSeq(), head, 'no refused decision reaches the ledger');
    assert.equal((await getJson<{ waiting: unknown[] }>('/api/approvals')).body.waiting.length, 2);
  });

  it('records a decision signed by the registered passkey, naming its person; sent again it is a replay; the approved move then goes through', async () => {
    const decision = await signed('T-2', { decision: 'approve', reason: 'the workflow only runs the tests' }, dana);
    const r = await decideOn('T-2', decision);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(String(r.body['message']), /Dana Reviewer approved T-2/);
    const entry = d.repo.ledger('T-2').at(-1)!;
    assert.equal(entry.seq, r.body['seq']);
    assert.equal(entry.kind, 'approval');
    assert.equal(entry.actor, 'person:Dana Reviewer');
    assert.equal(entry.data['action'], 'approved');
    assert.match(entry.signature, /^[A-Za-z0-9+/=_-]{40,}$/);
    const replay = await decideOn('T-2', decision);
    assert.equal(replay.status, 403, 'the same assertion twice');
    assert.equal(d.repo.ledger('T-2').at(-1)!.seq, entry.seq);
    assert.deepEqual(
      (await getJson<{ waiting: { task: { taskId: string } }[] }>('/api/approvals')).body.waiting.map(
        (w) => w.task.taskId,
      ),
      ['T-3'],
    );
    await withAgent(d.repo, async (engine) => {
      const moved = await advance(engine, AGENT, { taskId: 'T-2' });
      assert.equal(moved.ok, true, moved.ok ? '' : moved.error.message);
    });
    assert.equal(d.repo.task('T-2')?.phase, 'SPEC');
  });

  it('escalates, refuses an unknown phase for a change request, aborts, and then refuses a decision on the finished task', async () => {
    const esc = await decideOn(
      'T-3',
      await signed('T-3', { decision: 'escalate', reason: 'needs the platform team' }, dana),
    );
    assert.equal(esc.status, 200, JSON.stringify(esc.body));
    const waiting = await getJson<{ waiting: { task: { taskId: string }; state: string }[] }>('/api/approvals');
    assert.equal(waiting.body.waiting[0]?.state, 'escalated', 'an escalated task still waits, flagged');
    const bad = await post('/api/tasks/T-3/decision/options', {
      decision: 'request_changes',
      reason: 'go back',
      backtrackTo: 'NOWHERE',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'PHASE_UNKNOWN');
    const late = await signed('T-3', { decision: 'approve', reason: 'too late' }, dana);
    const abort = await decideOn('T-3', await signed('T-3', { decision: 'abort', reason: 'out of scope' }, dana));
    assert.equal(abort.status, 200, JSON.stringify(abort.body));
    assert.equal(d.repo.task('T-3')?.status, 'aborted');
    assert.equal(d.repo.ledger('T-3').at(-1)?.actor, 'person:Dana Reviewer');
    const after = await decideOn('T-3', late);
    assert.equal(after.status, 409);
    assert.equal(after.body.error?.code, 'ABORTED');
    const verified = await d.repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 3);
  });

  it('answers to its own Host only: 127.0.0.1:PORT and localhost:PORT (DNS rebinding)', async () => {
    assert.equal(await rawGet('/api/tasks', `127.0.0.1:${s.port}`), 200);
    assert.equal(await rawGet('/api/tasks', `localhost:${s.port}`), 200);
    assert.equal(await rawGet('/api/tasks', `evil.example:${s.port}`), 403);
    assert.equal(await rawGet('/', 'evil.example'), 403);
    assert.equal(await rawGet('/events', `attacker.test:${s.port}`), 403);
    assert.equal(await rawGet('/api/tasks', `127.0.0.1:${s.port + 1}`), 403);
  });

  it('pushes the ledger head over server-sent events when it moves', async () => {
    const ac = new AbortController();
    const r = await fetch(url('/events'), { signal: ac.signal });
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    const nextHead = async (): Promise<number> => {
      for (;;) {
        const m = /event: head\ndata: (\{[^\n]*\})\n/.exec(buf);
        if (m) {
          buf = buf.slice(m.index + m[0].length);
          return (JSON.parse(m[1]!) as { seq: number }).seq;
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the event stream ended');
        buf += decoder.decode(chunk.value, { stream: true });
      }
    };
    try {
      assert.equal(await nextHead(), headSeq(), 'the head now, first');
      await withAgent(d.repo, async (engine) => {
        const r2 = await putEvidence(engine, AGENT, {
          taskId: 'T-1',
          phase: 'STRATEGIZE',
          name: 'extra.md',
          content: Buffer.from('# More\n\nnotes\n'),
        });
        assert.equal(r2.ok, true);
      });
      // A generous bound, only so that a missing event fails instead of hanging: what is asserted is the event.
      const deadline = Date.now() + 30_000;
      let seen = 0;
      while (seen < headSeq() && Date.now() < deadline) seen = await nextHead();
      assert.equal(seen, headSeq(), 'an event for the new head');
    } finally {
      ac.abort();
      await reader.cancel().catch(() => {});
    }
  });

  it('shows evidence of a passed phase changed after the ledger recorded it, and verify fails on it; an open phase is still being written', async () => {
    // T-2 passed STRATEGIZE above: its digests are sealed. T-1 is still in STRATEGIZE: its gate records the file when it passes.
    const sealed = join(d.repo.evidenceDir, 'T-2', 'strategize', 'strategy.md');
    const open = join(d.repo.evidenceDir, 'T-1', 'strategize', 'strategy.md');
    const verify = async () => {
      const r = await fetch(url('/api/ledger/verify'), { method: 'POST', headers: { origin: origin() } });
      return ((await r.json()) as { report: { ok: boolean; problems: { kind: string; path?: string }[] } }).report;
    };
    const beforeOpen = readFileSync(open);
    writeFileSync(open, `${P.STRATEGY}\nA line added while the phase is open.\n`);
    try {
      assert.equal((await verify()).ok, true, 'an edit in the open phase is not tampering');
      const listed = await getJson<{ artifacts: { path: string; state: string }[] }>('/api/evidence/T-1');
      assert.equal(listed.body.artifacts.find((a) => a.path.endsWith('strategize/strategy.md'))?.state, 'edited');
      assert.match(
        await (await fetch(url('/evidence/T-1/strategize/strategy.md'))).text(),
        /edited since added: recorded when the phase is passed/,
      );
    } finally {
      writeFileSync(open, beforeOpen);
    }
    const before = readFileSync(sealed);
    writeFileSync(sealed, `${P.STRATEGY}\nAnd one more line the ledger never saw.\n`);
    try {
      const list = await getJson<{ artifacts: { path: string; state: string }[] }>('/api/evidence/T-2');
      assert.equal(list.body.artifacts.find((a) => a.path.endsWith('strategize/strategy.md'))?.state, 'changed');
      const report = await verify();
      assert.equal(report.ok, false);
      assert.ok(report.problems.some((p) => p.kind === 'evidence' && p.path === 'evidence/T-2/strategize/strategy.md'));
      const page = await (await fetch(url('/evidence/T-2/strategize/strategy.md'))).text();
      assert.match(page, /changed since recorded/);
    } finally {
      writeFileSync(sealed, before);
    }
  });
});
