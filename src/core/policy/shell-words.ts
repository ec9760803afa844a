/** @module Shell words after quote removal: decoding mvdan-sh word nodes, ANSI-C strings, and plain argv. */
import { items, typeOf, type DblQuoted, type Lit, type ParamExp, type SglQuoted, type Word } from './shell-ast.ts';

/** One word of a command line as the command would receive it, when that can be known. */
export interface ShellWord {
  /** The text after quote removal and escape decoding; expansions are shown as written (`$X`, `$(…)`). */
  readonly text: string;
  /** False when the word holds a parameter, command, arithmetic or brace expansion: its value is not known. */
  readonly literal: boolean;
  /** True when unquoted glob characters (`*`, `?`, `[…]`, extglob) may expand it into file names. */
  readonly glob: boolean;
  /** True when it starts with an unquoted `~` (a home directory). */
  readonly tilde: boolean;
}

/** A word whose text is known exactly (argv arrays, decoded strings). */
export function plainWord(text: string): ShellWord {
  return { text, literal: true, glob: false, tilde: false };
}

/** A word whose value is known exactly. */
export type ExactWord = ShellWord & { readonly literal: true; readonly glob: false };

/** True when the word's value is known exactly: literal and no glob. */
export function isExact(word: ShellWord | undefined): word is ExactWord {
  return word !== undefined && word.literal && !word.glob;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

function takeDigits(s: string, from: number, max: number, digits: string): string {
  let out = '';
  while (out.length < max && from + out.length < s.length && digits.includes(s[from + out.length] ?? '')) {
    out += s[from + out.length];
  }
  return out;
}

const HEX = '0123456789abcdefABCDEF';

/** Decodes the body of a `$'…'` string as bash does (`\x67` → `g`, `\101` → `A`, `\u00e9`, `\cA`); a NUL ends it. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    let code: number | undefined;
    let used = 1;
    if (SIMPLE_ESCAPES[next] !== undefined) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
      continue;
    } else if ('01234567'.includes(next)) {
      const d = takeDigits(body, i + 1, 3, '01234567');
      code = parseInt(d, 8) & 0xff;
      used = d.length;
    } else if (next === 'x') {
      const d = takeDigits(body, i + 2, 2, HEX);
      if (d) [code, used] = [parseInt(d, 16), d.length + 1];
    } else if (next === 'u' || next === 'U') {
      const d = takeDigits(body, i + 2, next === 'u' ? 4 : 8, HEX);
      if (d) [code, used] = [parseInt(d, 16), d.length + 1];
    } else if (next === 'c' && i + 2 < body.length) {
      const c = body[i + 2] ?? '';
      [code, used] = [c === '?' ? 0x7f : c.toUpperCase().charCodeAt(0) & 0x1f, 2];
    }
    if (code === undefined) {
      out += ch;
      continue;
    }
    if (code === 0) return out;
    out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    i += used;
  }
  return out;
}

/** Removes the backslashes that escape inside double quotes (`\$ \` \" \\`); `heredoc` leaves `\"` alone. */
export function unescapeDouble(raw: string, heredoc = false): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] ?? '';
    const next = raw[i + 1];
    if (ch === '\\' && next !== undefined && ('$`\\'.includes(next) || (next === '"' && !heredoc))) {
      out += next;
      i++;
    } else if (ch === '\\' && next === '\n') {
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

// Brace expansion (`{a,b}`, `{1..3}`) in the unquoted layer of a word, where quoted text is `\0`.
function hasBraceExpansion(layer: string): boolean {
  for (let i = 0; i < layer.length; i++) {
    if (layer[i] !== '{') continue;
    let depth = 0;
    for (let j = i; j < layer.length; j++) {
      const c = layer[j];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        const inner = layer.slice(i + 1, j);
        if (inner.includes(',') || /^[^.]+\.\.[^.]+/.test(inner)) return true;
        break;
      }
    }
  }
  return false;
}

const PLACEHOLDER: Readonly<Record<string, string>> = {
  CmdSubst: '$(…)',
  ProcSubst: '<(…)',
  ArithmExp: '$((…))',
  ExtGlob: '@(…)',
};

function paramText(p: ParamExp): string {
  const name = typeOf(p.Param) ? p.Param.Value : '…';
  return p.Short ? `$${name}` : `\${${name}…}`;
}

/** Decodes one word node of mvdan-sh. */
export function decodeWord(word: Word): ShellWord {
  let text = '';
  let literal = true;
  let glob = false;
  let layer = '';
  let tilde = false;
  items(word.Parts).forEach((part, index) => {
    const type = typeOf(part) ?? '';
    if (type === 'Lit') {
      const raw = (part as Lit).Value;
      if (index === 0 && raw.startsWith('~')) tilde = true;
      for (let i = 0; i < raw.length; i++) {
        const ch = raw[i] ?? '';
        if (ch === '\\' && i + 1 < raw.length) {
          text += raw[i + 1];
          layer += '\0';
          i++;
          continue;
        }
        if (ch === '*' || ch === '?' || (ch === '[' && raw.indexOf(']', i + 1) > i)) glob = true;
        text += ch;
        layer += ch;
      }
    } else if (type === 'SglQuoted') {
      const q = part as SglQuoted;
      const value = q.Dollar ? decodeAnsiC(q.Value) : q.Value;
      text += value;
      layer += '\0';
    } else if (type === 'DblQuoted') {
      for (const inner of items((part as DblQuoted).Parts)) {
        const t = typeOf(inner) ?? '';
        if (t === 'Lit') text += unescapeDouble((inner as Lit).Value);
        else {
          literal = false;
          text += t === 'ParamExp' ? paramText(inner as ParamExp) : (PLACEHOLDER[t] ?? '…');
        }
      }
      layer += '\0';
    } else {
      literal = false;
      if (type === 'ExtGlob') glob = true;
      text += type === 'ParamExp' ? paramText(part as ParamExp) : (PLACEHOLDER[type] ?? '…');
      layer += '\0';
    }
  });
  if (hasBraceExpansion(layer)) literal = false;
  return { text, literal, glob, tilde };
}
