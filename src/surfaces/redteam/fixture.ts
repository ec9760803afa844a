/**
 * @module Throw-away repositories for the attack suite: the demo project under
 * Autopilot, with task T-1 taken to a waypoint (a phase) once, in-process, and
 * copied for every case so that no attack sees another's leftovers.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Result } from '../../core/errors.ts';
import { advance } from '../../engine/task/advance.ts';
import { closeEngine, openEngine, type Actor, type Engine } from '../../engine/context.ts';
import { putEvidence } from '../../engine/task/evidence.ts';
import { applyInit, planInit } from '../../engine/setup/init.ts';
import { leaseOp } from '../../engine/task/leases.ts';
import { startTask } from '../../engine/task/start.ts';
import { runVerify } from '../../engine/task/verify.ts';
import { openStoreAt, runnerFor } from '../compose.ts';
import * as P from '../demo/project.ts';
import { ensurePrivateDir, userStateFor } from '../../engine/repo/user-state.ts';

/** Where T-1 stands in a case's repository before the attack. */
export type Waypoint = 'NO_TASK' | 'STRATEGIZE' | 'SPEC' | 'IMPLEMENT' | 'VERIFY';

/** The task every case attacks. */
export const TASK = 'T-1';

/** The in-process actor that sets waypoints up; it releases its lease before a case starts. */
const SETUP_ACTOR: Actor = { id: 'redteam:setup', holder: 'redteam:setup' };

