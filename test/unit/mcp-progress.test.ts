/** Unit: progress of long MCP calls: each command reported as it starts and ends, heartbeats while it runs, and a failing report never fails the call. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Engine } from '../../src/engine/context.ts';
import type { CommandRunner, RunRequest, RunResult } from '../../src/ports/runner.ts';
import { withProgress, type ProgressUpdate } from '../../src/surfaces/mcp/progress.ts';

const result = (exitCode: number): RunResult => ({
  exitCode,
  signal: null,
  timedOut: false,
  output: '',
  truncated: false,
  durationMs: 1,
  isolation: 'none',
  workspace: '/tmp',
});

function engineWith(runner: CommandRunner): Engine {
  return { runner } as unknown as Engine;
}

const request = (argv: string[]): RunRequest => ({ argv, cwd: '/tmp', env: {}, timeoutMs: 1000, maxOutputBytes: 1000 });

describe('withProgress', () => {
  it('reports start, heartbeats and end of each command, numbered in order; release passes through', async () => {
    const released: RunResult[] = [];
    const updates: ProgressUpdate[] = [];
    const heartbeats = () => updates.filter((u) => u.message.startsWith('still running')).length;
    const inner: CommandRunner = {
      run: async (req) => {
        // The slow command ends only once two heartbeats came: the test waits for events, not for a time.
        if (req.argv[0] === '/usr/bin/slow') while (heartbeats() < 2) await sleep(5);
        return result(req.argv[0] === '/usr/bin/slow' ? 0 : 3);
      },
      release: async (r) => void released.push(r),
    };
    const e = withProgress(engineWith(inner), async (u) => void updates.push(u), 25);
    const slow = await e.runner.run(request(['/usr/bin/slow', 'a', 'b', 'c', 'd']));
    await e.runner.run(request(['/usr/bin/fast']));
    await e.runner.release?.(slow);
    assert.deepEqual(released, [slow]);
    const messages = updates.map((u) => u.message);
    assert.equal(messages[0], 'running slow a b c …');
    assert.ok(
      messages.filter((m) => /^still running slow a b c … \(\d+ s\)$/.test(m)).length >= 2,
      messages.join(' | '),
    );
    assert.match(
      messages.find((m) => m.startsWith('slow a b c …:'))!,
      /: exit 0 after [\d.]+ s$/,
    );
    assert.deepEqual(
      messages.slice(-2).map((m) => m.replace(/after [\d.]+ s/, 'after T')),
      ['running fast', 'fast: exit 3 after T'],
    );
    assert.deepEqual(
      updates.map((u) => u.progress),
      updates.map((_, i) => i + 1),
    );
    // Heartbeats come every 25 ms while a command runs: none may come in four times that after both ended.
    const count = updates.length;
    await sleep(100);
    assert.equal(updates.length, count, 'no heartbeat after the command ended');
  });

  it('drops a report that fails: the command and its result are unaffected', async () => {
    const e = withProgress(
      engineWith({ run: async () => result(0) }),
      () => Promise.reject(new Error('client went away')),
      5,
    );
    assert.equal((await e.runner.run(request(['true']))).exitCode, 0);
    assert.equal(e.runner.release, undefined, 'no release where the runner has none');
  });
});
