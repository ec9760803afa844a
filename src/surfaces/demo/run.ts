/**
 * @module The demo: a scripted agent takes one task through all nine phases
 * of a small project on the embedded store, meeting the enforcer on the way.
 * It works as an agent does, through `autopilot mcp` over stdio; in PR,
 * Autopilot's outbox pushes the task branch and opens the pull request on a
 * local forge the demo starts (see forge.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pc from 'picocolors';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { applyInit, planInit } from '../../engine/setup/init.ts';
import type { LedgerReport } from '../../engine/ledger/verify.ts';
import { openStoreFor } from '../compose.ts';
import { AUTOPILOT_BIN, callTool, connectAutopilot, type StdioConnection } from '../mcp/client.ts';
import { ensurePrivateDir, userStateFor } from '../../engine/repo/user-state.ts';
import { GITHUB_EVIDENCE } from '../../core/config.ts';
import { startDemoForge, type DemoForge } from './forge.ts';
import type { taskStartTool } from '../mcp/tools/task-start.ts';
import type { phaseAdvanceTool } from '../mcp/tools/phase-advance.ts';
import type { phaseBacktrackTool } from '../mcp/tools/phase-backtrack.ts';
import type { evidencePutTool } from '../mcp/tools/evidence-put.ts';
import type { verifyRunTool } from '../mcp/tools/verify-run.ts';
import type { reviewGetTool } from '../mcp/tools/review-get.ts';
import * as P from './project.ts';
import { claudePreToolUse } from './hook.ts';
import { plural } from '../../core/phrasing.ts';
import { browserAvailable, personInChromium } from './passkey.ts';

export interface DemoStep {
  readonly action: string;
  /** What the enforcer should do: let it through, or refuse it. */
  readonly expect: 'ok' | 'refused';
  readonly ok: boolean;
  readonly code?: string;
  readonly detail: string;
}

export interface DemoReport {
  readonly repo: string;
  readonly taskId: string;
  readonly steps: DemoStep[];
  readonly ledger: LedgerReport;
  /** How the person's approval was given: a passkey assertion in Chromium, or why that step was left out. */
  readonly approval: { readonly by: 'passkey in Chromium' } | { readonly skipped: string };
  /** The pull request Autopilot opened on the demo's local forge, and how many that forge received. */
  readonly pullRequest: { readonly url: string | null; readonly opened: number; readonly comments: number };
  /** True when every step went the way the script expected and the ledger verifies. */
  readonly passed: boolean;
}

function sh(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Demo',
      GIT_AUTHOR_EMAIL: 'demo@example.com',
      GIT_COMMITTER_NAME: 'Demo',
      GIT_COMMITTER_EMAIL: 'demo@example.com',
    },
  });
}

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

