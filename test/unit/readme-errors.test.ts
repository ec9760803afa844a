/** Unit: the README's table of error codes names every code of ErrorCode, once, with its exit code and a meaning. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ErrorCode, exitCodeFor } from '../../src/core/errors.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The rows of the table under "### Error codes": code, exit code, meaning. */
function readmeCodes(): { code: string; exit: number; meaning: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n### Error codes\n');
  assert.ok(start >= 0, 'README.md has a "### Error codes" section');
  const section = readme.slice(start + 1).split(/\n#{1,3} /)[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z_]+)` \| (\d) \| (.*) \|$/gm)].map((m) => ({
    code: m[1] as string,
    exit: Number(m[2]),
    meaning: (m[3] as string).trim(),
  }));
}

describe('README error codes', () => {
  it('lists exactly the codes of ErrorCode, each once, with the exit code main gives it', () => {
    const rows = readmeCodes();
    assert.deepEqual(rows.map((r) => r.code).sort(), Object.values(ErrorCode).sort());
    assert.equal(new Set(rows.map((r) => r.code)).size, rows.length, 'no code twice');
    for (const r of rows) {
      assert.equal(r.exit, exitCodeFor(r.code as ErrorCode), `${r.code}: exit code`);
      assert.ok(r.meaning.split(' ').length >= 4, `${r.code}: a meaning`);
    }
  });
});
