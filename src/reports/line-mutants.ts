/**
 * @module Autopilot's own mutations of a source line, for any language: negate the condition (a comparison turned
 * into its opposite, or the whole condition negated), change the returned value, or remove the statement; and the
 * sample of changed lines a VERIFY mutates. A mutant the tests still pass on is a line they run but do not check.
 */
import { lineRulesFor, type LineRules } from './executable.ts';

export type MutationOperator = 'negate-condition' | 'change-return' | 'remove-statement';

/** One mutation of one line: the line's new text (the file keeps its number of lines). */
export interface LineMutation {
  readonly operator: MutationOperator;
  readonly replacement: string;
}

const OPPOSITE: Readonly<Record<string, string>> = {
  '===': '!==',
  '!==': '===',
  '==': '!=',
  '!=': '==',
  '>=': '<',
  '<=': '>',
  '>': '<=',
  '<': '>=',
};

/** The code of a line with string literals and the trailing comment blanked out (same length), so that operators inside them are not taken. */
function codeMask(line: string, rules: LineRules): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\') {
        out += '  ';
        i++;
        continue;
      }
      if (ch === quote) quote = undefined;
      out += quote ? ' ' : ch;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
      out += ch;
      continue;
    }
    const comment = rules === 'python' || rules === 'hash' ? ch === '#' : ch === '/' && line[i + 1] === '/';
    if (comment) return out + ' '.repeat(line.length - i);
    out += ch;
  }
  return out;
}

/** The first comparison operator of the code (not `=>`, `->`, `<-`, shifts, nor a generic's angle brackets). */
function firstComparison(code: string): { index: number; op: string } | undefined {
  for (let i = 0; i < code.length; i++) {
    for (const op of ['===', '!==', '==', '!=', '>=', '<=', '>', '<']) {
      if (!code.startsWith(op, i)) continue;
      const prev = code[i - 1] ?? '';
      const next = code[i + op.length] ?? '';
      if (op === '>' || op === '<') {
        if (prev === '=' || prev === '-' || prev === op || next === op || next === '=' || next === '-') break;
        // `Array<string>` or `Map<K, V>`: a name right before '<' with no space is a generic, not a comparison.
        if (op === '<' && /\w/.test(prev)) break;
        if (op === '>' && /\w/.test(prev) && next !== ' ') break;
        if (prev !== ' ' || next !== ' ') break;
      }
      if ((op === '==' || op === '!=') && next === '=') break;
      if (op === '==' && prev === '=') break;
      return { index: i, op };
    }
  }
  return undefined;
}

/** The text between the bracket at `open` and its match, or undefined when it does not close on this line. */
function closing(code: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return i;
  }
  return undefined;
}

const balanced = (code: string) => {
  let d = 0;
  for (const ch of code) {
    if ('([{'.includes(ch)) d++;
    else if (')]}'.includes(ch)) d--;
    if (d < 0) return false;
  }
  return d === 0;
};

