/** @module Lockfile parsers of the JavaScript package managers: npm (package-lock v2/v3), pnpm, yarn classic and berry. */
import { parse as parseYaml } from 'yaml';
import { dependency, type DependencyPackage, type LockfileRead } from './packages.ts';

/** A lockfile that is not what its name says: refused by the caller with the file named. */
export class LockfileError extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function names(...maps: unknown[]): Set<string> {
  const out = new Set<string>();
  for (const m of maps) if (isObject(m)) for (const k of Object.keys(m)) out.add(k);
  return out;
}

/** A package.json's dependency names, split into what ships and what is for development. */
export interface Manifest {
  readonly prod: Set<string>;
  readonly dev: Set<string>;
}

/** The direct dependencies a package.json declares; undefined when it cannot be read. */
export function readManifest(text: string | undefined): Manifest | undefined {
  if (text === undefined) return undefined;
  try {
    const pkg = JSON.parse(text) as unknown;
    if (!isObject(pkg)) return undefined;
    return {
      prod: names(pkg['dependencies'], pkg['optionalDependencies'], pkg['peerDependencies']),
      dev: names(pkg['devDependencies']),
    };
  } catch {
    return undefined;
  }
}

/** Splits `name@range` at the version's `@` (a scoped name starts with one of its own). */
function splitAt(spec: string): [string, string] {
  const at = spec.indexOf('@', 1);
  return at < 0 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)];
}

/** A package.json's (or lockfile entry's) `license`: a string, or the old `{type}` object form. */
export function declaredLicense(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v['type'] === 'string') return v['type'];
  return undefined;
}

/** npm's package-lock.json (and npm-shrinkwrap.json), lockfileVersion 2 or 3: the flat `packages` map. */
export function parsePackageLock(path: string, text: string): LockfileRead {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (err) {
    throw new LockfileError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(lock)) throw new LockfileError('not a JSON object');
  const version = lock['lockfileVersion'];
  const packages = lock['packages'];
  if ((version !== 2 && version !== 3) || !isObject(packages))
    throw new LockfileError(
      `lockfileVersion ${String(version)} is not supported (2 or 3, with a "packages" map): run npm install with npm 7 or later to upgrade it`,
    );
  // Direct dependencies: the root's and each workspace folder's (keys that are not under node_modules/).
  const direct = new Set<string>();
  for (const [key, entry] of Object.entries(packages)) {
    if (!isObject(entry) || key.includes('node_modules/')) continue;
    for (const n of names(
      entry['dependencies'],
      entry['devDependencies'],
      entry['optionalDependencies'],
      entry['peerDependencies'],
    ))
      direct.add(n);
  }
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    const at = key.lastIndexOf('node_modules/');
    if (at < 0 || !isObject(entry)) continue;
    if (entry['link'] === true) continue; // a workspace's symlink: its own entry is the folder
    const name = typeof entry['name'] === 'string' ? entry['name'] : key.slice(at + 'node_modules/'.length);
    const v = entry['version'];
    if (typeof v !== 'string' || v === '') {
      notes.push(`${key}: no version`);
      continue;
    }
    const topLevel = at === 0 && !key.slice('node_modules/'.length).includes('/node_modules/');
    const integrity = typeof entry['integrity'] === 'string' ? [entry['integrity']] : [];
    const license = declaredLicense(entry['license']);
    out.push(
      dependency('npm', name, v, path, {
        direct: topLevel && direct.has(key.slice('node_modules/'.length)),
        dev: entry['dev'] === true,
        hashes: integrity,
        ...(license !== undefined ? { license } : {}),
      }),
    );
  }
  return { lockfile: path, format: `npm package-lock v${version}`, packages: out, notes };
}

/** A pnpm package key (`/name@1.0.0(peer@2)` in v6, `name@1.0.0` in v9, `/name/1.0.0` in v5) as name and version. */
function pnpmKey(key: string): [string, string] | undefined {
  const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
  const [name, version] = splitAt(bare);
  if (version) return [name, version];
  // v5: /name/version or /@scope/name/version
  const slash = bare.lastIndexOf('/');
  return slash > 0 ? [bare.slice(0, slash), bare.slice(slash + 1)] : undefined;
}

