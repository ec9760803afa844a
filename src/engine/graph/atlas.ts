/**
 * @module Building the atlas of a repository: the files git knows (tracked, and untracked but not ignored) in the
 * languages the atlas parses, each read and digested, re-parsed only when its digest differs from the cached
 * manifest's, then linked. The manifest in the state folder is a cache: rebuilt when missing or unreadable, and
 * never trusted over the files (every file is digested again on each build).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  atlasLanguage,
  graphText,
  linkAtlas,
  manifestText,
  type Atlas,
  type AtlasFile,
  type AtlasLanguage,
  type ParsedFile,
  type ResolveContext,
} from '../../core/atlas.ts';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';
import { fileKinds } from '../../reports/file-kinds.ts';
import { findRoot, loadConfig } from '../repo/config-file.ts';
import { layoutFor } from '../repo/layout.ts';
import { git } from '../repo/git.ts';
import { readNoFollow, sha256Hex, writeAtomic } from '../repo/files.ts';
import { parseFile } from './parse.ts';

/** Files larger than this are left out of the atlas (generated bundles, vendored data), and listed as such. */
export const MAX_ATLAS_FILE_BYTES = 1024 * 1024;

const MANIFEST_VERSION = 1;
const MANIFEST_FILE = 'manifest.json';

/** Where a build looks and what it counts as a test. */
export interface AtlasOptions {
  readonly root: string;
  /** The absolute state folder: the cache goes in its `atlas/` folder, and nothing under it is parsed. */
  readonly stateDir: string;
  /** `verify.sources` and `verify.tests` of the config. */
  readonly globs: { readonly sources: readonly string[]; readonly tests: readonly string[] };
  /** Called as files are digested and parsed, for a progress line. */
  readonly progress?: (done: number, total: number) => void;
}

/** The digests a task's evidence names: each file's, the graph's, and the manifest's over both. */
export interface AtlasManifest {
  readonly digest: string;
  readonly graphDigest: string;
  readonly files: number;
  readonly edges: number;
  readonly languages: Readonly<Partial<Record<AtlasLanguage, number>>>;
}

export interface AtlasBuild {
  readonly atlas: Atlas;
  readonly manifest: AtlasManifest;
  /** Files parsed in this build, files whose cached parse was reused, files left out (too large, symlinks). */
  readonly parsed: number;
  readonly reused: number;
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Why the cache was not used, when it was not: missing, unreadable, another version. */
  readonly cacheNote?: string;
}

interface CachedFile extends ParsedFile {
  readonly digest: string;
  readonly language: AtlasLanguage;
}

/** The atlas's folder in the state folder. */
export function atlasDir(stateDir: string): string {
  return join(stateDir, 'atlas');
}

/** Builds (or brings up to date) the atlas of the repository, and writes its manifest to the cache. */
export async function buildAtlas(opts: AtlasOptions): Promise<AtlasBuild> {
  const { root } = opts;
  const listed = await listFiles(root, opts.stateDir);
  const { cache, note } = readCache(opts.stateDir);
  const kindOf = fileKinds(opts.globs);
  const files: AtlasFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const fresh: Record<string, CachedFile> = {};
  let parsed = 0;
  let reused = 0;
  const total = listed.code.length;
  for (const [i, path] of listed.code.entries()) {
    const language = atlasLanguage(path)!;
    const read = readNoFollow(join(root, path), MAX_ATLAS_FILE_BYTES);
    if (read.kind !== 'file') {
      // Listed by git but gone (deleted in the working tree) is no file of the atlas; the rest is named.
      if (read.kind !== 'missing') skipped.push({ path, reason: read.kind });
      continue;
    }
    const hit = cache[path];
    let facts: CachedFile;
    if (hit && hit.digest === read.sha256 && hit.language === language) {
      facts = hit;
      reused++;
    } else {
      facts = { digest: read.sha256, language, ...(await parseFile(language, read.bytes.toString('utf8'))) };
      parsed++;
    }
    fresh[path] = facts;
    files.push({ path, ...facts, test: kindOf(path) === 'test' });
    if (opts.progress && (i % 250 === 249 || i === total - 1)) opts.progress(i + 1, total);
  }
  const atlas = linkAtlas(files, resolveContext(root, listed.goMods));
  const graphDigest = sha256Hex(graphText(atlas));
  const languages: Partial<Record<AtlasLanguage, number>> = {};
  for (const f of atlas.files) languages[f.language] = (languages[f.language] ?? 0) + 1;
  const manifest: AtlasManifest = {
    digest: sha256Hex(manifestText(atlas.files, graphDigest)),
    graphDigest,
    files: atlas.files.length,
    edges: atlas.edges.length,
    languages,
  };
  // A cache, rebuilt from the files: it ignores itself, as pytest's cache folder does, so that no commit takes it in.
  if (!existsSync(join(atlasDir(opts.stateDir), '.gitignore')))
    writeAtomic(atlasDir(opts.stateDir), '.gitignore', '# The atlas cache of autopilot: rebuilt from the files.\n*\n');
  writeAtomic(
    atlasDir(opts.stateDir),
    MANIFEST_FILE,
    JSON.stringify({ version: MANIFEST_VERSION, manifest, files: fresh, goMods: listed.goMods }),
  );
  return { atlas, manifest, parsed, reused, skipped, ...(note ? { cacheNote: note } : {}) };
}

/**
 * The atlas as the last build left it, linked from the cache alone (no file read, no git): for a hint where a build
 * costs too much, never for evidence. Undefined when there is no cache to read.
 */
