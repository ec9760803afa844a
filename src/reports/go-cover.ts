/** @module Parses Go cover profiles (`go test -coverprofile`) into line coverage per file. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';
import type { CoverageReport } from './lcov.ts';
import { buildCoverage, recordFile, recordMax, repoRelative, underDir, type LineHits } from './coverage-builder.ts';

const KIND = 'Go cover profile';
const MODE_RE = /^mode:\s*(set|count|atomic)$/;
const BLOCK_RE = /^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$/;
// A block spanning more lines than this is not from a real source file.
const MAX_BLOCK_LINES = 100_000;
// Line updates allowed for a whole profile, so a crafted one cannot make the parser loop for long.
const MAX_LINE_UPDATES = 50_000_000;

interface Block {
  readonly file: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly statements: number;
  count: number;
}

/**
 * Parses a Go cover profile: a `mode: set|count|atomic` line, then one line per
 * block, `file:startLine.startCol,endLine.endCol numStmts count`. A block that
 * appears more than once (profiles of several test binaries, as with
 * `-coverpkg`, or concatenated profiles) is merged: counts are added in count
 * and atomic mode, and the larger is kept in set mode. Every line from a
 * block's start line to its end line is executable and gets the largest count
 * of the blocks covering it; blocks with no statements are left out. Repeated
 * `mode:` lines are accepted when they name the same mode.
 *
 * Paths in the profile are import paths (`example.com/mod/pkg/file.go`): with
 * `opts.modulePrefix` ('example.com/mod') a path under that module becomes
 * relative to the module root, then put under `opts.sourceRoot` (the module's
 * directory in the repository) when given. Absolute paths (packages outside a
 * module) are made relative to `opts.root` when under it.
 *
 * @throws ReportError when the input is over 50 MiB, does not start with a
 * mode line, mixes modes, has a line that is not a block, a block that ends
 * before it starts or spans an implausible number of lines, or has no block.
 */
export function parseGoCoverProfile(
  text: string,
  opts: { modulePrefix?: string; root?: string; sourceRoot?: string } = {},
): CoverageReport {
  assertReportSize(text, KIND);
  const lines = text.split(/\r?\n/);
  const prefix = opts.modulePrefix?.replace(/\/+$/, '');
  let mode: string | undefined;
  const blocks = new Map<string, Block>();
  const files: LineHits = new Map();
  for (let i = 0; i < lines.length; i++) {
    const line = (i === 0 ? (lines[i] ?? '').replace(/^\uFEFF/, '') : (lines[i] ?? '')).trim();
    if (line === '') continue;
    const at = `${KIND} line ${i + 1}`;
    const modeMatch = MODE_RE.exec(line);
    if (modeMatch) {
      if (mode !== undefined && mode !== modeMatch[1])
        throw new ReportError(
          `${at}: mode ${modeMatch[1]} differs from the profile's mode ${mode}; profiles of different modes cannot be merged`,
        );
      mode = modeMatch[1];
      continue;
    }
    if (mode === undefined)
      throw new ReportError(
        `${at}: a Go cover profile starts with a "mode: set|count|atomic" line, got ${JSON.stringify(line.slice(0, 80))}`,
      );
    const m = BLOCK_RE.exec(line);
    if (!m)
      throw new ReportError(
        `${at} is not a cover block: ${JSON.stringify(line.slice(0, 80))}, expected file:startLine.startCol,endLine.endCol numStmts count`,
      );
    const [, rawFile = '', sl = '', , el = '', , stmts = '', cnt = ''] = m;
    const startLine = Number(sl);
    const endLine = Number(el);
    if (startLine < 1 || endLine < startLine)
      throw new ReportError(`${at}: the block ends (line ${endLine}) before it starts (line ${startLine})`);
    if (endLine - startLine >= MAX_BLOCK_LINES)
      throw new ReportError(`${at}: the block spans ${endLine - startLine + 1} lines, more than a source file has`);
    let file = rawFile;
    if (prefix !== undefined && prefix !== '' && file.startsWith(`${prefix}/`))
      file = underDir(opts.sourceRoot, file.slice(prefix.length + 1));
    else file = repoRelative(file, opts.root);
    recordFile(files, file);
    const key = `${file}\u0000${line.slice(rawFile.length + 1, line.lastIndexOf(' '))}`;
    const count = Number(cnt);
    const known = blocks.get(key);
    if (!known) blocks.set(key, { file, startLine, endLine, statements: Number(stmts), count });
    else known.count = mode === 'set' ? Math.max(known.count, count) : known.count + count;
  }
  if (mode === undefined) throw new ReportError(`${KIND} is empty: no "mode:" line`);
  let updates = 0;
  for (const block of blocks.values()) {
    if (block.statements === 0) continue;
    updates += block.endLine - block.startLine + 1;
    if (updates > MAX_LINE_UPDATES)
      throw new ReportError(`${KIND}: its blocks cover more than ${MAX_LINE_UPDATES} lines in all`);
    for (let lineNo = block.startLine; lineNo <= block.endLine; lineNo++)
      recordMax(files, block.file, lineNo, block.count);
  }
  if (blocks.size === 0) throw new ReportError(`${KIND} has no blocks: no file coverage found`);
  return buildCoverage('go', KIND, files);
}
