/**
 * @module The demo: a scripted agent takes one task through all nine phases
 * of a small project on the embedded store, meeting the enforcer on the way.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pc from 'picocolors';
import type { Result } from '../../core/errors.ts';
import type { Actor } from '../../engine/context.ts';
import { openEngine, closeEngine } from '../../engine/context.ts';
import { applyInit, planInit } from '../../engine/init.ts';
import { startTask } from '../../engine/start-task.ts';
import { advance } from '../../engine/advance.ts';
import { backtrack } from '../../engine/backtrack.ts';
import { putEvidence } from '../../engine/evidence.ts';
import { runVerify } from '../../engine/verify.ts';
import { verifyLedger, type LedgerReport } from '../../engine/ledger-verify.ts';
import { openStoreFor, sinkFor } from '../compose.ts';
import * as P from './project.ts';

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
  /** True when every step went the way the script expected and the ledger verifies. */
  readonly passed: boolean;
}

function sh(cwd: string, args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.com', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.com' } });
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

  const plan = await planInit(repo, {
    commands: {
      build: { run: [process.execPath, 'scripts/build.js'], timeoutSeconds: 60, env: [] },
      test: { ...P.TEST_COMMAND, env: [] },
      lint: { run: [process.execPath, 'scripts/lint.js'], timeoutSeconds: 60, env: [] },
      ci: [{ name: 'tests', run: P.TEST_COMMAND.run, timeoutSeconds: 120, env: [] }],
      smoke: [{ name: 'load and call', run: [process.execPath, 'scripts/smoke.js'], timeoutSeconds: 60, env: [] }],
    },
  });
  if (!plan.ok) throw new Error(plan.error.message);
  const init = await applyInit(plan.value, openStoreFor);
  log(pc.dim(`autopilot init: config, key ${init.keyId}, store in .autopilot/`));

  const e = await openEngine({ cwd: repo, openStore: openStoreFor, makeSink: sinkFor });
  const agent: Actor = { id: 'agent:demo', holder: 'agent:demo' };
  const taskId = 'T-1';
  const steps: DemoStep[] = [];
  const step = async <T,>(action: string, expect: 'ok' | 'refused', run: () => Promise<Result<T>>, describe: (v: T) => string = () => '') => {
    const r = await run();
    const s: DemoStep = r.ok
      ? { action, expect, ok: expect === 'ok', detail: describe(r.value) }
      : { action, expect, ok: expect === 'refused', code: r.error.code, detail: r.error.message };
    steps.push(s);
    const mark = s.ok ? (r.ok ? pc.green('✓') : pc.yellow('⛔')) : pc.red('✗ unexpected:');
    log(`${mark} ${action}${s.code ? ` ${pc.bold(s.code)}` : ''}${s.detail ? `\n    ${pc.dim(s.detail.length > 220 ? `${s.detail.slice(0, 220)}…` : s.detail)}` : ''}`);
    return r;
  };
  const put = (phase: string, name: string, content: string) => putEvidence(e, agent, { taskId, phase, name, content: Buffer.from(content) });
  const moved = (v: { from: string; to: string | null; entry: { seq: number } }) => `${v.from} → ${v.to ?? 'DONE'} (ledger entry ${v.entry.seq})`;

  try {
    await step('start task T-1 "Add wordCount"', 'ok', () => startTask(e, agent, { taskId, title: 'Add wordCount to textkit' }), (v) => `in ${v.task.phase}, base ${v.task.baseCommit?.slice(0, 12)}`);
    await step('try to jump straight to IMPLEMENT', 'refused', () => advance(e, agent, { taskId, to: 'IMPLEMENT' }));
    await step('write a hollow strategy.md (headings, no content)', 'ok', () => put('STRATEGIZE', 'strategy.md', P.HOLLOW_STRATEGY), (v) => `stored; ${v.findings.length} findings against the contract`);
    await step('advance with the hollow strategy', 'refused', () => advance(e, agent, { taskId }));
    await step('rewrite strategy.md with real content', 'ok', () => put('STRATEGIZE', 'strategy.md', P.STRATEGY), (v) => `stored; ${v.findings.length} findings`);
    await step('advance to SPEC', 'ok', () => advance(e, agent, { taskId, summary: 'strategy agreed' }), moved);
    await step('write spec.md', 'ok', () => put('SPEC', 'spec.md', P.SPEC));
    await step('advance to PLAN', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('write plan.md and file_map.json', 'ok', async () => {
      const r = await put('PLAN', 'plan.md', P.PLAN);
      return r.ok ? put('PLAN', 'file_map.json', P.FILE_MAP) : r;
    });
    await step('advance to THINK', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('write edge_cases.md', 'ok', () => put('THINK', 'edge_cases.md', P.EDGE_CASES));
    await step('advance to IMPLEMENT', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('try to hand in its own git_diff.patch', 'refused', () => put('IMPLEMENT', 'git_diff.patch', 'diff --git a/x b/x\n'));
    write(repo, 'src/count.js', P.COUNT_BUGGY);
    write(repo, 'test/count.test.js', P.COUNT_TEST);
    log(pc.dim('  the agent writes src/count.js (with a bug: it forgets to trim) and test/count.test.js'));
    await step('advance to VERIFY (Autopilot computes the diff from git)', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('autopilot verify: build, tests, coverage', 'refused', () => runVerify(e, agent, { taskId }));
    await step('backtrack to IMPLEMENT', 'ok', () => backtrack(e, agent, { taskId, to: 'IMPLEMENT', reason: 'wordCount counts an empty word for leading white space' }), (v) => `${v.from} ↩ ${v.to}; ${v.archived.length} stale artifacts kept for audit`);
    write(repo, 'src/count.js', P.COUNT_FIXED);
    log(pc.dim('  the agent fixes src/count.js: trim first'));
    await step('advance to VERIFY again (fresh diff)', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('autopilot verify again', 'ok', () => runVerify(e, agent, { taskId }), (v) =>
      `tests ${v.verify.tests?.passed}/${v.verify.tests?.total} passed; changed-lines coverage ${v.verify.coverage?.percent.toFixed(1)}% of ${v.verify.coverage?.executable} lines`,
    );
    await step('advance to REVIEW', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('write review_rubric.json', 'ok', () => put('REVIEW', 'review_rubric.json', P.RUBRIC));
    await step('advance to PR (Autopilot runs the linter)', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('write pr_template_filled.md and pr_url.txt', 'ok', async () => {
      const r = await put('PR', 'pr_template_filled.md', P.PR_TEMPLATE);
      return r.ok ? put('PR', 'pr_url.txt', 'https://git.example.com/textkit/pull/1\n') : r;
    });
    await step('advance to MONITOR (Autopilot runs the CI commands)', 'ok', () => advance(e, agent, { taskId }), moved);
    await step('finish (Autopilot runs the smoke commands)', 'ok', () => advance(e, agent, { taskId }), moved);
    const ledger = await verifyLedger(e);
    log(
      ledger.ok
        ? `${pc.green('✓ ledger verify')}: ${ledger.entries} entries, every signature and ${ledger.artifacts} evidence digests check out`
        : `${pc.red('✗ ledger verify failed')}: ${ledger.problems[0]?.reason}`,
    );
    return { repo, taskId, steps, ledger, passed: ledger.ok && steps.every((s) => s.ok) };
  } finally {
    await closeEngine(e);
  }
}


