/**
 * E2E: the shell hook client bin/autopilot-hook against the Node hook, through the same daemon. Every case of the
 * table goes through both: the answers (stdout, stderr, exit code) and what each records in the ledger must be the
 * same. The client runs with a Node that does not exist, so an answer that did not come over its own door fails the
 * comparison. When the daemon is not there, it runs the Node hook; a process that takes its door without the
 * daemon's secret is not believed, and nothing is printed from it.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  renameSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hookIndexLink } from '../../src/engine/repo/user-state.ts';
import { daemonRunning, stopDaemon } from '../../src/surfaces/hooks/daemon.ts';
import { binary, DEV_BIN, makeRepo, run, type CliResult, type Repo } from './helpers.ts';

const started: string[] = [];
after(async () => {
  for (const root of started) await stopDaemon(root);
});

const DAEMON_ENV = {
  AUTOPILOT_HOOK_DAEMON: undefined,
  AUTOPILOT_HOOK_DAEMON_IDLE_SECONDS: '300',
  CLAUDE_PROJECT_DIR: undefined,
};

/** The client beside the bin script the other runs use (the checkout's when those run the sources). */
async function client(): Promise<string> {
  const bin = await binary();
  return bin === DEV_BIN
    ? join(dirname(dirname(DEV_BIN)), 'bin', 'autopilot-hook')
    : join(dirname(bin), 'autopilot-hook');
}

