/** Unit: the decision journal's file writes: one heading, lines appended, and a file started again after its folder was removed. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { appendJournal } from '../../src/engine/ledger/journal.ts';

describe('appendJournal', () => {
  it('writes the heading once, appends lines, and starts the file again when its folder went away', () => {
    const root = mkdtempSync(join(tmpdir(), 'autopilot-journal-'));
    const dir = join(root, 'journal');
    const errors: unknown[] = [];
    const report = (err: unknown) => void errors.push(err);
    try {
      appendJournal(dir, 'T-1.md', '# H\n\n', ['- one'], report);
      appendJournal(dir, 'T-1.md', '# H\n\n', ['- two', '- three'], report);
      appendJournal(dir, 'T-1.md', '# H\n\n', [], report);
      assert.equal(readFileSync(join(dir, 'T-1.md'), 'utf8'), '# H\n\n- one\n- two\n- three\n');
      rmSync(dir, { recursive: true });
      appendJournal(dir, 'T-1.md', '# H\n\n', ['- four'], report);
      assert.equal(readFileSync(join(dir, 'T-1.md'), 'utf8'), '# H\n\n- four\n');
      assert.deepEqual(errors, []);
      // A folder that cannot be made is reported, never thrown.
      appendJournal(join(root, 'journal', 'T-1.md', 'below-a-file'), 'x.md', '# H\n\n', ['- five'], report);
      assert.equal(errors.length, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
