/** @module Evidence validation entry point: picks validators by file extension and composes their findings. */
import { isMarkdownName, type ArtifactRule } from '../core/config.ts';
import { validateJson } from './json.ts';
import { checkSections, contentStats, parseMarkdown, sectionProse } from './markdown.ts';
import { checkEmpty, checkMinWords, checkPatterns, countTextWords, decodeEvidence } from './text.ts';
import { checkDistinctWords } from './distinct-words.ts';
import { checkRepeatedSections } from './repeated-sections.ts';
import { checkCopiedText } from './copied-text.ts';
import { checkGrounding } from './grounding.ts';
import { checkContract } from './contract.ts';
import type { EvidenceContext, Finding } from './types.ts';

export type { CopySource, EvidenceContext, Finding, RelatedArtifact, ValidatorRuleId } from './types.ts';

/** How an artifact is validated, from its file extension. */
export type ArtifactKind = 'markdown' | 'json' | 'text';

/** `.md`/`.markdown` → markdown, `.json` → json, anything else → text (case-insensitive). */
export function artifactKind(name: string): ArtifactKind {
  if (isMarkdownName(name)) return 'markdown';
  return /\.json$/i.test(name) ? 'json' : 'text';
}

/**
 * Validates one evidence file against its rule. Byte-level checks come first
 * (size over `rule.maxBytes ?? opts.maxBytes`, NUL byte, invalid UTF-8) and the
 * first failure is the only finding. Then: emptiness; by kind (from `rule.name`'s
 * extension) Markdown sections or JSON parse/schema/assertions (skipped when
 * empty); whole-document `minWords` (Markdown counts content words outside
 * headings); `mustMatch`/`mustNotMatch`. Then the degenerate-evidence checks the rule
 * turns on: for Markdown, distinct words per section, sections repeating each other, and
 * (with `opts.context`) sections copied from its sources; with `opts.context`, the spec
 * grounding of `groundedIn`. An empty array means the file passes.
 * Throws AutopilotError (CONFIG_INVALID) for an invalid regex or JSON Schema.
 */
export function validateArtifact(
  rule: ArtifactRule,
  content: Uint8Array,
  opts: { path: string; maxBytes: number; context?: EvidenceContext },
): Finding[] {
  const file = opts.path;
  const decoded = decodeEvidence(content, file, rule.maxBytes ?? opts.maxBytes);
  if (!decoded.ok) return [decoded.finding];
  const text = decoded.text;
  const findings: Finding[] = checkEmpty(text, file);
  const empty = findings.length > 0;
  const kind = artifactKind(rule.name);
  let words: () => number = () => countTextWords(text);
  if (kind === 'markdown') {
    const tokens = parseMarkdown(text);
    findings.push(...checkSections(rule.sections, tokens, file));
    words = () => contentStats(tokens).words;
    if (!empty) {
      const prose = sectionProse(tokens);
      if (rule.distinctWords) findings.push(...checkDistinctWords(rule.distinctWords, prose, file));
      if (rule.repeatedSections) findings.push(...checkRepeatedSections(rule.repeatedSections, prose, file));
      if (rule.copiedText && opts.context)
        findings.push(...checkCopiedText(rule.copiedText, prose, opts.context.sources, file));
    }
  } else if (kind === 'json' && !empty) {
    const json = validateJson(rule, text, file);
    findings.push(...json);
    if (rule.contract && !json.some((f) => f.rule === 'json-parse'))
      findings.push(...checkContract(rule.contract, text, file, opts.context?.contracts ?? {}));
  }
  if (
    rule.groundedIn &&
    opts.context &&
    !empty &&
    kind !== 'markdown' &&
    !findings.some((f) => f.rule === 'json-parse')
  )
    findings.push(...checkGrounding(rule.groundedIn, text, kind, file, opts.context));
  if (!empty && rule.minWords > 0) {
    findings.push(
      ...checkMinWords(
        rule.minWords,
        words(),
        file,
        kind === 'markdown' ? 'the document body (headings do not count)' : 'the file',
      ),
    );
  }
  findings.push(...checkPatterns(rule, text, file));
  return findings;
}

function describeContract(rule: ArtifactRule): string {
  const kind = artifactKind(rule.name);
  const parts: string[] = [];
  if (kind === 'markdown' && rule.sections.length > 0) {
    parts.push(
      `with the sections ${rule.sections.map((s) => `"## ${s.heading}"${s.list ? ' (a list)' : ''}`).join(', ')}, each holding real content`,
    );
  }
  if (kind === 'json') {
    const required = rule.schema?.['required'];
    if (rule.contract) {
      parts.push(`as JSON meeting the ${rule.contract} contract (its JSON Schema is in .autopilot/schemas/)`);
    } else if (rule.schema) {
      parts.push(
        Array.isArray(required) && required.length > 0
          ? `as JSON satisfying its schema (top-level keys: ${required.map(String).join(', ')})`
          : 'as JSON satisfying its schema',
      );
    } else {
      parts.push('as a JSON document');
    }
    if (rule.assert.length > 0) parts.push(`with ${rule.assert.map((a) => a.path).join(', ')}`);
  }
  if (rule.minWords > 0) parts.push(`with at least ${rule.minWords} words of real content`);
  if (rule.mustMatch.length > 0) parts.push(`matching ${rule.mustMatch.map((p) => `/${p}/`).join(' and ')}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/**
 * The 'missing' finding for a required artifact that does not exist at `path`.
 * The fix is `hint` when given; otherwise it says what to write (sections, schema,
 * patterns), or, for an artifact autopilot produces, to run the step that makes it.
 */
export function missingArtifact(rule: ArtifactRule, path: string, hint?: string): Finding {
  const fix =
    hint ??
    (rule.producer === 'autopilot'
      ? `Run the autopilot step that produces ${rule.name}; it is written by autopilot, not by hand.`
      : `Create ${path}${describeContract(rule)}.`);
  return { file: path, rule: 'missing', problem: `The required artifact ${rule.name} does not exist at ${path}.`, fix };
}