/** Runs the shell client as an agent would, with `args` before the client's own (`--node` …). */
async function fast(repo: Repo, args: readonly string[], input: string, env: Record<string, string | undefined> = {}) {
  const path = await client();
  const full: Record<string, string> = {};
  // As run() does: the test runner's own variables and CI stay out, and Autopilot's only where this test sets them.
  for (const [k, v] of Object.entries({ ...process.env, ...DAEMON_ENV, ...env }))
    if (
      v !== undefined &&
      !k.startsWith('NODE_TEST') &&
      k !== 'CI' &&
      !(k.startsWith('AUTOPILOT_') && !(k in env) && !(k in DAEMON_ENV))
    )
      full[k] = v;
  return new Promise<CliResult>((done, fail) => {
    const child = spawn(path, [...args], { cwd: repo.dir, env: full, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', fail);
    // A client that leaves before it read everything must not turn into an uncaught EPIPE in this process.
    child.stdin.on('error', () => {});
    child.on('close', (code) =>
      done({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}

// A denial names the ledger entry it made, which differs between two runs that each make one.
const entryFree = (r: CliResult) => ({ ...r, stdout: r.stdout.replace(/ledger entry \d+/g, 'ledger entry N') });

const fastDir = (repo: Repo) => join(hookIndexLink(repo.dir)!, 'fast');

/** The pids of the `sha384sum` processes that read a pipe of the door `door`, as the client names it: its hashers. */
function hashersOf(door: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv[0] === 'sha384sum' && argv.some((a) => a.startsWith(`${door}/`))) pids.push(Number(pid));
  }
  return pids;
}

async function startedDaemon(repo: Repo, input: string): Promise<void> {
  started.push(repo.dir);
  await run(['hook', 'claude', 'PreToolUse'], { cwd: repo.dir, input, env: DAEMON_ENV });
  for (let i = 0; i < 240 && !(existsSync(join(fastDir(repo), 'pid')) && (await daemonRunning(repo.dir))); i++)
    await sleep(250);
  assert.ok(existsSync(join(fastDir(repo), 'pid')), 'the daemon opened the fast door');
}

type Case = readonly [
  title: string,
  client: string,
  event: string,
  payload: (repo: Repo) => unknown,
  env?: Record<string, string>,
];

const CASES: readonly Case[] = [
  [
    'claude: an Edit of the source in SPEC',
    'claude',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'Edit',
      tool_input: { file_path: r.path('src', 'slug.js'), old_string: 'a', new_string: 'b' },
    }),
  ],
  [
    'claude: a shell command (runs behind the wall)',
    'claude',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: "git status --short && echo 'é\\\\n'" },
    }),
  ],
  [
    'claude: a Write with text in many scripts',
    'claude',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'Write',
      tool_input: {
        file_path: r.path('docs', 'x.md'),
        content: 'naïve 日本語 \u{1F600} "quoted" \\ back\nline\ttab'.repeat(200),
      },
    }),
  ],
  [
    'claude: an unknown task',
    'claude',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'ls' },
    }),
    { AUTOPILOT_TASK: 'T-404' },
  ],
  [
    'claude: Stop while evidence falls short',
    'claude',
    'Stop',
    (r) => ({ session_id: 'f', cwd: r.dir, hook_event_name: 'Stop', stop_hook_active: false }),
  ],
  [
    'claude: Stop already active',
    'claude',
    'Stop',
    (r) => ({ session_id: 'f', cwd: r.dir, hook_event_name: 'Stop', stop_hook_active: true }),
  ],
  [
    'claude: SessionStart',
    'claude',
    'SessionStart',
    (r) => ({ session_id: 'f', cwd: r.dir, hook_event_name: 'SessionStart', source: 'startup' }),
  ],
  [
    'claude: UserPromptSubmit',
    'claude',
    'UserPromptSubmit',
    (r) => ({ session_id: 'f', cwd: r.dir, hook_event_name: 'UserPromptSubmit', prompt: 'go on' }),
  ],
  ['claude: an event it does not know', 'claude', 'NoSuchEvent', (r) => ({ session_id: 'f', cwd: r.dir })],
  ['claude: malformed input', 'claude', 'PreToolUse', () => '{"tool_name": "Edit", '],
  ['claude: input of the wrong shape', 'claude', 'PreToolUse', () => '[1, 2, 3]'],
  [
    'codex: apply_patch of the source',
    'codex',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'apply_patch',
      tool_input: { command: '*** Begin Patch\n*** Update File: src/slug.js\n@@\n-a\n+b\n*** End Patch\n' },
    }),
  ],
  [
    'codex: a shell command',
    'codex',
    'PreToolUse',
    (r) => ({
      session_id: 'f',
      cwd: r.dir,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'npm test' },
    }),
  ],
  [
    'codex: Stop',
    'codex',
    'Stop',
    (r) => ({ session_id: 'f', cwd: r.dir, hook_event_name: 'Stop', stop_hook_active: false }),
  ],
  [
    'cursor: a shell command',
    'cursor',
    'beforeShellExecution',
    (r) => ({
      conversation_id: 'f',
      generation_id: 'g',
      hook_event_name: 'beforeShellExecution',
      command: 'rm -rf src',
      cwd: r.dir,
      workspace_roots: [r.dir],
    }),
  ],
  [
    'cursor: reading the config',
    'cursor',
    'beforeReadFile',
    (r) => ({
      conversation_id: 'f',
      generation_id: 'g',
      hook_event_name: 'beforeReadFile',
      file_path: r.path('.autopilot', 'config.yaml'),
      content: 'x',
      workspace_roots: [r.dir],
    }),
  ],
  [
    'cursor: an MCP call',
    'cursor',
    'beforeMCPExecution',
    (r) => ({
      conversation_id: 'f',
      generation_id: 'g',
      hook_event_name: 'beforeMCPExecution',
      tool_name: 'evil',
      tool_input: '{}',
      workspace_roots: [r.dir],
    }),
  ],
  [
    'cursor: an edit made out of phase',
    'cursor',
    'afterFileEdit',
    (r) => ({
      conversation_id: 'f',
      generation_id: 'g',
      hook_event_name: 'afterFileEdit',
      file_path: r.path('src', 'slug.js'),
      edits: [{ old_string: 'a', new_string: 'b' }],
      workspace_roots: [r.dir],
    }),
  ],
  [
    'cursor: stop',
    'cursor',
    'stop',
    (r) => ({
      conversation_id: 'f',
      generation_id: 'g',
      hook_event_name: 'stop',
      status: 'completed',
      loop_count: 0,
      workspace_roots: [r.dir],
    }),
  ],
  [
    'cursor: sessionStart',
    'cursor',
    'sessionStart',
    (r) => ({ conversation_id: 'f', hook_event_name: 'sessionStart', workspace_roots: [r.dir] }),
  ],
];

