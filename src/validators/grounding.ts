/**
 * @module Spec grounding: the spec's acceptance criteria must name something the plan's file map or the diff
 * touches, so that a spec written for nothing in particular (or for another task) does not pass with the work.
 */
import type { GroundingCheck } from '../core/config.ts';
import { namedSectionProse, parseMarkdown } from './markdown.ts';
import { isStopword, stem } from './tokens.ts';
import type { EvidenceContext, Finding } from './types.ts';

/**
 * Words that name nothing a change could touch: process words any spec could say of any task, and the keywords of
 * common languages that any diff holds. A criterion and a file map sharing only these share nothing.
 */
const GENERIC: ReadonlySet<string> = new Set(
  (
    'test tests tested testing spec specs src lib source code file files function functions method methods class ' +
    'module modules feature features work works worked working expected expect correct correctly properly ' +
    'pass passes passed passing fail fails failed failure error errors return returns returned new add added adds ' +
    'update updated updates change changes changed make makes use uses used using should must can will able ' +
    'implement implemented implementation behaviour behavior requirement requirements criteria criterion acceptance ' +
    'regression regressions introduce introduced review reviewed merge merged quality coverage build builds lint ' +
    'green clean ci done complete completed task tasks issue issues bug bugs fix fixes fixed case cases edge ' +
    'user users value values data result results way thing things part parts item items example ' +
    'const let var def fn func function return import export from package public private protected static void ' +
    'int string number boolean bool true false null nil none undefined self this super async await yield if elif ' +
    'else for while switch break continue try catch except finally throw raise type interface struct enum impl ' +
    'mod pub use crate require module exports index main init md js ts tsx jsx py go rs java rb json yaml yml'
  ).split(' '),
);

/** Identifier-like runs: words, paths, dotted names (`src/count.js`, `wordCount`, `rate_limit`, `--dry-run`). */
const IDENT = /[\p{L}\p{N}_$][\p{L}\p{N}_$]*(?:[./:-][\p{L}\p{N}_$]+)*/gu;

// A name's parts: the whole (lower case), its path segments, its words (camelCase, snake_case, kebab-case split).
function partsOf(name: string): string[] {
  const out = [name.toLowerCase()];
  for (const seg of name.split(/[./:]/)) {
    out.push(seg.toLowerCase());
    for (const w of seg
      .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
      .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
      .split(/[\s_$-]+/))
      out.push(w.toLowerCase());
  }
  return out;
}

// A token that reads as code rather than prose: a path, a dotted or hyphenated name, camelCase, snake_case, digits.
const CODE_SHAPED = /[./:_$-]|\p{Ll}\p{Lu}|\p{L}\d|\d\p{L}/u;
// Marks around a plain word that make it a name: `/health`, `--verbose`, `#anchor`, `@scope`, `call(`, backticks.
const NAME_BEFORE = /[/`@#$-]/;
const NAME_AFTER = /[(`]/;

function codeShaped(text: string, at: number, token: string): boolean {
  return (
    CODE_SHAPED.test(token) || NAME_BEFORE.test(text[at - 1] ?? '') || NAME_AFTER.test(text[at + token.length] ?? '')
  );
}

/**
 * The terms a text names: its identifiers and words and their parts, stemmed, without generic and short ones.
 * With `codeOnly`, only names: tokens shaped like code (see {@link CODE_SHAPED}), in backticks, after a slash or
 * dash, or before a parenthesis, and their parts.
 */
export function termsOf(text: string, into: Set<string> = new Set(), codeOnly = false): Set<string> {
  for (const m of text.matchAll(IDENT)) {
    if (codeOnly && !codeShaped(text, m.index, m[0])) continue;
    for (const part of partsOf(m[0])) {
      if (part.length < 3 || /^\d+$/.test(part) || isStopword(part) || GENERIC.has(part)) continue;
      const s = stem(part);
      if (!GENERIC.has(s)) into.add(s);
    }
  }
  return into;
}

/**
 * What an artifact touches. `strong` terms name a thing (a path's parts, a code-shaped name, a diff's words): one
 * shared is enough. `plain` terms are prose (the words of a file map's `why`): it takes several shared to show the
 * criteria and the plan speak of the same thing rather than of common nouns ("table", "header").
 */
interface Touched {
  readonly strong: Set<string>;
  readonly plain: Set<string>;
}

