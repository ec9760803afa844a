/**
 * @module Which lines of a source file a coverage tool would count, for the changed files no coverage report
 * lists: the rules of istanbul/V8 (JavaScript, TypeScript), coverage.py (Python) and `go test -cover` (Go) by
 * line, and for other languages every line that is neither blank nor a comment.
 */

/** The family of rules a file's lines are judged by, from its extension. */
export type LineRules = 'js' | 'python' | 'go' | 'c-like' | 'hash' | 'plain';

const RULES_BY_EXTENSION: Readonly<Record<string, LineRules>> = {
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'js',
  ts: 'js',
  mts: 'js',
  cts: 'js',
  tsx: 'js',
  py: 'python',
  go: 'go',
  java: 'c-like',
  kt: 'c-like',
  rs: 'c-like',
  cs: 'c-like',
  c: 'c-like',
  h: 'c-like',
  cc: 'c-like',
  cpp: 'c-like',
  hpp: 'c-like',
  swift: 'c-like',
  scala: 'c-like',
  php: 'c-like',
  rb: 'hash',
  sh: 'hash',
  pl: 'hash',
};

/** The rules for `path`, by its extension (`plain`: every non-blank line counts). */
export function lineRulesFor(path: string): LineRules {
  const dot = path.lastIndexOf('.');
  const ext = dot > path.lastIndexOf('/') ? path.slice(dot + 1).toLowerCase() : '';
  return RULES_BY_EXTENSION[ext] ?? 'plain';
}

/** Braces, brackets and punctuation alone on a line: no statement of their own in any of the tools. */
const LONE_PUNCTUATION = /^[\s{}()[\];,]*$/;

/** Blanks out `/* … *\/` comments, keeping `//` to the caller; `open` carries an unclosed comment into the next line. */
function stripBlockComments(line: string, open: boolean): { code: string; open: boolean } {
  let code = '';
  let i = 0;
  let inComment = open;
  while (i < line.length) {
    if (inComment) {
      const end = line.indexOf('*/', i);
      if (end === -1) return { code, open: true };
      i = end + 2;
      inComment = false;
    } else {
      const start = line.indexOf('/*', i);
      const lineComment = line.indexOf('//', i);
      if (start === -1 || (lineComment !== -1 && lineComment < start)) {
        code += lineComment === -1 ? line.slice(i) : line.slice(i, lineComment);
        return { code, open: false };
      }
      code += line.slice(i, start);
      i = start + 2;
      inComment = true;
    }
  }
  return { code, open: inComment };
}

/** Brace depth change of a line of code (strings are not looked into: a rule of thumb, as the rest). */
function braceDelta(code: string): number {
  let d = 0;
  for (const ch of code) {
    if (ch === '{') d++;
    else if (ch === '}') d--;
  }
  return d;
}