export function cachedAtlas(opts: Omit<AtlasOptions, 'progress'>): Atlas | undefined {
  const { cache, note, goMods } = readCache(opts.stateDir);
  if (note) return undefined;
  const kindOf = fileKinds(opts.globs);
  const files = Object.entries(cache)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, facts]) => ({ path, ...facts, test: kindOf(path) === 'test' }));
  return linkAtlas(files, resolveContext(opts.root, goMods));
}

/** The parse of each file by path from the cache; empty, with the reason, when there is none to trust. */
function readCache(stateDir: string): { cache: Record<string, CachedFile>; note?: string; goMods: string[] } {
  let text: string;
  try {
    text = readFileSync(join(atlasDir(stateDir), MANIFEST_FILE), 'utf8');
  } catch {
    return { cache: {}, note: 'no cached manifest', goMods: [] };
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown; files?: unknown; goMods?: unknown };
    if (doc.version !== MANIFEST_VERSION)
      return { cache: {}, note: 'the cached manifest is of another version', goMods: [] };
    if (typeof doc.files !== 'object' || doc.files === null)
      return { cache: {}, note: 'the cached manifest has no files', goMods: [] };
    const out: Record<string, CachedFile> = {};
    for (const [path, f] of Object.entries(doc.files as Record<string, unknown>)) if (isCachedFile(f)) out[path] = f;
    // Written since Go modules resolve from the cache; an older cache links Go imports after its next build.
    return { cache: out, goMods: strings(doc.goMods) ? (doc.goMods as string[]) : [] };
  } catch {
    return { cache: {}, note: 'the cached manifest is not JSON', goMods: [] };
  }
}

const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

function isCachedFile(v: unknown): v is CachedFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f['digest'] === 'string' &&
    typeof f['language'] === 'string' &&
    strings(f['exports']) &&
    strings(f['calls']) &&
    Array.isArray(f['imports']) &&
    (f['imports'] as unknown[]).every(
      (i) =>
        typeof i === 'object' &&
        i !== null &&
        typeof (i as { spec?: unknown }).spec === 'string' &&
        Array.isArray((i as { bindings?: unknown }).bindings),
    )
  );
}

/** The repository's code files (tracked, and untracked but not ignored), outside the state folder and node_modules; and its go.mod files. */
async function listFiles(root: string, stateDir: string): Promise<{ code: string[]; goMods: string[] }> {
  const r = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (r.code !== 0) throw new Error(`git ls-files failed in ${root}: ${r.stderr.trim()}`);
  const state = relative(root, stateDir);
  const inState = (p: string) => state !== '' && !state.startsWith('..') && (p === state || p.startsWith(`${state}/`));
  const code = new Set<string>();
  const goMods: string[] = [];
  for (const p of r.stdout.split('\0')) {
    if (!p || inState(p) || p.split('/').includes('node_modules')) continue;
    if (p === 'go.mod' || p.endsWith('/go.mod')) goMods.push(p);
    else if (atlasLanguage(p)) code.add(p);
  }
  return { code: [...code].sort(), goMods };
}

/** tsconfig.json's baseUrl and paths (when it parses as JSON once comments are dropped), and each go.mod's module path. */
function resolveContext(root: string, goMods: readonly string[]): ResolveContext {
  const goModules: { dir: string; path: string }[] = [];
  for (const m of goMods) {
    const text = readText(join(root, m));
    const path = text && /^\s*module\s+("?)([^\s"]+)\1\s*$/m.exec(text)?.[2];
    if (path) goModules.push({ dir: m === 'go.mod' ? '' : m.slice(0, -'/go.mod'.length), path });
  }
  const tsPaths = tsconfigPaths(readText(join(root, 'tsconfig.json')));
  return { goModules, ...(tsPaths ? { tsPaths } : {}) };
}

function readText(path: string): string | undefined {
  const r = readNoFollow(path, MAX_ATLAS_FILE_BYTES);
  return r.kind === 'file' ? r.bytes.toString('utf8') : undefined;
}

/** The `paths` of a tsconfig.json, when it has them; a tsconfig that does not parse (or `extends` one) has none here. */
export function tsconfigPaths(text: string | undefined): ResolveContext['tsPaths'] {
  if (!text) return undefined;
  let doc: { compilerOptions?: { baseUrl?: unknown; paths?: unknown } };
  try {
    // JSON with comments and trailing commas: strip both outside strings.
    const stripped = text
      .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_, s: string | undefined) => s ?? '')
      .replace(/,(\s*[}\]])/g, '$1');
    doc = JSON.parse(stripped) as typeof doc;
  } catch {
    return undefined;
  }
  const opts = doc.compilerOptions;
  const paths = opts?.paths;
  if (typeof paths !== 'object' || paths === null) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(paths as Record<string, unknown>))
    if (Array.isArray(v)) out[k] = v.filter((t): t is string => typeof t === 'string');
  const baseUrl = typeof opts?.baseUrl === 'string' ? opts.baseUrl.replace(/^\.\/?/, '').replace(/\/$/, '') : '';
  return { baseUrl, paths: out };
}

/** The build options of the repository around `cwd`: its root, its state folder and test globs from its config. */
export function atlasOptionsFor(cwd: string): AtlasOptions {
  const root = findRoot(cwd);
  if (!root)
    throw new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `no .autopilot/config.yaml at or above ${cwd}: the atlas keeps its manifest in the state folder the config names`,
      { key: '(file)', reason: 'not initialised' },
    );
  const config = loadConfig(root);
  return { root, stateDir: layoutFor(root, config.stateDir).stateDir, globs: config.verify };
}
