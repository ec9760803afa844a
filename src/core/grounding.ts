/**
 * @module Grounding of a task's evidence in the code: the files and symbols its spec, plan and edge cases cite,
 * whether each resolves in the atlas (or the repository's file list), whether the plan's files are reachable from the
 * spec's cited entry points, and the groundedness score. Pure: the engine reads the evidence and builds the atlas.
 *
 * The document VERIFY's neighbours read, `grounding.json` (version 1), has this shape:
 *
 *     {
 *       version: 1,
 *       citations: [{ text, kind: 'file' | 'symbol', path, symbol?, resolved, source, inAtlas, new? }],
 *       missing: [path, ...],          cited files that exist nowhere and that the file map does not create
 *       score: number | null,          resolved citations / citations; null when nothing is cited
 *       reachable: boolean | null,     every plan file is reachable from a spec entry point; null without entry points
 *       entryPoints: [path, ...],      the spec's cited files that are in the atlas
 *       planFiles: [path, ...],        the file map's existing files that are in the atlas
 *       unreachable: [path, ...],      plan files no entry point reaches
 *       impactedTests: [path, ...],    test files that reach the file map's existing files (reverse imports)
 *       passed: boolean                no missing file citation
 *     }
 *
 * `text` is the citation as written, `source` the artifact it was read from (`spec.md`, `file_map.json`). A symbol
 * citation (`path:name`, `path#name`) resolves when the atlas file exports the name; a file citation when the file is
 * in the repository. `new` marks a file the file map adds (change `add`): not there yet, and not a missing citation.
 */

/** The name of the citation check's record in a phase's evidence folder. */
export const GROUNDING_FILE = 'grounding.json';
import { impactOf, type AtlasIndex } from './atlas.ts';

/** One file or symbol an artifact cites. */
export interface Citation {
  readonly text: string;
  readonly kind: 'file' | 'symbol';
  readonly path: string;
  readonly symbol?: string;
  readonly resolved: boolean;
  /** The artifact it was read from. */
  readonly source: string;
  /** The atlas holds the file (a code file in a language it parses). */
  readonly inAtlas: boolean;
  /** The file map adds the file: it does not exist before the task's change. */
  readonly new?: true;
}

/** The grounding document of a task's phase (see the module header for its JSON shape). */
export interface GroundingReport {
  readonly version: 1;
  readonly citations: readonly Citation[];
  readonly missing: readonly string[];
  readonly score: number | null;
  readonly reachable: boolean | null;
  readonly entryPoints: readonly string[];
  readonly planFiles: readonly string[];
  readonly unreachable: readonly string[];
  /** The test files that exercise what the plan changes: those reaching its existing files through imports. */
  readonly impactedTests: readonly string[];
  readonly passed: boolean;
}

/** What a transition entry records of a grounding (`data.grounding`): the SLO `groundedness_score` reads it. */
export interface GroundingSummary {
  readonly score: number | null;
  readonly citations: number;
  readonly resolved: number;
  readonly missing: number;
  readonly reachable: boolean | null;
}

export function groundingSummary(r: GroundingReport): GroundingSummary {
  return {
    score: r.score,
    citations: r.citations.length,
    resolved: r.citations.filter((c) => c.resolved).length,
    missing: r.missing.length,
    reachable: r.reachable,
  };
}

/** An artifact of the task to read citations from: Markdown prose, or a file map (`files: [{path, change}]`). */
export interface CitingArtifact {
  readonly name: string;
  readonly text: string;
  /** The artifact holds the spec: its cited code files are the entry points. */
  readonly spec?: boolean;
}

/** What a citation resolves against besides the atlas: the paths of every file git knows, and the artifacts' names. */
export interface GroundingInputs {
  readonly index: AtlasIndex;
  readonly repoFiles: ReadonlySet<string>;
  /** Names of the evidence contract's artifacts: `plan.md` cited in prose is evidence, not a file of the repository. */
  readonly artifactNames: ReadonlySet<string>;
}

/** Extensions a backticked word must end with to be read as a file: code, config and documentation files. */
const FILE_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs py go rs java kt rb php c h cc cpp hpp cs swift scala sh bash zsh ' +
    'json jsonc yaml yml toml ini cfg conf md mdx rst txt html css scss sql proto graphql lock mod sum xml gradle'
  ).split(' '),
);

const IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/**
 * A backticked span read as a citation: a path (with a slash, or a file name with a known extension), optionally
 * followed by `:symbol` or `#symbol` (a `:line` suffix is dropped); undefined for anything else (code, globs,
 * placeholders, URLs, flags).
 */