/** JavaScript/TypeScript: imports, re-exports, type-only declarations and their bodies are not statements. */
const JS_DECLARATION =
  /^(export\s+)?(declare\s+|import\s+type\b|export\s+type\s*\{|type\s+[A-Za-z_$][\w$]*\s*(<[^=]*>)?\s*=|interface\s+[A-Za-z_$])/;
const JS_IMPORT = /^(import\s+[^(]|import\s*\{|import\s*['"]|export\s*\*\s*from\b|export\s*\{[^}]*\}\s*from\b)/;
const JS_BLOCK_DECLARATION =
  /^(export\s+)?(declare\s+)?(interface\s+[A-Za-z_$]|type\s+[A-Za-z_$][\w$]*\s*(<[^=]*>)?\s*=)/;

/** Declarations istanbul counts no statement for: functions, classes and methods (their bodies count). */
const JS_FUNCTION_DECLARATION = /^(export\s+(default\s+)?)?(async\s+)?function\b/;
const JS_CLASS_DECLARATION = /^(export\s+(default\s+)?)?(abstract\s+)?class\b/;
const JS_METHOD =
  /^((static|get|set|async|public|private|protected|readonly|override)\s+)*(\*\s*)?[\w$#]+\s*(<[^>]*>)?\s*\([^)]*\)\s*(:\s*[^={]+)?\{$/;
const JS_KEYWORD_CALL = /^(if|for|while|switch|catch|with|return|function)\b/;

/** Where a line of JavaScript starts: inside a template literal, or the innermost open bracket (`{` a block or an object). */
interface JsScan {
  template: boolean;
  stack: ('(' | '[' | 'block' | 'object')[];
  /** The last character of code seen, for telling an object literal's brace from a block's. */
  last: string;
  lastWord: string;
}

/** Updates `scan` with one line of code (comments already blanked out); strings are skipped over. */
function scanJs(code: string, scan: JsScan): void {
  let quote: string | undefined = scan.template ? '`' : undefined;
  let word = '';
  for (let i = 0; i < code.length; i++) {
    const ch = code[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
      continue;
    }
    if (/[\w$]/.test(ch)) {
      word += ch;
      continue;
    }
    if (word) {
      scan.lastWord = word;
      scan.last = word.slice(-1);
      word = '';
    }
    if (ch === ' ' || ch === '\t') continue;
    if (ch === '(' || ch === '[') scan.stack.push(ch);
    else if (ch === '{') {
      const objectLike = scan.last !== '' && ('=(,:[?'.includes(scan.last) || scan.lastWord === 'return');
      scan.stack.push(objectLike ? 'object' : 'block');
    } else if (ch === ')' || ch === ']' || ch === '}') scan.stack.pop();
    scan.last = ch;
    scan.lastWord = '';
  }
  if (word) {
    scan.lastWord = word;
    scan.last = word.slice(-1);
  }
  // A template literal left open goes on over the next lines; other strings end with their line.
  scan.template = quote === '`';
}

function jsLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let comment = false;
  let declarationDepth = 0;
  let importOpen = false;
  const scan: JsScan = { template: false, stack: [], last: '', lastWord: '' };
  for (const line of lines) {
    const { code, open } = stripBlockComments(line, comment);
    comment = open;
    const text = code.trim();
    if (declarationDepth > 0) {
      declarationDepth += braceDelta(text);
      out.push(false);
      continue;
    }
    if (importOpen) {
      // A multi-line import ends with its `from '…'` (or a bare closing brace of a type import).
      if (/\bfrom\s*['"]|^['"]/.test(text)) importOpen = false;
      out.push(false);
      continue;
    }
    // A line inside an open call, array, object literal or template literal continues a statement counted where it began.
    const top = scan.stack[scan.stack.length - 1];
    const continuation = scan.template || top === '(' || top === '[' || top === 'object';
    if (!continuation && JS_IMPORT.test(text)) {
      importOpen = !/\bfrom\s*['"]|^import\s*['"]/.test(text);
      out.push(false);
      continue;
    }
    if (!continuation && JS_DECLARATION.test(text)) {
      if (JS_BLOCK_DECLARATION.test(text)) declarationDepth = Math.max(0, braceDelta(text));
      out.push(false);
      continue;
    }
    scanJs(code, scan);
    if (continuation || text === '' || LONE_PUNCTUATION.test(text)) {
      out.push(false);
      continue;
    }
    const declaration =
      JS_FUNCTION_DECLARATION.test(text) ||
      JS_CLASS_DECLARATION.test(text) ||
      (JS_METHOD.test(text) && !JS_KEYWORD_CALL.test(text));
    out.push(!declaration);
  }
  return out;
}

/** Python: the clause lines coverage.py does not count (it counts `try:`). */
const PY_CLAUSE = /^(else|finally)\s*:\s*(#.*)?$/;

/** Where a line of Python starts: inside a triple-quoted string, inside brackets, or after a backslash. */
interface PyScan {
  triple: string | undefined;
  depth: number;
  backslash: boolean;
}

/** Updates `scan` with one line of Python. */
function scanPython(line: string, scan: PyScan): void {
  let quote: string | undefined = scan.triple;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (line.startsWith(quote, i)) {
        i += quote.length;
        quote = undefined;
        continue;
      }
      i++;
      continue;
    }
    if (ch === '#') break;
    if (ch === '"' || ch === "'") {
      quote = line.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      i += quote.length;
      continue;
    }
    if ('([{'.includes(ch)) scan.depth++;
    else if (')]}'.includes(ch)) scan.depth = Math.max(0, scan.depth - 1);
    i++;
  }
  // Only a triple-quoted string goes on past its line.
  scan.triple = quote && quote.length === 3 ? quote : undefined;
  scan.backslash = !scan.triple && /\\$/.test(line);
}

/** A line that is a string literal and nothing more: a docstring, or a string as a statement. */
const PY_STRING_STATEMENT = /^[rRbBuU]?("""|'''|"|')/;

function pythonLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  const scan: PyScan = { triple: undefined, depth: 0, backslash: false };
  for (const line of lines) {
    const text = line.trim();
    // A line that continues a statement (brackets, a backslash, a string) is counted where the statement began.
    const continuation = scan.triple !== undefined || scan.depth > 0 || scan.backslash;
    scanPython(line, scan);
    if (continuation) {
      out.push(false);
      continue;
    }
    const docstring = PY_STRING_STATEMENT.test(text);
    out.push(
      !(text === '' || text.startsWith('#') || docstring || LONE_PUNCTUATION.test(text) || PY_CLAUSE.test(text)),
    );
  }
  return out;
}

/** Go: the package clause, imports and type declarations (with their bodies) are no statements of a cover block. */
function goLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let comment = false;
  let skipDepth = 0;
  let parenGroup = false;
  for (const line of lines) {
    const { code, open } = stripBlockComments(line, comment);
    comment = open;
    const text = code.trim();
    if (parenGroup) {
      if (/^\)/.test(text)) parenGroup = false;
      out.push(false);
      continue;
    }
    if (skipDepth > 0) {
      skipDepth += braceDelta(text);
      out.push(false);
      continue;
    }
    if (text === '' || LONE_PUNCTUATION.test(text)) {
      out.push(false);
      continue;
    }
    if (/^package\s/.test(text)) {
      out.push(false);
      continue;
    }
    // Top-level import, type, var and const declarations: no cover block holds them.
    const topLevel = !/^\s/.test(line);
    if (/^import\b/.test(text) || /^type\b/.test(text) || (topLevel && /^(var|const)\b/.test(text))) {
      if (/\($/.test(text)) parenGroup = true;
      else skipDepth = Math.max(0, braceDelta(text));
      out.push(false);
      continue;
    }
    out.push(true);
  }
  return out;
}

function cLikeLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let comment = false;
  for (const line of lines) {
    const { code, open } = stripBlockComments(line, comment);
    comment = open;
    const text = code.trim();
    out.push(!(text === '' || LONE_PUNCTUATION.test(text)));
  }
  return out;
}

function hashLines(lines: readonly string[]): boolean[] {
  return lines.map((l) => {
    const text = l.trim();
    return !(text === '' || text.startsWith('#'));
  });
}

/**
 * For each line of `text` (index 0 is line 1), whether a coverage tool would count it as executable. The rules,
 * line by line and without a parser (strings that hold comment markers can fool them):
 * - every language: blank lines, comments and lines of lone braces, brackets or punctuation are not executable;
 * - JavaScript/TypeScript: `import` and `export … from` lines, `declare` lines, `type X =` and `interface` declarations
 *   with their bodies, and the opening lines of function, class and method declarations are not (istanbul counts
 *   none of them as statements; the bodies count);
 * - Python: docstrings (a string alone as a statement), `else:` and `finally:` are not (coverage.py's rules);
 *   imports, `def`, `class`, `try:` and decorators are, as coverage.py counts them;
 * - JavaScript/TypeScript and Python: a line that continues a statement (inside an open call, array, object literal,
 *   template or triple-quoted string, or after a backslash) is not: the statement counts where it begins;
 * - Go: `package`, `import` (single or grouped), `type` declarations, and top-level `var` and `const` are not (no cover
 *   block holds them);
 * - other languages: every line that is not blank, a comment (`//`, `/* *\/`, or `#` by the file's extension) or lone
 *   punctuation.
 */
export function executableLines(path: string, text: string): boolean[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const rules = lineRulesFor(path);
  switch (rules) {
    case 'js':
      return jsLines(lines);
    case 'python':
      return pythonLines(lines);
    case 'go':
      return goLines(lines);
    case 'c-like':
      return cLikeLines(lines);
    case 'hash':
      return hashLines(lines);
    default:
      return lines.map((l) => l.trim() !== '');
  }
}
