/** @module Lockfile parsers of Go (go.mod with go.sum) and Python (requirements, Pipfile.lock, poetry.lock, uv.lock). */
import { parse as parseToml } from 'smol-toml';
import { LockfileError } from './js-lockfiles.ts';
import { dependency, pypiName, type DependencyPackage, type LockfileRead } from './packages.ts';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toml(text: string): Json {
  try {
    return parseToml(text) as Json;
  } catch (err) {
    throw new LockfileError(`not TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * go.mod's requirements (from Go 1.17 on, every module of the build list), `// indirect` marking the transitive
 * ones, with `replace` directives applied; go.sum gives each module's `h1:` hash, and a requirement it lacks is a note.
 */
export function parseGoMod(path: string, text: string, goSum: string | undefined): LockfileRead {
  const requires: { mod: string; version: string; indirect: boolean }[] = [];
  const replaces = new Map<string, { mod: string; version: string } | null>();
  let block: 'require' | 'replace' | undefined;
  const stripComment = (l: string) => l.replace(/\/\/.*$/, '').trim();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (block && line === ')') {
      block = undefined;
      continue;
    }
    const open = /^(require|replace)\s*\($/.exec(stripComment(line));
    if (open) {
      block = open[1] as 'require' | 'replace';
      continue;
    }
    const single = /^(require|replace)\s+(.*)$/.exec(line);
    const kind = block ?? (single ? (single[1] as 'require' | 'replace') : undefined);
    const body = block ? line : single?.[2];
    if (!kind || body === undefined || stripComment(body) === '') continue;
    if (kind === 'require') {
      const [mod, version] = stripComment(body).split(/\s+/);
      if (mod && version) requires.push({ mod, version, indirect: /\/\/\s*indirect\b/.test(body) });
    } else {
      const [left, right] = stripComment(body)
        .split('=>')
        .map((s) => s.trim().split(/\s+/));
      const to = right?.[0];
      if (!left?.[0] || !to) continue;
      // A replacement by a local folder (`=> ../x`) is the project's own code, not a module release.
      const local = to.startsWith('.') || to.startsWith('/');
      replaces.set(left[1] ? `${left[0]}@${left[1]}` : left[0], local ? null : { mod: to, version: right![1] ?? '' });
    }
  }
  if (!/^\s*module\s+\S+/m.test(text)) throw new LockfileError('no module directive: not a go.mod');
  const sums = new Map<string, string>();
  for (const line of (goSum ?? '').split('\n')) {
    const [mod, version, hash] = line.trim().split(/\s+/);
    if (mod && version && hash && !version.endsWith('/go.mod')) sums.set(`${mod}@${version}`, hash);
  }
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const r of requires) {
    const rep = replaces.has(`${r.mod}@${r.version}`) ? replaces.get(`${r.mod}@${r.version}`) : replaces.get(r.mod);
    if (rep === null) {
      notes.push(`${r.mod}: replaced by a local folder`);
      continue;
    }
    const mod = rep?.mod ?? r.mod;
    const version = rep?.version || r.version;
    const hash = sums.get(`${mod}@${version}`);
    if (goSum !== undefined && !hash) notes.push(`${mod}@${version}: no hash in go.sum`);
    out.push(dependency('Go', mod, version, path, { direct: !r.indirect, hashes: hash ? [hash] : [] }));
  }
  return {
    lockfile: path,
    format: goSum === undefined ? 'go.mod (no go.sum)' : 'go.mod + go.sum',
    packages: out,
    notes,
  };
}

/**
 * A pip requirements file: `name==version` pins (with `--hash=` options), others noted as unpinned. pip-compile's
 * `# via` comments tell the transitive pins from the direct ones (`# via -r requirements.in` is direct).
 */
export function parseRequirements(path: string, text: string): LockfileRead {
  // Backslash continuations join a requirement with its hashes and comments.
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const entries: { name: string; version: string; hashes: string[]; via: string[] }[] = [];
  const notes: string[] = [];
  let last: (typeof entries)[number] | undefined;
  for (const raw of lines) {
    // `# via a, b` on one line, or `# via` followed by `#   a` lines.
    if (last && /^\s*#\s+via\b|^\s*#\s{3,}\S/.test(raw)) {
      last.via.push(
        ...raw
          .replace(/^\s*#\s+(via\b)?/, '')
          .split(/[\s,]+/)
          .filter(Boolean),
      );
      continue;
    }
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('-')) {
      last = undefined;
      continue; // options: -r, -c, --index-url
    }
    const hashes = [...line.matchAll(/--hash[= ]([a-z0-9]+:[0-9a-f]+)/gi)].map((m) => m[1]!);
    const spec = line
      .replace(/\s--hash[= ]\S+/g, '')
      .split(';')[0]!
      .trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s,]+)$/.exec(spec);
    if (!m) {
      notes.push(`${spec}: not pinned to one version (name==version)`);
      last = undefined;
      continue;
    }
    last = { name: m[1]!, version: m[2]!, hashes, via: [] };
    entries.push(last);
  }
  const out = entries.map((e) =>
    dependency('PyPI', e.name, e.version, path, {
      // Without pip-compile's comments every pin is the project's own choice.
      direct: e.via.length === 0 || e.via.includes('-r'),
      hashes: e.hashes,
    }),
  );
  return { lockfile: path, format: 'pip requirements', packages: out, notes };
}

