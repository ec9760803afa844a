/**
 * @module The quality graph's arithmetic: a task as a weighted bag of terms (the words of its evidence, the files it
 * planned and changed, the folders above them), TF-IDF weights over the finished tasks, and cosine similarity. No
 * model to download and no randomness: the same tasks give the same ranking on every machine.
 */

/** Words too common in any task's prose to tell two tasks apart. */
const STOPWORDS = new Set(
  (
    'the and for are but not you all any can had her was one our out has his how its may new now old see two who ' +
    'did get let put say she too use that with have this will your from they know want been good much some time ' +
    'very when come here just like long make many more only over such take than them well were what which while ' +
    'would there their about after again also back because before being between both could does each every first ' +
    'into most must other should since still then these those through under until upon where whether without within ' +
    'yes none null true false json'
  ).split(' '),
);

/** The weight of a path term against a word: a shared file says more than a shared word. */
const FILE_WEIGHT = 3;
const DIR_WEIGHT = 1;

/** What a task is made of for comparison: its title, its evidence texts and the paths it planned or changed. */
export interface TaskText {
  readonly title: string;
  readonly texts: readonly string[];
  readonly files: readonly string[];
}

/** Term → raw weight (counts, path terms weighted). */
export type TermCounts = ReadonlyMap<string, number>;

/** Splits prose into lower-case word terms: identifiers are cut at camelCase and snake_case joints as well. */
export function wordTerms(text: string, ignore: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const raw of text.match(/[A-Za-z][A-Za-z0-9_]*/g) ?? []) {
    const parts = raw
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/_/g, ' ')
      .toLowerCase()
      .split(' ');
    for (const p of parts) if (p.length >= 3 && p.length <= 40 && !STOPWORDS.has(p) && !ignore.has(p)) out.push(p);
  }
  return out;
}

/** A path's terms: the file itself and each folder above it. */
export function pathTerms(path: string): string[] {
  const clean = path.replace(/^\.\//, '').replace(/\\/g, '/');
  const out = [`file:${clean}`];
  const parts = clean.split('/');
  for (let i = 1; i < parts.length; i++) out.push(`dir:${parts.slice(0, i).join('/')}`);
  return out;
}

/** The term counts of a task: its words (title counted twice: it names the work) and its paths. */
export function termCounts(task: TaskText, ignore: ReadonlySet<string> = new Set()): TermCounts {
  const counts = new Map<string, number>();
  const add = (term: string, weight: number) => counts.set(term, (counts.get(term) ?? 0) + weight);
  for (const w of wordTerms(task.title, ignore)) add(w, 2);
  for (const text of task.texts) for (const w of wordTerms(text, ignore)) add(w, 1);
  for (const file of new Set(task.files))
    for (const t of pathTerms(file)) add(t, t.startsWith('file:') ? FILE_WEIGHT : DIR_WEIGHT);
  return counts;
}

/** A unit-length TF-IDF vector. */
export type TermVector = ReadonlyMap<string, number>;

/** Inverse document frequencies over a corpus of term counts: ln(1 + N / df), so a term every task has still counts a little. */
export function inverseFrequencies(corpus: readonly TermCounts[]): ReadonlyMap<string, number> {
  const df = new Map<string, number>();
  for (const doc of corpus) for (const term of doc.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  const idf = new Map<string, number>();
  for (const [term, n] of df) idf.set(term, Math.log(1 + corpus.length / n));
  return idf;
}

/**
 * Weights term counts with sublinear term frequency (1 + ln tf) and the corpus's inverse frequencies, normalised to
 * unit length. A term the corpus never saw gets the weight of a term seen once, so a new task's own words still count
 * toward its length.
 */
export function vectorOf(counts: TermCounts, idf: ReadonlyMap<string, number>, corpusSize: number): TermVector {
  const unseen = Math.log(1 + Math.max(corpusSize, 1));
  const weights = new Map<string, number>();
  let norm = 0;
  for (const [term, tf] of counts) {
    if (tf <= 0) continue;
    const w = (1 + Math.log(tf)) * (idf.get(term) ?? unseen);
    weights.set(term, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm === 0) return weights;
  for (const [term, w] of weights) weights.set(term, w / norm);
  return weights;
}

/** Cosine similarity of two unit vectors, with the terms that contribute most to it. */
export function cosine(a: TermVector, b: TermVector, top = 8): { score: number; shared: string[] } {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const parts: [string, number][] = [];
  let score = 0;
  for (const [term, w] of small) {
    const v = large.get(term);
    if (v === undefined) continue;
    score += w * v;
    parts.push([term, w * v]);
  }
  parts.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  return { score, shared: parts.slice(0, top).map(([t]) => t) };
}

export interface Ranked<T> {
  readonly item: T;
  readonly score: number;
  /** The terms the two share that weigh most, words and `file:`/`dir:` paths. */
  readonly shared: readonly string[];
}

/**
 * Ranks the corpus against a query: the `limit` items most similar, at least `minScore`, best first; ties go to the
 * item listed first, so the order is stable.
 */
export function rankSimilar<T>(
  query: TermCounts,
  corpus: readonly { readonly item: T; readonly counts: TermCounts }[],
  limit: number,
  minScore: number,
): Ranked<T>[] {
  if (corpus.length === 0 || limit <= 0) return [];
  const idf = inverseFrequencies(corpus.map((c) => c.counts));
  const q = vectorOf(query, idf, corpus.length);
  const ranked = corpus
    .map((c, i) => ({ i, item: c.item, ...cosine(q, vectorOf(c.counts, idf, corpus.length)) }))
    .filter((r) => r.score >= minScore && r.score > 0)
    .sort((x, y) => y.score - x.score || x.i - y.i);
  return ranked.slice(0, limit).map(({ item, score, shared }) => ({ item, score, shared }));
}
