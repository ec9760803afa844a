/** @module Parses Cobertura XML coverage reports (coverage.py, Istanbul, gcovr and other Cobertura writers) into line coverage per file. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import type { CoverageReport } from './lcov.ts';
import {
  buildCoverage,
  normalizePath,
  recordFile,
  recordMax,
  repoRelative,
  type LineHits,
} from './coverage-builder.ts';
import { attr, childElements, parseXmlRoots, tagOf, textOf, type XmlNode } from './xml-tree.ts';

const KIND = 'Cobertura XML report';

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path);
}

// A class's filename joined with the first <source> under `root` (or the first source).
function resolvePath(filename: string, sources: string[], root: string | undefined): string {
  if (isAbsolute(filename) || sources.length === 0) return repoRelative(filename, root);
  const candidates = sources.map((source) => normalizePath(`${source}/${filename}`));
  if (root !== undefined && root !== '') {
    const prefix = `${normalizePath(root).replace(/\/$/, '')}/`;
    const under = candidates.find((candidate) => candidate.startsWith(prefix));
    if (under !== undefined) return repoRelative(under, root);
  }
  return repoRelative(candidates[0] ?? filename, root);
}

function readInt(value: string | undefined, what: string, context: string): number {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) {
    throw new ReportError(
      `${KIND}: ${context} has ${value === undefined ? `no ${what} attribute` : `a bad ${what} ${JSON.stringify(value)}`}`,
    );
  }
  return Number(value);
}

/**
 * Parses a Cobertura XML report (root `<coverage>`). Each
 * `packages/package/classes/class` is one source file named by its `filename`
 * attribute, joined with the report's `<source>`: the first source whose join
 * lies under `opts.root` when there are several, the first otherwise (an
 * absolute filename is used as is). Only the class's own `<lines>` are read
 * (method lines repeat them, or in Istanbul's writer list function headers
 * that are not statements); branch attributes are ignored. Classes of the same
 * file (inner classes) are merged, keeping the larger hit count of a line.
 *
 * @param opts.root a POSIX absolute path; file paths under it are made relative to it.
 * @throws ReportError when the input is over 50 MiB, is not well-formed XML,
 * its root is not `<coverage>`, a class has no filename, a line has a missing
 * or bad `number` or `hits`, or it lists no class at all.
 */
export function parseCobertura(xml: string, opts: { root?: string } = {}): CoverageReport {
  assertReportSize(xml, KIND);
  const roots = parseXmlRoots(xml, KIND);
  const root = roots[0];
  if (roots.length !== 1 || !root || tagOf(root) !== 'coverage') {
    throw new ReportError(
      `not a Cobertura XML report: the root element is <${root ? tagOf(root) : ''}>, expected <coverage>`,
    );
  }
  const sources: string[] = [];
  for (const sourcesNode of childElements(root, 'sources')) {
    for (const source of childElements(sourcesNode, 'source')) {
      const text = textOf(source).trim();
      if (text !== '') sources.push(text);
    }
  }
  const files: LineHits = new Map();
  let classes = 0;
  const visitClass = (cls: XmlNode): void => {
    classes++;
    const filename = attr(cls, 'filename')?.trim();
    if (!filename)
      throw new ReportError(`${KIND}: <class name="${attr(cls, 'name') ?? ''}"> has no filename attribute`);
    const path = resolvePath(filename, sources, opts.root);
    recordFile(files, path);
    for (const lines of childElements(cls, 'lines')) {
      for (const line of childElements(lines, 'line')) {
        const context = `<line> of ${filename}`;
        const lineNo = readInt(attr(line, 'number'), 'number', context);
        const hits = readInt(attr(line, 'hits'), 'hits', `${context} line ${lineNo}`);
        if (lineNo < 1) throw new ReportError(`${KIND}: ${context} has line number 0`);
        recordMax(files, path, lineNo, hits);
      }
    }
  };
  for (const packages of childElements(root, 'packages')) {
    for (const pkg of childElements(packages, 'package')) {
      for (const container of childElements(pkg, 'classes')) {
        for (const cls of childElements(container, 'class')) visitClass(cls);
      }
    }
  }
  if (classes === 0) throw new ReportError(`${KIND} lists no classes: no file coverage found`);
  return buildCoverage('cobertura', KIND, files);
}
