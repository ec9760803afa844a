/**
 * Fuzz: every hook (`autopilot hook <client> <EVENT>`) with malformed JSON, wrong
 * types, huge strings, control characters, invalid UTF-8, path tricks (`../`,
 * absolute paths, symlinks out of the repository, NUL bytes) and shell syntax.
 * Thousands in-process through the hook command the entry point runs, and a
 * sample through the real binary (invalid UTF-8 reaches only a process). Every
 * answer must be the client's: an exit code the client reads (0, 1 for git, 2
 * to block), stdout empty or one JSON object, no stack trace; and nothing may be
 * written outside the state folder. AUTOPILOT_TORTURE=long runs ten times as many.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hookCommand } from '../../src/surfaces/hooks/main.ts';
import { assertSameFiles, binary, makeRepo, type Repo } from '../e2e/helpers.ts';
import { LONG, mulberry32, seedsFor, withSeed } from '../torture/random.ts';
import { badJson, Gen, HOSTILE } from './generate.ts';
import { outsideState, SENTINEL } from './outside.ts';
import { HANG_MS, runBounded } from './process.ts';

const IN_PROCESS = LONG ? 10_000 : 800;
const THROUGH_BINARY = LONG ? 300 : 20;

const EVENTS: Record<string, string[]> = {
  claude: [
    'PreToolUse',
    'PostToolUse',
    'Stop',
    'SubagentStop',
    'SessionStart',
    'UserPromptSubmit',
    'Notification',
    'PreCompact',
    'NoSuchEvent',
  ],
  codex: ['PreToolUse', 'Stop', 'SessionStart', 'UserPromptSubmit', 'NoSuchEvent'],
  cursor: [
    'beforeShellExecution',
    'beforeMCPExecution',
    'beforeReadFile',
    'preToolUse',
    'afterFileEdit',
    'sessionStart',
    'stop',
    'noSuchEvent',
  ],
  git: ['pre-commit', 'pre-push', 'commit-msg', 'post-checkout', 'no-such-hook'],
};

const TOOLS = [
  'Bash',
  'Edit',
  'Write',
  'MultiEdit',
  'Read',
  'Task',
  'Agent',
  'WebFetch',
  'NotebookEdit',
  'shell',
  'apply_patch',
  'exec_command',
  'write_stdin',
  'mcp__autopilot__phase_advance',
  'mcp__evil__x',
  'mcp__',
  'Unknown',
];

/** A payload a client could send, or something close to it. */
function payload(g: Gen, client: string, repo: Repo, link: string): unknown {
  const path = () =>
    g.pick([
      g.string(),
      'src/app.ts',
      '../../../../etc/passwd',
      '/etc/passwd',
      link,
      `${link}/x`,
      '.autopilot/evidence/T-1/spec/spec.md',
      'a\u0000b',
      join(repo.dir, '..', 'x'),
    ]);
  const command = () =>
    g.chance(0.2)
      ? g.value(1)
      : g.pick([
          g.string(),
          'git push origin main',
          'ls; git push',
          'cat <<EOF\nx',
          "echo '",
          'a && || b',
          '$((1+',
          'f() { f|f& }; f',
          'x'.repeat(100_000),
          `echo $(${g.string()})`,
          'touch /tmp/autopilot-fuzz-pwned',
        ]);
  const input = () =>
    g.chance(0.2)
      ? g.value(2)
      : g.pick([
          { command: command() },
          { file_path: path(), content: g.string() },
          { command: [g.string(), g.string()] },
          { input: `*** Begin Patch\n*** Update File: ${path()}\n` },
          { chars: command() },
          {},
        ]);
  const base =
    client === 'cursor'
      ? {
          hook_event_name: g.string(),
          command: command(),
          cwd: g.chance(0.7) ? repo.dir : path(),
          workspace_roots: g.chance(0.7) ? [repo.dir] : [path()],
          file_path: path(),
          tool_name: g.pick(TOOLS),
          tool_input: input(),
        }
      : {
          session_id: g.chance(0.8) ? 's-1' : g.value(0),
          cwd: g.chance(0.7) ? repo.dir : path(),
          hook_event_name: g.string(),
          tool_name: g.chance(0.85) ? g.pick(TOOLS) : g.value(0),
          tool_input: input(),
          stop_hook_active: g.value(0),
          prompt: g.string(),
        };
  return g.chance(0.7) ? base : g.mutate(base);
}

function checkAnswer(
  client: string,
  answer: { stdout: string; stderr: string; exitCode: number },
  what: string,
): string[] {
  const problems: string[] = [];
  const allowed = client === 'git' ? [0, 1] : [0, 2];
  if (!allowed.includes(answer.exitCode)) problems.push(`${what}: exit ${answer.exitCode}`);
  if (answer.stdout !== '') {
    try {
      const v = JSON.parse(answer.stdout) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v) || answer.stdout.indexOf('\n') !== answer.stdout.length - 1)
        problems.push(`${what}: stdout is not one JSON object: ${answer.stdout.slice(0, 200)}`);
    } catch {
      problems.push(`${what}: stdout is not JSON: ${answer.stdout.slice(0, 200)}`);
    }
  }
  if (/\n\s+at \S+ \(|node:internal|TypeError|ReferenceError/.test(answer.stdout + answer.stderr))
    problems.push(`${what}: a stack trace or a bug: ${(answer.stdout + answer.stderr).slice(0, 400)}`);
  // A block says why: on stderr (Claude Code, Codex), or in the permission answer (Cursor).
  if (answer.exitCode === 2 && answer.stderr.trim() === '' && !/"user_message":"[^"]{10,}/.test(answer.stdout))
    problems.push(`${what}: a block that does not say why`);
  return problems;
}

