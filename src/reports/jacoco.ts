/** @module Parses JaCoCo XML coverage reports into line coverage per source file. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import type { CoverageReport } from './lcov.ts';
import { buildCoverage, recordFile, recordMax, underDir, type LineHits } from './coverage-builder.ts';
import { attr, childElements, parseXmlRoots, tagOf, type XmlNode } from './xml-tree.ts';

const KIND = 'JaCoCo XML report';

function readCount(line: XmlNode, name: string, context: string, required: boolean): number {
  const value = attr(line, name);
  if (value === undefined && !required) return 0;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) {
    throw new ReportError(
      `${KIND}: ${context} has ${value === undefined ? `no ${name} attribute` : `a bad ${name} ${JSON.stringify(value)}`}`,
    );
  }
  return Number(value);
}

/**
 * Parses a JaCoCo XML report (root `<report>`, packages directly under it or
 * inside nested `<group>`s). Each `package/sourcefile` is one file whose path
 * is the package name, '/', and the source file name (just the file name in
 * the default package), under `opts.sourceRoot` when given. Each `<line nr mi
 * ci>` is an executable line whose hit count is its covered instruction count
 * `ci` (JaCoCo records no execution counts, so 0 means not run and any
 * positive number means run); a line with no instructions (mi = ci = 0) is not
 * executable and left out. A file listed twice keeps the larger count per line.
 *
 * @param opts.sourceRoot repository-relative directory the package paths are under, e.g. 'src/main/java'.
 * @throws ReportError when the input is over 50 MiB, is not well-formed XML,
 * its root is not `<report>`, a source file has no name, a line has a missing
 * or bad `nr` or a bad `mi`/`ci`, or it lists no source file at all.
 */
export function parseJacoco(xml: string, opts: { sourceRoot?: string } = {}): CoverageReport {
  assertReportSize(xml, KIND);
  const roots = parseXmlRoots(xml, KIND);
  const root = roots[0];
  if (roots.length !== 1 || !root || tagOf(root) !== 'report') {
    throw new ReportError(
      `not a JaCoCo XML report: the root element is <${root ? tagOf(root) : ''}>, expected <report>`,
    );
  }
  const files: LineHits = new Map();
  const visitPackage = (pkg: XmlNode): void => {
    const pkgName = (attr(pkg, 'name') ?? '').replace(/^\/+|\/+$/g, '');
    for (const sourcefile of childElements(pkg, 'sourcefile')) {
      const name = attr(sourcefile, 'name')?.trim();
      if (!name) throw new ReportError(`${KIND}: a <sourcefile> in package "${pkgName}" has no name attribute`);
      const path = underDir(opts.sourceRoot, pkgName === '' ? name : `${pkgName}/${name}`);
      recordFile(files, path);
      for (const line of childElements(sourcefile, 'line')) {
        const context = `<line> of ${pkgName === '' ? name : `${pkgName}/${name}`}`;
        const nr = readCount(line, 'nr', context, true);
        if (nr < 1) throw new ReportError(`${KIND}: ${context} has line number 0`);
        const mi = readCount(line, 'mi', `${context} line ${nr}`, false);
        const ci = readCount(line, 'ci', `${context} line ${nr}`, false);
        if (mi === 0 && ci === 0) continue;
        recordMax(files, path, nr, ci > 0 ? ci : 0);
      }
    }
  };
  const visitGroup = (group: XmlNode): void => {
    for (const child of childElements(group)) {
      const tag = tagOf(child);
      if (tag === 'package') visitPackage(child);
      else if (tag === 'group') visitGroup(child);
    }
  };
  visitGroup(root);
  return buildCoverage('jacoco', KIND, files);
}
