/**
 * @module Phrasing shared by every message, engine and surfaces alike: a count
 * with its noun ("1 task", "2 tasks") and clauses joined into one sentence
 * without a doubled period.
 */

/** The plural of an English noun (or of the last word of a phrase): entry → entries, match → matches, task → tasks. */
function pluralOf(noun: string): string {
  if (/[^aeiou]y$/i.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

/** `n` and its noun, singular for exactly 1: `plural(1, 'ledger entry')` is "1 ledger entry", `plural(3, 'task')` "3 tasks". */
export function plural(n: number, noun: string, many?: string): string {
  return `${n} ${n === 1 ? noun : (many ?? pluralOf(noun))}`;
}

/**
 * Text without its closing period or trailing space, to be continued with
 * `. Next…`: messages and findings often end with a period of their own, and
 * appending another made "content.. Check".
 */
export function clause(text: string): string {
  return text.replace(/[.\s]+$/, '');
}