async function hookRepo(): Promise<{ repo: Repo; link: string; outside: string }> {
  const repo = await makeRepo();
  await repo.driveTo('T-1', 'SPEC');
  const outside = join(repo.dir, '..', `outside-${Date.now()}`);
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'target.txt'), 'outside\n');
  const link = join(repo.dir, 'link-out');
  symlinkSync(outside, link);
  return { repo, link, outside };
}

describe('hook fuzz', () => {
  for (const seed of seedsFor('fuzz-hooks'))
    it(
      `answers ${IN_PROCESS} hostile hook inputs in the client's terms (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 240_000 },
      () =>
        withSeed(seed, 'fuzz/hooks', async () => {
          const g = new Gen(mulberry32(seed));
          const { repo, link } = await hookRepo();
          rmSync(SENTINEL, { force: true });
          const before = outsideState(repo.dir);
          const problems: string[] = [];
          const env = { AUTOPILOT_HOOK_DAEMON: '0', ...(g.chance(0.5) ? {} : { AUTOPILOT_TASK: 'T-1' }) };
          for (let i = 0; i < IN_PROCESS && problems.length < 10; i++) {
            const client = g.chance(0.03) ? g.pick(HOSTILE) : g.pick(Object.keys(EVENTS));
            const event = g.chance(0.9) ? g.pick(EVENTS[client] ?? ['x']) : g.string();
            // commit-msg edits the file it is given: only files of this test (never a hostile path such as /etc/passwd).
            const args =
              client === 'git' && event === 'commit-msg'
                ? [g.pick(['no-such-file', '.git', '', join(repo.dir, '.git', 'COMMIT_EDITMSG'), `${link}/missing`])]
                : g.chance(0.1)
                  ? [g.string()]
                  : [];
            const input = g.chance(0.25) ? badJson(g) : JSON.stringify(payload(g, client, repo, link));
            const stdin = typeof input === 'string' ? input : input.toString('utf8');
            const what = `hook ${client.slice(0, 40)} ${event.slice(0, 40)} ${JSON.stringify(args).slice(0, 80)} <<< ${stdin.slice(0, 160)} (seed ${seed})`;
            try {
              const answer = await hookCommand([client, event, ...args], {
                cwd: repo.dir,
                env: {
                  ...env,
                  ...(g.chance(0.05) ? { CLAUDE_PROJECT_DIR: g.pick(['/', link, repo.dir, g.string()]) } : {}),
                },
                stdin,
              });
              if (!Object.keys(EVENTS).includes(client) || event === '') {
                if (answer.exitCode !== 1)
                  problems.push(`${what}: an unknown client or no event is a usage error, got exit ${answer.exitCode}`);
              } else {
                problems.push(...checkAnswer(client, answer, what));
              }
            } catch (err) {
              problems.push(`${what}: threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            }
          }
          assert.deepEqual(problems, []);
          assertSameFiles(before, outsideState(repo.dir), 'the files outside the state folder');
          assert.equal(existsSync(SENTINEL), false, 'no input was run as a command');
          process.stdout.write(`# hook fuzz, in-process: seed ${seed}, ${IN_PROCESS} inputs\n`);
        }),
    );

  for (const seed of seedsFor('fuzz-hooks-binary'))
    it(
      `answers ${THROUGH_BINARY} hostile hook inputs through the real binary, invalid UTF-8 included (seed ${seed})`,
      { timeout: LONG ? 3_600_000 : 240_000 },
      () =>
        withSeed(seed, 'fuzz/hooks', async () => {
          const g = new Gen(mulberry32(seed));
          const { repo, link } = await hookRepo();
          const bin = await binary(); // built once, beside the repository: not a write of a hook
          const before = outsideState(repo.dir);
          const problems: string[] = [];
          for (let i = 0; i < THROUGH_BINARY && problems.length < 10; i++) {
            const client = g.pick(['claude', 'codex', 'cursor', 'git']);
            const event = g.pick(EVENTS[client]!);
            const raw = g.chance(0.5) ? badJson(g) : JSON.stringify(payload(g, client, repo, link));
            const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
            const what = `autopilot hook ${client} ${event} <<< ${bytes.subarray(0, 160).toString('latin1')} (seed ${seed})`;
            const r = await runBounded(bin, ['hook', client, event], repo.dir, {
              env: { AUTOPILOT_HOOK_DAEMON: '0' },
              input: bytes,
            });
            if (r.hung) problems.push(`${what}: still running after ${HANG_MS / 1000} s`);
            else problems.push(...checkAnswer(client, { stdout: r.stdout, stderr: r.stderr, exitCode: r.code }, what));
          }
          assert.deepEqual(problems, []);
          assertSameFiles(before, outsideState(repo.dir), 'the files outside the state folder');
        }),
    );
});