/** Runs the demo in `dir` (a new temporary folder by default). `log` receives the story as it happens. */
export async function runDemo(opts: { dir?: string; log?: (line: string) => void } = {}): Promise<DemoReport> {
  const log = opts.log ?? (() => {});
  const repo = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'autopilot-demo-'));
  mkdirSync(repo, { recursive: true });
  for (const [rel, content] of Object.entries(P.PROJECT_FILES)) write(repo, rel, content);
  sh(repo, ['init', '-q', '-b', 'main']);
  sh(repo, ['add', '-A']);
  sh(repo, ['commit', '-q', '-m', 'textkit: slugify']);
  log(pc.dim(`a small project with real tests, committed in ${repo}`));
  // The remote and its forge, local: a bare repository for the pushes, a server that speaks GitHub's REST paths.
  const bare = join(repo, '.git', 'demo-origin.git');
  sh(repo, ['init', '-q', '--bare', '-b', 'main', bare]);
  sh(repo, ['remote', 'add', 'origin', `file://${bare}`]);
  sh(repo, ['push', '-q', 'origin', 'main']);
  const token = randomBytes(16).toString('hex');
  const forge: DemoForge = await startDemoForge({ owner: 'demo', repo: 'textkit', bare, token });
  log(pc.dim(`a local forge at ${forge.url} (GitHub's REST paths), origin a bare repository beside it`));

  const plan = await planInit(repo, {
    commands: {
      build: { run: [process.execPath, 'scripts/build.js'], timeoutSeconds: 60, env: [] },
      test: { ...P.TEST_COMMAND, env: [] },
      lint: { run: [process.execPath, 'scripts/lint.js'], timeoutSeconds: 60, env: [] },
      ci: [{ name: 'tests', run: P.TEST_COMMAND.run, timeoutSeconds: 120, env: [] }],
      smoke: [{ name: 'load and call', run: [process.execPath, 'scripts/smoke.js'], timeoutSeconds: 60, env: [] }],
    },
  });
  if (!plan.ok) {
    await forge.close();
    throw new Error(plan.error.message);
  }
  const init = await applyInit(plan.value, openStoreFor);
  // github mode against the local forge: Autopilot pushes, opens the pull request and reads its checks. The token is
  // Autopilot's alone, in the per-user state folder (0600), where a person would put a real forge's.
  {
    const file = join(repo, '.autopilot', 'config.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['pr'], { mode: 'github', repository: 'demo/textkit', apiUrl: forge.url, ciTimeoutSeconds: 0 });
    if (doc.hasIn(['evidence', 'PR'])) doc.setIn(['evidence', 'PR'], GITHUB_EVIDENCE['PR']);
    writeFileSync(file, doc.toString());
    const user = userStateFor(repo);
    ensurePrivateDir(user, user.keysDir);
    writeFileSync(user.forgeTokenFile, `${token}\n`, { mode: 0o600 });
  }
  // With a browser at hand, the move into PR needs a person, who approves it with a passkey in Chromium.
  const browser = await browserAvailable();
  if ('playwright' in browser) {
    const file = join(repo, '.autopilot', 'config.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['approvals', 'enter'], ['PR']);
    doc.setIn(['approvals', 'minRisk'], 'low');
    writeFileSync(file, doc.toString());
  }
  sh(repo, ['add', '-A']);
  sh(repo, ['commit', '-q', '-m', 'autopilot init']);
  sh(repo, ['push', '-q', 'origin', 'main']);
  // Autopilot never pushes the default branch: the task's work goes on a branch of its own.
  sh(repo, ['switch', '-q', '-c', 'task/T-1']);
  log(pc.dim(`autopilot init: config, key ${init.keyId}, store in .autopilot/ (committed, as a team would)`));

  const mcp = await connectAutopilot(repo, 'demo-agent');
  log(pc.dim(`the agent connects to autopilot mcp over stdio (server pid ${mcp.pid})`));
  const call = <T>(tool: string, args: Record<string, unknown>) => callTool<T>(mcp.client, tool, args);
  // The reviewer's own session, started when the task reaches REVIEW.
  let reviewer: StdioConnection | undefined;
  const taskId = 'T-1';
  const steps: DemoStep[] = [];
  let prUrl: string | null = null;
  const step = async <T>(
    action: string,
    expect: 'ok' | 'refused',
    run: () => Promise<Result<T>>,
    describe: (v: T) => string = () => '',
  ) => {
    const r = await run();
    const s: DemoStep = r.ok
      ? { action, expect, ok: expect === 'ok', detail: describe(r.value) }
      : { action, expect, ok: expect === 'refused', code: r.error.code, detail: r.error.message };
    steps.push(s);
    const mark = s.ok ? (r.ok ? pc.green('✓') : pc.yellow('⛔')) : pc.red('✗ unexpected:');
    log(
      `${mark} ${action}${s.code ? ` ${pc.bold(s.code)}` : ''}${s.detail ? `\n    ${pc.dim(s.detail.length > 220 ? `${s.detail.slice(0, 220)}…` : s.detail)}` : ''}`,
    );
    return r;
  };
  const put = (phase: string, name: string, content: string) =>
    call<z.output<typeof evidencePutTool.output>>('evidence_put', { taskId, phase, name, content });
  const advance = (args: { to?: string; summary?: string } = {}) =>
    call<z.output<typeof phaseAdvanceTool.output>>('phase_advance', { taskId, ...args });
  const verify = () => call<z.output<typeof verifyRunTool.output>>('verify_run', { taskId });
  const moved = (v: z.output<typeof phaseAdvanceTool.output>) =>
    `${v.from} → ${v.to ?? 'DONE'} (ledger entry ${v.seq})${
      !v.attestation
        ? ''
        : v.attestation.written
          ? `; attestation bundle ${v.attestation.path}, entries ${v.attestation.fromSeq}–${v.attestation.toSeq}`
          : `; no attestation bundle: ${v.attestation.message}`
    }`;

  try {
    await step(
      'start task T-1 "Add wordCount"',
      'ok',
      () => call<z.output<typeof taskStartTool.output>>('task_start', { taskId, title: 'Add wordCount to textkit' }),
      (v) => `in ${v.task.phase}, base ${v.task.baseCommit?.slice(0, 12)}`,
    );
    await step('try to jump straight to IMPLEMENT', 'refused', () => advance({ to: 'IMPLEMENT' }));
    await step(
      'write a hollow strategy.md (headings, no content)',
      'ok',
      () => put('STRATEGIZE', 'strategy.md', P.HOLLOW_STRATEGY),
      (v) => `stored; ${plural(v.findings.length, 'finding')} against the contract`,
    );
    await step('advance with the hollow strategy', 'refused', () => advance());
    await step(
      'rewrite strategy.md with real content',
      'ok',
      () => put('STRATEGIZE', 'strategy.md', P.STRATEGY),
      (v) => `stored; ${plural(v.findings.length, 'finding')}`,
    );
    await step('advance to SPEC', 'ok', () => advance({ summary: 'strategy agreed' }), moved);
    await step("Claude Code's PreToolUse hook: the agent tries to edit src/count.js in SPEC", 'refused', () =>
      claudePreToolUse(repo, 'Edit', {
        file_path: join(repo, 'src', 'count.js'),
        old_string: '',
        new_string: 'export const wordCount = () => 0;\n',
      }),
    );
    await step('write spec.md', 'ok', () => put('SPEC', 'spec.md', P.SPEC));
    await step('advance to PLAN', 'ok', () => advance(), moved);
    await step('write plan.md and file_map.json', 'ok', async () => {
      const r = await put('PLAN', 'plan.md', P.PLAN);
      return r.ok ? put('PLAN', 'file_map.json', P.FILE_MAP) : r;
    });
    await step('advance to THINK', 'ok', () => advance(), moved);
    await step('write edge_cases.md', 'ok', () => put('THINK', 'edge_cases.md', P.EDGE_CASES));
    await step('advance to IMPLEMENT', 'ok', () => advance(), moved);
    await step('try to hand in its own git_diff.patch', 'refused', () =>
      put('IMPLEMENT', 'git_diff.patch', 'diff --git a/x b/x\n'),
    );
    // Three attacks on what makes the promise, each as Claude Code would send it: the hook denies them.
    await step("the agent tries to read Autopilot's signing key (cat .autopilot/keys/*)", 'refused', () =>
      claudePreToolUse(repo, 'Bash', { command: 'cat .autopilot/keys/*' }),
    );
    await step("the agent tries to switch git's hooks off (git config core.hooksPath /dev/null)", 'refused', () =>
      claudePreToolUse(repo, 'Bash', { command: 'git config core.hooksPath /dev/null' }),
    );
    await step('the agent tries to approve its own work (npx --no-install autopilot approve T-1)', 'refused', () =>
      claudePreToolUse(repo, 'Bash', { command: 'npx --no-install autopilot approve T-1 --reason "looks good"' }),
    );
    write(repo, 'src/count.js', P.COUNT_BUGGY);
    write(repo, 'test/count.test.js', P.COUNT_TEST);
    sh(repo, ['add', '-A', '--', '.', ':(exclude).autopilot']);
    sh(repo, ['commit', '-q', '-m', 'textkit: wordCount']);
    log(
      pc.dim(
        '  the agent writes src/count.js (with a bug: it forgets to trim) and test/count.test.js, and commits them',
      ),
    );
    await step('advance to VERIFY (Autopilot computes the diff from git)', 'ok', () => advance(), moved);
    await step('autopilot verify: build, tests, coverage', 'refused', () => verify());
    await step(
      'backtrack to IMPLEMENT',
      'ok',
      () =>
        call<z.output<typeof phaseBacktrackTool.output>>('phase_backtrack', {
          taskId,
          to: 'IMPLEMENT',
          reason: 'wordCount counts an empty word for leading white space',
        }),
      (v) => `${v.from} ↩ ${v.to}; ${v.archived.length} stale artifacts kept for audit`,
    );
    write(repo, 'src/count.js', P.COUNT_FIXED);
    sh(repo, ['commit', '-q', '-am', 'textkit: wordCount trims first']);
    log(pc.dim('  the agent fixes src/count.js: trim first (and commits)'));
    await step('advance to VERIFY again (fresh diff)', 'ok', () => advance(), moved);
    await step(
      'autopilot verify again',
      'ok',
      () => verify(),
      (v) =>
        `tests ${v.tests?.passed}/${v.tests?.total} passed; changed-lines coverage ${v.coverage?.percent.toFixed(1)}% of ${plural(v.coverage?.executable ?? 0, 'line')}; isolation: ${v.isolation}`,
    );
    await step('advance to REVIEW', 'ok', () => advance(), moved);
    await step('the agent writes its own review_rubric.json', 'ok', () =>
      put('REVIEW', 'review_rubric.json', P.RUBRIC),
    );
    await step('advance on a review of its own work', 'refused', () => advance());
    // REVIEW is not self-review: a second session, with a holder of its own and the reviewer role, writes the rubric.
    reviewer = await connectAutopilot(repo, 'demo-reviewer', ['--holder', 'reviewer-1', '--role', 'reviewer']);
    log(pc.dim(`a reviewer connects: autopilot mcp --holder reviewer-1 --role reviewer (server pid ${reviewer.pid})`));
    const review = reviewer.client;
    await step(
      'the reviewer reads the work with review_get',
      'ok',
      () => callTool<z.output<typeof reviewGetTool.output>>(review, 'review_get', { taskId }),
      (v) =>
        `${plural(v.artifacts.length, 'artifact')} (the diff, spec, plan, test results); implemented by ${v.implementers.join(', ')}`,
    );
    const reviewPut = (content: string) =>
      callTool<z.output<typeof evidencePutTool.output>>(review, 'evidence_put', {
        taskId,
        phase: 'REVIEW',
        name: 'review_rubric.json',
        content,
      });
    await step('the reviewer writes review_rubric.json', 'ok', () => reviewPut(P.RUBRIC));
    if ('playwright' in browser) {
      await step('ask to advance to PR: policy wants a person', 'refused', () => advance());
      const person = await step(
        'a person registers a passkey with the printed code in the dashboard (headless Chromium, virtual authenticator)',
        'ok',
        () => personInChromium(browser.playwright, repo, 'Demo Reviewer'),
        (v) => v.message,
      );
      if (!person.ok) throw new Error(`the demo's person could not register: ${person.error.message}`);
      try {
        await step(
          'the person requests changes with their passkey: back to IMPLEMENT, for a test of hyphens and apostrophes',
          'ok',
          () =>
            person.value.decide(
              taskId,
              'request_changes',
              'Add a test that hyphenated words and apostrophes count as one word.',
              'IMPLEMENT',
            ),
          (v) => v.message,
        );
        write(repo, 'test/count.test.js', P.COUNT_TEST_MORE);
        sh(repo, ['commit', '-q', '-am', 'textkit: test hyphens and apostrophes']);
        log(pc.dim('  sent back to IMPLEMENT; the agent adds the test the person asked for'));
        await step('advance to VERIFY (a fresh diff, with the new test)', 'ok', () => advance(), moved);
        await step('autopilot verify, with the new test', 'ok', () => verify());
        await step('advance to REVIEW again', 'ok', () => advance(), moved);
        await step('the reviewer writes review_rubric.json again', 'ok', () => reviewPut(P.RUBRIC_AGAIN));
        await step('ask to advance to PR again', 'refused', () => advance());
        await step(
          'the person approves T-1 with their passkey',
          'ok',
          () => person.value.decide(taskId, 'approve', 'The new test covers it: approved.'),
          (v) => v.message,
        );
      } finally {
        await person.value.close();
      }
    } else {
      log(
        pc.yellow(
          `  skipped: a person's passkey approval in Chromium, because ${browser.missing}; policy asks no person in this run`,
        ),
      );
    }
    await step('advance to PR (Autopilot runs the linter and decides the push)', 'ok', () => advance(), moved);
    await step('the agent tries to hand in a made-up pr_url.txt', 'refused', () =>
      put('PR', 'pr_url.txt', 'https://github.com/example/x/pull/1\n'),
    );
    await step('write pr_template_filled.md', 'ok', () => put('PR', 'pr_template_filled.md', P.PR_TEMPLATE));
    await step(
      'autopilot outbox run: push task/T-1, open the pull request on the local forge, comment, set the status',
      'ok',
      () => outboxRun(repo),
      (v) => v,
    );
    prUrl = readPrUrl(repo, taskId);
    if (prUrl) log(`  ${pc.bold('pull request:')} ${prUrl}`);
    // The forge's CI: the project's tests on the pushed commit (the checkout is at it), reported as a check run.
    const sha = sh(repo, ['rev-parse', 'HEAD']).trim();
    const ci = spawnTests(repo);
    forge.setCheck(sha, 'tests', ci);
    log(pc.dim(`  the local forge's CI runs the tests on ${sha.slice(0, 12)}: ${ci ? 'green' : 'red'}`));
    await step(
      "advance to MONITOR (Autopilot reads the pull request's checks from the forge)",
      'ok',
      () => advance(),
      moved,
    );
    await step('finish (Autopilot runs the smoke commands)', 'ok', () => advance(), moved);
    const verified = await call<LedgerReport>('ledger_verify', {});
    const ledger = verified.ok ? verified.value : (verified.error.details as unknown as LedgerReport);
    log(
      ledger.ok
        ? `${pc.green('✓ ledger verify')}: ${plural(ledger.entries, 'entry')}, every signature, ${plural(ledger.artifacts, 'evidence digest')} and ${plural(ledger.decisions, "person's passkey decision", "people's passkey decisions")} check out`
        : `${pc.red('✗ ledger verify failed')}: ${ledger.problems[0]?.reason}`,
    );
    const approval = 'playwright' in browser ? { by: 'passkey in Chromium' as const } : { skipped: browser.missing };
    const pullRequest = { url: prUrl, opened: forge.pulls.length, comments: forge.comments.length };
    const passed = ledger.ok && steps.every((s) => s.ok) && prUrl !== null && forge.pulls.length === 1;
    return { repo, taskId, steps, ledger, approval, pullRequest, passed };
  } finally {
    await reviewer?.close();
    await mcp.close();
    await forge.close();
  }
}

/**
 * `autopilot outbox run --json` in the repository, as a person (or a timer) runs it: what went out, or what did not.
 * Asynchronous: the forge it talks to answers from this process.
 */
async function outboxRun(repo: string): Promise<Result<string>> {
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [AUTOPILOT_BIN, '-C', repo, 'outbox', 'run', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  let outcomes: { action: string; outcome: string; error?: string }[];
  try {
    outcomes = (JSON.parse(r.stdout) as { outcomes: typeof outcomes }).outcomes;
  } catch {
    return refuse(ErrorCode.INTERNAL, `autopilot outbox run exited ${r.code}: ${r.stderr.trim()}`, {});
  }
  const bad = outcomes.find((o) => o.outcome !== 'sent' && o.outcome !== 'found');
  if (r.code !== 0 || bad)
    return refuse(
      ErrorCode.INTERNAL,
      `outbox run: ${bad ? `${bad.action} ${bad.outcome}: ${bad.error ?? ''}` : r.stderr}`,
      {},
    );
  return ok(outcomes.map((o) => `${o.action} ${o.outcome}`).join(', '));
}

/** The pull request's URL as Autopilot wrote it from the forge's answer (PR's pr_url.txt). */
function readPrUrl(repo: string, taskId: string): string | null {
  try {
    return readFileSync(join(repo, '.autopilot', 'evidence', taskId, 'pr', 'pr_url.txt'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Runs the project's tests where the checkout is; true when they pass. */
function spawnTests(repo: string): boolean {
  const [cmd, ...args] = P.TEST_COMMAND.run;
  try {
    execFileSync(cmd!, args, { cwd: repo, stdio: 'ignore', timeout: 120_000 });
    return true;
  } catch {
    return false;
  }
}
