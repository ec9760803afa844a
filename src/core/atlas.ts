/**
 * @module The code atlas as data: what a parser found in each file (exports, imports, calls), how an import
 * specifier resolves to files of the repository (TypeScript/JavaScript, Python, Go), the graph's edges and digests,
 * and change impact (reverse dependencies, transitive, and the tests that reach them). Pure: the engine reads and
 * parses the files, this module decides.
 */

/** The languages the atlas parses; the grammar is picked by the file's extension. */
export type AtlasLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go';

const LANGUAGE_BY_EXTENSION: Readonly<Record<string, AtlasLanguage>> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  py: 'python',
  go: 'go',
};

/** The atlas language of a path, by its extension; undefined for a file the atlas does not parse. */
export function atlasLanguage(path: string): AtlasLanguage | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
  return LANGUAGE_BY_EXTENSION[path.slice(dot + 1)];
}

/** A name an import binds in the importing file: `local` is what the code calls, `imported` what the module exports (`*` a whole module, `default`). */
export interface Binding {
  readonly local: string;
  readonly imported: string;
}

/** One import as written: the specifier, and the names it binds. */
export interface ImportFact {
  readonly spec: string;
  readonly bindings: readonly Binding[];
}

/** What the parser found in one file, before any resolution (so it depends on the file's text only, and can be cached by digest). */
export interface ParsedFile {
  readonly exports: readonly string[];
  readonly imports: readonly ImportFact[];
  /** Callees of call expressions that may name an import: `f` or `ns.f`, each once. */
  readonly calls: readonly string[];
}

/** A file of the atlas. */
export interface AtlasFile extends ParsedFile {
  readonly path: string;
  readonly language: AtlasLanguage;
  /** SHA-256 of the file's bytes. */
  readonly digest: string;
  /** Matched by the config's test globs (`verify.tests`). */
  readonly test: boolean;
}

/** A resolved import edge: `from` imports `to`; `names` the exported names it binds, `calls` those of them it calls. */
export interface AtlasEdge {
  readonly from: string;
  readonly to: string;
  readonly names: readonly string[];
  readonly calls: readonly string[];
}

/** The whole graph: files by path (sorted), edges sorted by (from, to), imports nothing resolved (packages, the standard library) by file. */
export interface Atlas {
  readonly files: readonly AtlasFile[];
  readonly edges: readonly AtlasEdge[];
  readonly external: Readonly<Record<string, readonly string[]>>;
}

/** What resolution needs to know of the repository besides the file list. */
export interface ResolveContext {
  /** tsconfig.json's `compilerOptions.baseUrl` (repository-relative, '' for the root) and its `paths`, when it has them. */
  readonly tsPaths?: { readonly baseUrl: string; readonly paths: Readonly<Record<string, readonly string[]>> };
  /** Each go.mod of the repository: its folder (repository-relative, '' for the root) and its module path. */
  readonly goModules?: readonly { readonly dir: string; readonly path: string }[];
}

