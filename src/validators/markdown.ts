/** @module Markdown evidence: finds required sections in marked's token tree and checks each holds real content. */
import { Lexer, getDefaults, type Token, type Tokens } from 'marked';
import type { SectionRule } from '../core/config.ts';
import { BoundedCache } from '../core/bounded-cache.ts';
import type { Finding } from './types.ts';
import { countRealWords, PLACEHOLDER_EXAMPLES } from './words.ts';
import { plural } from '../core/phrasing.ts';

/** What a range of block tokens holds, in real (non-placeholder) words and list items. */
export interface ContentStats {
  /** Real words in paragraphs, text, lists, blockquotes, code and table body cells; headings excluded. */
  words: number;
  /** Lists in the range, nested ones included. */
  lists: number;
  /** List items with at least one real word of their own, nested items included. */
  items: number;
  /** List items with no real word of their own and no real nested item. */
  hollowItems: number;
}

/** A top-level heading and the block tokens of its section. */
export interface Section {
  /** The heading's plain text as written. */
  readonly title: string;
  /** The text compared with a rule's heading: see {@link normalizeHeading}. */
  readonly key: string;
  readonly depth: number;
  /** Every token after the heading up to the next heading of the same or a higher level. */
  readonly body: readonly Token[];
}

const emptyStats = (): ContentStats => ({ words: 0, lists: 0, items: 0, hollowItems: 0 });

/**
 * Parses Markdown (GFM) into marked's block token tree, with options of its own (global `marked.use` has no effect).
 * The tree is shared by every caller of the same text (nothing writes to it): a move parses the phase's files in its
 * gate, its copied-text check and its prompt, and `evidence add` parsed them just before.
 */
export function parseMarkdown(text: string): readonly Token[] {
  if (text.length > KEEP_PARSED_CHARS) return lex(text);
  return PARSED.get(text) ?? PARSED.set(text, lex(text));
}

const lex = (text: string): Token[] =>
  new Lexer({ ...getDefaults(), gfm: true, breaks: false, pedantic: false }).lex(text);

/** Texts up to this length keep their tree, the 64 latest. */
const KEEP_PARSED_CHARS = 64 * 1024;
const PARSED = new BoundedCache<string, readonly Token[]>(64);

/** Heading text as compared: whitespace trimmed and collapsed, trailing ':' dropped, lower case. */
export function normalizeHeading(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s*:+$/, '')
    .toLowerCase();
}

const ENTITY = /&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/gi;

// Plain text of inline tokens: markup, link URLs and inline HTML dropped, image alt text kept.
function inlineText(tokens: readonly Token[] | undefined): string {
  let out = '';
  for (const t of tokens ?? []) {
    if (t.type === 'html' || t.type === 'checkbox') continue;
    if (t.type === 'br') out += '\n';
    else if (t.type !== 'image' && 'tokens' in t && Array.isArray(t.tokens)) out += inlineText(t.tokens);
    else if ('text' in t && typeof t.text === 'string') out += t.text.replace(ENTITY, ' ');
  }
  return out;
}

// Plain text of a paragraph or block-level text token.
function blockText(t: Token): string {
  if ('tokens' in t && Array.isArray(t.tokens)) return inlineText(t.tokens);
  return 'text' in t && typeof t.text === 'string' ? t.text.replace(ENTITY, ' ') : '';
}

// "Risk 1:" alone: a label with nothing after it.
const BARE_LABEL = /^[^:\n]{1,60}:$/;

function addItem(item: Tokens.ListItem, into: ContentStats): void {
  const ownTokens = item.tokens.filter((t) => t.type !== 'list');
  const own = emptyStats();
  addBlocks(ownTokens, own);
  const nested = emptyStats();
  addBlocks(
    item.tokens.filter((t) => t.type === 'list'),
    nested,
  );
  const ownText = ownTokens
    .map((t) => (t.type === 'paragraph' || t.type === 'text' ? blockText(t) : ''))
    .join('\n')
    .trim();
  const ownWords = BARE_LABEL.test(ownText) ? 0 : own.words;
  into.words += ownWords + nested.words;
  into.lists += own.lists + nested.lists;
  into.items += (ownWords > 0 ? 1 : 0) + own.items + nested.items;
  into.hollowItems += (ownWords === 0 && nested.items === 0 ? 1 : 0) + own.hollowItems + nested.hollowItems;
}

