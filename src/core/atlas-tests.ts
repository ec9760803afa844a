/**
 * @module Whether each test file that reaches a change ran, told from the test report's cases: a case names a file
 * by its path or dotted module in the suite or name (pytest's classname, a file attribute), or by the full name of a
 * test the file declares (`describe > it`, `TestX` in the file's Go package).
 */

/** A case of the test report, as VERIFY reads it. */
export interface RunCase {
  readonly suite: string;
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'error' | 'skipped';
}

/** `ran`: a case of the report that ran names the file; `skipped`: only skipped cases do; `not-run`: none does; `unknown`: no report. */
export type TestFileRun = 'ran' | 'skipped' | 'not-run' | 'unknown';

/** How a case of the report may name a test file: its path, without extension, as a dotted module, its Go package folder. */
function fileNames(path: string): { texts: string[]; goDir?: string } {
  const stem = path.replace(/\.[^./]+$/, '');
  const texts = [path, stem, stem.split('/').join('.')];
  return path.endsWith('_test.go') ? { texts, goDir: path.slice(0, path.lastIndexOf('/') + 1) || '' } : { texts };
}

function names(c: RunCase, path: string, declared: ReadonlySet<string>): boolean {
  const { texts, goDir } = fileNames(path);
  if (texts.some((t) => c.suite.includes(t) || c.name.includes(t))) return true;
  const id = c.suite ? `${c.suite} > ${c.name}` : c.name;
  if (goDir !== undefined)
    // go test -json: the suite is the package's import path, which ends with the file's folder.
    return (
      declared.has(c.name.split('/')[0]!) &&
      (goDir === '' || `${c.suite}/`.endsWith(`/${goDir}`) || `${c.suite}/` === goDir)
    );
  return declared.has(id) || declared.has(c.name);
}

/**
 * Whether the test file at `path`, declaring the tests named `declared` (full names, groups left out), ran in the
 * report's `cases`; `unknown` without a report.
 */
export function testFileRun(
  path: string,
  declared: readonly string[],
  cases: readonly RunCase[] | undefined,
): { readonly run: TestFileRun; readonly cases: number } {
  if (!cases) return { run: 'unknown', cases: 0 };
  const set = new Set(declared);
  const named = cases.filter((c) => names(c, path, set));
  const ran = named.filter((c) => c.status !== 'skipped').length;
  return { run: ran > 0 ? 'ran' : named.length > 0 ? 'skipped' : 'not-run', cases: ran };
}