/** Shared prose words of a file map's `why` that ground a spec on their own, without a shared name. */
const PLAIN_SHARED = 3;

/** What a file map touches: each entry's path (whole, segments, words) and the words of its `why`. */
function fileMapTerms(json: unknown): Touched | undefined {
  const files = (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return undefined;
  const touched: Touched = { strong: new Set(), plain: new Set() };
  for (const f of files) {
    if (typeof f === 'string') termsOf(f, touched.strong);
    else if (f && typeof f === 'object') {
      const { path, why } = f as { path?: unknown; why?: unknown };
      if (typeof path === 'string') termsOf(path, touched.strong);
      if (typeof why === 'string') {
        termsOf(why, touched.strong, true);
        termsOf(why, touched.plain);
      }
    }
  }
  return touched;
}

/** The diff's text this many characters far is read: enough for any change a spec describes. */
const DIFF_CHARS = 2 * 1024 * 1024;

/** What a unified diff touches: the paths of its files and the words of its changed lines, all of them names. */
function diffTerms(patch: string): Touched {
  const strong = new Set<string>();
  for (const line of patch.slice(0, DIFF_CHARS).split('\n')) {
    if (line.startsWith('diff --git ')) termsOf(line.slice('diff --git '.length).replace(/(^| )[ab]\//g, '$1'), strong);
    else if (line.startsWith('+++ ') || line.startsWith('--- ')) continue;
    else if (line.startsWith('+') || line.startsWith('-')) termsOf(line.slice(1), strong);
  }
  return { strong, plain: new Set() };
}

/**
 * 'spec-grounding' when the section `check.section` of the task's `check.artifact` (from `context.artifacts`) names
 * nothing this artifact touches. A JSON artifact is read as a file map (`files: [{path, why}]` or `files: [path]`),
 * anything else as a unified diff. "Names" means a shared term, compared by a light stem and leaving out words any
 * task could use (see {@link GENERIC}): one shared name (a path, a file name, a path segment, a word of an identifier
 * with camelCase, snake_case and kebab-case split, a code-shaped name in a `why`, any word of a diff's changed lines),
 * or three shared words of the file map's `why`. Findings when the spec or its section is missing
 * too; nothing when the artifact is not a file map (the JSON checks speak for it).
 */
export function checkGrounding(
  check: GroundingCheck,
  text: string,
  kind: 'json' | 'text',
  file: string,
  context: EvidenceContext,
): Finding[] {
  const spec = context.artifacts.find((a) => a.name === check.artifact);
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (!spec) {
    return [
      {
        file,
        rule: 'spec-grounding',
        problem: `The task has no ${check.artifact} to check ${base} against: no earlier phase of it holds one.`,
        fix: `Pass the phase whose contract holds ${check.artifact} first, or drop groundedIn from the rule of ${base} in the config.`,
      },
    ];
  }
  const criteria = namedSectionProse(parseMarkdown(spec.text), check.section);
  if (criteria === undefined || criteria.join('').trim() === '') {
    return [
      {
        file,
        rule: 'spec-grounding',
        problem: `${spec.path} has no "${check.section}" section to check ${base} against.`,
        fix: `Backtrack to ${spec.phase} and write a "## ${check.section}" section in ${check.artifact}.`,
      },
    ];
  }
  let target: Touched;
  let what: string;
  if (kind === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return [];
    }
    const map = fileMapTerms(parsed);
    if (!map) return [];
    target = map;
    what = 'no path, file name or identifier of its entries and no word of their "why"';
  } else {
    target = diffTerms(text);
    what = 'no path it changes and no identifier or word of its changed lines';
  }
  const named = termsOf(criteria.join('\n'));
  let plain = 0;
  for (const t of named) {
    if (target.strong.has(t)) return [];
    if (target.plain.has(t)) plain++;
  }
  if (plain >= PLAIN_SHARED) return [];
  return [
    {
      file,
      rule: 'spec-grounding',
      problem: `The "${check.section}" of ${spec.path} name nothing that ${base} touches: ${what} occurs in them.`,
      fix:
        kind === 'json'
          ? `Make the plan and the spec meet: list in ${base} the files the criteria are about, or backtrack to ${spec.phase} and write criteria that name what the change touches (a file, a function, a command, an endpoint).`
          : `Change what the criteria of ${spec.path} are about, or backtrack to ${spec.phase} and write criteria that name what this change touches (a file, a function, a command, an endpoint).`,
    },
  ];
}
