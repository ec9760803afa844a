/**
 * The Tasks page's wall section: doctor's lines for the clients wired in a repository, rendered as they are. Codex
 * and Cursor have no wall and the page says so; Claude Code's line follows what bubblewrap can do here.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { wallChecks } from '../../src/engine/setup/doctor.ts';
import { tasksBody } from '../../src/surfaces/http/views/tasks.ts';

function render(wall: ReturnType<typeof wallChecks>): string {
  return tasksBody({
    tasks: [],
    phases: ['STRATEGIZE'],
    status: 'all',
    q: '',
    total: 0,
    more: { older: false, newer: false },
    matching: 0,
    offset: 0,
    limit: 50,
    nowMs: 0,
    wall,
  }).value;
}

describe("the dashboard's wall section", () => {
  it('names each client without a wall, and Claude Code behind it or not', () => {
    const root = mkdtempSync(join(tmpdir(), 'wall-ui-'));
    for (const f of ['.codex/hooks.json', '.cursor/hooks.json']) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '{}\n');
    }
    const up = render(wallChecks(root, { codex: false, cursor: false }, { wallStatus: () => ({ available: true }) }));
    assert.match(
      up,
      /data-wall="wall.claude"><strong>Claude Code<\/strong>: Claude Code&#39;s shell commands run behind the wall/,
    );
    assert.match(up, /class="notice" data-wall="wall.codex"><strong>Codex<\/strong>: no wall for Codex/);
    assert.match(up, /class="notice" data-wall="wall.cursor"><strong>Cursor<\/strong>: no wall for Cursor/);

    const down = render(
      wallChecks(
        root,
        { codex: false, cursor: false },
        { wallStatus: () => ({ available: false, reason: 'no bwrap' }) },
      ),
    );
    assert.match(
      down,
      /class="notice" data-wall="wall.claude"><strong>Claude Code<\/strong>: no wall for Claude Code here \(no bwrap\)/,
    );
  });

  it('shows nothing when the server was not told', () => {
    assert.doesNotMatch(render([]), /id="wall"/);
  });
});
