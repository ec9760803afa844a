/**
 * @module The outbox crash tests' shared machinery: a repository moved into PR in a forge's mode against its validating
 * test server, the agent's PR template, and `autopilot outbox run` spawned in a process group of its own, stopped at
 * a point of one action (or caught in the middle of a send) and killed there with SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, git, makeRepo, tempDir, type Repo } from './helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';
import { FORGE_EVIDENCE } from '../../src/core/config.ts';

/** What `outbox run --json` answers. */
export type Outcomes = { outcomes: { key: string; action: string; outcome: string; error?: string }[] };

/** The agent's filled PR template (the fixture task's). */
export function prTemplate(): string {
  const t = evidenceFor(0)['PR']?.find(([name]) => name === 'pr_template_filled.md')?.[1];
  assert.ok(t);
  return t;
}

/** Puts the agent's filled PR template into T-1's PR evidence, as the agent would. */
export async function putTemplate(repo: Repo): Promise<void> {
  const file = join(tempDir('pr'), 'pr_template_filled.md');
  writeFileSync(file, prTemplate());
  await repo.ok(['evidence', 'add', 'T-1', 'PR', file]);
}

/** The ledger's outbox entries of T-1 that record a done effect (sent, or found done by a later run). */
export function recordedSends(repo: Repo) {
  return repo.ledger('T-1').filter((x) => x.kind === 'outbox' && ['sent', 'found'].includes(String(x.data['result'])));
}

/** A forge's test server, as the repository set-up needs it. */
export interface ForgeServerLike {
  readonly url: string;
}

/** A repository in a forge's mode, its origin a bare remote, T-1 moved into PR on task/T-1 with its work committed. */
export interface ForgeSetup<S extends ForgeServerLike> {
  readonly repo: Repo;
  readonly server: S;
  readonly bare: string;
  readonly commit: string;
}

/**
 * Builds the repository of {@link ForgeSetup}: `start` starts the forge's test server on the bare remote, `pr` adds to
 * the `pr` config (required check `build`, no CI wait), `config` changes the rest (the store, say).
 */
export async function forgeInPr<S extends ForgeServerLike>(opts: {
  readonly kind: 'github' | 'gitlab' | 'gitea';
  readonly start: (bare: string) => Promise<S>;
  readonly pr?: Record<string, unknown>;
  readonly config?: (c: Record<string, unknown>) => void;
}): Promise<ForgeSetup<S>> {
  const bare = join(tempDir('remote'), 'widgets.git');
  git(tempDir('x'), ['init', '-q', '--bare', '-b', 'main', bare]);
  const server = await opts.start(bare);
  const repo = await makeRepo({
    config: (c) => {
      c['pr'] = {
        mode: opts.kind,
        repository: 'acme/widgets',
        apiUrl: server.url,
        requiredChecks: ['build'],
        ciTimeoutSeconds: 0,
        ...opts.pr,
      };
      (c['evidence'] as Record<string, unknown>)['PR'] = FORGE_EVIDENCE['PR'];
      opts.config?.(c);
    },
  });
  git(repo.dir, ['add', '-A']);
  git(repo.dir, ['commit', '-q', '-m', `${opts.kind} mode`]);
  git(repo.dir, ['remote', 'add', 'origin', `file://${bare}`]);
  git(repo.dir, ['push', '-q', 'origin', 'main']);
  git(repo.dir, ['switch', '-q', '-c', 'task/T-1']);
  await repo.driveTo('T-1', 'REVIEW');
  for (const [name, content] of evidenceFor(0)['REVIEW'] ?? []) await repo.put('T-1', 'REVIEW', name, content);
  git(repo.dir, ['add', '-A', '--', '.', ':(exclude).autopilot']);
  git(repo.dir, ['commit', '-q', '-m', 'count words']);
  const commit = git(repo.dir, ['rev-parse', 'HEAD']).trim();
  const moved = await repo.ok<{ to: string; outbox: string; seq: number }>(['advance', 'T-1']);
  assert.equal(moved.to, 'PR');
  assert.equal(moved.outbox, `T-1@${moved.seq}:push`);
  return { repo, server, bare, commit };
}

