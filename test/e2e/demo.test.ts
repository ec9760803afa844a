/**
 * E2E: `autopilot demo --json --dir <tmp>` from this repository's sources
 * (scripts/autopilot-dev.js, as `npm run demo` runs it): every step goes as
 * scripted (the person's approval a passkey assertion made in headless
 * Chromium), the ledger verifies, the repository it leaves behind checks out
 * with the CLI too, and the commands it prints to try run as printed. In PR, Autopilot's outbox pushes the task
 * branch and opens the pull request on the demo's local forge: its URL is printed, and the forge received one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DEV_BIN, Repo, parseOne, run, tempDir } from './helpers.ts';

interface Step {
  action: string;
  expect: 'ok' | 'refused';
  ok: boolean;
  code?: string;
  detail: string;
}

/** The script: what the demo's agent tries, and how the enforcer answers. */
const SCRIPT: [RegExp, 'ok' | 'refused', string?][] = [
  [/^start task T-1/, 'ok'],
  [/jump straight to IMPLEMENT/, 'refused', 'PHASE_SKIP'],
  [/hollow strategy\.md/, 'ok'],
  [/advance with the hollow strategy/, 'refused', 'EVIDENCE_INVALID'],
  [/rewrite strategy\.md/, 'ok'],
  [/advance to SPEC/, 'ok'],
  [/PreToolUse hook: the agent tries to edit src\/count\.js in SPEC/, 'refused', 'TOOL_NOT_ALLOWED_IN_PHASE'],
  [/write spec\.md/, 'ok'],
  [/advance to PLAN/, 'ok'],
  [/plan\.md and file_map\.json/, 'ok'],
  [/advance to THINK/, 'ok'],
  [/edge_cases\.md/, 'ok'],
  [/advance to IMPLEMENT/, 'ok'],
  [/its own git_diff\.patch/, 'refused', 'EVIDENCE_PROTECTED'],
  [/read Autopilot's signing key/, 'refused', 'TOOL_NOT_ALLOWED_IN_PHASE'],
  [/switch git's hooks off/, 'refused', 'TOOL_NOT_ALLOWED_IN_PHASE'],
  [/approve its own work/, 'refused', 'TOOL_NOT_ALLOWED_IN_PHASE'],
  [/advance to VERIFY/, 'ok'],
  [/autopilot verify/, 'refused', 'VERIFY_FAILED'],
  [/backtrack to IMPLEMENT/, 'ok'],
  [/advance to VERIFY again/, 'ok'],
  [/autopilot verify again/, 'ok'],
  [/advance to REVIEW/, 'ok'],
  [/the agent writes its own review_rubric\.json/, 'ok'],
  [/advance on a review of its own work/, 'refused', 'EVIDENCE_INVALID'],
  [/the reviewer reads the work with review_get/, 'ok'],
  [/the reviewer writes review_rubric\.json/, 'ok'],
  [/ask to advance to PR: policy wants a person/, 'refused', 'APPROVAL_REQUIRED'],
  [/a person registers a passkey with the printed code in the dashboard \(headless Chromium/, 'ok'],
  [/requests changes with their passkey: back to IMPLEMENT/, 'ok'],
  [/advance to VERIFY \(a fresh diff, with the new test\)/, 'ok'],
  [/autopilot verify, with the new test/, 'ok'],
  [/advance to REVIEW again/, 'ok'],
  [/the reviewer writes review_rubric\.json again/, 'ok'],
  [/ask to advance to PR again/, 'refused', 'APPROVAL_REQUIRED'],
  [/the person approves T-1 with their passkey/, 'ok'],
  [/advance to PR/, 'ok'],
  [/a made-up pr_url\.txt/, 'refused', 'EVIDENCE_PROTECTED'],
  [/write pr_template_filled\.md/, 'ok'],
  [/autopilot outbox run: push task\/T-1, open the pull request on the local forge/, 'ok'],
  [/advance to MONITOR \(Autopilot reads the pull request's checks from the forge\)/, 'ok'],
  [/^finish/, 'ok'],
];

it('autopilot demo --json --dir <tmp>: every step as scripted, the ledger verified', async () => {
  const dir = join(tempDir('demo'), 'textkit');
  const r = await run(['demo', '--json', '--dir', dir], { bin: DEV_BIN });
  const body = parseOne<{
    ok: boolean;
    repo: string;
    taskId: string;
    steps: Step[];
    ledger: {
      ok: boolean;
      entries: number;
      tasks: number;
      artifacts: number;
      decisions: number;
      problems: unknown[];
      head: { seq: number; hash: string };
    };
    approval: { by?: string; skipped?: string };
    pullRequest: { url: string | null; opened: number; comments: number };
    try: Record<'ledgerShow' | 'ledgerVerify' | 'taskStatus' | 'serve', string[]>;
  }>(r);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(body.ok, true);
  assert.deepEqual([body.repo, body.taskId], [dir, 'T-1']);

  assert.equal(body.steps.length, SCRIPT.length);
  body.steps.forEach((step, i) => {
    const [action, expect, code] = SCRIPT[i]!;
    assert.match(step.action, action, `step ${i + 1}`);
    assert.equal(step.expect, expect, step.action);
    assert.equal(step.ok, true, `${step.action}: ${step.code ?? ''} ${step.detail}`);
    assert.equal(step.code, code, step.action);
  });

  // The pull request: opened once on the local forge by the outbox, its URL from the forge's answer.
  assert.match(body.pullRequest.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/demo\/textkit\/pull\/1$/);
  assert.equal(body.pullRequest.opened, 1);
  assert.equal(body.pullRequest.comments, 1);
  assert.match(
    body.steps.find((x) => /outbox run/.test(x.action))!.detail,
    /^push sent, open_pr sent, comment sent, status sent$/,
  );
  assert.equal(body.ledger.ok, true);
  assert.deepEqual(body.ledger.problems, []);
  assert.equal(body.ledger.tasks, 1);
  assert.equal(body.ledger.entries, body.ledger.head.seq);
  // CI installs Chromium: the person's approval here is a passkey assertion made in it.
  assert.deepEqual(body.approval, { by: 'passkey in Chromium' });
  assert.equal(body.ledger.decisions, 2, 'the request for changes and the approval');
  assert.match(body.steps.find((x) => /approves T-1/.test(x.action))!.detail, /Demo Reviewer approved T-1 .*passkey/);
  // The request for changes sent the task back at once, as a backtrack by the person.
  assert.match(
    body.steps.find((x) => /requests changes/.test(x.action))!.detail,
    /Demo Reviewer requested changes on T-1 .*passkey.*sent back to IMPLEMENT/,
  );
  // The three attacks are each answered by the rule that protects what they reach for.
  const answer = (re: RegExp) => body.steps.find((x) => re.test(x.action))!.detail;
  assert.match(answer(/signing key/), /one of Autopilot's secrets/);
  assert.match(answer(/hooks off/), /core\.hooksPath.*only Autopilot and people change/);
  assert.match(answer(/approve its own work/), /a person's command, never an agent's/);

  // What the demo leaves behind checks out with the CLI as well.
  const repo = new Repo(dir);
  assert.equal(repo.task('T-1')?.status, 'done');
  assert.deepEqual(repo.head(), body.ledger.head);
  // REVIEW is not self-review: the agent's own rubric was refused, the rubrics that passed are the reviewer's.
  assert.match(answer(/advance on a review of its own work/), /self-review/);
  const rubrics = repo
    .ledger('T-1')
    .filter((e) => e.kind === 'evidence' && e.data['name'] === 'review_rubric.json')
    .map((e) => [e.data['holder'], e.data['role'] ?? null]);
  assert.deepEqual(rubrics.slice(1), [
    ['reviewer-1', 'reviewer'],
    ['reviewer-1', 'reviewer'],
  ]);
  assert.equal(rubrics[0]?.[1], null, "the agent's own rubric has no role");
  assert.ok(existsSync(join(repo.evidenceDir, 'T-1', '.stale', '1', 'implement', 'git_diff.patch')));
  const verified = await repo.ok<{ entries: number; problems: unknown[] }>(['ledger', 'verify'], { bin: DEV_BIN });
  assert.equal(verified.entries, body.ledger.entries);

  // The commands the demo prints to try run as they are (Node 20 cannot run the .ts file the demo starts from).
  for (const argv of [body.try.ledgerVerify, body.try.taskStatus]) {
    assert.equal(argv[0], process.execPath);
    assert.doesNotMatch(argv[1]!, /\.ts$/);
    const tried = spawnSync(argv[0]!, [...argv.slice(1), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(tried.status, 0, `${argv.join(' ')}: ${tried.stderr}`);
    assert.equal((JSON.parse(tried.stdout) as { ok: boolean }).ok, true);
  }
  assert.deepEqual(body.try.serve.slice(-3), ['-C', dir, 'serve']);
});

it('without Chromium the demo says so, leaves out only the passkey step, and still goes through', async () => {
  const dir = join(tempDir('demo'), 'textkit');
  const r = await run(['demo', '--dir', dir], { bin: DEV_BIN, env: { AUTOPILOT_CHROMIUM: join(dir, 'no-chromium') } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /skipped: a person's passkey approval in Chromium, because no Chromium at .*no-chromium/);
  assert.doesNotMatch(r.stdout, /policy wants a person/);
  assert.match(r.stdout, /finish \(Autopilot runs the smoke commands\)/);
  // The pull request's URL, printed as the outbox got it from the local forge.
  assert.match(r.stdout, /pull request: http:\/\/127\.0\.0\.1:\d+\/demo\/textkit\/pull\/1\n/);
  assert.equal(new Repo(dir).task('T-1')?.status, 'done');
});
