/** @module Markdown evidence: no section may repeat another one of the same document, such as one sentence under every heading. */
import type { RepeatedSectionsCheck } from '../core/config.ts';
import type { SectionProse } from './markdown.ts';
import { sectionName } from './distinct-words.ts';
import { overlap, percent, shingles, stem, wordsOf } from './tokens.ts';
import type { Finding } from './types.ts';

/** Runs of this many words are compared: short enough for one-line sections, long enough that phrases differ. */
const RUN = 3;
/** A section with fewer runs than this is too short to call a repetition. */
const MIN_RUNS = 4;
/** Stands for the heading's own words, so "The problem is X" and "The risks are X" read alike. */
const HEADING = '§';

// The section's runs, with the heading's own words (by stem) replaced, so that a pasted sentence with the heading
// swapped in still matches.
function runsOf(s: SectionProse): Set<string> {
  const own = new Set(wordsOf(s.title.replace(/[-_/]/g, ' ')).map(stem));
  const words = wordsOf(s.blocks.join('\n')).map((w) => (own.has(stem(w)) ? HEADING : w));
  return shingles(words, RUN);
}

/**
 * 'repeated-section' for each section whose 3-word runs occur in an earlier section of the document more than
 * `maxOverlap` of the time (of the shorter of the two), each section's heading words set aside. Sections with fewer
 * than four runs are not compared. Each section is reported once, against the first section it repeats.
 */
export function checkRepeatedSections(
  check: RepeatedSectionsCheck,
  sections: readonly SectionProse[],
  file: string,
): Finding[] {
  const runs = sections.map(runsOf);
  const findings: Finding[] = [];
  for (let j = 1; j < sections.length; j++) {
    const b = runs[j]!;
    if (b.size < MIN_RUNS) continue;
    for (let i = 0; i < j; i++) {
      const a = runs[i]!;
      if (a.size < MIN_RUNS) continue;
      const share = overlap(b, a) / Math.min(a.size, b.size);
      if (share <= check.maxOverlap) continue;
      const later = sections[j]!;
      const first = sections[i]!;
      findings.push({
        file,
        rule: 'repeated-section',
        problem: `${sectionName(later.title).replace(/^./, (c) => c.toUpperCase())} repeats ${sectionName(first.title)}: ${percent(share)} of the 3-word runs of the shorter one occur in the other.`,
        fix: `Write ${later.title === '' ? 'the opening text' : `"## ${later.title}"`} for what that section asks of this task, not the text of ${first.title === '' ? 'the opening text' : `"## ${first.title}"`} again.`,
      });
      break;
    }
  }
  return findings;
}
