/** @module Words as the degenerate-evidence checks compare them: normalised tokens, content words, stems and shingles. */
import { isPlaceholderWord } from './words.ts';

// Leading and trailing characters that are neither letters nor digits.
const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

/**
 * English function words: they carry the grammar of a sentence, not what it says, so a section made of them and one
 * repeated noun has said one thing. Evidence in another language keeps its function words as content words, which
 * only makes the checks more lenient for it.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but nor so yet if then else than that this these those there here it its it's is are was were be " +
    'been being am do does did done have has had having will would shall should can could may might must to of in on ' +
    'at by for from with without into onto out over under up down off about above below after before again further ' +
    'once all any both each few more most other some such no not only own same too very just also as i me my we us ' +
    'our you your he him his she her they them their what which who whom whose when where why how while because ' +
    'until till via per one'
  ).split(' '),
);

/** Words of a text in reading order: lower case, edge punctuation stripped, placeholders (TBD, "...") left out. */
export function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\s+/)) {
    if (raw === '' || isPlaceholderWord(raw)) continue;
    const w = raw.replace(EDGES, '').toLowerCase();
    if (w !== '') out.push(w);
  }
  return out;
}

/** True for a word that carries grammar rather than content (see {@link STOPWORDS}). */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/**
 * A light English stem, so that "risk", "risks" and "risky" or "test", "tests" and "testing" count as one word: a
 * repeated word in another inflection is still a repeated word. Deliberately crude: it only ever merges forms.
 */
export function stem(word: string): string {
  let w = word.replace(/['’]s$/, '');
  if (w.length <= 3 || /\d/.test(w) || /[^\p{L}-]/u.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) return w;
  else if (/(x|ch|sh|ss)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith('ly')) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith('y')) w = w.slice(0, -1);
  else if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** The stems of a text's content words: {@link wordsOf} without stopwords, each {@link stem}med. */
export function contentStems(text: string): string[] {
  return wordsOf(text)
    .filter((w) => !isStopword(w))
    .map(stem);
}

/** The set of `n`-word runs ("shingles") of a word sequence, each joined with a space. */
export function shingles(words: readonly string[], n: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

/** How many of `a`'s members are in `b`. */
export function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

/** A share (0..1) as a whole percentage, for messages. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
