/** @module Markdown evidence: each section must say several things, not one word or one phrase over and over. */
import type { DistinctWordsCheck } from '../core/config.ts';
import type { SectionProse } from './markdown.ts';
import { contentStems, wordsOf } from './tokens.ts';
import type { Finding } from './types.ts';
import { plural } from '../core/phrasing.ts';

/** Below this many content words a section is too short to judge (minWords and the section rules speak for it). */
const MIN_JUDGED = 3;
/** One word's share is judged from this many content words on, the richness from RICHNESS_FROM on. */
const SHARE_FROM = 8;
const RICHNESS_FROM = 30;
/** A sentence or list item this long that occurs twice in one section is a repetition, not a coincidence. */
const DUPLICATE_WORDS = 3;

/** How a section is named in messages. */
export function sectionName(title: string): string {
  return title === '' ? 'the text before the first heading' : `section "${title}"`;
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The sentence or item that occurs twice (same words, same order), if any.
function duplicateSentence(blocks: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const b of blocks.flatMap((block) => block.split(/(?<=[.!?;])\s+|\n+/))) {
    const words = wordsOf(b);
    if (words.length < DUPLICATE_WORDS) continue;
    const key = words.join(' ');
    if (seen.has(key)) return b.replace(/\s+/g, ' ').trim();
    seen.add(key);
  }
  return undefined;
}

function excerpt(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** What is wrong with one section's vocabulary, if anything. */
function judge(check: DistinctWordsCheck, s: SectionProse): string | undefined {
  const where = capitalised(sectionName(s.title));
  const stems = contentStems(s.blocks.join('\n'));
  const total = stems.length;
  if (total >= MIN_JUDGED) {
    const counts = new Map<string, number>();
    for (const w of stems) counts.set(w, (counts.get(w) ?? 0) + 1);
    const distinct = counts.size;
    const need = Math.min(check.minDistinct, Math.ceil(total / 2));
    const [top, topCount] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
    if (distinct < need) {
      return `${where} has ${plural(total, 'content word')} but only ${distinct} distinct (${[...counts.keys()]
        .slice(0, 5)
        .map((w) => `"${w}"`)
        .join(', ')}); it needs at least ${need}`;
    }
    if (total >= SHARE_FROM && topCount / total > check.maxShare) {
      return `${where} leans on one word: "${top}" is ${topCount} of its ${total} content words`;
    }
    const richness = distinct / Math.sqrt(total);
    if (total >= RICHNESS_FROM && richness < check.minRichness) {
      return `${where} says little for its length: ${total} content words, only ${distinct} distinct`;
    }
  }
  const twice = duplicateSentence(s.blocks);
  if (twice !== undefined) return `${where} says the same thing twice: "${excerpt(twice)}"`;
  return undefined;
}

/**
 * 'distinct-words' for each section whose prose has too few distinct content words for its length: fewer than
 * `minDistinct` (or half its content words, for a short section), one word taking more than `maxShare` of them, a
 * long section whose distinct words over the square root of all fall under `minRichness`, or one sentence or list
 * item written twice. Content words are words other than English function words, compared by a light stem.
 */
export function checkDistinctWords(
  check: DistinctWordsCheck,
  sections: readonly SectionProse[],
  file: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const s of sections) {
    const problem = judge(check, s);
    if (problem === undefined) continue;
    const heading = s.title === '' ? 'the opening text' : `"## ${s.title}"`;
    findings.push({
      file,
      rule: 'distinct-words',
      problem: `${problem}.`,
      fix: `Rewrite ${heading} with what is true of this task, each sentence or item adding something new; repeating words does not make content.`,
    });
  }
  return findings;
}
