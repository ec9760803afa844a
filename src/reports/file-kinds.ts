/** @module What a path of the repository is to VERIFY: source, test, or other (docs, config), by the config's globs. */
import { globToRegExp } from '../core/risk.ts';

export type FileKind = 'source' | 'test' | 'other';

/** A classifier from `verify.sources` and `verify.tests`: a test glob wins over a source glob; neither is `other`. */
export function fileKinds(globs: { sources: readonly string[]; tests: readonly string[] }): (path: string) => FileKind {
  const tests = globs.tests.map(globToRegExp);
  const sources = globs.sources.map(globToRegExp);
  return (path) => {
    const p = path.replace(/^(\.\/)+/, '');
    if (tests.some((r) => r.test(p))) return 'test';
    if (sources.some((r) => r.test(p))) return 'source';
    return 'other';
  };
}
