/** @module Text checks every evidence file gets: size cap, binary and UTF-8 detection, emptiness, word count, patterns. */
import type { ArtifactRule } from '../core/config.ts';
import { AutopilotError, ErrorCode } from '../core/errors.ts';
import type { Finding } from './types.ts';
import { countRealWords, PLACEHOLDER_EXAMPLES } from './words.ts';

/** The outcome of the byte-level checks: the decoded text, or the one finding that stops validation. */
export type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly finding: Finding };

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const unit = n < 1024 * 1024 ? 'KiB' : 'MiB';
  const value = n / (unit === 'KiB' ? 1024 : 1024 * 1024);
  return `${n} bytes (${value.toFixed(1)} ${unit})`;
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1) || file;
}

// Offset of the first byte that starts an invalid UTF-8 sequence, or -1.
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    let extra: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) [extra, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [extra, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [extra, min, cp] = [3, 0x10000, c & 0x07];
    else return i;
    if (i + extra >= b.length) return i;
    for (let k = 1; k <= extra; k++) {
      const d = b[i + k] ?? 0;
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/**
 * The byte-level checks, in order: size (over `maxBytes`), binary (a NUL byte),
 * UTF-8 (strict decoding). The first failure is the only finding, since nothing
 * else can run on such a file. A UTF-8 byte-order mark is dropped.
 */
export function decodeEvidence(content: Uint8Array, file: string, maxBytes: number): Decoded {
  if (content.byteLength > maxBytes) {
    return {
      ok: false,
      finding: {
        file,
        rule: 'size',
        problem: `The file is ${formatBytes(content.byteLength)}, over the limit of ${formatBytes(maxBytes)}.`,
        fix: `Cut ${baseName(file)} below ${maxBytes} bytes: keep the evidence that matters and drop bulk such as full logs or dumps.`,
      },
    };
  }
  const nul = content.indexOf(0);
  if (nul !== -1) {
    return {
      ok: false,
      finding: {
        file,
        rule: 'binary',
        problem: `The file contains a NUL byte at offset ${nul}, so it is binary, not text.`,
        fix: `Write ${baseName(file)} as plain UTF-8 text (re-save it as UTF-8 if it is UTF-16).`,
      },
    };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(content) };
  } catch {
    const at = firstInvalidUtf8(content);
    return {
      ok: false,
      finding: {
        file,
        rule: 'utf8',
        problem: `The file is not valid UTF-8${at >= 0 ? ` (first invalid byte at offset ${at})` : ''}.`,
        fix: `Re-save ${baseName(file)} as UTF-8 text, converting it from its current encoding (such as Latin-1 or Windows-1252).`,
      },
    };
  }
}

/** 'empty' when the text is empty or whitespace only. */
export function checkEmpty(text: string, file: string): Finding[] {
  if (text.trim() !== '') return [];
  return [
    {
      file,
      rule: 'empty',
      problem: text === '' ? 'The file is empty.' : 'The file holds only whitespace.',
      fix: `Write the content ${baseName(file)} is meant to hold; an empty file is not evidence.`,
    },
  ];
}

/** Real words of a plain-text document, counted line by line (placeholders do not count). */
export function countTextWords(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) n += countRealWords(line);
  return n;
}

/** 'min-words' when `words` (already counted for the document's format) is under `minWords`. */
export function checkMinWords(minWords: number, words: number, file: string, where = 'the file'): Finding[] {
  if (words >= minWords) return [];
  return [
    {
      file,
      rule: 'min-words',
      problem: `The document has ${words} real word${words === 1 ? '' : 's'}; it needs at least ${minWords} (placeholders such as ${PLACEHOLDER_EXAMPLES} do not count).`,
      fix: `Write at least ${minWords} words of real content in ${where}.`,
    },
  ];
}

function compile(pattern: string, field: string, index: number, name: string): RegExp {
  try {
    return new RegExp(pattern, 'm');
  } catch (err) {
    const reason = `not a regular expression: ${(err as Error).message}`;
    throw new AutopilotError(ErrorCode.CONFIG_INVALID, `artifact ${name}: ${field}.${index} is ${reason}`, {
      key: `${field}.${index}`,
      reason,
    });
  }
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function excerpt(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

/**
 * 'must-match' for each `mustMatch` pattern the text does not match, 'must-not-match'
 * for each `mustNotMatch` pattern it matches (naming the first matching line). Patterns
 * are compiled with the 'm' flag; an invalid one is a config error and throws.
 */
export function checkPatterns(
  rule: Pick<ArtifactRule, 'name' | 'mustMatch' | 'mustNotMatch'>,
  text: string,
  file: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const [i, pattern] of rule.mustMatch.entries()) {
    if (compile(pattern, 'mustMatch', i, rule.name).test(text)) continue;
    findings.push({
      file,
      rule: 'must-match',
      problem: `The text does not match the required pattern /${pattern}/.`,
      fix: `Rewrite ${baseName(file)} so that it matches /${pattern}/ (the 'm' flag is on: ^ and $ match at line ends).`,
    });
  }
  for (const [i, pattern] of rule.mustNotMatch.entries()) {
    const m = compile(pattern, 'mustNotMatch', i, rule.name).exec(text);
    if (!m) continue;
    const line = lineAt(text, m.index);
    findings.push({
      file,
      rule: 'must-not-match',
      problem: `Line ${line} matches the forbidden pattern /${pattern}/: "${excerpt(m[0])}".`,
      fix: `Remove or rewrite line ${line} of ${baseName(file)} so that nothing matches /${pattern}/.`,
    });
  }
  return findings;
}
