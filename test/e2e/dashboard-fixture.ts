/**
 * @module A real store for the dashboard's tests, filled in-process through the
 * engine (with JSONL telemetry, so spans exist), and `autopilot serve` started
 * on it as a process on a free port.
 *
 * - `story`: T-1 goes the demo's way through all nine phases (a skip, a hollow
 *   strategy, its own diff refused, a blocked `git push`, a failing verify, a
 *   backtrack, done); T-2 changes `.github/workflows/ci.yml` and adds lodash
 *   4.17.11 (a known vulnerability a person accepted), passes VERIFY
 *   and REVIEW and waits for a person at REVIEW → PR (policy: high risk);
 *   T-3 asks a person itself in IMPLEMENT; T-4 waits in PLAN.
 * - `quick`: the same risky change, but approvals are asked on entering SPEC,
 *   so no command runs: T-1 has evidence, a skip and a blocked tool call; T-2
 *   and T-3 wait for a person at STRATEGIZE → SPEC.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Actor, Engine } from '../../src/engine/context.ts';
import { closeEngine, openEngine } from '../../src/engine/context.ts';
import { startTask } from '../../src/engine/task/start.ts';
import { advance } from '../../src/engine/task/advance.ts';
import { backtrack } from '../../src/engine/task/backtrack.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { runVerify } from '../../src/engine/task/verify.ts';
import { guardToolCall } from '../../src/engine/task/guard.ts';
import { requestApproval } from '../../src/engine/approvals/request.ts';
import { leaseOp } from '../../src/engine/task/leases.ts';
import { openStoreFor, sinkFor } from '../../src/surfaces/compose.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, git, makeRepo, P, REVIEWER_ACTOR, ROOT, type Repo } from './helpers.ts';
import { ProcessRunner } from '../../src/adapters/process/index.ts';
import { evidenceFor } from '../helpers/evidence.ts';

export const AGENT: Actor = { id: 'agent:fixture', holder: 'agent:fixture' };

export const WORKFLOW =
  'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n';

type R<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

function must<T>(r: R<T>, what: string): T {
  if (!r.ok) throw new Error(`fixture: ${what} refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

function refused(r: R<unknown>, code: string, what: string): void {
  assert.equal(r.ok, false, `fixture: ${what} should be refused`);
  if (!r.ok) assert.equal(r.error.code, code, `fixture: ${what}: ${r.error.message}`);
}

/** Opens the repository's engine with JSONL telemetry, runs `fn`, releases the fixture's leases, flushes and closes. */
export async function withAgent<T>(repo: Repo, fn: (engine: Engine, actor: Actor) => Promise<T>): Promise<T> {
  const e = await openEngine({
    runner: new ProcessRunner(),
    cwd: repo.dir,
    openStore: openStoreFor,
    makeSink: sinkFor,
  });
  try {
    return await fn(e, AGENT);
  } finally {
    for (const t of await e.store.listTasks()) {
      const lease = await e.store.getLease(t.taskId);
      if (t.status === 'active' && lease && lease.holder === AGENT.holder && Date.parse(lease.expiresAt) > Date.now())
        await leaseOp(e, AGENT, 'release', { taskId: t.taskId });
    }
    await closeEngine(e);
  }
}

/** The agent's evidence; the review rubric is the reviewer's (REVIEW is not self-review). */
const put = async (engine: Engine, taskId: string, phase: string, name: string, content: string) =>
  must(
    await putEvidence(engine, name === 'review_rubric.json' ? REVIEWER_ACTOR : AGENT, {
      taskId,
      phase,
      name,
      content: Buffer.from(content),
    }),
    `put ${name}`,
  );
const next = async (engine: Engine, taskId: string, summary?: string) =>
  must(await advance(engine, AGENT, { taskId, ...(summary ? { summary } : {}) }), `advance ${taskId}`);

type Evidence = ReturnType<typeof evidenceFor>;

/** The evidence of a task whose change is the CI workflow (its spec must name what the diff touches). */
function ciTask(v: { strategy: string; spec: string; plan: string; why: string; edgeCases: string }): Evidence {
  const map = { files: [{ path: '.github/workflows/ci.yml', change: 'add', why: v.why }] };
  return {
    STRATEGIZE: [['strategy.md', v.strategy]],
    SPEC: [['spec.md', v.spec]],
    PLAN: [
      ['plan.md', v.plan],
      ['file_map.json', JSON.stringify(map, null, 2)],
    ],
    THINK: [['edge_cases.md', v.edgeCases]],
    REVIEW: [['review_rubric.json', P.RUBRIC]],
  };
}