/** pnpm-lock.yaml (lockfileVersion 5.x, 6.x and 9.x). */
export function parsePnpmLock(path: string, text: string): LockfileRead {
  let lock: unknown;
  try {
    lock = parseYaml(text);
  } catch (err) {
    throw new LockfileError(`not YAML: ${(err as Error).message}`);
  }
  if (!isObject(lock) || lock['lockfileVersion'] === undefined)
    throw new LockfileError('no lockfileVersion: not a pnpm lockfile');
  // Direct dependencies: every importer's (v6, v9), or the top level's (v5 without workspaces).
  const importers = isObject(lock['importers']) ? Object.values(lock['importers']) : [lock];
  const direct = new Map<string, { dev: boolean }>();
  for (const imp of importers) {
    if (!isObject(imp)) continue;
    for (const [field, dev] of [
      ['dependencies', false],
      ['optionalDependencies', false],
      ['devDependencies', true],
    ] as const) {
      const deps = imp[field];
      if (!isObject(deps)) continue;
      for (const [name, spec] of Object.entries(deps)) {
        const v = isObject(spec) ? spec['version'] : spec;
        if (typeof v !== 'string' || v.startsWith('link:')) continue;
        const version = v.replace(/\(.*$/, '');
        // A dependency under an alias is recorded as `/real@version` (v6) or `real@version` (v9).
        const real = version.includes('@') ? pnpmKey(version) : [name, version];
        if (!real) continue;
        const k = `${real[0]}@${real[1]}`;
        // Development-only when every importer that names it names it for development.
        direct.set(k, { dev: dev && (direct.get(k)?.dev ?? true) });
      }
    }
  }
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const packages = isObject(lock['packages']) ? lock['packages'] : {};
  for (const [key, entry] of Object.entries(packages)) {
    const nv = pnpmKey(key);
    if (!nv || !isObject(entry)) {
      notes.push(`${key}: not a name@version key`);
      continue;
    }
    const [keyName, keyVersion] = nv;
    const name = typeof entry['name'] === 'string' ? entry['name'] : keyName;
    const version = typeof entry['version'] === 'string' ? entry['version'] : keyVersion;
    if (seen.has(`${name}@${version}`)) continue; // v6 keeps one entry per peer set
    seen.add(`${name}@${version}`);
    const res = entry['resolution'];
    const integrity = isObject(res) && typeof res['integrity'] === 'string' ? [res['integrity']] : [];
    const d = direct.get(`${name}@${version}`);
    out.push(
      dependency('npm', name, version, path, {
        direct: d !== undefined,
        dev: d ? d.dev : entry['dev'] === true,
        hashes: integrity,
      }),
    );
  }
  return { lockfile: path, format: `pnpm lockfile v${String(lock['lockfileVersion'])}`, packages: out, notes };
}

function directOf(manifest: Manifest | undefined, name: string): { direct: boolean; dev: boolean } {
  if (!manifest) return { direct: false, dev: false };
  const prod = manifest.prod.has(name);
  return { direct: prod || manifest.dev.has(name), dev: !prod && manifest.dev.has(name) };
}

/** yarn.lock, either yarn classic's own format (v1) or berry's YAML (`__metadata`). */
export function parseYarnLock(path: string, text: string, manifest: Manifest | undefined): LockfileRead {
  return /^__metadata:/m.test(text) ? parseYarnBerry(path, text, manifest) : parseYarnClassic(path, text, manifest);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function parseYarnClassic(path: string, text: string, manifest: Manifest | undefined): LockfileRead {
  if (!/^# yarn lockfile v1/m.test(text))
    throw new LockfileError('neither "# yarn lockfile v1" nor berry\'s __metadata');
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  let specs: string[] | undefined;
  let integrity: string[] = [];
  let version: string | undefined;
  const flush = () => {
    if (!specs) return;
    const first = specs[0] ?? '';
    const [alias, range] = splitAt(first);
    // An alias (`alias@npm:real@^1`) installs the real package.
    const name = range.startsWith('npm:') ? splitAt(range.slice(4))[0] : alias;
    if (version) out.push(dependency('npm', name, version, path, { ...directOf(manifest, name), hashes: integrity }));
    else notes.push(`${first}: no version`);
    specs = undefined;
    integrity = [];
    version = undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      flush();
      specs = line.replace(/:\s*$/, '').split(',').map(unquote);
      continue;
    }
    const m = /^ {2}(\w+) (.+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'version') version = unquote(m[2]!);
    if (m[1] === 'integrity') integrity = [unquote(m[2]!)];
  }
  flush();
  return { lockfile: path, format: 'yarn classic lockfile v1', packages: out, notes };
}

function parseYarnBerry(path: string, text: string, manifest: Manifest | undefined): LockfileRead {
  let lock: unknown;
  try {
    lock = parseYaml(text);
  } catch (err) {
    throw new LockfileError(`not YAML: ${(err as Error).message}`);
  }
  if (!isObject(lock)) throw new LockfileError('not a YAML map');
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const [key, entry] of Object.entries(lock)) {
    if (key === '__metadata' || !isObject(entry)) continue;
    const resolution = typeof entry['resolution'] === 'string' ? entry['resolution'] : '';
    const [name, ref] = splitAt(resolution);
    // Workspaces and links are the project's own folders, not dependencies.
    if (entry['linkType'] === 'soft' || ref.startsWith('workspace:') || ref.startsWith('link:')) continue;
    const version = entry['version'];
    if (!ref.startsWith('npm:') || typeof version !== 'string') {
      notes.push(`${key}: resolved to ${resolution || 'nothing'}, not an npm release`);
      continue;
    }
    const checksum = typeof entry['checksum'] === 'string' ? [entry['checksum']] : [];
    out.push(dependency('npm', name, version, path, { ...directOf(manifest, name), hashes: checksum }));
  }
  const meta = isObject(lock['__metadata']) ? lock['__metadata']['version'] : undefined;
  return { lockfile: path, format: `yarn berry lockfile v${String(meta)}`, packages: out, notes };
}