describe('the shell hook client', () => {
  it('answers every case of the table as the Node hook does, over its own door, and records the same', async () => {
    const repo = await makeRepo({ urgent: true });
    await repo.driveTo('T-1', 'SPEC');
    await startedDaemon(repo, JSON.stringify(CASES[0]![3](repo)));
    const entries = () => repo.ledger('T-1').map((e) => `${e.kind}:${e.actor}:${e.fromPhase ?? ''}`);
    for (const [title, who, event, payload, env = {}] of CASES) {
      const p = payload(repo);
      const input = typeof p === 'string' ? p : JSON.stringify(p);
      const before = entries().length;
      const byNode = await run(['hook', who, event], { cwd: repo.dir, input, env: { ...DAEMON_ENV, ...env } });
      const middle = entries();
      // No Node to fall back on: an answer that is not the daemon's over the shell door shows as a difference.
      const byShell = await fast(repo, ['--node', '/nonexistent/node', who, event], input, env);
      const after = entries();
      assert.deepEqual(entryFree(byShell), entryFree(byNode), `${title}: the same answer`);
      const named = /ledger entry (\d+)/.exec(byShell.stdout)?.[1];
      if (named) assert.equal(Number(named), repo.head()!.seq, `${title}: the entry the shell client's answer names`);
      assert.deepEqual(after.slice(middle.length), middle.slice(before), `${title}: the same ledger entries`);
    }
    // A link another process of the user plants at each slot's temporary reply name: the daemon replaces it with a
    // file of its own rather than write through it, and the answer is still the Node hook's.
    const victim = join(repo.dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    for (let k = 0; k < 8; k++) symlinkSync(victim, join(fastDir(repo), `.${k}.rep`));
    const input = JSON.stringify(CASES[0]![3](repo));
    const byNode = await run(['hook', 'claude', 'PreToolUse'], { cwd: repo.dir, input, env: DAEMON_ENV });
    const byShell = await fast(repo, ['--node', '/nonexistent/node', 'claude', 'PreToolUse'], input);
    assert.deepEqual(entryFree(byShell), entryFree(byNode), 'the same answer past a planted link');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'nothing written through the link');
  });

  it('runs the Node hook when no daemon answers, which starts one; fails closed when neither can answer', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    started.push(repo.dir);
    const input = JSON.stringify(CASES[0]![3](repo));
    const node = process.execPath;
    const bin = await binary();
    // The client finds no daemon: the Node hook beside it answers (deny), and starts the daemon.
    const first = await fast(repo, ['--node', node, 'claude', 'PreToolUse'], input);
    const viaNode = await run(['hook', 'claude', 'PreToolUse'], {
      cwd: repo.dir,
      input,
      env: { AUTOPILOT_HOOK_DAEMON: '0' },
      bin,
    });
    assert.deepEqual(entryFree(first), entryFree(viaNode));
    assert.match(first.stdout, /"permissionDecision":"deny"/);
    for (let i = 0; i < 240 && !existsSync(join(fastDir(repo), 'pid')); i++) await sleep(250);
    assert.ok(existsSync(join(fastDir(repo), 'pid')), 'the Node hook started the daemon, which opened the door');
    await stopDaemon(repo.dir);
    for (let i = 0; i < 40 && existsSync(join(fastDir(repo), 'pid')); i++) await sleep(100);
    // Neither the daemon nor a Node: the client cannot answer, and its command denies (exit 127 → `|| exit 2`).
    const none = await fast(repo, ['--node', '/nonexistent/node', 'claude', 'PreToolUse'], input);
    assert.notEqual(none.code, 0);
    assert.equal(none.stdout, '', 'nothing that reads as an answer');
  });

  it('does not believe a process that takes its door without the secret: the Node hook judges the call', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'SPEC');
    const input = JSON.stringify(CASES[0]![3](repo));
    await startedDaemon(repo, input);
    await stopDaemon(repo.dir);
    for (let i = 0; i < 40 && existsSync(join(fastDir(repo), 'pid')); i++) await sleep(100);
    // The impostor: the folder, the pipes (the hashers' too) and a pid of a live process, the link; it answers allow
    // with a made-up MAC.
    const door = join(repo.userState.dir, 'fast');
    rmSync(door, { recursive: true, force: true });
    mkdirSync(door, { mode: 0o700 });
    execFileSync('mkfifo', [
      '-m',
      '600',
      join(door, 'in'),
      ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [join(door, `${k}.out`), join(door, `${k}.hash`)]),
    ]);
    const link = hookIndexLink(repo.dir)!;
    rmSync(link, { force: true });
    symlinkSync(repo.userState.dir, `${link}.t`);
    renameSync(`${link}.t`, link);
    writeFileSync(join(door, 'pid'), `${process.pid}\n`);
    const inFd = openSync(join(door, 'in'), constants.O_RDWR | constants.O_NONBLOCK);
    const outs = [0, 1, 2, 3, 4, 5, 6, 7].map((k) =>
      openSync(join(door, `${k}.out`), constants.O_RDWR | constants.O_NONBLOCK),
    );
    let asked = 0;
    const allow = JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' } });
    // Everything the impostor does is caught: a throw in a timer would fail this file, not the case.
    let impostorError: unknown;
    const poll = setInterval(() => {
      try {
        const buf = Buffer.alloc(4096);
        let n = 0;
        try {
          n = readSync(inFd, buf, 0, buf.length, null);
        } catch {
          return; // nothing to read (EAGAIN)
        }
        for (const line of buf.subarray(0, n).toString('latin1').split('\n')) {
          const m = /^go (\d)$/.exec(line);
          if (!m) continue;
          const k = Number(m[1]);
          const req = readFileSync(join(door, `${k}.req`), 'latin1');
          const nonce = /,32:([0-9a-f]{32}),/.exec(req)?.[1] ?? '';
          // First a reply the client cannot even read (its hasher then waits for a reply that will not come),
          // then an allow with a made-up MAC.
          const text = asked === 0 ? '- refused 0\nno' : `${'0'.repeat(96)} 0 ${allow.length}\n${allow}`;
          asked++;
          writeFileSync(join(door, `${k}.rep`), text);
          writeSync(outs[k]!, `${nonce}\n`);
        }
      } catch (err) {
        impostorError ??= err;
      }
    }, 5);
    try {
      // With no Node to fall back on, a reply it cannot read leaves the client nothing to print, and its hasher,
      // which waited on the slot's pipe, does not outlive it.
      const unread = await fast(repo, ['--node', '/nonexistent/node', 'claude', 'PreToolUse'], input);
      assert.equal(asked, 1, 'the client asked the impostor');
      assert.notEqual(unread.code, 0);
      assert.equal(unread.stdout, '', 'nothing that reads as an answer');
      for (let i = 0; i < 100 && hashersOf(fastDir(repo)).length > 0; i++) await sleep(50);
      assert.deepEqual(hashersOf(fastDir(repo)), [], "no sha384sum left waiting on the door's pipes");
      const r = await fast(repo, ['--node', process.execPath, 'claude', 'PreToolUse'], input);
      assert.equal(impostorError, undefined, 'the impostor played its part');
      assert.equal(asked, 2, 'the client asked the impostor again: the attack happened');
      assert.equal(r.code, 0);
      assert.match(
        r.stdout,
        /"permissionDecision":"deny"/,
        "the Node hook judged the call: denied, not the impostor's allow",
      );
    } finally {
      clearInterval(poll);
      for (const fd of [inFd, ...outs]) closeSync(fd);
    }
    // The Node hook started a daemon of its own: wait for it, so that the end of the file stops it, rather than
    // leave it writing into the state folder while this process removes it.
    for (let i = 0; i < 240 && !(await daemonRunning(repo.dir)); i++) await sleep(250);
    assert.ok(await daemonRunning(repo.dir), 'the Node hook started the daemon again');
  });
});
