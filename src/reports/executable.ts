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

function jsLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let comment = false;
  let declarationDepth = 0;
  let importOpen = false;
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
    if (text === '' || LONE_PUNCTUATION.test(text)) {
      out.push(false);
      continue;
    }
    if (JS_IMPORT.test(text)) {
      importOpen = !/\bfrom\s*['"]|^import\s*['"]/.test(text);
      out.push(false);
      continue;
    }
    if (JS_DECLARATION.test(text)) {
      if (JS_BLOCK_DECLARATION.test(text)) declarationDepth = Math.max(0, braceDelta(text));
      out.push(false);
      continue;
    }
    out.push(true);
  }
  return out;
}

/** Python: comments, docstrings (a string alone as a statement) and the clause lines coverage.py does not count. */
const PY_CLAUSE = /^(else|try|finally)\s*:\s*(#.*)?$/;

function pythonLines(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let docstring: string | undefined;
  let previous = '';
  for (const line of lines) {
    const text = line.trim();
    if (docstring) {
      if (text.includes(docstring)) docstring = undefined;
      out.push(false);
      continue;
    }
    const quote = /^[rRbBuU]?("""|''')/.exec(text);
    // A string that opens a statement (and is no continuation of an expression) is a docstring or a no-op.
    if (quote && !/[([{,=\\]$/.test(previous)) {
      const rest = text.slice(quote[0].length);
      if (!rest.includes(quote[1]!)) docstring = quote[1];
      out.push(false);
      continue;
    }
    if (text === '' || text.startsWith('#') || LONE_PUNCTUATION.test(text) || PY_CLAUSE.test(text)) {
      out.push(false);
      if (text !== '' && !text.startsWith('#')) previous = text;
      continue;
    }
    previous = text;
    out.push(true);
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
 *   with their bodies are not (istanbul counts none of them as statements);
 * - Python: docstrings (a string alone as a statement), `else:`, `try:` and `finally:` are not (coverage.py's rules);
 *   imports, `def`, `class` and decorators are, as coverage.py counts them;
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