/** Posix path normalisation without node:path: drops `.` segments and folds `..`; undefined when it leaves the root. */
export function normalizePath(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

const join = (dir: string, rest: string) => (dir === '' ? rest : rest === '' ? dir : `${dir}/${rest}`);

const TS_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** An emitted extension written in an import, and the sources it is emitted from (TypeScript's ESM convention). */
const EMITTED_FROM: Readonly<Record<string, readonly string[]>> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** The file a TS/JS module path names: itself, with an extension probed, its emitted-from source, or its index file. */
function probeScript(base: string, files: ReadonlySet<string>): string | undefined {
  if (files.has(base)) return base;
  for (const [emitted, sources] of Object.entries(EMITTED_FROM)) {
    if (!base.endsWith(emitted)) continue;
    const stem = base.slice(0, -emitted.length);
    for (const s of sources) if (files.has(stem + s)) return stem + s;
  }
  for (const x of TS_EXTENSIONS) if (files.has(base + x)) return base + x;
  for (const x of TS_EXTENSIONS) if (files.has(`${base}/index${x}`)) return `${base}/index${x}`;
  return undefined;
}

function resolveScript(from: string, spec: string, files: ReadonlySet<string>, ctx: ResolveContext): string[] {
  if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
    const base = normalizePath(join(dirOf(from), spec));
    const hit = base === undefined ? undefined : probeScript(base, files);
    return hit ? [hit] : [];
  }
  const ts = ctx.tsPaths;
  if (!ts) return [];
  for (const [pattern, targets] of Object.entries(ts.paths)) {
    const star = pattern.indexOf('*');
    let rest: string | undefined;
    if (star < 0) rest = pattern === spec ? '' : undefined;
    else {
      const [pre, post] = [pattern.slice(0, star), pattern.slice(star + 1)];
      if (spec.startsWith(pre) && spec.endsWith(post) && spec.length >= pre.length + post.length)
        rest = spec.slice(pre.length, spec.length - post.length);
    }
    if (rest === undefined) continue;
    for (const t of targets) {
      const base = normalizePath(join(ts.baseUrl, t.replace('*', rest)));
      const hit = base === undefined ? undefined : probeScript(base, files);
      if (hit) return [hit];
    }
  }
  const base = normalizePath(join(ts.baseUrl, spec));
  const hit = base === undefined ? undefined : probeScript(base, files);
  return hit ? [hit] : [];
}

/** The folder a Python file's absolute imports also resolve from when it is not in a package (pytest's rootdir insertion). */
function pythonBaseDir(from: string, files: ReadonlySet<string>): string {
  let dir = dirOf(from);
  while (dir !== '' && files.has(join(dir, '__init__.py'))) dir = dirOf(dir);
  return dir;
}

/** The files a dotted module path loads from a root: each package's `__init__.py` on the way, and the module; undefined when it is not there. */
function pythonChain(root: string, parts: readonly string[], repo: RepoIndex): string[] | undefined {
  const out: string[] = [];
  let dir = root;
  for (let i = 0; i < parts.length; i++) {
    dir = join(dir, parts[i]!);
    const init = `${dir}/__init__.py`;
    if (repo.files.has(init)) out.push(init);
    else if (i === parts.length - 1 && repo.files.has(`${dir}.py`)) out.push(`${dir}.py`);
    // A namespace package (a folder without __init__.py) loads nothing itself.
    else if (!repo.folders.has(dir)) return undefined;
  }
  return out;
}

function resolvePython(from: string, fact: ImportFact, repo: RepoIndex): string[] {
  const files = repo.files;
  const spec = fact.spec;
  const level = spec.length - spec.replace(/^\.+/, '').length;
  const parts = spec.slice(level).split('.').filter(Boolean);
  let module: string[] | undefined;
  let packageDir: string | undefined;
  if (level > 0) {
    let dir: string | undefined = dirOf(from);
    for (let i = 1; i < level && dir !== undefined; i++) dir = dir === '' ? undefined : dirOf(dir);
    if (dir === undefined) return [];
    module = pythonChain(dir, parts, repo);
    packageDir = join(dir, parts.join('/'));
  } else {
    for (const root of [pythonBaseDir(from, files), '', 'src']) {
      module = pythonChain(root, parts, repo);
      if (module) {
        packageDir = join(root, parts.join('/'));
        break;
      }
    }
  }
  if (!module || packageDir === undefined) return [];
  const out = [...module];
  // `from pkg import name`: a name that is a submodule loads that module too.
  for (const b of fact.bindings) {
    if (b.imported === '*') continue;
    const sub = join(packageDir, b.imported);
    if (files.has(`${sub}.py`)) out.push(`${sub}.py`);
    else if (files.has(`${sub}/__init__.py`)) out.push(`${sub}/__init__.py`);
  }
  return out;
}

function resolveGo(spec: string, ctx: ResolveContext, goDirs: RepoIndex['goDirs']): string[] {
  let best: { dir: string; path: string } | undefined;
  for (const m of ctx.goModules ?? [])
    if ((spec === m.path || spec.startsWith(`${m.path}/`)) && (!best || m.path.length > best.path.length)) best = m;
  if (!best) return [];
  const dir = normalizePath(join(best.dir, spec.slice(best.path.length + 1)));
  return dir === undefined ? [] : [...(goDirs.get(dir) ?? [])];
}

/** The non-test Go files of each folder: a Go import names a package, that is a folder. */
function goPackages(files: Iterable<string>): Map<string, string[]> {
  const dirs = new Map<string, string[]>();
  for (const f of files) {
    if (!f.endsWith('.go') || f.endsWith('_test.go')) continue;
    const d = dirOf(f);
    const list = dirs.get(d);
    if (list) list.push(f);
    else dirs.set(d, [f]);
  }
  return dirs;
}

/** The repository's file list, indexed for resolution. */
export interface RepoIndex {
  readonly files: ReadonlySet<string>;
  readonly folders: ReadonlySet<string>;
  readonly goDirs: ReadonlyMap<string, readonly string[]>;
}

export function repoIndex(paths: Iterable<string>): RepoIndex {
  const files = new Set(paths);
  const folders = new Set<string>();
  for (const f of files) for (let d = dirOf(f); d !== '' && !folders.has(d); d = dirOf(d)) folders.add(d);
  return { files, folders, goDirs: goPackages(files) };
}

/** The files an import of `from` names in the repository; none for a package, the standard library or a miss. */
export function resolveImport(
  from: string,
  language: AtlasLanguage,
  fact: ImportFact,
  repo: RepoIndex,
  ctx: ResolveContext,
): string[] {
  if (language === 'python') return resolvePython(from, fact, repo);
  if (language === 'go') return resolveGo(fact.spec, ctx, repo.goDirs);
  return resolveScript(from, fact.spec, repo.files, ctx);
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Resolves every file's imports against the file list: the edges (one a pair of files, names merged) and what stayed outside. */
export function linkAtlas(files: readonly AtlasFile[], ctx: ResolveContext): Atlas {
  const sorted = [...files].sort(byPath);
  const repo = repoIndex(sorted.map((f) => f.path));
  const edges = new Map<string, { from: string; to: string; names: Set<string>; calls: Set<string> }>();
  const external: Record<string, string[]> = {};
  const add = (from: string, to: string, names: readonly string[], calls: readonly string[]) => {
    if (from === to) return;
    const key = `${from}\0${to}`;
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { from, to, names: new Set(), calls: new Set() }));
    for (const n of names) e.names.add(n);
    for (const c of calls) e.calls.add(c);
  };
  for (const f of sorted) {
    const called = new Set(f.calls);
    const outside = new Set<string>();
    for (const fact of f.imports) {
      const targets = resolveImport(f.path, f.language, fact, repo, ctx);
      if (targets.length === 0) {
        outside.add(fact.spec);
        continue;
      }
      const names = fact.bindings.map((b) => b.imported);
      const calls = fact.bindings.flatMap((b) => callsOf(b, called));
      for (const t of targets) add(f.path, t, names, calls);
    }
    // A Go test file is compiled with its package: it reaches the folder's other files without importing them.
    if (f.language === 'go' && f.path.endsWith('_test.go'))
      for (const t of repo.goDirs.get(dirOf(f.path)) ?? []) add(f.path, t, [], []);
    if (outside.size) external[f.path] = [...outside].sort();
  }
  const list = [...edges.values()]
    .map((e) => ({ from: e.from, to: e.to, names: [...e.names].sort(), calls: [...e.calls].sort() }))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return { files: sorted, edges: list, external };
}

