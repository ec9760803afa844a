/**
 * E2E: the dashboard in a real browser (Debian's chromium, headless, driven by
 * playwright-core) against `autopilot serve` on a store filled by a scripted
 * story: every page, the trace graph clicked through to its evidence, decisions
 * through the approval panel, and a live update while the page is open.
 * Screenshots of each page at 1280 and 400 px go to test-artifacts/screenshots/.
 */
import { CHROMIUM_ARGS } from '../../src/surfaces/demo/passkey.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { advance } from '../../src/engine/task/advance.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { append } from '../../src/engine/ledger/record.ts';
import { git, makeRepo, ROOT, type Repo } from './helpers.ts';
import { AGENT, serve, storyRepo, withAgent, type DashboardRepo, type Served } from './dashboard-fixture.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { ratesRepo } from './gate-rates-fixture.ts';
import { taskEntries } from '../../src/surfaces/http/read/tasks.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');

let d: DashboardRepo;
/** A store whose ledger reaches back 20 days, for the gates' baseline (built beside the story). */
let ratesStore: Repo;
let s: Served;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const problems: string[] = [];

/** Collects the page's errors; `expected` matches console errors a test provokes on purpose (a refused request). */
function watch(p: Page, expected?: RegExp): Page {
  p.on('pageerror', (err) => problems.push(`page error on ${p.url()}: ${err.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && !expected?.test(m.text())) problems.push(`console error on ${p.url()}: ${m.text()}`);
  });
  return p;
}

/** The few browser globals the page functions below touch (the tests compile without the DOM library). */
interface Win {
  document: {
    activeElement: { id: string; textContent: string | null } | null;
    getElementById(id: string): { textContent: string | null } | null;
    querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
  };
  location: { hash: string };
  sessionStorage: { getItem(key: string): string | null };
  marker?: number;
}

/** Waits until the element's text matches. A function, not a string: the page's CSP forbids eval. */
async function textMatches(p: Page, id: string, re: RegExp): Promise<void> {
  await p.waitForFunction(
    ([elementId, source]) =>
      new RegExp(source!).test((globalThis as unknown as Win).document.getElementById(elementId!)?.textContent ?? ''),
    [id, re.source],
  );
}

const at = (path: string) => `http://127.0.0.1:${s.port}${path}`;
/** Where passkeys work: a relying party id must be a domain. */
const atLocal = (path: string) => `http://localhost:${s.port}${path}`;

/** Saves the page at 1280 px and at 400 px, whole length, then goes back to 1280 px. */
async function shoot(p: Page, name: string): Promise<void> {
  for (const width of [1280, 400]) {
    await p.setViewportSize({ width, height: 900 });
    await p.waitForTimeout(50);
    await p.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await p.setViewportSize({ width: 1280, height: 900 });
}

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `the browser tests need Debian's chromium at ${CHROMIUM} (apt-get install -y chromium; scripts/setup.sh installs it)`,
  );
  mkdirSync(SHOTS, { recursive: true });
  [d, ratesStore, browser] = await Promise.all([
    storyRepo(),
    ratesRepo(),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] }),
  ]);
  s = await serve(d.repo);
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = watch(await ctx.newPage());
});

after(async () => {
  await browser?.close();
  await s?.stop();
});