function addBlocks(tokens: readonly Token[], into: ContentStats): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading':
      case 'html':
      case 'space':
      case 'hr':
      case 'def':
        break;
      case 'paragraph':
      case 'text':
        into.words += countRealWords(blockText(t));
        break;
      case 'code':
        into.words += countRealWords((t as Tokens.Code).text);
        break;
      case 'blockquote':
        addBlocks((t as Tokens.Blockquote).tokens, into);
        break;
      case 'list':
        into.lists++;
        for (const item of (t as Tokens.List).items) addItem(item, into);
        break;
      case 'table':
        // Header cells are labels, like headings; only the body rows are content.
        for (const row of (t as Tokens.Table).rows)
          for (const cell of row) into.words += countRealWords(inlineText(cell.tokens));
        break;
      default:
        if ('tokens' in t && Array.isArray(t.tokens)) addBlocks(t.tokens, into);
    }
  }
}

// The prose of block tokens, one string a paragraph, list item or table cell. Code blocks are left out: code repeats
// itself and quotes other files for good reasons, and the words count of minWords still sees it.
function proseBlocks(tokens: readonly Token[], out: string[]): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading':
      case 'html':
      case 'space':
      case 'hr':
      case 'def':
      case 'code':
        break;
      case 'paragraph':
      case 'text':
        out.push(blockText(t));
        break;
      case 'blockquote':
        proseBlocks((t as Tokens.Blockquote).tokens, out);
        break;
      case 'list':
        for (const item of (t as Tokens.List).items) proseBlocks(item.tokens, out);
        break;
      case 'table':
        for (const row of (t as Tokens.Table).rows) for (const cell of row) out.push(inlineText(cell.tokens));
        break;
      default:
        if ('tokens' in t && Array.isArray(t.tokens)) proseBlocks(t.tokens, out);
    }
  }
}

/** A heading and the prose directly under it, as the degenerate-evidence checks read a document. */
export interface SectionProse {
  /** The heading's plain text; empty for the text before the first heading. */
  readonly title: string;
  /** Paragraphs, list items and table cells up to the next heading of any level; code blocks left out. */
  readonly blocks: readonly string[];
}

/**
 * Every heading of a document with its own prose (a sub-section's text is its own, not its parent's), and the text
 * before the first heading as an untitled section when there is any. Sections without prose are left out.
 */
export function sectionProse(tokens: readonly Token[]): SectionProse[] {
  const out: SectionProse[] = [];
  let title = '';
  let body: Token[] = [];
  const flush = () => {
    const blocks: string[] = [];
    proseBlocks(body, blocks);
    if (blocks.some((b) => b.trim() !== '')) out.push({ title, blocks });
  };
  for (const t of tokens) {
    if (t.type !== 'heading') {
      body.push(t);
      continue;
    }
    flush();
    title = inlineText((t as Tokens.Heading).tokens)
      .replace(/\s+/g, ' ')
      .trim();
    body = [];
  }
  flush();
  return out;
}

/** Counts real words and list items of block tokens (see {@link ContentStats}). */
export function contentStats(tokens: readonly Token[]): ContentStats {
  const stats = emptyStats();
  addBlocks(tokens, stats);
  return stats;
}

/**
 * The sections of a document: one per top-level heading (headings inside lists,
 * blockquotes or code blocks do not open sections), each running to the next
 * heading of the same or a higher level, so sub-sections belong to it.
 */
