/**
 * @module The moves the bench times. STRATEGIZE→SPEC in a repository that holds only Autopilot's set-up, each task's
 * strategy worded as its own. The IMPLEMENT→VERIFY move in a small project of its own (the demo's, with its tests): Autopilot produces the
 * diff from the task's base commit with git, scans it for secrets, maps it onto the plan, and records the move. Each
 * task is carried to IMPLEMENT first, outside the timing, with evidence worded for it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openEngine, closeEngine, type Actor, type Engine } from '../src/engine/context.ts';
import { applyInit, planInit, type InitOptions } from '../src/engine/setup/init.ts';
import { startTask } from '../src/engine/task/start.ts';
import { advance } from '../src/engine/task/advance.ts';
import { putEvidence } from '../src/engine/task/evidence.ts';
import { openStoreFor, sinkFor } from '../src/surfaces/compose.ts';
import * as P from '../src/surfaces/demo/project.ts';
import { STRATEGY } from '../src/surfaces/demo/project.ts';
import { ProcessRunner } from '../src/adapters/process/index.ts';
import { measure, type Stats } from './stats.ts';

const agent: Actor = { id: 'agent:bench', holder: 'agent:bench' };
/** The phases a task passes with the agent's evidence before IMPLEMENT. */
const BEFORE_IMPLEMENT = ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK'] as const;

/** `text` with a word of task `n`'s own after every third word of prose, so that the copied-text check passes it. */
function worded(text: string, n: number): string {
  return text
    .split('\n')
    .map((line) =>
      line.startsWith('#') || !line.trim()
        ? line
        : line
            .split(' ')
            .map((word, j) => (j % 3 === 2 ? `${word} t${n}w${j}` : word))
            .join(' '),
    )
    .join('\n');
}

/** The demo project, committed with Autopilot set up, and the task's change (wordCount and its tests) left uncommitted. */
async function project(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-move-'));
  const put = (rel: string, content: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  };
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env });
  for (const [rel, content] of Object.entries(P.PROJECT_FILES)) put(rel, content);
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'textkit');
  const options: InitOptions = { commands: { test: { ...P.TEST_COMMAND, env: [] } } };
  const plan = await planInit(dir, options);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  git('add', '-A');
  git('commit', '-qm', 'Set up Autopilot');
  put('src/count.js', P.COUNT_FIXED);
  put('test/count.test.js', P.COUNT_TEST);
  return dir;
}

/** Starts a task and carries it to IMPLEMENT with the demo's evidence, worded as task `n`'s. */
async function toImplement(engine: Engine, id: string, n: number): Promise<void> {
  const s = await startTask(engine, agent, { taskId: id });
  if (!s.ok) throw new Error(s.error.message);
  for (const phase of BEFORE_IMPLEMENT) {
    for (const [name, content] of P.AGENT_EVIDENCE[phase] ?? []) {
      const text = name.endsWith('.md') ? worded(content, n) : content;
      const p = await putEvidence(engine, agent, { taskId: id, phase, name, content: Buffer.from(text) });
      if (!p.ok) throw new Error(`${id} ${phase} ${name}: ${p.error.message}`);
    }
    const r = await advance(engine, agent, { taskId: id });
    if (!r.ok) throw new Error(`${id} leaving ${phase}: ${r.error.message}`);
  }
}

/** A repository with Autopilot set up and committed, for the STRATEGIZE→SPEC rows. */
export async function benchRepo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-bench-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  execFileSync('git', ['init', '-q'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env });
  const plan = await planInit(dir);
  if (!plan.ok) throw new Error(plan.error.message);
  await applyInit(plan.value, openStoreFor);
  // `task start` wants the files init wrote committed first.
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'Set up Autopilot'], { cwd: dir, env });
  return dir;
}

/** How many strategies the run has written: each task's is its own. */
let written = 0;

/**
 * The demo's strategy as task `n` of the run would word it: a word of its own after every third word of prose, so
 * that no run of five words repeats an earlier task's and the copied-text check passes it, while still comparing
 * it with the earlier tasks as it does in a real repository.
 */
function strategyOf(n: number): string {
  return STRATEGY.split('\n')
    .map((line) => {
      if (line.startsWith('#') || !line.trim()) return line;
      return line
        .split(' ')
        .map((word, j) => (j % 3 === 2 ? `${word} t${n}w${j}` : word))
        .join(' ');
    })
    .join('\n');
}

/**
 * One run of a STRATEGIZE→SPEC row: `n` tasks (and 50 more) started with their strategy put, then `n` of them moved,
 * timed, with the process's CPU per move.
 */
export async function benchStrategizeToSpec(engine: Engine, prefix: string, label: string, n: number): Promise<Stats> {
  const ids: string[] = [];
  for (let i = 0; i < n + 50; i++) {
    const id = `${prefix}-${i}`;
    const s = await startTask(engine, agent, { taskId: id });
    if (!s.ok) throw new Error(s.error.message);
    const p = await putEvidence(engine, agent, {
      taskId: id,
      phase: 'STRATEGIZE',
      name: 'strategy.md',
      content: Buffer.from(strategyOf(written++)),
    });
    if (!p.ok) throw new Error(p.error.message);
    ids.push(id);
  }
  let next = 0;
  return measure(
    `transition STRATEGIZE→SPEC (${label})`,
    n,
    async () => {
      const r = await advance(engine, agent, { taskId: ids[next++]! });
      if (!r.ok) throw new Error(r.error.message);
    },
    {
      note: 'lease check, attestation check, evidence validation, digest re-check, signed append, decision journal',
      cpu: true,
    },
  );
}

/** One run of the row: `n` tasks carried to IMPLEMENT, then each moved to VERIFY, timed (telemetry on, SQLite). */
export async function benchImplementToVerify(n: number, round: number, dir: string): Promise<Stats[]> {
  const engine = await openEngine({
    runner: new ProcessRunner(),
    cwd: dir,
    openStore: openStoreFor,
    makeSink: sinkFor,
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < n + 5; i++) {
      const id = `iv${round}-${i}`;
      await toImplement(engine, id, round * 10_000 + i);
      ids.push(id);
    }
    let next = 0;
    return [
      await measure(
        'transition IMPLEMENT→VERIFY (sqlite, telemetry on)',
        n,
        async () => {
          const r = await advance(engine, agent, { taskId: ids[next++]! });
          if (!r.ok) throw new Error(r.error.message);
        },
        {
          warmup: 5,
          cpu: true,
          note: 'git diff from the base commit and its secret scan, the plan mapped onto it, then the checks of every move; git runs as child processes, which CPU/op leaves out',
        },
      ),
    ];
  } finally {
    await closeEngine(engine);
  }
}

/** The project the rounds of {@link benchImplementToVerify} share, and its removal. */
export async function moveProject(): Promise<{ dir: string; dispose: () => void }> {
  const dir = await project();
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
