/**
 * @module Changed-lines coverage on a large change: a 5,000-file unified diff
 * and an lcov report of the same files, parsed and joined as VERIFY does. Run
 * alone with `node --import tsx bench/coverage.ts`.
 */
import { pathToFileURL } from 'node:url';
import { changedLinesCoverage } from '../src/reports/changed-lines.ts';
import { parseUnifiedDiff } from '../src/reports/diff.ts';
import { parseLcov } from '../src/reports/lcov.ts';
import { measure, table, type Stats } from './stats.ts';

/** Each file: 200 lines of which the change adds 20 in two hunks; lcov lists 120 lines, two thirds hit. */
function fixture(files: number): { patch: string; lcov: string } {
  const patch: string[] = [];
  const lcov: string[] = ['TN:'];
  for (let f = 0; f < files; f++) {
    const path = `src/module${Math.floor(f / 100)}/file${f}.ts`;
    patch.push(`diff --git a/${path} b/${path}`, `index 1111111..2222222 100644`, `--- a/${path}`, `+++ b/${path}`);
    for (const start of [20, 120]) {
      patch.push(`@@ -${start},3 +${start},13 @@`, ' context();');
      for (let i = 0; i < 10; i++) patch.push(`+  added(${i});`);
      patch.push(' context();', ' context();');
    }
    lcov.push(`SF:${path}`);
    let found = 0;
    let hit = 0;
    for (let line = 1; line <= 200; line++) {
      if (line % 5 === 0 && line % 3 !== 0) continue;
      const h = line % 3 === 0 ? 0 : line;
      lcov.push(`DA:${line},${h}`);
      found++;
      if (h > 0) hit++;
    }
    lcov.push(`LF:${found}`, `LH:${hit}`, 'end_of_record');
  }
  return { patch: `${patch.join('\n')}\n`, lcov: `${lcov.join('\n')}\n` };
}

/** Parsing the diff and the report and joining them, for a change of `files` files; `n` runs. */
export async function benchCoverage(files: number, n: number): Promise<Stats[]> {
  const { patch, lcov } = fixture(files);
  const mb = (s: string) => (Buffer.byteLength(s) / 2 ** 20).toFixed(1);
  let percent = NaN;
  const whole = await measure(
    `changed-lines coverage, ${files.toLocaleString('en-US')}-file diff`,
    n,
    () => {
      const changed = parseUnifiedDiff(patch);
      const report = parseLcov(lcov, { root: '/repo' });
      const result = changedLinesCoverage(changed, report, 80);
      if (result.files.length !== files) throw new Error(`joined ${result.files.length} files, expected ${files}`);
      percent = result.percent;
    },
    { warmup: 2, cpu: true },
  );
  const changed = parseUnifiedDiff(patch);
  const report = parseLcov(lcov, { root: '/repo' });
  const joinOnly = await measure(`  of which the join alone`, n, () => changedLinesCoverage(changed, report, 80), {
    warmup: 2,
    cpu: true,
  });
  return [
    {
      ...whole,
      note: `diff ${mb(patch)} MB + lcov ${mb(lcov)} MB parsed and joined (${(files * 20).toLocaleString('en-US')} added lines, ${percent}% covered); ${((whole.throughput * files) / 1000).toFixed(0)}k files/s`,
    },
    { ...joinOnly, note: 'both already parsed' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${table(await benchCoverage(5000, 20))}\n`);
}
