/**
 * E2E: `autopilot task rename` through the real binary: a `task_renamed` entry
 * that changes the title and nothing else, shown by `task status`, `task list`,
 * the decision journal and the dashboard; refused for an unknown or finished
 * task, a bad title or another holder's lease; and accepted by the CI gate's
 * replay of the task.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { git, makeRepo, parseOne, run, tempDir } from './helpers.ts';
import { serve } from './dashboard-fixture.ts';

const A = { AUTOPILOT_HOLDER: 'agent-a' };

interface TaskBody {
  task: { taskId: string; title: string; phase: string; status: string; counts: { refusals: number } };
}

describe('autopilot task rename', () => {
  it('records the new title in the ledger and the journal; status, list and the dashboard show it', async () => {
    const repo = await makeRepo();
    await repo.ok(['task', 'start', 'R-1', '--title', 'Add rate limiting'], { env: A });
    const before = await repo.ok<TaskBody>(['task', 'status', 'R-1']);

    const renamed = await repo.ok<TaskBody & { previousTitle: string; seq: number }>(
      ['task', 'rename', 'R-1', '--title', '  Rate-limit the login endpoint only '],
      { env: A },
    );
    assert.equal(renamed.task.title, 'Rate-limit the login endpoint only');
    assert.equal(renamed.previousTitle, 'Add rate limiting');
    const entry = repo.ledger().find((e) => e.seq === renamed.seq);
    assert.equal(entry?.kind, 'task_renamed');
    assert.equal(entry.taskId, 'R-1');
    assert.deepEqual(entry.data, { title: 'Rate-limit the login endpoint only', previousTitle: 'Add rate limiting' });

    // The title and nothing else: same phase, same counts, same status.
    const after = await repo.ok<TaskBody>(['task', 'status', 'R-1']);
    assert.deepEqual(
      { ...after.task, title: before.task.title, updatedAt: null, lastSeq: null },
      { ...before.task, updatedAt: null, lastSeq: null },
    );
    assert.equal(after.task.title, 'Rate-limit the login endpoint only');
    const list = await repo.run(['task', 'list']);
    assert.match(list.stdout, /R-1 .* Rate-limit the login endpoint only$/m);
    const text = await repo.run(['task', 'rename', 'R-1', '--title', 'Rate-limit the login endpoint only'], {
      env: A,
    });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /the title is already "Rate-limit the login endpoint only"; nothing was recorded/);
    assert.equal(
      repo.ledger().filter((e) => e.kind === 'task_renamed').length,
      1,
      'an unchanged title records nothing',
    );

    const journal = readFileSync(join(repo.stateDir, 'journal', 'R-1.md'), 'utf8');
    assert.match(
      journal,
      /\*\*renamed\*\* in STRATEGIZE — Add rate limiting → Rate-limit the login endpoint only · by /,
    );
    await repo.ok(['ledger', 'verify']);

    const s = await serve(repo);
    try {
      const api = (await (await fetch(`${s.url}api/tasks/R-1`)).json()) as { task: { title: string } };
      assert.equal(api.task.title, 'Rate-limit the login endpoint only');
      const page = await (await fetch(`${s.url}tasks/R-1`)).text();
      assert.match(page, /Rate-limit the login endpoint only/);
    } finally {
      await s.stop();
    }
  });

  it('refuses an unknown task, a bad title, another holder and a finished task, and changes nothing', async () => {
    const repo = await makeRepo();
    await repo.ok(['task', 'start', 'R-2', '--title', 'first'], { env: A });
    const count = () => repo.ledger().length;
    const at = count();

    assert.equal(
      (await repo.refused(['task', 'rename', 'NOPE-1', '--title', 'x'], 'TASK_UNKNOWN', 1)).details['taskId'],
      'NOPE-1',
    );
    for (const title of ['', '   ', 'x'.repeat(201), 'two\nlines']) {
      const err = await repo.refused(['task', 'rename', 'R-2', '--title', title], 'USAGE', 1, { env: A });
      assert.equal(err.details['argument'], 'title');
    }
    const missing = await repo.refused(['task', 'rename', 'R-2'], 'USAGE', 1);
    assert.match(missing.message, /--title/);
    assert.equal(count(), at, 'no entry for a refused rename of these kinds');
    assert.equal((await repo.ok<TaskBody>(['task', 'status', 'R-2'])).task.title, 'first');

    // A rename is a write: agent-a's takes the lease, and agent-b cannot rename the task while it holds it.
    await repo.ok(['task', 'rename', 'R-2', '--title', 'second'], { env: A });
    const held = await repo.refused(['task', 'rename', 'R-2', '--title', 'taken over'], 'LEASE_HELD', 2, {
      env: { AUTOPILOT_HOLDER: 'agent-b' },
    });
    assert.equal(held.details['holder'], 'agent-a');
    const violation = repo.ledger().at(-1);
    assert.deepEqual(
      [violation?.kind, violation?.data['code'], violation?.data['action']],
      ['violation', 'LEASE_HELD', 'task_rename'],
    );
    assert.equal((await repo.ok<TaskBody>(['task', 'status', 'R-2'])).task.title, 'second');

    await repo.driveTo('R-3', 'DONE');
    const done = await repo.refused(['task', 'rename', 'R-3', '--title', 'after the fact'], 'TASK_DONE', 2);
    assert.equal(done.details['status'], 'done');
  });

  it('passes the CI gate with a rename in the middle of the task', async () => {
    const repo = await makeRepo();
    const base = git(repo.dir, ['rev-parse', 'HEAD']).trim();
    git(repo.dir, ['checkout', '-q', '-b', 'task/G-1']);
    await repo.driveTo('G-1', 'PLAN');
    await repo.ok(['task', 'rename', 'G-1', '--title', 'word count, re-scoped']);
    await repo.ok(['lease', 'release', 'G-1']);
    await repo.driveTo('G-1', 'PR');
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-q', '-m', 'G-1 with its evidence and attestation bundle']);

    // The committed bundle carries the rename: the gate replays it with every other entry of the task.
    const kinds = readFileSync(join(repo.dir, '.autopilot', 'attestations', 'G-1.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => {
        const payload = (JSON.parse(line) as { payload: string }).payload;
        return (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicate: { kind: string } })
          .predicate.kind;
      });
    assert.ok(kinds.includes('task_renamed'), kinds.join(', '));

    const dir = tempDir('clone');
    git(dir, ['clone', '-q', '--branch', 'task/G-1', repo.dir, '.']);
    const r = await run(['--json', '-C', dir, 'gate', '--base', base]);
    const body = parseOne<{
      ok: boolean;
      passed?: boolean;
      problems?: unknown[];
      tasks?: { taskId: string; phase: string }[];
    }>(r);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(body.ok, true);
    assert.deepEqual(body.problems, []);
    assert.deepEqual(
      body.tasks?.map((t) => [t.taskId, t.phase]),
      [['G-1', 'PR']],
    );
  });
});