/** The imported names a file calls through one binding: `f()` for a named import, `ns.f()` for a whole module. */
function callsOf(b: Binding, called: ReadonlySet<string>): string[] {
  if (b.imported !== '*') return called.has(b.local) ? [b.imported] : [];
  const prefix = `${b.local}.`;
  return [...called].filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length));
}

/** The text the manifest digest is computed over: each file with its digest, and the graph digest. Stable across runs. */
export function manifestText(files: readonly Pick<AtlasFile, 'path' | 'digest'>[], graphDigest: string): string {
  return `${[...files]
    .sort(byPath)
    .map((f) => `${f.digest}  ${f.path}`)
    .join('\n')}\ngraph ${graphDigest}\n`;
}

/** The text the graph digest is computed over: every edge, and each file's exports. */
export function graphText(atlas: Atlas): string {
  const lines: string[] = [];
  for (const f of atlas.files) lines.push(`file ${f.path} ${f.test ? 'test' : 'code'} ${f.exports.join(',')}`);
  for (const e of atlas.edges) lines.push(`edge ${e.from} ${e.to} ${e.names.join(',')} ${e.calls.join(',')}`);
  return `${lines.join('\n')}\n`;
}

/** A file that a change reaches, and how: its distance in import edges and the file it imports that is nearer. */
export interface ImpactedFile {
  readonly path: string;
  readonly depth: number;
  readonly via?: string;
  readonly test: boolean;
}

