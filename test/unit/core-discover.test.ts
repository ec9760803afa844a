/** Unit: discovery's arithmetic: nearest-rank percentiles, a planned file's expected size, the suggested settings. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIN_COMMITS_FOR_CAP,
  estimateFile,
  historySizes,
  percentile,
  suggestSettings,
  type VerifyHistory,
} from '../../src/core/discover.ts';

const current = { maxLines: 500, testTimeoutSeconds: 600, coverageThreshold: 80 };
const noVerify: VerifyHistory = { testMs: [], coverage: null };

describe('discovery arithmetic', () => {
  it('percentiles by nearest rank, whatever the order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 90), 9);
    assert.equal(percentile(values, 95), 10);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([7], 95), 7);
  });

  it("a planned file's expected size: deletion, own history, the repository's median, a guess", () => {
    const touches = [
      { path: 'a.js', lines: 4 },
      { path: 'a.js', lines: 40 },
      { path: 'a.js', lines: 12 },
      { path: 'b.js', lines: 100 },
    ];
    assert.deepEqual(estimateFile({ path: 'a.js', change: 'delete', currentLines: 77 }, touches, 9), {
      lines: 77,
      basis: 'the lines the file has now',
    });
    assert.equal(estimateFile({ path: 'a.js', change: 'modify', currentLines: 77 }, touches, 9).lines, 12);
    // A new file has no history of its own, even when the path had one before.
    assert.equal(estimateFile({ path: 'a.js', change: 'add', currentLines: null }, touches, 9).lines, 9);
    assert.equal(estimateFile({ path: 'c.js', change: 'modify', currentLines: 3 }, touches, 9).lines, 9);
    assert.deepEqual(estimateFile({ path: 'c.js', change: 'add', currentLines: null }, [], null), {
      lines: 10,
      basis: 'no history: a guess of 10 lines',
    });
  });

  it('suggests a diff cap only from enough commits, rounded up to tens and at least 50', () => {
    const commits = (lines: number[]) => lines.map((l) => ({ lines: l, files: 1 }));
    const few = historySizes(commits([300, 300, 300, 300].slice(0, MIN_COMMITS_FOR_CAP - 1)), []);
    assert.deepEqual(suggestSettings(few, noVerify, current), []);
    const many = historySizes(commits([10, 20, 30, 40, 50, 60, 70, 80, 90, 1234]), []);
    const [cap] = suggestSettings(many, noVerify, current);
    assert.deepEqual([cap!.key, cap!.current, cap!.suggested], ['approvals.maxLines', 500, 1240]);
    const small = historySizes(commits([1, 2, 3, 4, 5]), []);
    assert.equal(suggestSettings(small, noVerify, current)[0]!.suggested, 50);
  });

  it('suggests the test timeout from the slowest run and the coverage threshold from the last measure', () => {
    const sizes = historySizes([], []);
    const verify: VerifyHistory = {
      testMs: [1000, 41_000, 2000],
      coverage: { totalPercent: 73.9, changedPercent: 100, taskId: 'T-1', seq: 12 },
    };
    const byKey = new Map(suggestSettings(sizes, verify, current).map((s) => [s.key, s]));
    assert.equal(byKey.get('commands.test.timeoutSeconds')!.suggested, 130);
    assert.equal(byKey.get('verify.coverageThreshold')!.suggested, 70);
    assert.match(byKey.get('verify.coverageThreshold')!.basis, /73\.9% .*T-1, entry 12/);
    // Quick tests still get a minute; no test command, no timeout to suggest.
    const quick = suggestSettings(sizes, { testMs: [200], coverage: null }, current);
    assert.equal(quick[0]!.suggested, 60);
    assert.deepEqual(
      suggestSettings(sizes, verify, { ...current, testTimeoutSeconds: null }).map((s) => s.key),
      ['verify.coverageThreshold'],
    );
  });
});