/** T-2 of the story: "Run the tests in CI". */
const RUN_TESTS_IN_CI = ciTask({
  strategy: `# Strategy: run the tests in CI

## Problem
textkit's tests run only on the laptops of whoever remembers to run them, so a broken helper can reach main unnoticed.

## Objectives
- Every push runs the whole test suite on a clean machine.
- A red run is visible on the commit before anyone merges it.

## Scope
One GitHub Actions workflow that checks out the repository and runs npm test on each push.

## Non-goals
Deployments, release automation and test matrices across Node versions are left for later.

## Risks
A workflow that pulls third-party actions widens what can run with the repository's token.

## Strategy
Start with the smallest workflow: the official checkout action and npm test, nothing else, and extend it when needed.
`,
  spec: `# Spec: tests in CI

## Acceptance Criteria
- .github/workflows/ci.yml runs on every push.
- The workflow's job runs \`npm test\` on ubuntu-latest after actions/checkout.

## KPIs
Every commit on main shows a test run.
`,
  plan: `# Plan

## Work Breakdown
- Write the workflow file with one job and two steps.
- Push a branch and watch the first run pass.
`,
  why: 'the workflow that runs npm test on every push',
  edgeCases: `# Edge cases

## Edge Cases
- A push that only changes documentation still starts a run.
- The runner image updates its default Node version.

## Mitigations
- Accept the extra runs for now; path filters can come once runs cost something.
- The test script uses only Node's built-in runner, which every recent version ships.
`,
});

/** T-3 of the story: "Cache dependencies in CI". */
const CACHE_IN_CI = ciTask({
  strategy: `# Strategy: cache dependencies in CI

## Problem
Each CI run downloads every npm package again, which adds about a minute to runs that take two.

## Objectives
Halve the time of a typical CI run without changing what it tests.

## Scope
The dependency install step of the CI workflow and a cache keyed by the lock file.

## Non-goals
Caching build output or test results; only downloaded packages are kept between runs.

## Risks
A stale cache could hide a broken lock file if the key does not change with it.

## Strategy
Use the cache action with a key derived from package-lock.json, so any change to the lock file starts a fresh cache.
`,
  spec: `# Spec: dependency cache

## Acceptance Criteria
- The ci.yml workflow restores ~/.npm from a cache keyed by the hash of package-lock.json.
- A change to package-lock.json produces a new cache key.

## KPIs
Median CI run time drops from two minutes to about one.
`,
  plan: `# Plan

## Work Breakdown
- Add the cache step before the install step of the workflow.
- Compare the timing of three runs before and after.
`,
  why: 'restore and save the npm cache keyed by package-lock.json',
  edgeCases: `# Edge cases

## Edge Cases
- The cache service is unavailable during a run.
- Two branches write the same cache key at once.

## Mitigations
- A missed cache only slows the run down; the install step still fetches everything.
- Cache entries are immutable per key, so the second writer simply keeps the first entry.
`,
});

/** Puts a task's own write-up of a phase (the gate refuses a copy of an earlier task's). */
async function putAll(engine: Engine, taskId: string, evidence: Evidence, phase: string): Promise<void> {
  for (const [name, content] of evidence[phase] ?? []) await put(engine, taskId, phase, name, content);
}

/** The agent's evidence of the phases up to IMPLEMENT, with a move after each. */
export async function throughThink(engine: Engine, taskId: string, evidence: Evidence): Promise<void> {
  await putAll(engine, taskId, evidence, 'STRATEGIZE');
  await next(engine, taskId, 'strategy agreed');
  await putAll(engine, taskId, evidence, 'SPEC');
  await next(engine, taskId);
  await putAll(engine, taskId, evidence, 'PLAN');
  await next(engine, taskId);
  await putAll(engine, taskId, evidence, 'THINK');
  await next(engine, taskId);
}

/** From IMPLEMENT (the change already in the working tree) to the move into PR, which a person must approve. */
async function untilApproval(engine: Engine, taskId: string): Promise<void> {
  await next(engine, taskId); // IMPLEMENT → VERIFY: Autopilot takes the diff from git
  must(await runVerify(engine, AGENT, { taskId }), `verify ${taskId}`);
  await next(engine, taskId);
  await put(engine, taskId, 'REVIEW', 'review_rubric.json', P.RUBRIC);
  refused(await advance(engine, AGENT, { taskId }), 'APPROVAL_REQUIRED', `${taskId} REVIEW → PR`);
}

