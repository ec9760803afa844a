/** @module Markdown evidence: no section may be (near-)verbatim the phase prompt, the README or an earlier task's evidence. */
import type { CopiedTextCheck } from '../core/config.ts';
import { parseMarkdown, sectionProse, type SectionProse } from './markdown.ts';
import { sectionName } from './distinct-words.ts';
import { overlap, percent, shingles, wordsOf } from './tokens.ts';
import type { CopySource, Finding } from './types.ts';

/** Runs of this many words are compared: a shared 5-word run is rarely chance, a shared phrase is shorter. */
const RUN = 5;
/** A section with fewer runs than this (under 8 words) is too short to call a copy. */
const MIN_RUNS = 4;

const WHAT: Record<CopySource['kind'], (label: string) => string> = {
  template: () => "Autopilot's own instructions (the phase prompts)",
  readme: (label) => `the repository's ${label}`,
  earlier: (label) => `an earlier task's evidence, ${label}`,
};

/** A source's 5-word runs, computed once for every file checked against it. */
export interface PreparedSource {
  readonly source: CopySource;
  readonly runs: ReadonlySet<string>;
}

const prepared = new WeakMap<CopySource, PreparedSource>();

/**
 * The runs of texts seen lately, by their content: every move compares with the same earlier tasks' files (up to
 * `earlierTasks` of them), which are read afresh each time, and parsing them again for every move was most of a
 * move's time. Least recently used first out.
 */
const byText = new Map<string, ReadonlySet<string>>();
const BY_TEXT_MAX = 1024;

function runsOf(text: string): ReadonlySet<string> {
  const hit = byText.get(text);
  if (hit) {
    byText.delete(text);
    byText.set(text, hit);
    return hit;
  }
  const runs = shingles(wordsOf(text), RUN);
  for (const s of sectionProse(parseMarkdown(text)))
    for (const r of shingles(wordsOf(s.blocks.join('\n')), RUN)) runs.add(r);
  byText.set(text, runs);
  if (byText.size > BY_TEXT_MAX) byText.delete(byText.keys().next().value!);
  return runs;
}

/**
 * The runs of a source, cached by the source object (the gate passes the same sources for every file of a phase) and
 * by its text: those of its raw text and those of its prose as Markdown, so that list numbers, table pipes and code
 * spans read the same way in the source as in the section that copies it.
 */
export function prepareSource(source: CopySource): PreparedSource {
  let p = prepared.get(source);
  if (!p) {
    p = { source, runs: runsOf(source.text) };
    prepared.set(source, p);
  }
  return p;
}

/**
 * 'copied-text' for each section more than `maxContainment` of whose 5-word runs occur in one source the check's
 * `sources` name (the source with the most, when several do; of earlier tasks' files, those of the last
 * `earlierTasks` tasks). Sections under eight words are not compared, so a
 * shared phrase ("the tests pass on main") never trips it.
 */
export function checkCopiedText(
  check: CopiedTextCheck,
  sections: readonly SectionProse[],
  sources: readonly CopySource[],
  file: string,
): Finding[] {
  const wanted = sources
    .filter((s) => check.sources.includes(s.kind) && (s.kind !== 'earlier' || (s.rank ?? 0) < check.earlierTasks))
    .map(prepareSource);
  if (wanted.length === 0) return [];
  const findings: Finding[] = [];
  for (const s of sections) {
    const runs = shingles(wordsOf(s.blocks.join('\n')), RUN);
    if (runs.size < MIN_RUNS) continue;
    let best: { source: CopySource; share: number } | undefined;
    for (const p of wanted) {
      const share = overlap(runs, p.runs) / runs.size;
      if (share > check.maxContainment && (!best || share > best.share)) best = { source: p.source, share };
    }
    if (!best) continue;
    const where = sectionName(s.title);
    findings.push({
      file,
      rule: 'copied-text',
      problem: `${where.replace(/^./, (c) => c.toUpperCase())} copies ${WHAT[best.source.kind](best.source.label)}: ${percent(best.share)} of its 5-word runs occur there.`,
      fix: `Write ${s.title === '' ? 'the opening text' : `"## ${s.title}"`} in your own words about this task; quote at most a phrase of ${best.source.kind === 'template' ? 'the instructions' : best.source.label}.`,
    });
  }
  return findings;
}
