/**
 * @module The files a test command writes (its reports), as git should leave them out of a task's diff and
 * `.gitignore` should list them: the report's folder when git tracks nothing in it, else the file alone.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { git } from './git.ts';

/** A path to leave out, relative to the repository root with forward slashes. */
export interface OutputPath {
  readonly path: string;
  /** A whole folder (everything in it is the command's), or one file. */
  readonly folder: boolean;
}

/** `p` relative to `root` with forward slashes, or undefined when it is not inside it. */
function insideRepo(root: string, p: string): string | undefined {
  const rel = relative(root, resolve(root, p));
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
}

/**
 * The report paths as things to leave out: `reports/junit.xml` gives the folder `reports` when git tracks no
 * file under it (so a reporter's other files, c8's `coverage/tmp/`, go too); a report beside tracked files
 * (`test/junit.xml`), or at the top, gives the file alone. Paths outside the repository are dropped.
 */
export async function outputPaths(root: string, reports: readonly string[]): Promise<OutputPath[]> {
  const out = new Map<string, OutputPath>();
  for (const report of reports) {
    const rel = insideRepo(root, report);
    if (!rel) continue;
    const folder = dirname(rel);
    const tracked =
      folder === '.' ? '' : (await git(root, ['ls-files', '-z', '--', `:(literal)${folder}`])).stdout.trim();
    const item = folder === '.' || tracked !== '' ? { path: rel, folder: false } : { path: folder, folder: true };
    out.set(item.path, item);
  }
  // A file inside a folder already left out adds nothing.
  const folders = [...out.values()].filter((o) => o.folder).map((o) => o.path);
  return [...out.values()].filter((o) => !folders.some((f) => o.path !== f && o.path.startsWith(`${f}/`)));
}