function negateCondition(line: string, code: string, rules: LineRules): string | undefined {
  const cmp = firstComparison(code);
  if (cmp) return line.slice(0, cmp.index) + OPPOSITE[cmp.op]! + line.slice(cmp.index + cmp.op.length);
  if (rules === 'python') {
    const m = /^(\s*)(if|elif|while)\s+(.+):(\s*)$/.exec(code);
    if (m) return `${m[1]}${m[2]} not (${line.slice(code.indexOf(m[3]!), code.indexOf(m[3]!) + m[3]!.length)}):`;
    return undefined;
  }
  if (rules === 'go') {
    const m = /^(\s*)(if|for)\s+([^;{]+)\s*\{\s*$/.exec(code);
    if (m && m[2] === 'if') return `${m[1]}if !(${m[3]!.trim()}) {`;
    return undefined;
  }
  const m = /\b(if|while)\s*\(/.exec(code);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  const close = closing(code, open);
  if (close === undefined) return undefined;
  return `${line.slice(0, open + 1)}!(${line.slice(open + 1, close)})${line.slice(close)}`;
}

function changeReturn(line: string, code: string, rules: LineRules): string | undefined {
  const m = /^(\s*)return\s+(.+?)\s*(;?)\s*$/.exec(code);
  if (!m) return undefined;
  const start = code.indexOf(m[2]!, m[1]!.length + 6);
  const value = line.slice(start, start + m[2]!.length);
  const lead = line.slice(0, start);
  const tail = line.slice(start + m[2]!.length);
  const swap = (v: string) => `${lead}${v}${tail}`;
  if (/^(true|false|True|False)$/.test(value)) {
    const flip: Record<string, string> = { true: 'false', false: 'true', True: 'False', False: 'True' };
    return swap(flip[value]!);
  }
  if (/^-?\d+(\.\d+)?$/.test(value)) return swap(Number(value) === 0 ? '1' : '0');
  if (/^(["'`]).*\1$/.test(value))
    return swap(value.length === 2 ? `${value[0]}mutant${value[0]}` : `${value[0]}${value[0]}`);
  if (rules === 'python') return value === 'None' ? undefined : swap('None');
  if (rules === 'js') return value === 'undefined' ? undefined : swap('undefined');
  return undefined;
}

const JS_NOT_STATEMENT =
  /^(const|let|var|import|export|function|class|type|interface|enum|return|if|else|for|while|do|switch|case|default|try|catch|finally|async\s+function)\b/;
const PY_NOT_STATEMENT =
  /^(def|class|if|elif|else|for|while|try|except|finally|with|return|import|from|async|global|nonlocal|pass|@)\b/;
const GO_NOT_STATEMENT =
  /^(func|if|else|for|switch|select|case|default|return|var|const|type|import|package|go\s|defer\s)\b/;

function removeStatement(line: string, code: string, rules: LineRules): string | undefined {
  const text = code.trim();
  if (text === '' || !balanced(text)) return undefined;
  const indent = line.slice(0, line.length - line.trimStart().length);
  if (rules === 'python') {
    if (PY_NOT_STATEMENT.test(text) || /[:\\,]$/.test(text)) return undefined;
    return `${indent}pass`;
  }
  if (rules === 'go') {
    if (GO_NOT_STATEMENT.test(text) || /[{,(]$/.test(text) || text.includes(':=') || text.startsWith('}'))
      return undefined;
    return '';
  }
  if (JS_NOT_STATEMENT.test(text) || /[{,(:?+\-*/|&]$/.test(text) || text.startsWith('}') || text.startsWith('.'))
    return undefined;
  if (!/[;)]$/.test(text) && !/\+\+|--|=/.test(text)) return undefined;
  return '';
}

/**
 * The mutations of one line of `path`, strongest first: negate its condition, change what it returns, remove it.
 * None for a line that is no statement of a language these rules read (JavaScript/TypeScript, Python, Go, and
 * C-like languages by the JavaScript rules).
 */
export function lineMutations(path: string, line: string): LineMutation[] {
  const rules = lineRulesFor(path);
  if (rules === 'plain' || rules === 'hash') return [];
  const code = codeMask(line, rules === 'c-like' ? 'js' : rules);
  const r = rules === 'c-like' ? 'js' : rules;
  const out: LineMutation[] = [];
  const negated = negateCondition(line, code, r);
  if (negated !== undefined && negated !== line) out.push({ operator: 'negate-condition', replacement: negated });
  const returned = changeReturn(line, code, r);
  if (returned !== undefined && returned !== line) out.push({ operator: 'change-return', replacement: returned });
  if (out.length === 0) {
    const removed = removeStatement(line, code, r);
    if (removed !== undefined) out.push({ operator: 'remove-statement', replacement: removed });
  }
  return out;
}

/** A mutant to run: one line of one file, and what it becomes. */
export interface MutantPlan {
  readonly file: string;
  readonly line: number;
  readonly original: string;
  readonly operator: MutationOperator;
  readonly replacement: string;
}

/**
 * Up to `max` mutants from the candidate lines (in diff order), one a line, its strongest mutation: the lines are
 * taken evenly spread over the candidates, so that a change of many files is sampled across all of them. The same
 * change gives the same sample.
 */
export function sampleMutants(
  lines: readonly { file: string; line: number; text: string }[],
  max: number,
): MutantPlan[] {
  const all: MutantPlan[] = [];
  for (const l of lines) {
    const [m] = lineMutations(l.file, l.text);
    if (m) all.push({ file: l.file, line: l.line, original: l.text, operator: m.operator, replacement: m.replacement });
  }
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, i) => all[Math.floor((i * all.length) / max)]!);
}
