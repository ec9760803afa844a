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
  /** The number of its text in the index of runs (see {@link RUNS_OF}); texts alike share it. */
  readonly id: number;
}

const prepared = new WeakMap<CopySource, PreparedSource>();

/**
 * The runs of texts seen lately, by their content: every move compares with the same earlier tasks' files (up to
 * `earlierTasks` of them), which are read afresh each time, and parsing them again for every move was most of a
 * move's time. Least recently used first out.
 */
const byText = new Map<string, { readonly id: number; readonly runs: ReadonlySet<string> }>();
const BY_TEXT_MAX = 1024;
let nextId = 0;

/**
 * Which of the texts in `byText` hold each run: a section is compared with fifty earlier files by looking up each of
 * its runs once, instead of once a file. A run in no text seen (most runs of text written for its own task) costs
 * one lookup.
 */
const RUNS_OF = new Map<string, number[]>();
/** The ids of the texts in `byText`: a source whose text left it is compared run by run. */
const indexed = new Set<number>();

function runsOf(text: string): { readonly id: number; readonly runs: ReadonlySet<string> } {
  const hit = byText.get(text);
  if (hit) {
    byText.delete(text);
    byText.set(text, hit);
    return hit;
  }
  const runs = shingles(wordsOf(text), RUN);
  for (const s of sectionProse(parseMarkdown(text)))
    for (const r of shingles(wordsOf(s.blocks.join('\n')), RUN)) runs.add(r);
  const entry = { id: nextId++, runs };
  byText.set(text, entry);
  indexed.add(entry.id);
  for (const r of runs) {
    const ids = RUNS_OF.get(r);
    if (ids) ids.push(entry.id);
    else RUNS_OF.set(r, [entry.id]);
  }
  if (byText.size > BY_TEXT_MAX) {
    const [oldText, old] = byText.entries().next().value!;
    byText.delete(oldText);
    indexed.delete(old.id);
    for (const r of old.runs) {
      const ids = RUNS_OF.get(r);
      if (!ids) continue;
      const left = ids.filter((id) => id !== old.id);
      if (left.length) RUNS_OF.set(r, left);
      else RUNS_OF.delete(r);
    }
  }
  return entry;
}

/**
 * The runs of a source, cached by the source object (the gate passes the same sources for every file of a phase) and
 * by its text: those of its raw text and those of its prose as Markdown, so that list numbers, table pipes and code
 * spans read the same way in the source as in the section that copies it.
 */
export function prepareSource(source: CopySource): PreparedSource {
  let p = prepared.get(source);
  if (!p) {
    const { id, runs } = runsOf(source.text);
    p = { source, runs, id };
    prepared.set(source, p);
  }
  return p;
}

/** How many of `runs` each source holds: through the index for the indexed ones, run by run for the others. */
function sharedRuns(runs: ReadonlySet<string>, wanted: readonly PreparedSource[]): number[] {
  const counts = new Map<number, number>();
  const ids = new Set(wanted.filter((p) => indexed.has(p.id)).map((p) => p.id));
  if (ids.size > 0)
    for (const r of runs)
      for (const id of RUNS_OF.get(r) ?? []) if (ids.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return wanted.map((p) => (ids.has(p.id) ? (counts.get(p.id) ?? 0) : overlap(runs, p.runs)));
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
    const shared = sharedRuns(runs, wanted);
    for (const [i, p] of wanted.entries()) {
      const share = shared[i]! / runs.size;
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
