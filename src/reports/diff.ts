/** @module Parses `git diff` unified output into the changed files and the new-side numbers of their added lines. */
import { ReportError } from './errors.ts';
import { assertReportSize } from './limits.ts';

/** One file of a diff. */
export interface ChangedFile {
  /** Repository-relative path on the new side; the old path for a deleted file. */
  readonly path: string;
  readonly status: 'added' | 'modified' | 'deleted' | 'renamed';
  /** The old path of a renamed (or copied) file. */
  readonly from?: string;
  /** New-side line numbers of the '+' lines, ascending. */
  readonly addedLines: number[];
  readonly additions: number;
  readonly deletions: number;
  /** True for a binary file; git gives no lines for those, so the counts are 0. */
  readonly binary: boolean;
}

interface Builder {
  headerOld?: string;
  headerNew?: string;
  minusPath?: string | null;
  plusPath?: string | null;
  renameFrom?: string;
  renameTo?: string;
  copied: boolean;
  created: boolean;
  deleted: boolean;
  binary: boolean;
  hunks: number;
  addedLines: number[];
  additions: number;
  deletions: number;
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const C_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * Reads a C-quoted path as git writes it ("a/na\303\257ve.ts") starting at
 * `start` (the opening quote). Returns the decoded text and the index after the
 * closing quote.
 */
function readQuoted(text: string, start: number, where: string): { value: string; end: number } {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') return { value: new TextDecoder().decode(new Uint8Array(bytes)), end: i + 1 };
    if (ch === '\\') {
      const next = text.charAt(i + 1);
      const octal = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
      if (octal) {
        bytes.push(parseInt(octal[0], 8) & 0xff);
        i += 4;
        continue;
      }
      const code = C_ESCAPES[next];
      if (code === undefined) throw new ReportError(`${where}: bad escape \\${next} in quoted path`);
      bytes.push(code);
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(cp);
    for (const b of encoder.encode(char)) bytes.push(b);
    i += char.length;
  }
  throw new ReportError(`${where}: unterminated quoted path`);
}

/** A path as it follows `--- `, `+++ `, `rename from ` etc.: quoted, or raw up to a tab (git appends one to names with spaces). */
function readPathValue(value: string, where: string): string {
  if (value.startsWith('"')) return readQuoted(value, 0, where).value;
  const tab = value.indexOf('\t');
  return (tab === -1 ? value : value.slice(0, tab)).replace(/\r$/, '');
}

function stripPrefix(path: string, prefix: string): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** The two paths of a `diff --git a/X b/Y` line, when they can be told apart. */
function readHeaderPaths(rest: string, where: string): { old?: string; new?: string } {
  const line = rest.replace(/\r$/, '');
  if (line.startsWith('"')) {
    const first = readQuoted(line, 0, where);
    const tail = line.slice(first.end).replace(/^ /, '');
    return { old: first.value, new: tail.startsWith('"') ? readQuoted(tail, 0, where).value : tail };
  }
  const quotedNew = line.indexOf(' "');
  if (quotedNew !== -1) return { old: line.slice(0, quotedNew), new: readQuoted(line, quotedNew + 1, where).value };
  // "a/P b/P": the same path twice (no rename), which also works when P has spaces.
  if ((line.length - 1) % 2 === 0) {
    const half = (line.length - 1) / 2;
    const left = line.slice(0, half);
    const right = line.slice(half + 1);
    if (line.charAt(half) === ' ' && left.slice(2) === right.slice(2)) return { old: left, new: right };
  }
  const split = line.indexOf(' b/');
  return split === -1 ? {} : { old: line.slice(0, split), new: line.slice(split + 1) };
}

function finish(file: Builder, where: string): ChangedFile {
  const oldPath =
    file.renameFrom ??
    (file.minusPath === null
      ? undefined
      : file.minusPath !== undefined
        ? stripPrefix(file.minusPath, 'a/')
        : file.headerOld !== undefined
          ? stripPrefix(file.headerOld, 'a/')
          : undefined);
  const newPath =
    file.renameTo ??
    (file.plusPath === null
      ? undefined
      : file.plusPath !== undefined
        ? stripPrefix(file.plusPath, 'b/')
        : file.headerNew !== undefined
          ? stripPrefix(file.headerNew, 'b/')
          : undefined);
  const deleted = file.deleted || (file.plusPath === null && !file.created);
  const created = file.created || (file.minusPath === null && !deleted);
  const path = deleted ? oldPath : newPath;
  if (path === undefined || path === '') throw new ReportError(`${where}: cannot tell the file's path`);
  let status: ChangedFile['status'] = 'modified';
  if (deleted) status = 'deleted';
  else if (created || file.copied) status = 'added';
  else if (file.renameFrom !== undefined || file.renameTo !== undefined) status = 'renamed';
  const base = {
    path,
    status,
    addedLines: file.addedLines,
    additions: file.additions,
    deletions: file.deletions,
    binary: file.binary,
  };
  const from = (status === 'renamed' || file.copied) && oldPath !== undefined && oldPath !== path ? oldPath : undefined;
  return from === undefined ? base : { ...base, from };
}

function newBuilder(): Builder {
  return {
    copied: false,
    created: false,
    deleted: false,
    binary: false,
    hunks: 0,
    addedLines: [],
    additions: 0,
    deletions: 0,
  };
}

/**
 * Parses the output of `git diff --no-color --no-ext-diff -M <base>` (plain
 * `diff -u` output also works). Handles new, deleted, renamed (with or without
 * edits), mode-only and binary files, C-quoted paths and paths with spaces. A
 * copy (`-C`) is reported as 'added' with `from`. Hunk lengths are enforced, so a
 * truncated diff is an error rather than a silently shorter list. Paths must use
 * git's default a/ and b/ prefixes (pass `--src-prefix=a/ --dst-prefix=b/` if
 * diff.noprefix or diff.mnemonicPrefix may be set). An empty patch gives [].
 *
 * @throws ReportError when the input is over 50 MiB, is a combined (merge) diff,
 * has a malformed hunk header, or a hunk with fewer or more lines than its header says.
 */
export function parseUnifiedDiff(patch: string): ChangedFile[] {
  assertReportSize(patch, 'diff');
  const lines = patch.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const files: ChangedFile[] = [];
  let file: Builder | undefined;
  let fileLine = 0;
  let oldLeft = 0;
  let newLeft = 0;
  let newLine = 0;
  const close = (): void => {
    if (file) files.push(finish(file, `diff line ${fileLine}`));
    file = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const where = `diff line ${i + 1}`;
    if (oldLeft > 0 || newLeft > 0) {
      const mark = line.charAt(0);
      if (mark === ' ' || line === '' || line === '\r') {
        if (oldLeft === 0 || newLeft === 0) throw new ReportError(`${where}: context line beyond the hunk's length`);
        oldLeft--;
        newLeft--;
        newLine++;
      } else if (mark === '+') {
        if (newLeft === 0) throw new ReportError(`${where}: more added lines than the hunk header says`);
        file?.addedLines.push(newLine);
        if (file) file.additions++;
        newLeft--;
        newLine++;
      } else if (mark === '-') {
        if (oldLeft === 0) throw new ReportError(`${where}: more removed lines than the hunk header says`);
        if (file) file.deletions++;
        oldLeft--;
      } else if (mark !== '\\') {
        throw new ReportError(
          `${where}: hunk ended early (${oldLeft} old and ${newLeft} new lines missing); the diff may be truncated`,
        );
      }
      continue;
    }
    if (line.startsWith('diff --git ')) {
      close();
      file = newBuilder();
      fileLine = i + 1;
      const paths = readHeaderPaths(line.slice('diff --git '.length), where);
      file.headerOld = paths.old;
      file.headerNew = paths.new;
    } else if (line.startsWith('diff --cc ') || line.startsWith('diff --combined ')) {
      throw new ReportError(`${where}: combined (merge) diffs are not supported; resolve the merge first`);
    } else if (line.startsWith('--- ')) {
      if (!file || file.hunks > 0) {
        close();
        file = newBuilder();
        fileLine = i + 1;
      }
      const value = readPathValue(line.slice(4), where);
      file.minusPath = value === '/dev/null' ? null : value;
    } else if (line.startsWith('+++ ') && file) {
      const value = readPathValue(line.slice(4), where);
      file.plusPath = value === '/dev/null' ? null : value;
    } else if (line.startsWith('@@')) {
      const match = HUNK_RE.exec(line);
      if (!match || !file) throw new ReportError(`${where}: bad hunk header ${JSON.stringify(line.slice(0, 80))}`);
      oldLeft = match[2] === undefined ? 1 : Number(match[2]);
      newLeft = match[4] === undefined ? 1 : Number(match[4]);
      newLine = Number(match[3]);
      file.hunks++;
    } else if (file && file.hunks > 0 && /^[-+ ]/.test(line)) {
      throw new ReportError(`${where}: diff line outside any hunk; a hunk has more lines than its header says`);
    } else if (file) {
      const header = line.replace(/\r$/, '');
      if (header.startsWith('new file mode ')) file.created = true;
      else if (header.startsWith('deleted file mode ')) file.deleted = true;
      else if (header.startsWith('rename from ')) file.renameFrom = readPathValue(header.slice(12), where);
      else if (header.startsWith('rename to ')) file.renameTo = readPathValue(header.slice(10), where);
      else if (header.startsWith('copy from ')) {
        file.copied = true;
        file.renameFrom = readPathValue(header.slice(10), where);
      } else if (header.startsWith('copy to ')) {
        file.copied = true;
        file.renameTo = readPathValue(header.slice(8), where);
      } else if (header.startsWith('Binary files ') || header === 'GIT binary patch') file.binary = true;
      // index, similarity, old/new mode, base85 data of binary patches, "\ No newline": nothing to record.
    }
  }
  if (oldLeft > 0 || newLeft > 0) {
    throw new ReportError(
      `diff ends inside a hunk (${oldLeft} old and ${newLeft} new lines missing); it may be truncated`,
    );
  }
  close();
  return files;
}
