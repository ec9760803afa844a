/**
 * E2E: a person's review, in a real browser (Debian's chromium with its virtual authenticator) against `autopilot
 * serve`. Under `review.by: person` a reviewer session's rubric does not pass REVIEW; the person fills in the rubric
 * on the task page and signs it with their passkey; the rubric is written as evidence under their name in the role
 * person, the dashboard shows who wrote each artifact, the working agent advances on it, `ledger verify` checks the
 * assertion, and the CI gate passes it only when the passkey was registered under a key from outside the branch.
 */
import { CHROMIUM_ARGS } from '../../src/surfaces/demo/passkey.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import type { CiGateReport, CiProblem } from '../../src/engine/ci/gate.ts';
import { rubricText } from '../../src/core/review.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { git, makeRepo, parseOne, ROOT, run, tempDir, type CliResult, type Repo } from './helpers.ts';
import { serve } from './dashboard-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const BRANCH = 'task/T-1';
const DIMENSIONS = ['readability', 'maintainability', 'performance', 'security', 'governance'];
const RUBRIC_PATH = 'evidence/T-1/review/review_rubric.json';

type GateBody =
  ({ ok: true } & CiGateReport) | { ok: false; error: { code: string; message: string; details: CiGateReport } };

function commit(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
}

async function gate(repo: Repo, args: string[]): Promise<CliResult & { body: GateBody }> {
  const dir = tempDir('clone');
  git(dir, ['clone', '-q', '--branch', BRANCH, repo.dir, '.']);
  const r = await run(['--json', '-C', dir, 'gate', ...args]);
  return { ...r, body: parseOne<GateBody>(r) };
}

/** Waits until the element's text matches. A function, not a string: the page's CSP forbids eval. */
async function textMatches(p: Page, selector: string, re: RegExp): Promise<void> {
  await p.waitForFunction(
    ([sel, source]) =>
      new RegExp(source!).test(
        (
          globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }
        ).document.querySelector(sel!)?.textContent ?? '',
      ),
    [selector, re.source],
  );
}