/** The agent's instructions in the base repository: attested at the first task, so that a change later is drift. */
export const CLAUDE_MD = '# Working here\n\nFollow the Autopilot process: one phase at a time, evidence for each.\n';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Red Team',
  GIT_AUTHOR_EMAIL: 'redteam@example.com',
  GIT_COMMITTER_NAME: 'Red Team',
  GIT_COMMITTER_EMAIL: 'redteam@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd: string, args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, ...GIT_ENV } });
}

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`red team setup: ${what} was refused: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Opens the engine of a case's repository on its own SQLite file, whatever AUTOPILOT_STORE says. */
export function openCaseEngine(dir: string): Promise<Engine> {
  return openEngine({
    cwd: dir,
    openStore: (layout) => openStoreAt({ kind: 'sqlite', file: layout.dbFile }),
    makeRunner: runnerFor,
  });
}

async function withEngine<T>(dir: string, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const e = await openCaseEngine(dir);
  try {
    return await fn(e);
  } finally {
    await closeEngine(e);
  }
}

/**
 * The repositories of one run: a base made once, waypoints made from it once
 * each, and a fresh copy of a waypoint for every case. Everything lives under
 * one temporary folder that {@link Fixtures.dispose} removes.
 */
export class Fixtures {
  readonly root: string;
  readonly #waypoints = new Map<Waypoint, Promise<string>>();
  /** The per-user state folders of the repositories made, removed with them. */
  readonly #states = new Set<string>();
  #n = 0;

  constructor(root?: string) {
    this.root = root ?? mkdtempSync(join(tmpdir(), 'autopilot-redteam-'));
  }

  /** A copy of the repository at `at`, and a folder beside it that stands for "outside the repository". */
  async caseRepo(at: Waypoint, id: string): Promise<{ dir: string; outside: string }> {
    const src = await this.waypoint(at);
    const n = ++this.#n;
    const slug = id.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 40);
    const dir = join(this.root, `case-${n}-${slug}`);
    this.#copy(src, dir);
    const outside = join(this.root, `outside-${n}`);
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'a file outside the repository\n');
    return { dir, outside };
  }

  waypoint(at: Waypoint): Promise<string> {
    let made = this.#waypoints.get(at);
    if (!made) {
      made = this.#make(at);
      this.#waypoints.set(at, made);
    }
    return made;
  }

  async #make(at: Waypoint): Promise<string> {
    const dir = join(this.root, `waypoint-${at.toLowerCase()}`);
    if (at === 'NO_TASK') {
      this.#states.add(userStateFor(dir).dir);
      await makeBase(dir);
      return dir;
    }
    const previous: Record<Exclude<Waypoint, 'NO_TASK'>, Waypoint> = {
      STRATEGIZE: 'NO_TASK',
      SPEC: 'STRATEGIZE',
      IMPLEMENT: 'SPEC',
      VERIFY: 'IMPLEMENT',
    };
    this.#copy(await this.waypoint(previous[at]), dir);
    await withEngine(dir, async (engine) => {
      try {
        await driveTo(engine, dir, at);
      } finally {
        const lease = await engine.store.getLease(TASK);
        if (lease?.holder === SETUP_ACTOR.holder) await leaseOp(engine, SETUP_ACTOR, 'release', { taskId: TASK });
      }
    });
    return dir;
  }

  /**
   * Copies a repository and its per-user state (key pair, approval token, anchored head): the copy is the same
   * installation, as the base's keys signed its ledger.
   */
  #copy(src: string, dir: string): void {
    cpSync(src, dir, { recursive: true, verbatimSymlinks: true });
    const from = userStateFor(src);
    const to = userStateFor(dir);
    this.#states.add(from.dir).add(to.dir);
    if (!existsSync(from.dir)) return;
    ensurePrivateDir(to);
    // The daemon's socket and secret are the other repository's daemon's.
    const skip = new Set([from.daemonSocket, from.daemonSecretFile]);
    cpSync(from.dir, to.dir, { recursive: true, filter: (p) => !skip.has(p) && !p.endsWith('.starting') });
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
    // The per-user state of every throw-away repository goes with it.
    for (const dir of this.#states) rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo project with a CLAUDE.md, committed, initialised and committed again, as a team would. */
async function makeBase(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(P.PROJECT_FILES)) write(dir, rel, content);
  write(dir, 'CLAUDE.md', CLAUDE_MD);
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'textkit: slugify']);
  const plan = await planInit(dir, {
    commands: {
      build: { run: [process.execPath, 'scripts/build.js'], timeoutSeconds: 60, env: [] },
      test: { ...P.TEST_COMMAND, env: [] },
      lint: { run: [process.execPath, 'scripts/lint.js'], timeoutSeconds: 60, env: [] },
      ci: [],
      smoke: [],
    },
  });
  if (!plan.ok) throw new Error(`red team setup: init was refused: ${plan.error.message}`);
  await applyInit(plan.value, (layout) => openStoreAt({ kind: 'sqlite', file: layout.dbFile }));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'autopilot init']);
}

/** Takes T-1 forward from wherever it is to `at`, with the demo's evidence; VERIFY ends with a passing verify run. */
async function driveTo(engine: Engine, dir: string, at: Exclude<Waypoint, 'NO_TASK'>): Promise<void> {
  const put = async (phase: string, name: string, content: string) =>
    must(
      await putEvidence(engine, SETUP_ACTOR, { taskId: TASK, phase, name, content: Buffer.from(content) }),
      `put ${name}`,
    );
  if (!(await engine.store.getTask(TASK)))
    must(await startTask(engine, SETUP_ACTOR, { taskId: TASK, title: 'Add wordCount to textkit' }), 'start');
  for (;;) {
    const state = (await engine.store.getTask(TASK))!;
    if (state.phase === at) break;
    switch (state.phase) {
      case 'STRATEGIZE':
      case 'SPEC':
      case 'PLAN':
      case 'THINK':
        for (const [name, content] of P.AGENT_EVIDENCE[state.phase] ?? []) await put(state.phase, name, content);
        break;
      case 'IMPLEMENT':
        write(dir, 'src/count.js', P.COUNT_FIXED);
        write(dir, 'test/count.test.js', P.COUNT_TEST);
        break;
      default:
        throw new Error(`red team setup: no way forward from ${state.phase}`);
    }
    must(await advance(engine, SETUP_ACTOR, { taskId: TASK }), `advance from ${state.phase}`);
  }
  if (at === 'VERIFY') must(await runVerify(engine, SETUP_ACTOR, { taskId: TASK }), 'verify');
}

/** Applies a change to a repository's config.yaml (parsed as a plain object). */
export function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const file = join(dir, '.autopilot', 'config.yaml');
  const config = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(file, stringifyYaml(config, { lineWidth: 0 }));
}
