/** @module Real-word counting: splits text into words and discards placeholder filler (TBD, TODO, N/A, lorem ipsum). */

const PLACEHOLDERS: ReadonlySet<string> = new Set([
  'tbd',
  'tbc',
  'tba',
  'todo',
  'fixme',
  'n/a',
  'lorem',
  'ipsum',
  'placeholder',
  'xxx',
]);

// Leading and trailing characters that are neither letters nor digits.
const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
// A block that contains "lorem ipsum" is filler as a whole, "dolor sit amet" included.
const LOREM = /\blorem\s+ipsum\b/i;
// `label: value` on one line, the label short (a key, not a sentence).
const LABELLED = /^([^:\n]{1,60}):(.*)$/;
const MAX_LABEL_WORDS = 5;

/** Words of the placeholder vocabulary, for messages. */
export const PLACEHOLDER_EXAMPLES = 'TBD, TODO, N/A, "..."';

/**
 * True when a whitespace-delimited token is not a real word: punctuation only
 * ("-", "...", "…"), or a placeholder (TBD, TODO, TBA, FIXME, N/A, lorem, ipsum,
 * placeholder, xxx), compared case-insensitively as a whole word.
 */
export function isPlaceholderWord(token: string): boolean {
  const core = token.replace(EDGES, '').toLowerCase();
  if (core === '') return true;
  if (PLACEHOLDERS.has(core) || /^x{3,}$/.test(core)) return true;
  // "TBD/TODO" is filler too; "n/a" is in the set as a whole.
  return core.includes('/') && core.split('/').every((p) => p === '' || PLACEHOLDERS.has(p));
}

function lineWords(line: string): number {
  let n = 0;
  for (const token of line.split(/\s+/)) if (token !== '' && !isPlaceholderWord(token)) n++;
  return n;
}

/**
 * Counts the real words of one block of text (a paragraph, a list item, a table cell,
 * a line). Placeholders are dropped; a block containing "lorem ipsum" counts nothing;
 * a `label: value` line whose value is only filler ("Risk 1: TBD", "Owner: -") counts nothing.
 */
export function countRealWords(block: string): number {
  if (LOREM.test(block)) return 0;
  let n = 0;
  for (const line of block.split('\n')) {
    const words = lineWords(line);
    if (words === 0) continue;
    const m = LABELLED.exec(line);
    if (m) {
      const label = m[1] ?? '';
      const value = (m[2] ?? '').trim();
      if (value !== '' && lineWords(value) === 0 && lineWords(label) <= MAX_LABEL_WORDS) continue;
    }
    n += words;
  }
  return n;
}