export interface Impact {
  /** The changed paths as given, and whether the atlas holds each. */
  readonly changed: readonly { readonly path: string; readonly inAtlas: boolean }[];
  /** Every file that depends on a change, directly or not, nearest first (the changed files at depth 0). */
  readonly files: readonly ImpactedFile[];
  /** The exported symbols of the changed files (`path#name`), and the names other files import of them. */
  readonly symbols: readonly { readonly symbol: string; readonly importedBy: readonly string[] }[];
  /** The test files among {@link files}: the tests that reach the change. */
  readonly tests: readonly ImpactedFile[];
}

/** A reverse-edge index of an atlas, built once for many queries. */
export interface AtlasIndex {
  readonly atlas: Atlas;
  readonly byPath: ReadonlyMap<string, AtlasFile>;
  readonly importers: ReadonlyMap<string, readonly AtlasEdge[]>;
  readonly imports: ReadonlyMap<string, readonly AtlasEdge[]>;
}

export function indexAtlas(atlas: Atlas): AtlasIndex {
  const importers = new Map<string, AtlasEdge[]>();
  const imports = new Map<string, AtlasEdge[]>();
  for (const e of atlas.edges) {
    (importers.get(e.to) ?? importers.set(e.to, []).get(e.to)!).push(e);
    (imports.get(e.from) ?? imports.set(e.from, []).get(e.from)!).push(e);
  }
  return { atlas, byPath: new Map(atlas.files.map((f) => [f.path, f])), importers, imports };
}

/** The files and symbols a change to `changed` reaches through reverse import edges, transitively, and the tests among them. */
export function impactOf(index: AtlasIndex, changed: readonly string[]): Impact {
  const seen = new Map<string, ImpactedFile>();
  let frontier: string[] = [];
  for (const p of [...new Set(changed)].sort()) {
    const f = index.byPath.get(p);
    if (!f) continue;
    seen.set(p, { path: p, depth: 0, test: f.test });
    frontier.push(p);
  }
  for (let depth = 1; frontier.length; depth++) {
    const next: string[] = [];
    for (const p of frontier)
      for (const e of index.importers.get(p) ?? []) {
        if (seen.has(e.from)) continue;
        seen.set(e.from, { path: e.from, depth, via: p, test: index.byPath.get(e.from)?.test ?? false });
        next.push(e.from);
      }
    frontier = next.sort();
  }
  const files = [...seen.values()].sort((a, b) => a.depth - b.depth || (a.path < b.path ? -1 : 1));
  const symbols = files
    .filter((f) => f.depth === 0)
    .flatMap((f) =>
      (index.byPath.get(f.path)?.exports ?? []).map((name) => ({
        symbol: `${f.path}#${name}`,
        importedBy: (index.importers.get(f.path) ?? []).filter((e) => e.names.includes(name)).map((e) => e.from),
      })),
    );
  return {
    changed: [...new Set(changed)].sort().map((path) => ({ path, inAtlas: index.byPath.has(path) })),
    files,
    symbols,
    tests: files.filter((f) => f.test),
  };
}

/** What `atlas show` prints of a file: what it exports, imports and is imported by. */
export interface FileView {
  readonly file: AtlasFile;
  readonly imports: readonly AtlasEdge[];
  readonly importedBy: readonly AtlasEdge[];
  readonly external: readonly string[];
}

export function fileView(index: AtlasIndex, path: string): FileView | undefined {
  const file = index.byPath.get(path);
  if (!file) return undefined;
  return {
    file,
    imports: index.imports.get(path) ?? [],
    importedBy: index.importers.get(path) ?? [],
    external: index.atlas.external[path] ?? [],
  };
}

/** A symbol: each file that exports a name, the files that import that name of it, and those that call it. */
export interface SymbolView {
  readonly symbol: string;
  readonly definedIn: string;
  readonly importedBy: readonly string[];
  readonly calledBy: readonly string[];
}

/** The symbols named `name` (or `path#name`) across the atlas. */
export function symbolViews(index: AtlasIndex, query: string): SymbolView[] {
  const hash = query.lastIndexOf('#');
  const [path, name] = hash >= 0 ? [query.slice(0, hash), query.slice(hash + 1)] : [undefined, query];
  const out: SymbolView[] = [];
  for (const f of index.atlas.files) {
    if ((path !== undefined && f.path !== path) || !f.exports.includes(name)) continue;
    const edges = (index.importers.get(f.path) ?? []).filter((e) => e.names.includes(name));
    out.push({
      symbol: `${f.path}#${name}`,
      definedIn: f.path,
      importedBy: edges.map((e) => e.from),
      calledBy: edges.filter((e) => e.calls.includes(name)).map((e) => e.from),
    });
  }
  return out;
}