describe('the dashboard in chromium', () => {
  it('Tasks: every task with phase, holder, age, last move and flags; search, filter, and a skip link for the keyboard', async () => {
    await page.goto(at('/'));
    const rows = page.locator('#task-list tbody tr');
    assert.equal(await rows.count(), 4);
    const t2 = rows.filter({ hasText: 'T-2' });
    assert.match(await t2.innerText(), /REVIEW/);
    assert.match(await t2.innerText(), /needs approval/);
    assert.match(await rows.filter({ hasText: 'T-1' }).innerText(), /1 backtrack/);
    // The page says which clients' commands run behind the wall, as doctor does (Codex and Cursor are not wired here:
    // test/unit/dashboard-wall.test.ts renders their lines).
    const wall = page.locator('#wall');
    assert.match(await wall.locator('[data-wall="wall.claude"]').innerText(), /^Claude Code: /);
    await shoot(page, 'tasks');

    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as Win).document.activeElement?.textContent),
      'Skip to content',
    );
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (globalThis as unknown as Win).document.activeElement?.id), 'main');

    await page.fill('#f-q', 'in ci');
    await page.press('#f-q', 'Enter');
    await page.waitForURL(/q=in\+ci/);
    assert.deepEqual((await page.locator('#task-list tbody tr .id').allInnerTexts()).sort(), ['T-2', 'T-3']);
    await page.fill('#f-q', '');
    await page.selectOption('#f-status', 'done');
    await page.waitForURL(/status=done/);
    assert.deepEqual(await page.locator('#task-list tbody tr .id').allInnerTexts(), ['T-1']);
  });

  it('A task: the timeline with its backtrack, and the trace graph clicked through to a node, its span and its evidence', async () => {
    await page.goto(at('/'));
    await page.click('a.id:text-is("T-1")');
    await page.waitForURL(/\/tasks\/T-1$/);
    assert.equal(await page.locator('.phasebar .back').count(), 1, 'the backtrack is drawn in the timeline');
    assert.equal(await page.locator('svg.graph path.edge.backtrack').count(), 1, 'and in the graph');
    assert.ok(
      (await page.locator('svg.graph a.node.o-stale').count()) >= 3,
      'the pass the backtrack sent back is stale',
    );
    assert.ok(
      (await page.locator('svg.graph a.node.o-refused').count()) >= 4,
      'skip, hollow strategy, own diff, git push, failing verify',
    );
    assert.equal(await page.locator('svg.graph a.node.k-tool').count(), 1);
    // Impact and grounding: the score the planning moves recorded, and VERIFY's tests that reach the change.
    const impact = page.locator('[data-testid=impact]');
    assert.match(await impact.locator('[data-testid=groundedness]').innerText(), /^(\d+(\.\d)?%|nothing cited)$/);
    assert.match(await impact.innerText(), /Groundedness .*target 90%/);
    assert.equal(await impact.locator('tr:has-text("test/count.test.js") [data-run=ran]').count(), 1);

    const gate = page.locator('svg.graph a.node.k-gate.o-passed[aria-label*="→ REVIEW"]');
    await gate.click();
    await page.waitForURL(/node=e\d+/);
    const detail = page.locator('#detail');
    assert.match(await detail.innerText(), /agent\.state\.transition/, 'the span from traces.jsonl');
    assert.match(await detail.innerText(), /VERIFY → REVIEW/);
    assert.ok(await page.locator('svg.graph a.node.sel').count(), 'the node is shown selected');
    await shoot(page, 'task');

    await detail.getByRole('link', { name: 'verify/test_results.json' }).click();
    await page.waitForURL(/\/evidence\/T-1\/verify\/test_results\.json$/);
    assert.equal(await page.locator('h1').innerText(), 'test_results.json');
    assert.equal(await page.locator('[data-testid=artifact-state]').innerText(), 'matches ledger');
    assert.ok(await page.locator('pre.json .k').count(), 'JSON shown pretty');
    await shoot(page, 'evidence-json');

    await page.goto(at('/tasks/T-1?show=tools'));
    const kinds = await page
      .locator('svg.graph a.node')
      .evaluateAll((els) => [...new Set(els.map((e) => [...e.classList].find((c) => c.startsWith('k-'))))].sort());
    assert.deepEqual(kinds, ['k-backtrack', 'k-end', 'k-phase', 'k-tool']);
    await page.locator('svg.graph a.node.k-tool').click();
    assert.match(await page.locator('#detail').innerText(), /tool\.guard/);
    assert.match(await page.locator('#detail').innerText(), /git push origin main/);

    await page.goto(at('/tasks/T-2'));
    // Dependencies: T-2's change adds lodash 4.17.11; its critical advisory is accepted until 2099, not blocking.
    const supply = page.locator('[data-testid=supply]');
    assert.deepEqual(
      await supply
        .locator('tr[data-change]')
        .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent))),
      [['added', 'lodash', 'npm', 'direct', '—', '4.17.11', 'package-lock.json']],
    );
    const finding = supply.locator('tr[data-finding="GHSA-jf85-cpcp-j695"]');
    assert.match(await finding.innerText(), /CVE-2019-10744/);
    assert.match(await finding.innerText(), /lodash@4\.17\.11/);
    assert.match(await finding.innerText(), /critical/);
    assert.match(await finding.innerText(), /4\.17\.12/);
    assert.equal(await finding.locator('[data-blocking]').getAttribute('data-blocking'), 'false');
    assert.match(await finding.locator('[data-blocking]').innerText(), /accepted until 2099-12-31/);
    const accepted = supply.locator('tr[data-acceptance="CVE-2019-10744"]');
    assert.match(await accepted.innerText(), /only the build script calls lodash, on trusted input/);
    assert.match(await accepted.innerText(), /2099-12-31/);
    assert.equal(await accepted.locator('[data-status]').getAttribute('data-status'), 'active');
    const expired = supply.locator('tr[data-acceptance="GHSA-6757-jp84-gxfx"]');
    assert.match(await expired.innerText(), /2021-06-30/);
    assert.equal(await expired.locator('[data-status]').getAttribute('data-status'), 'expired');
    assert.match(await supply.innerText(), /1 package checked against supplyChain\.licenses; no finding/);
    await shoot(page, 'task-supply');
  });

  it('A task: the prompt each phase visit ran with, its persona and digest as the ledger recorded, its text on demand, and a stored text edited on disk not shown', async () => {
    const entries = await withAgent(d.repo, (engine) => taskEntries(engine, 'T-1'));
    const recorded = new Map(
      entries.flatMap((x) => {
        const p = x.data['prompt'] as { sha256?: string; persona?: { id: string; version: string } } | undefined;
        return p?.sha256 ? [[x.seq, p] as const] : [];
      }),
    );
    await page.goto(at('/tasks/T-1'));
    const visits = page.locator('[data-testid=prompts] [data-testid=prompt-visit]');
    const phases = await visits.evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')));
    // Every visit, the one the backtrack sent back included: IMPLEMENT and VERIFY twice.
    assert.deepEqual(phases, [
      'STRATEGIZE',
      'SPEC',
      'PLAN',
      'THINK',
      'IMPLEMENT',
      'VERIFY',
      'IMPLEMENT',
      'VERIFY',
      'REVIEW',
      'PR',
      'MONITOR',
    ]);
    for (let i = 0; i < phases.length; i++) {
      const v = visits.nth(i);
      const seq = Number(await v.getAttribute('data-seq'));
      const p = recorded.get(seq);
      assert.ok(p, `entry ${seq} that entered ${phases[i]} recorded a prompt`);
      assert.equal(
        await v.locator('[data-testid=prompt-persona]').innerText(),
        `${p.persona!.id}@${p.persona!.version}`,
      );
      assert.equal(await v.locator('[data-testid=prompt-digest]').getAttribute('title'), p.sha256);
      assert.equal(await v.locator('[data-testid=prompt-unavailable]').count(), 0, 'every text is stored and matches');
    }
    const plan = visits.nth(2);
    const text = plan.locator('[data-testid=prompt-text] pre');
    assert.equal(await text.isVisible(), false, 'the text is folded until asked for');
    await plan.locator('[data-testid=prompt-text] summary').click();
    assert.ok(await text.isVisible());
    const shown = await text.innerText();
    assert.match(shown, /^# Autopilot: PLAN\n/);
    assert.match(shown, /## Your role: /);
    await shoot(page, 'task-prompt');

    // A stored text edited on disk is named as not matching the ledger and is not shown.
    const sha = await plan.locator('[data-testid=prompt-digest]').getAttribute('title');
    const file = join(d.repo.dir, '.autopilot', 'prompts', `${sha}.txt`);
    const original = readFileSync(file, 'utf8');
    // A cache, never committed: git ignores the stored texts, and the work tree stays clean of them.
    assert.equal(git(d.repo.dir, ['check-ignore', file]).trim(), file);
    assert.doesNotMatch(git(d.repo.dir, ['status', '--porcelain', '--untracked-files=all']), /prompts\//);
    writeFileSync(file, original.replace('# Autopilot: PLAN', '# Autopilot: PLAN (skip the tests)'));
    try {
      await page.goto(at('/tasks/T-1'));
      const edited = page.locator(`[data-testid=prompt-visit][data-seq="${await plan.getAttribute('data-seq')}"]`);
      assert.equal(await edited.locator('[data-testid=prompt-unavailable]').getAttribute('data-state'), 'mismatch');
      assert.match(await edited.innerText(), /does not match the ledger/);
      assert.equal(await edited.locator('[data-testid=prompt-text]').count(), 0);
      assert.doesNotMatch(await page.content(), /skip the tests/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('Evidence: the task list by phase with digests and producers, Markdown rendered, diffs coloured, logs searchable', async () => {
    await page.goto(at('/evidence'));
    await page.click('a.id:text-is("T-1")');
    await page.waitForURL(/\/evidence\/T-1$/);
    assert.match(await page.locator('#evidence-list').innerText(), /archived by backtrack 1/);
    assert.ok((await page.locator('#evidence-list .badge.matches').count()) >= 20);
    // What VERIFY found in the tests: nothing, and every mutant of the changed lines killed.
    const verify = page.locator('#verify-findings');
    assert.match(await verify.innerText(), /nothing found/);
    assert.match(await verify.innerText(), /mutation score 100%/);
    assert.ok((await verify.locator('.badge.ok', { hasText: 'killed' }).count()) > 0);
    await shoot(page, 'evidence');

    await page.getByRole('link', { name: 'strategy.md' }).first().click();
    await page.waitForURL(/strategize\/strategy\.md$/);
    assert.equal(await page.locator('.markdown h2', { hasText: 'Problem' }).count(), 1, 'Markdown rendered');
    await shoot(page, 'evidence-markdown');

    await page.goto(at('/evidence/T-1/implement/git_diff.patch'));
    assert.ok((await page.locator('#diff-view tr.add').count()) > 5, 'added lines marked');
    assert.ok((await page.locator('#diff-view tr.hunk').count()) >= 1);
    await page.fill('#log-q', 'trim');
    await textMatches(page, 'log-count', /matching line/);
    const visible = await page.locator('#diff-view tr:not(.hidden)').count();
    assert.ok(
      visible >= 1 && visible < (await page.locator('#diff-view tr').count()),
      'the search hides the other lines',
    );
    assert.ok(await page.locator('#diff-view mark').count());
    await shoot(page, 'evidence-diff');
  });

  it('Metrics: the SLO figures against their goals, the firing alert, the counters over time', async () => {
    await page.goto(at('/metrics'));
    // Task success, loop rate, tool MTTR and groundedness.
    assert.equal(await page.locator('.stat').count(), 4);
    assert.match(await page.locator('.stat').first().innerText(), /100\.0 %/);
    assert.match(await page.locator('.stat', { hasText: 'Groundedness' }).innerText(), /goal ≥ 90 %/);
    const alert = page.locator('tr', { hasText: 'agents skip phases' });
    assert.match(await alert.innerText(), /firing/);
    assert.match(await page.locator('.counter', { hasText: 'phase_backtracks' }).innerText(), /\b1\b/);
    await shoot(page, 'metrics');
  });

  it("Metrics: each gate's blocks and rates, against the baseline of the 30 days before the window", async () => {
    // The story's ledger is all of today: the gates' table shows its blocks, and a baseline without data.
    await page.goto(at('/metrics?window=7d'));
    const story = page.locator('#gate-rates tr[data-gate="g0"]');
    assert.match(await story.innerText(), /baseline no data/);
    // A store whose ledger reaches back 20 days: the baseline's blocks were overridden by a person, the window's not.
    const rates = await serve(ratesStore);
    try {
      const p = watch(await ctx.newPage());
      await p.goto(`http://127.0.0.1:${rates.port}/metrics?window=7d`);
      const cells = async (gate: string) =>
        (await p.locator(`#gate-rates tr[data-gate="${gate}"] td`).allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
      assert.deepEqual(await cells('g0'), [
        'g0 onboarding',
        '1',
        '0',
        '0',
        '0',
        '0.0 % baseline 100.0 %',
        '0.0 % baseline 0.0 %',
      ]);
      assert.deepEqual((await cells('g3')).slice(1), ['0', '0', '0', '0', '— baseline 100.0 %', '— baseline 0.0 %']);
      assert.match((await cells('g1')).join('|'), /^g1 secrets and policy\|1\|0\|0\|0\|0\.0 % baseline no data/);
      await shoot(p, 'metrics-gates');
      await p.close();
    } finally {
      await rates.stop();
    }
  });

  it('Ledger: every entry verified on its own, and the verify button walks the whole chain', async () => {
    await page.goto(at('/ledger'));
    assert.equal(await page.locator('#ledger-rows .badge.broken').count(), 0);
    assert.equal(await page.locator('#ledger-rows .badge.ok').count(), 50, 'a page of 50 entries, newest first');
    assert.equal(await page.locator('#ledger-rows tbody tr').first().getAttribute('id'), `entry-${d.repo.head()?.seq}`);
    assert.ok(await page.getByRole('link', { name: 'Older entries' }).count());
    await page.click('button[data-verify]');
    await textMatches(page, 'verify-result', /Ledger verified/);
    await shoot(page, 'ledger');
  });

  it('Ledger: the task filter suggests a page of tasks and asks the API for those matching what is typed', async () => {
    await page.goto(at('/ledger'));
    const suggested = () =>
      page.locator('#l-task-options option').evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    assert.deepEqual((await suggested()).sort(), ['T-1', 'T-2', 'T-3', 'T-4'], 'the most recently moved, 20 at most');
    await page.fill('#l-task', 't-3');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Win).document.querySelector('#l-task-options')?.getAttribute('data-for') === 't-3',
    );
    assert.deepEqual(await suggested(), ['T-3'], 'refilled with the matching tasks');
    await page.fill('#l-task', 'T-3');
    await page.press('#l-task', 'Enter');
    await page.waitForURL(/\/ledger\?task=T-3$/);
    const tasks = await page.locator('#ledger-rows tbody td[data-label="Task"]').allInnerTexts();
    assert.ok(tasks.length > 0 && tasks.every((t) => t === 'T-3'), `only T-3's entries: ${tasks.join(', ')}`);
  });

  it('Tasks and Evidence: pages on and back by task, the filter kept; the JSON API pages the evidence index', async () => {
    const ids = (list: string) => page.locator(`${list} tbody tr .id`).allInnerTexts();
    await page.goto(at('/?limit=3'));
    const firstPage = await ids('#task-list');
    assert.equal(firstPage.length, 3);
    assert.match(await page.locator('#task-list .pager').innerText(), /1–3 of 4/);
    assert.equal(await page.locator('#task-list .pager a[rel=prev]').count(), 0, 'no page before the first');
    await page.click('#task-list .pager a[rel=next]');
    await page.waitForURL(new RegExp(`after=${firstPage[2]}`));
    assert.equal((await ids('#task-list')).length, 1);
    assert.match(await page.locator('#task-list .pager').innerText(), /4–4 of 4/);

    await page.goto(at('/evidence?limit=2'));
    const first = await ids('#evidence-tasks');
    assert.deepEqual(first, firstPage.slice(0, 2), "the task list's order");
    await page.click('#evidence-tasks .pager a[rel=next]');
    await page.waitForURL(/\/evidence\?limit=2&after=/);
    const second = await ids('#evidence-tasks');
    assert.equal(second.length, 2);
    assert.equal(new Set([...first, ...second]).size, 4, 'every task once');
    assert.match(await page.locator('#evidence-tasks .pager').innerText(), /3–4 of 4/);
    assert.equal(await page.locator('#evidence-tasks .pager a[rel=next]').count(), 0, 'no page after the last');
    await page.click('#evidence-tasks .pager a[rel=prev]');
    await page.waitForURL(/before=/);
    assert.deepEqual(await ids('#evidence-tasks'), first);

    // A cursor that names no task: a clear refusal on the page and in the API, nothing shown as if it were a page.
    const missing = await fetch(at('/evidence?after=T-404'));
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /there is no task T-404 to page after/);
    const api = async (q: string) => {
      const res = await fetch(at(`/api/evidence?${q}`));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const paged = await api('offset=2&limit=2');
    assert.equal(paged.status, 200);
    assert.equal(paged.body['matching'], 4);
    const rows = paged.body['tasks'] as { summary: { taskId: string }; artifacts: unknown[] }[];
    assert.deepEqual(
      rows.map((r) => r.summary.taskId),
      second,
    );
    assert.ok(rows.every((r) => Array.isArray(r.artifacts)));
    for (const bad of ['limit=0', 'offset=-1', 'after=T-404', 'after=T-1&before=T-2']) {
      const refused = await api(bad);
      assert.equal(refused.status, 400, bad);
      assert.equal((refused.body['error'] as { code: string }).code, 'USAGE', bad);
    }
  });

  it('Passkeys: a person registers with the code serve printed (a wrong or used code is refused), approves one task and sends another back, each decision a passkey assertion that ledger verify checks', async () => {
    // WebAuthn needs a domain: the passkey pages are used at localhost, with Chromium's virtual authenticator.
    // The refusals below answer 403, which Chromium logs; any other error still counts.
    const pk = watch(await ctx.newPage(), /^Failed to load resource: the server responded with a status of 403/);
    const cdp = await ctx.newCDPSession(pk);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const head = d.repo.head()?.seq;

    // Nobody registered: a decision cannot even be prepared, and nothing is recorded.
    await pk.goto(atLocal('/approvals'));
    assert.match(await pk.locator('#who').innerText(), /No passkey is registered yet/);
    await pk.fill('#reason-T-2', 'ship it');
    await pk.locator('#task-T-2 button[value=approve]').click();
    await textMatches(pk, 'task-T-2', /no person has registered a passkey yet/);
    assert.equal(d.repo.head()?.seq, head);

    // On 127.0.0.1 the page sends the person to localhost.
    await page.goto(at('/register'));
    assert.match(await page.locator('[data-passkey-state]').innerText(), /Passkeys need the address localhost/);

    await pk.goto(atLocal('/register'));
    await pk.fill('#reg-name', 'Dana Reviewer');
    await pk.fill('#reg-code', 'ABCD-EFGH');
    await pk.click('form[data-register] button');
    await textMatches(pk, 'main', /not the registration code autopilot serve printed/);
    assert.equal(d.repo.head()?.seq, head, 'a wrong code records nothing');
    const code = s.latestCode();
    assert.equal(code, s.registrationCode);
    await pk.fill('#reg-code', code.toLowerCase());
    await pk.click('form[data-register] button');
    await textMatches(pk, 'main', /Passkey registered for Dana Reviewer/);
    const registered = d.repo.ledger().at(-1)!;
    assert.equal(registered.kind, 'person_registered');
    assert.equal(registered.actor, 'person:Dana Reviewer');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds one passkey');
    assert.equal(
      registered.data['credentialId'],
      Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url'),
    );
    await shoot(pk, 'register');

    // The code worked once: the same code again is refused, and serve printed a new one.
    await pk.fill('#reg-name', 'Eve');
    await pk.fill('#reg-code', code);
    await pk.click('form[data-register] button');
    await textMatches(pk, 'main', /not the registration code/);
    assert.notEqual(s.latestCode(), code, 'a new code was printed on the terminal');
    assert.equal(d.repo.ledger().at(-1)!.seq, registered.seq);

    await pk.goto(atLocal('/approvals'));
    assert.match(await pk.locator('#who').innerText(), /Registered: Dana Reviewer/);
    assert.equal(await pk.locator('#approval-list article').count(), 2);
    assert.match(await pk.locator('#task-T-2').innerText(), /ci-config/);
    assert.match(await pk.locator('#task-T-2').innerText(), /\.github\/workflows\/ci\.yml/);
    await shoot(pk, 'approvals');

    await pk.fill('#reason-T-2', 'The workflow only runs the tests: approved.');
    await pk.locator('#task-T-2 button[value=approve]').click();
    await textMatches(pk, 'flash', /Dana Reviewer approved T-2 .*passkey/);
    await pk.locator('#task-T-2').waitFor({ state: 'detached' });
    const approved = d.repo.ledger('T-2').at(-1)!;
    assert.equal(approved.kind, 'approval');
    assert.equal(approved.actor, 'person:Dana Reviewer');
    assert.equal(approved.data['action'], 'approved');
    assert.equal(approved.data['reason'], 'The workflow only runs the tests: approved.');
    const proof = approved.data['passkey'] as { response: { id: string }; decision: { diff: string; task: string } };
    assert.equal(proof.response.id, registered.data['credentialId'], 'signed by the registered passkey');
    assert.equal(proof.decision.task, 'T-2');
    assert.equal(proof.decision.diff, approved.data['diff']);

    await pk.fill('#reason-T-3', 'Pin the action to a commit, not a tag.');
    await pk.selectOption('#to-T-3', 'PLAN');
    await pk.locator('#task-T-3 button[value=request_changes]').click();
    await textMatches(pk, 'flash', /requested changes on T-3 .*sent back to PLAN/);
    await pk.locator('#task-T-3').waitFor({ state: 'detached' });
    // The decision, then the backtrack that carries it out: the task is in PLAN at once.
    const [changes, back] = d.repo.ledger('T-3').slice(-2);
    assert.equal(changes!.actor, 'person:Dana Reviewer');
    assert.equal(changes!.data['action'], 'changes_requested');
    assert.equal(changes!.data['backtrackTo'], 'PLAN');
    assert.deepEqual(
      [back!.kind, back!.actor, back!.toPhase, back!.data['decision']],
      ['backtrack', 'person:Dana Reviewer', 'PLAN', changes!.seq],
    );
    assert.equal(d.repo.task('T-3')?.phase, 'PLAN');
    assert.equal(await pk.locator('#nav .count').count(), 0, 'the badge of waiting tasks is gone');
    await pk.reload();
    assert.match(
      await pk.locator('#recent-decisions').innerText(),
      /changes requested by Dana Reviewer \(passkey\), back to PLAN/,
    );
    await shoot(pk, 'approvals-decided');

    // Both decisions verify from the ledger alone.
    const verified = await d.repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 2);

    // The Chromium-made approval with its note changed, sealed with the installation key: ledger verify flags it.
    const forged = await withAgent(d.repo, (engine) =>
      engine.store.transact((tx) =>
        append(engine, tx, {
          taskId: 'T-2',
          kind: 'approval',
          fromPhase: approved.fromPhase,
          toPhase: approved.toPhase,
          actor: approved.actor,
          artifacts: [],
          data: { ...approved.data, reason: 'Approved, and the deploy key too.' },
        }),
      ),
    );
    const flagged = await d.repo.json(['ledger', 'verify']);
    assert.equal(flagged.code, 3);
    assert.match(flagged.stdout, new RegExp(`entry ${forged.seq} is not a person's decision: .*the note differs`));
    await pk.close();
  });

  it("Monitor: an unhealthy deployment's backtrack proposal on the approvals and task pages; a person sends one task back with a passkey and declines it for another", async (t) => {
    // A deployment whose health check answers 500, watched by its own repository and serve.
    const health = createServer((_req, res) => void res.writeHead(500).end('{"status":"down"}'));
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', () => r()));
    t.after(() => new Promise<void>((r) => health.close(() => r())));
    const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
    const repo = await makeRepo({
      config: (c) => void (c['monitor'] = { health: [{ name: 'api', url, within: '1s', pollSeconds: 1 }] }),
    });
    for (const id of ['T-1', 'T-2']) {
      await repo.driveTo(id, 'MONITOR');
      const refused = await repo.refused(['advance', id], 'EVIDENCE_INVALID', 2);
      assert.match(refused.message, /api \(status 500, expected 200\)/);
    }
    const served = await serve(repo);
    t.after(() => served.stop());
    const local = (path: string) => `http://localhost:${served.port}${path}`;
    const pk = watch(await ctx.newPage());
    t.after(() => pk.close());
    const cdp = await ctx.newCDPSession(pk);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await pk.goto(local('/register'));
    await pk.fill('#reg-name', 'Ola Operator');
    await pk.fill('#reg-code', served.registrationCode);
    await pk.click('form[data-register] button');
    await textMatches(pk, 'main', /Passkey registered for Ola Operator/);

    // The proposal, on the task page and on the approvals page, with the failing check named.
    await pk.goto(local('/tasks/T-1'));
    assert.match(
      await pk.locator('#backtrack-proposal').innerText(),
      /proposes to send T-1 back to IMPLEMENT .*the deployment is unhealthy: api \(status 500/s,
    );
    assert.match(await pk.locator('#history').innerText(), /proposed MONITOR ↩ IMPLEMENT, for a person to decide/);
    await pk.goto(local('/approvals'));
    for (const id of ['T-1', 'T-2']) {
      const card = await pk.locator(`#task-${id}`).innerText();
      assert.match(card, /Backtrack proposal \(entry \d+\)/);
      assert.match(card, /the deployment is unhealthy: api \(status 500/);
      assert.equal(await pk.locator(`#to-${id}`).inputValue(), 'IMPLEMENT');
    }

    // Requesting changes to IMPLEMENT carries the proposal out: T-1 is back in IMPLEMENT.
    await pk.fill('#reason-T-1', 'The API answers 500 after the release: fix it in IMPLEMENT.');
    await pk.locator('#task-T-1 button[value=request_changes]').click();
    await textMatches(pk, 'flash', /requested changes on T-1 .*sent back to IMPLEMENT/);
    const [changes, back] = repo.ledger('T-1').slice(-2);
    assert.deepEqual(
      [changes!.kind, changes!.actor, changes!.data['action'], changes!.data['backtrackTo']],
      ['approval', 'person:Ola Operator', 'changes_requested', 'IMPLEMENT'],
    );
    assert.ok(changes!.data['passkey'], 'the decision is a passkey assertion');
    assert.deepEqual(
      [back!.kind, back!.fromPhase, back!.toPhase, back!.data['decision']],
      ['backtrack', 'MONITOR', 'IMPLEMENT', changes!.seq],
    );
    assert.equal(repo.task('T-1')?.phase, 'IMPLEMENT');

    // Approving declines it: T-2 stays in MONITOR, and its page no longer shows a proposal.
    await pk.fill('#reason-T-2', 'A known outage of the health endpoint: keep it in MONITOR.');
    await pk.locator('#task-T-2 button[value=approve]').click();
    await textMatches(pk, 'flash', /approved T-2/);
    const declined = repo.ledger('T-2').at(-1)!;
    assert.deepEqual(
      [declined.kind, declined.actor, declined.data['action']],
      ['approval', 'person:Ola Operator', 'approved'],
    );
    assert.equal(repo.task('T-2')?.phase, 'MONITOR');
    assert.ok(!repo.ledger('T-2').some((x) => x.kind === 'backtrack'), 'T-2 was not sent back');
    await pk.goto(local('/tasks/T-2'));
    assert.equal(await pk.locator('#backtrack-proposal').count(), 0);
    const verified = await repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 2);
    // Closed before its serve stops: a live page cut off by the server would log a broken stream.
    await pk.close();
  });

  it('Live: a task page follows the agent without a reload', async () => {
    await page.goto(at('/tasks/T-4'));
    assert.equal(await page.locator('[data-testid=task-phase]').innerText(), 'PLAN');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Win).document.querySelector('[data-live-status]')?.getAttribute('data-state') ===
        'on',
    );
    const marker = await page.evaluate(() => ((globalThis as unknown as Win).marker = Math.random()));
    await withAgent(d.repo, async (engine) => {
      // T-4 is the story's fourth task: its own plan, not a copy of T-1's.
      for (const [name, content] of evidenceFor(3)['PLAN'] ?? []) {
        const r = await putEvidence(engine, AGENT, {
          taskId: 'T-4',
          phase: 'PLAN',
          name,
          content: Buffer.from(content),
        });
        assert.equal(r.ok, true);
      }
      const moved = await advance(engine, AGENT, { taskId: 'T-4' });
      assert.equal(moved.ok, true, moved.ok ? '' : moved.error.message);
    });
    await page.waitForFunction(
      () => (globalThis as unknown as Win).document.querySelector('[data-testid=task-phase]')?.textContent === 'THINK',
      null,
      { timeout: 15_000 },
    );
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as Win).marker),
      marker,
      'the same page, not a reload',
    );
    assert.ok(await page.locator('svg.graph a.node.k-phase', { hasText: 'THINK' }).count(), 'the graph grew a node');
  });

  it('no page raised an error or broke its content security policy', () => {
    assert.deepEqual(problems, []);
  });
});