/** Pipfile.lock: `default` and `develop` maps of `==version` pins; Pipfile (TOML), when there, names the direct ones. */
export function parsePipfileLock(path: string, text: string, pipfile: string | undefined): LockfileRead {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (err) {
    throw new LockfileError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(lock) || !isObject(lock['_meta'])) throw new LockfileError('no _meta: not a Pipfile.lock');
  const manifest = pipfile !== undefined ? toml(pipfile) : undefined;
  const direct = new Set(
    ['packages', 'dev-packages'].flatMap((k) =>
      isObject(manifest?.[k]) ? Object.keys(manifest[k]).map(pypiName) : [],
    ),
  );
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const [section, dev] of [
    ['default', false],
    ['develop', true],
  ] as const) {
    const deps = lock[section];
    if (!isObject(deps)) continue;
    for (const [name, entry] of Object.entries(deps)) {
      const v = isObject(entry) ? entry['version'] : undefined;
      if (typeof v !== 'string' || !v.startsWith('==')) {
        notes.push(`${name}: no ==version (a VCS or path dependency)`);
        continue;
      }
      const hashes =
        isObject(entry) && Array.isArray(entry['hashes']) ? entry['hashes'].filter((h) => typeof h === 'string') : [];
      out.push(dependency('PyPI', name, v.slice(2), path, { direct: direct.has(pypiName(name)), dev, hashes }));
    }
  }
  return { lockfile: path, format: 'Pipfile.lock', packages: out, notes };
}

/** The names a pyproject.toml depends on directly: PEP 621 `project.dependencies` and Poetry's own tables. */
function pyprojectDirect(pyproject: string | undefined): Set<string> {
  if (pyproject === undefined) return new Set();
  const doc = toml(pyproject);
  const out = new Set<string>();
  const project = isObject(doc['project']) ? doc['project'] : {};
  const reqs = [
    ...(Array.isArray(project['dependencies']) ? project['dependencies'] : []),
    ...(isObject(project['optional-dependencies']) ? Object.values(project['optional-dependencies']).flat() : []),
    ...(isObject(doc['dependency-groups']) ? Object.values(doc['dependency-groups']).flat() : []),
  ];
  for (const r of reqs) if (typeof r === 'string') out.add(pypiName(/^[A-Za-z0-9._-]+/.exec(r)?.[0] ?? r));
  const poetry = isObject(doc['tool']) && isObject(doc['tool']['poetry']) ? doc['tool']['poetry'] : {};
  const tables = [poetry['dependencies'], poetry['dev-dependencies']];
  if (isObject(poetry['group']))
    for (const g of Object.values(poetry['group'])) if (isObject(g)) tables.push(g['dependencies']);
  for (const t of tables) if (isObject(t)) for (const k of Object.keys(t)) if (k !== 'python') out.add(pypiName(k));
  return out;
}

/** poetry.lock and uv.lock: TOML `[[package]]` tables with name and version; pyproject.toml names the direct ones. */
export function parsePythonTomlLock(
  path: string,
  text: string,
  kind: 'poetry' | 'uv',
  pyproject: string | undefined,
): LockfileRead {
  const lock = toml(text);
  const pkgs = lock['package'];
  if (!Array.isArray(pkgs)) throw new LockfileError('no [[package]] tables');
  const direct = pyprojectDirect(pyproject);
  // uv lists the project itself (source editable or virtual): its dependencies are the direct ones.
  for (const p of pkgs)
    if (
      kind === 'uv' &&
      isObject(p) &&
      isObject(p['source']) &&
      ('editable' in p['source'] || 'virtual' in p['source'])
    ) {
      const deps = [
        p['dependencies'],
        ...(isObject(p['dev-dependencies']) ? Object.values(p['dev-dependencies']) : []),
      ];
      for (const list of deps)
        if (Array.isArray(list))
          for (const d of list) if (isObject(d) && typeof d['name'] === 'string') direct.add(pypiName(d['name']));
    }
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const p of pkgs) {
    if (!isObject(p) || typeof p['name'] !== 'string') continue;
    const source = isObject(p['source']) ? p['source'] : undefined;
    if (source && ('editable' in source || 'virtual' in source || 'path' in source || 'directory' in source)) continue;
    if (source && ('git' in source || source['type'] === 'git')) {
      notes.push(`${p['name']}: a git dependency, no release version`);
      continue;
    }
    if (typeof p['version'] !== 'string') {
      notes.push(`${p['name']}: no version`);
      continue;
    }
    const files = [
      ...(Array.isArray(p['files']) ? p['files'] : []),
      ...(Array.isArray(p['wheels']) ? p['wheels'] : []),
      ...(isObject(p['sdist']) ? [p['sdist']] : []),
    ];
    const hashes = files.flatMap((f) => (isObject(f) && typeof f['hash'] === 'string' ? [f['hash']] : []));
    const groups = Array.isArray(p['groups']) ? p['groups'] : undefined;
    const dev = p['category'] === 'dev' || (groups !== undefined && !groups.includes('main'));
    out.push(
      dependency('PyPI', p['name'], p['version'], path, { direct: direct.has(pypiName(p['name'])), dev, hashes }),
    );
  }
  return { lockfile: path, format: kind === 'uv' ? 'uv.lock' : 'poetry.lock', packages: out, notes };
}