/**
 * The story's supply-chain policy: the OSV records of real advisories (test/fixtures/supply/osv), lodash's
 * prototype pollution (CVE-2019-10744, critical) accepted until a day far ahead, and an acceptance that has expired.
 */
export const SUPPLY_CHAIN = {
  osv: join(ROOT, 'test', 'fixtures', 'supply', 'osv'),
  failOn: 'high',
  accept: [
    { id: 'CVE-2019-10744', reason: 'only the build script calls lodash, on trusted input', expires: '2099-12-31' },
    { id: 'GHSA-6757-jp84-gxfx', reason: 'the YAML tool reads only our own files', expires: '2021-06-30' },
  ],
  licenses: { allow: ['MIT'], deny: [], unknown: 'warn' },
};

/** T-2's change also adds lodash 4.17.11, with the lockfile npm wrote for it. */
function addLodash(repo: Repo): void {
  const pkg = JSON.parse(readFileSync(repo.path('package.json'), 'utf8')) as Record<string, unknown>;
  repo.write('package.json', JSON.stringify({ ...pkg, dependencies: { lodash: '4.17.11' } }, null, 2) + '\n');
  repo.write(
    'package-lock.json',
    readFileSync(join(ROOT, 'test', 'fixtures', 'supply', 'npm-lodash-4.17.11', 'package-lock.json'), 'utf8'),
  );
}

export interface DashboardRepo {
  readonly repo: Repo;
}

/** The story: four tasks, one done through every phase, two waiting for a person, one in PLAN. */
export async function storyRepo(): Promise<DashboardRepo> {
  const repo = await makeRepo({
    config: (c) => {
      c['alerts'] = [
        { name: 'agents skip phases', metric: 'phase_skips_attempted', op: 'gt', threshold: 0, windowHours: 24 },
        { name: 'tasks stuck or aborted', metric: 'task_success_rate', op: 'lt', threshold: 0.95, windowHours: 168 },
      ];
      c['supplyChain'] = SUPPLY_CHAIN;
    },
  });
  await withAgent(repo, async (engine) => {
    must(await startTask(engine, AGENT, { taskId: 'T-1', title: 'Add wordCount to textkit' }), 'start T-1');
    refused(await advance(engine, AGENT, { taskId: 'T-1', to: 'IMPLEMENT' }), 'PHASE_SKIP', 'jump to IMPLEMENT');
    await put(engine, 'T-1', 'STRATEGIZE', 'strategy.md', P.HOLLOW_STRATEGY);
    refused(await advance(engine, AGENT, { taskId: 'T-1' }), 'EVIDENCE_INVALID', 'advance with a hollow strategy');
    await throughThink(engine, 'T-1', evidenceFor(0));
    refused(
      await putEvidence(engine, AGENT, {
        taskId: 'T-1',
        phase: 'IMPLEMENT',
        name: 'git_diff.patch',
        content: Buffer.from('diff --git a/x b/x\n'),
      }),
      'EVIDENCE_PROTECTED',
      'its own diff',
    );
    const push = must(
      await guardToolCall(engine, AGENT, {
        taskId: 'T-1',
        client: 'claude',
        tool: 'Bash',
        input: { command: 'git push origin main' },
      }),
      'guard',
    );
    assert.equal(push.decision, 'deny', 'git push is denied before PR');
    repo.write('src/count.js', P.COUNT_BUGGY);
    repo.write('test/count.test.js', P.COUNT_TEST);
    await next(engine, 'T-1');
    refused(await runVerify(engine, AGENT, { taskId: 'T-1' }), 'VERIFY_FAILED', 'verify with the bug');
    must(
      await backtrack(engine, AGENT, {
        taskId: 'T-1',
        to: 'IMPLEMENT',
        reason: 'wordCount counts an empty word for leading white space',
      }),
      'backtrack',
    );
    repo.write('src/count.js', P.COUNT_FIXED);
    await next(engine, 'T-1');
    must(await runVerify(engine, AGENT, { taskId: 'T-1' }), 'verify T-1');
    await next(engine, 'T-1');
    await put(engine, 'T-1', 'REVIEW', 'review_rubric.json', P.RUBRIC);
    await next(engine, 'T-1');
    await put(engine, 'T-1', 'PR', 'pr_template_filled.md', P.PR_TEMPLATE);
    await put(engine, 'T-1', 'PR', 'pr_url.txt', 'https://git.example.com/textkit/pull/1\n');
    await next(engine, 'T-1');
    await next(engine, 'T-1');
  });
  // T-1 is merged, as a team would: the next tasks start from it.
  git(repo.dir, ['add', '-A', 'src', 'test']);
  git(repo.dir, ['commit', '-q', '-m', 'wordCount']);
  await withAgent(repo, async (engine) => {
    must(await startTask(engine, AGENT, { taskId: 'T-2', title: 'Run the tests in CI' }), 'start T-2');
    must(await startTask(engine, AGENT, { taskId: 'T-3', title: 'Cache dependencies in CI' }), 'start T-3');
    must(await startTask(engine, AGENT, { taskId: 'T-4', title: 'Count sentences' }), 'start T-4');
    await throughThink(engine, 'T-2', RUN_TESTS_IN_CI);
    await throughThink(engine, 'T-3', CACHE_IN_CI);
    repo.write('.github/workflows/ci.yml', WORKFLOW);
    addLodash(repo);
    await untilApproval(engine, 'T-2');
    must(
      await requestApproval(engine, AGENT, {
        taskId: 'T-3',
        reason: 'the cache needs actions/cache, a new third-party action',
        tool: 'Bash',
        input: { command: 'npm install --save-dev yaml' },
      }),
      'request T-3',
    );
    await putAll(engine, 'T-4', evidenceFor(3), 'STRATEGIZE');
    await next(engine, 'T-4');
    await putAll(engine, 'T-4', evidenceFor(3), 'SPEC');
    await next(engine, 'T-4');
  });
  return { repo };
}