export function splitSections(tokens: readonly Token[]): Section[] {
  const sections: Section[] = [];
  for (const [i, t] of tokens.entries()) {
    if (t.type !== 'heading') continue;
    const heading = t as Tokens.Heading;
    let end = i + 1;
    while (end < tokens.length) {
      const next = tokens[end];
      if (next?.type === 'heading' && (next as Tokens.Heading).depth <= heading.depth) break;
      end++;
    }
    const title = inlineText(heading.tokens).replace(/\s+/g, ' ').trim();
    sections.push({ title, key: normalizeHeading(title), depth: heading.depth, body: tokens.slice(i + 1, end) });
  }
  return sections;
}

/**
 * The prose of the section a heading names, sub-sections included (the deepest occurrences when the heading repeats,
 * as {@link checkSections} reads it), or undefined when no heading reads so.
 */
export function namedSectionProse(tokens: readonly Token[], heading: string): string[] | undefined {
  const key = normalizeHeading(heading);
  const matches = splitSections(tokens).filter((s) => s.key === key);
  if (matches.length === 0) return undefined;
  const depth = Math.max(...matches.map((s) => s.depth));
  const blocks: string[] = [];
  for (const s of matches) if (s.depth === depth) proseBlocks(s.body, blocks);
  return blocks;
}

function passes(rule: SectionRule, s: ContentStats): boolean {
  if (rule.list) return s.items >= rule.minItems;
  return s.words >= rule.minWords || s.items >= 1;
}

function sectionFinding(rule: SectionRule, s: ContentStats, file: string): Finding {
  const h = rule.heading;
  if (rule.list) {
    const problem =
      s.lists === 0
        ? `Section "${h}" has no list; it needs a list of at least ${plural(rule.minItems, 'item')}.`
        : `Section "${h}" has a list with ${plural(s.items, 'real item')}${s.hollowItems ? ` (${s.hollowItems} empty or placeholder)` : ''}; it needs at least ${rule.minItems}.`;
    return {
      file,
      rule: 'section-list',
      problem,
      fix: `Under "## ${h}", write a list ("- " per line) of at least ${plural(rule.minItems, 'item')}, each with real content, not ${PLACEHOLDER_EXAMPLES}.`,
    };
  }
  return {
    file,
    rule: 'section-content',
    problem: `Section "${h}" has ${plural(s.words, 'real word')}; it needs at least ${rule.minWords} (placeholders such as ${PLACEHOLDER_EXAMPLES} do not count).`,
    fix: `Write at least ${plural(rule.minWords, 'word')} of real content under "## ${h}" (a list with a real item also passes).`,
  };
}

/**
 * Checks each section rule against the document: 'section-missing' when no heading
 * matches, 'section-list' when a list section lacks `minItems` real items,
 * 'section-content' when a prose section has fewer than `minWords` real words and no
 * list with a real item. When a heading occurs more than once, the deepest
 * occurrences are used (a "# Strategy" title does not stand in for "## Strategy"),
 * and one of them passing is enough.
 */
export function checkSections(rules: readonly SectionRule[], tokens: readonly Token[], file: string): Finding[] {
  const sections = splitSections(tokens);
  const findings: Finding[] = [];
  for (const rule of rules) {
    const key = normalizeHeading(rule.heading);
    const matches = sections.filter((s) => s.key === key);
    if (matches.length === 0) {
      const what = rule.list
        ? `a list of at least ${plural(rule.minItems, 'item')}`
        : `at least ${plural(rule.minWords, 'word')} of real content`;
      findings.push({
        file,
        rule: 'section-missing',
        problem: `Section "${rule.heading}" is missing: no heading reads "${rule.heading}".`,
        fix: `Add a "## ${rule.heading}" section with ${what}.`,
      });
      continue;
    }
    const depth = Math.max(...matches.map((s) => s.depth));
    const stats = matches.filter((s) => s.depth === depth).map((s) => contentStats(s.body));
    if (stats.some((s) => passes(rule, s))) continue;
    const best = stats.reduce((a, b) => ((rule.list ? b.items > a.items : b.words > a.words) ? b : a));
    findings.push(sectionFinding(rule, best, file));
  }
  return findings;
}