/** A point of a send the dispatcher stops at when the test asks (src/engine/outbox/dispatch.ts, testPause). */
export type PausePoint = 'before-send' | 'after-send';

/** The environment that stops the dispatcher at `point` (of `action` only, when given), writing its pid to `marker`. */
export function pauseEnv(point: PausePoint, marker: string, action?: string): Record<string, string> {
  return {
    AUTOPILOT_TEST_OUTBOX_PAUSE: point,
    AUTOPILOT_TEST_OUTBOX_PAUSE_FILE: marker,
    ...(action ? { AUTOPILOT_TEST_OUTBOX_PAUSE_ACTION: action } : {}),
  };
}

/** A dispatcher the test started: its output so far, its exit, and a SIGKILL to its whole process group. */
export interface Dispatcher {
  readonly pid: number;
  readonly exited: Promise<number>;
  output(): string;
  /** SIGKILL to the group (the dispatcher, a git push it runs, the remote's hook), and wait until it is reaped. */
  kill9(): Promise<void>;
}

/**
 * Spawns `autopilot outbox run --json` on the repository, in a process group of its own, with the test's environment
 * less its AUTOPILOT_ and NODE_TEST variables, plus `env`.
 */
export function spawnDispatcher(repo: Repo, env: Record<string, string>): Promise<Dispatcher> {
  return spawnCli(repo, ['outbox', 'run', '--json'], env);
}

/**
 * Spawns `autopilot -C <repo> …args` as {@link spawnDispatcher} does, for a test that acts while the command runs
 * (watching its output for a line, say).
 */
export async function spawnCli(repo: Repo, args: readonly string[], env: Record<string, string>): Promise<Dispatcher> {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('NODE_TEST') && !k.startsWith('AUTOPILOT_')) full[k] = v;
  Object.assign(full, env);
  const child = spawn(process.execPath, [await binary(), '-C', repo.dir, ...args], {
    env: full,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return {
    pid: child.pid!,
    exited,
    output: () => out,
    async kill9() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      await exited;
    },
  };
}

/** Waits until `d` wrote its pid to `marker` (it stopped where the test asked); fails if it exits first. */
export async function reached(d: Dispatcher, marker: string, what: string): Promise<void> {
  let gone = false;
  void d.exited.then(() => (gone = true));
  for (let i = 0; !existsSync(marker) || readFileSync(marker, 'utf8') === ''; i++) {
    assert.ok(i < 1200, `the dispatcher never reached ${what}: ${d.output()}`);
    assert.ok(!gone, `the dispatcher exited before ${what}: ${d.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns a dispatcher stopped at `point` (of `action`, when given), once it is there. */
export async function stoppedDispatcher(
  repo: Repo,
  point: PausePoint,
  opts: { readonly action?: string; readonly env?: Record<string, string> } = {},
): Promise<Dispatcher> {
  const marker = join(tempDir('pause'), 'here');
  const d = await spawnDispatcher(repo, { ...opts.env, ...pauseEnv(point, marker, opts.action) });
  await reached(d, marker, `${point}${opts.action ? ` of ${opts.action}` : ''}`);
  return d;
}

/** A test forge that can hold back the answer to a request (rest-schema-server.ts, github-server.ts). */
export interface HoldingServer {
  holdNext(match: (where: string, body: Record<string, unknown>) => boolean): Promise<void>;
}

/**
 * Runs a dispatcher and kills it with SIGKILL in the middle of the send `match` picks: the forge has taken the request
 * and made the change, and its answer has not reached the dispatcher.
 */
export async function killedDuringSend(
  repo: Repo,
  server: HoldingServer,
  match: (where: string, body: Record<string, unknown>) => boolean,
  env: Record<string, string>,
): Promise<void> {
  const held = server.holdNext(match);
  const d = await spawnDispatcher(repo, env);
  await Promise.race([held, d.exited.then(() => assert.fail(`the dispatcher exited before the send: ${d.output()}`))]);
  await d.kill9();
}