/** The quick store: approvals asked on entering SPEC, so nothing runs a command. */
export async function quickRepo(): Promise<DashboardRepo> {
  const repo = await makeRepo({ config: (c) => void (c['approvals'] = { enter: ['SPEC'], minRisk: 'high' }) });
  repo.write('.github/workflows/ci.yml', WORKFLOW);
  await withAgent(repo, async (engine) => {
    must(await startTask(engine, AGENT, { taskId: 'T-1', title: 'Add wordCount to textkit' }), 'start T-1');
    refused(await advance(engine, AGENT, { taskId: 'T-1', to: 'PLAN' }), 'PHASE_SKIP', 'jump to PLAN');
    await put(engine, 'T-1', 'STRATEGIZE', 'strategy.md', P.STRATEGY);
    const edit = must(
      await guardToolCall(engine, AGENT, {
        taskId: 'T-1',
        client: 'claude',
        tool: 'Edit',
        input: { file_path: 'src/slug.js' },
      }),
      'guard',
    );
    assert.equal(edit.decision, 'deny', 'no source edits in STRATEGIZE');
    for (const [index, id] of ['T-2', 'T-3'].entries()) {
      must(await startTask(engine, AGENT, { taskId: id, title: `Risky change ${id}` }), `start ${id}`);
      await putAll(engine, id, evidenceFor(index + 1), 'STRATEGIZE');
      refused(await advance(engine, AGENT, { taskId: id }), 'APPROVAL_REQUIRED', `${id} STRATEGIZE → SPEC`);
    }
  });
  return { repo };
}

export interface Served {
  /** `http://localhost:<port>/` */
  readonly url: string;
  readonly port: number;
  /** The one-time registration code printed at start. */
  readonly registrationCode: string;
  /** The registration code the server printed last on its terminal (a new one after each use). */
  latestCode(): string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `autopilot -C <repo> serve --port 0 --json` and waits for its first line. */
export async function serve(repo: Repo): Promise<Served> {
  const bin = await binary();
  const child = spawn(process.execPath, [bin, '-C', repo.dir, 'serve', '--port', '0', '--json'], {
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('AUTOPILOT_') && !k.startsWith('NODE_TEST')),
      ),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`autopilot serve did not start in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`autopilot serve exited ${code}: ${err}`));
    });
  });
  const body = JSON.parse(first) as { ok: boolean; url: string; port: number; registrationCode: string };
  assert.equal(body.ok, true);
  const exited = new Promise<void>((resolve) =>
    child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
  return {
    url: body.url,
    port: body.port,
    registrationCode: body.registrationCode,
    latestCode: () =>
      [...err.matchAll(/new registration code ([A-Z0-9]{4}-[A-Z0-9]{4})/g)].at(-1)?.[1] ?? body.registrationCode,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