export function parseCitation(raw: string): { path: string; symbol?: string } | undefined {
  const text = raw.trim();
  if (!text || /[\s*?<>{}[\]()'"`|=,;]/.test(text) || text.includes('://') || text.startsWith('-')) return undefined;
  let path = text;
  let symbol: string | undefined;
  const sep = Math.max(text.lastIndexOf('#'), text.lastIndexOf(':'));
  if (sep > 0) {
    const tail = text.slice(sep + 1);
    path = text.slice(0, sep);
    if (/^\d+(?:-\d+)?$/.test(tail)) symbol = undefined;
    else if (IDENTIFIER.test(tail)) symbol = tail;
    else return undefined;
  }
  path = path.replace(/^\.\//, '');
  // An absolute path, or one that leaves the root, names nothing of the repository; a trailing slash is a folder.
  if (
    path.startsWith('/') ||
    path
      .replace(/\/$/, '')
      .split('/')
      .some((s) => s === '..' || s === '')
  )
    return undefined;
  const base = path.replace(/\/$/, '').split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  const looksLikeFile = FILE_EXTENSIONS.has(ext);
  // A slash alone is not enough ("and/or", "read/write"): a folder needs its trailing slash, a file its extension.
  if (!looksLikeFile && !path.endsWith('/')) return undefined;
  if (symbol !== undefined && !looksLikeFile) return undefined;
  return symbol === undefined ? { path } : { path, symbol };
}

/** The backticked spans of Markdown prose, outside fenced code blocks (examples, not citations). */
export function backticked(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    for (const m of line.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  }
  return out;
}

/** The file map's entries, read leniently: its schema is the gate's business, not this check's. */
export function fileMapEntries(text: string): { path: string; change: string }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const files = doc && typeof doc === 'object' ? (doc as { files?: unknown }).files : undefined;
  if (!Array.isArray(files)) return [];
  const out: { path: string; change: string }[] = [];
  for (const f of files) {
    if (!f || typeof f !== 'object') continue;
    const { path, change } = f as { path?: unknown; change?: unknown };
    if (typeof path === 'string' && path.trim())
      out.push({ path: path.trim().replace(/^\.\//, ''), change: typeof change === 'string' ? change : '' });
  }
  return out;
}

const isFileMap = (a: CitingArtifact) => a.name.endsWith('.json');

/** A file that exists: in the atlas, in git's list, or a folder holding one of them. */
function exists(path: string, inputs: GroundingInputs): { resolved: boolean; inAtlas: boolean } {
  if (path.endsWith('/')) {
    for (const f of inputs.repoFiles) if (f.startsWith(path)) return { resolved: true, inAtlas: false };
    return { resolved: false, inAtlas: false };
  }
  const inAtlas = inputs.index.byPath.has(path);
  return { resolved: inAtlas || inputs.repoFiles.has(path), inAtlas };
}

/** Every file a spec entry point reaches through import edges, itself included. */
function reachableFrom(index: AtlasIndex, entries: readonly string[]): Set<string> {
  const seen = new Set(entries);
  const queue = [...entries];
  while (queue.length) {
    const p = queue.shift()!;
    for (const e of index.imports.get(p) ?? [])
      if (!seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
  }
  return seen;
}

/**
 * Grounds a task's artifacts: every citation resolved, the missing ones named, the plan's files checked for
 * reachability from the spec's entry points. The same inputs give the same document.
 */
export function groundArtifacts(artifacts: readonly CitingArtifact[], inputs: GroundingInputs): GroundingReport {
  const created = new Set<string>();
  for (const a of artifacts.filter(isFileMap))
    for (const e of fileMapEntries(a.text)) if (e.change === 'add') created.add(e.path);
  const citations: Citation[] = [];
  const seen = new Set<string>();
  const entryPoints = new Set<string>();
  const planFiles = new Set<string>();
  // Every existing file the plan names, deleted ones included: their importers are impacted too.
  const touched = new Set<string>();
  const cite = (a: CitingArtifact, text: string, path: string, symbol: string | undefined) => {
    const key = `${a.name}\0${path}\0${symbol ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const isNew = created.has(path);
    const file = exists(path, inputs);
    const resolved =
      symbol === undefined
        ? file.resolved || isNew
        : (inputs.index.byPath.get(path)?.exports.includes(symbol) ?? false);
    citations.push({
      text,
      kind: symbol === undefined ? 'file' : 'symbol',
      path,
      ...(symbol !== undefined ? { symbol } : {}),
      resolved,
      source: a.name,
      inAtlas: file.inAtlas,
      ...(isNew ? { new: true as const } : {}),
    });
    if (a.spec && file.inAtlas) entryPoints.add(path);
  };
  for (const a of artifacts) {
    if (isFileMap(a)) {
      for (const e of fileMapEntries(a.text)) {
        cite(a, e.path, e.path, undefined);
        if (e.change !== 'add' && inputs.index.byPath.has(e.path)) planFiles.add(e.path);
        if (inputs.index.byPath.has(e.path)) touched.add(e.path);
      }
      continue;
    }
    for (const span of backticked(a.text)) {
      const c = parseCitation(span);
      if (!c) continue;
      // An artifact's bare name (`spec.md`) is evidence of the task, not a file of the repository.
      if (!c.path.includes('/') && inputs.artifactNames.has(c.path)) continue;
      cite(a, span.trim(), c.path, c.symbol);
    }
  }
  const missing = [...new Set(citations.filter((c) => c.kind === 'file' && !c.resolved).map((c) => c.path))].sort();
  const resolvedCount = citations.filter((c) => c.resolved).length;
  const entries = [...entryPoints].sort();
  const plan = [...planFiles].sort();
  let reachable: boolean | null = null;
  let unreachable: string[] = [];
  if (entries.length > 0) {
    const reach = reachableFrom(inputs.index, entries);
    unreachable = plan.filter((p) => !reach.has(p));
    reachable = unreachable.length === 0;
  }
  return {
    version: 1,
    citations,
    missing,
    score: citations.length ? Math.round((resolvedCount / citations.length) * 10000) / 10000 : null,
    reachable,
    entryPoints: entries,
    planFiles: plan,
    unreachable,
    impactedTests: impactOf(inputs.index, [...touched].sort()).tests.map((t) => t.path),
    passed: missing.length === 0,
  };
}