describe("a person's review in the dashboard", () => {
  it('signed with a passkey on the task page, passes REVIEW under review.by: person, and the gate checks its key', async () => {
    assert.ok(existsSync(CHROMIUM), `the browser tests need Debian's chromium at ${CHROMIUM} (scripts/setup.sh)`);
    mkdirSync(SHOTS, { recursive: true });
    const repo = await makeRepo({ urgent: true, config: (c) => void (c['review'] = { by: 'person' }) });
    commit(repo.dir, 'reviews by a person');
    const start = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    git(repo.dir, ['checkout', '-q', '-b', BRANCH]);
    await repo.driveTo('T-1', 'REVIEW');

    // A reviewer session's rubric is the wrong role when the config wants a person.
    await repo.put(
      'T-1',
      'REVIEW',
      'review_rubric.json',
      rubricText(
        Object.fromEntries(
          DIMENSIONS.map((d) => [d, { pass: true, notes: `the ${d} of the change was read line by line` }]),
        ),
      ),
    );
    const byReviewer = await repo.refused(['--holder', 'fixture', 'advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    const finding = (byReviewer.details['findings'] as { rule: string; problem: string }[])[0]!;
    assert.equal(finding.rule, 'review-role');
    assert.match(finding.problem, /as a reviewer; review\.by is person: it must come from a person/);
    assert.match(byReviewer.message, /have a person review the task in the dashboard/);

    const s = await serve(repo);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
    const problems: string[] = [];
    let reviewSeq: number;
    let credentialId: unknown;
    try {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      // The refused rubric below answers 400, which Chromium logs; any other console error counts.
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 400/.test(m.text())) problems.push(`console error: ${m.text()}`);
      });
      const cdp = await ctx.newCDPSession(page);
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
      const atLocal = (path: string) => `http://localhost:${s.port}${path}`;
      await page.goto(atLocal('/register'));
      await page.fill('#reg-name', 'Dana Reviewer');
      await page.fill('#reg-code', s.registrationCode);
      await page.click('form[data-register] button');
      await textMatches(page, 'main', /Passkey registered for Dana Reviewer/);
      credentialId = repo.ledger().at(-1)!.data['credentialId'];

      // The task page: the review form with the rubric's dimensions, and the rubric so far with its hand.
      await page.goto(atLocal('/tasks/T-1'));
      assert.match(await page.locator('#review').innerText(), /review\.by: person/);
      assert.deepEqual(
        await page
          .locator('form[data-review="T-1"] textarea[data-dimension]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-dimension'))),
        DIMENSIONS,
      );
      assert.match(await page.locator('[data-testid=review-current]').innerText(), /written by reviewer reviewer-1/);

      // A rubric that does not meet its contract is refused before anything is signed, and nothing is recorded.
      const head = repo.head()!.seq;
      for (const d of DIMENSIONS) {
        await page.check(`#rv-pass-${d}`);
        await page.fill(`#rv-notes-${d}`, `I read the ${d} of the diff and the tests that cover it`);
      }
      await page.uncheck('#rv-pass-security');
      await page.fill('#rv-reason', 'Reviewed the whole diff with its tests.');
      await page.click('form[data-review="T-1"] button');
      await textMatches(page, '#review .status-msg', /the review rubric does not meet its contract/);
      assert.equal(repo.head()!.seq, head, 'a refused rubric records nothing');

      await page.locator('#review').screenshot({ path: join(SHOTS, 'review-form-refused.png') });
      await page.check('#rv-pass-security');
      await page.click('form[data-review="T-1"] button');
      await textMatches(page, '#flash', /Dana Reviewer reviewed T-1 \(ledger entry \d+, signed with a passkey\)/);

      const entry = repo.ledger('T-1').at(-1)!;
      reviewSeq = entry.seq;
      assert.deepEqual(
        [entry.kind, entry.actor, entry.fromPhase, entry.data['role'], entry.data['holder']],
        ['evidence', 'person:Dana Reviewer', 'REVIEW', 'person', 'person:Dana Reviewer'],
      );
      assert.equal(entry.data['reason'], 'Reviewed the whole diff with its tests.');
      const proof = entry.data['passkey'] as {
        response: { id: string };
        decision: { decision: string; rubric: unknown };
      };
      assert.equal(proof.response.id, credentialId, 'signed by the registered passkey');
      const written = readFileSync(join(repo.stateDir, RUBRIC_PATH), 'utf8');
      assert.deepEqual(proof.decision.rubric, { name: 'review_rubric.json', sha256: sha256Hex(written) });
      assert.deepEqual(
        Object.keys((JSON.parse(written) as { dimensions: Record<string, unknown> }).dimensions),
        DIMENSIONS,
      );
      assert.deepEqual(
        entry.artifacts.map((a) => [a.path, a.sha256]),
        [[RUBRIC_PATH, sha256Hex(written)]],
      );

      // Who wrote each artifact: the person by name on the task page and in the evidence view, the agent by its hand.
      await page.reload();
      assert.match(await page.locator('[data-testid=review-current]').innerText(), /written by person Dana Reviewer/);
      await page.locator('#review').screenshot({ path: join(SHOTS, 'review-form-signed.png') });
      await page.goto(atLocal('/evidence/T-1'));
      const row = page.locator('tr', { has: page.locator('a', { hasText: 'review_rubric.json' }) });
      assert.equal(await row.locator('[data-written-by]').getAttribute('data-written-by'), 'person');
      assert.match(await row.innerText(), /Dana Reviewer/);
      const spec = page.locator('tr', { has: page.locator('a', { hasText: 'spec.md' }) });
      assert.equal(await spec.locator('[data-written-by]').getAttribute('data-written-by'), 'agent');
      assert.match(await spec.innerText(), /fixture/);
      const lint = page.locator('tr', { has: page.locator('a', { hasText: 'verify_run.json' }) });
      assert.equal(await lint.locator('[data-written-by]').getAttribute('data-written-by'), 'autopilot');
    } finally {
      await browser.close();
      await s.stop();
    }
    assert.deepEqual(problems, []);

    // The working agent advances on the person's review; ledger verify checks the assertion from the ledger alone.
    const moved = await repo.ok<{ from: string; to: string }>(['--holder', 'fixture', 'advance', 'T-1']);
    assert.deepEqual([moved.from, moved.to], ['REVIEW', 'PR']);
    const verified = await repo.json<{ decisions: number }>(['ledger', 'verify']);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.body.decisions, 1, "ledger verify checks the person's review");

    await repo.driveTo('T-1', 'PR');
    commit(repo.dir, 'T-1');
    const keyId = repo.ledger('T-1')[0]!.keyId;
    // With the team's key trusted, the review verifies and the gate passes.
    const passed = await gate(repo, ['--base', start, '--trusted-keys', keyId]);
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    // Without it, the passkey was registered under a key the branch brought: the review counts for nothing.
    const untrusted = await gate(repo, ['--base', start]);
    assert.equal(untrusted.body.ok, false, untrusted.stdout);
    if (untrusted.body.ok) return;
    const review = untrusted.body.error.details.problems.filter(
      (p: CiProblem) => p.check === 'evidence' && (p.file ?? '').endsWith('review_rubric.json'),
    );
    assert.equal(review.length, 1, JSON.stringify(untrusted.body.error.details.problems));
    assert.match(
      review[0]!.reason,
      new RegExp(
        `entry ${reviewSeq}\\) was signed with a passkey registered under key ${keyId}, which is neither a trusted key`,
      ),
    );
  });
});
