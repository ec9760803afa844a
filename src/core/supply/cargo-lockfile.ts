/**
 * @module Cargo.lock (TOML, lock versions 1 to 4, as cargo writes it): one `[[package]]` table a crate. Crates
 * without a `source` are the workspace's own; the crates they list in `dependencies` are the direct ones. Only
 * crates.io releases are packages (the git index and the sparse index both); a git or path source, or another
 * registry, is a note.
 */
import { parse as parseToml } from 'smol-toml';
import { LockfileError } from './js-lockfiles.ts';
import { dependency, type DependencyPackage, type LockfileRead } from './packages.ts';

const CRATES_IO = new Set(['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/']);

type Table = Record<string, unknown>;

/** A `dependencies` entry: `name`, `name version`, or `name version (source)` when the name alone is ambiguous. */
function depName(entry: string): string {
  return entry.split(' ')[0] ?? entry;
}

export function parseCargoLock(path: string, text: string): LockfileRead {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (err) {
    throw new LockfileError(`not TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  const packages = doc['package'];
  if (packages === undefined) return { lockfile: path, format: 'Cargo.lock', packages: [], notes: [] };
  if (!Array.isArray(packages)) throw new LockfileError('"package" is not an array of tables');
  const rows = packages.filter((p): p is Table => typeof p === 'object' && p !== null);
  const direct = new Set<string>();
  for (const p of rows)
    if (p['source'] === undefined && Array.isArray(p['dependencies']))
      for (const d of p['dependencies']) if (typeof d === 'string') direct.add(depName(d));
  const out: DependencyPackage[] = [];
  const notes: string[] = [];
  for (const p of rows) {
    const name = p['name'];
    const version = p['version'];
    const source = p['source'];
    if (typeof name !== 'string' || typeof version !== 'string') {
      notes.push(`a [[package]] without a name and version`);
      continue;
    }
    if (source === undefined) continue; // the workspace's own crate
    if (typeof source !== 'string' || !CRATES_IO.has(source)) {
      notes.push(`${name} ${version}: from ${String(source).replace(/#.*$/, '')}, not a crates.io release`);
      continue;
    }
    const checksum = typeof p['checksum'] === 'string' ? [`sha256:${p['checksum']}`] : [];
    out.push(dependency('crates.io', name, version, path, { direct: direct.has(name), hashes: checksum }));
  }
  const v = doc['version'];
  return { lockfile: path, format: `Cargo.lock${typeof v === 'number' ? ` v${v}` : ''}`, packages: out, notes };
}
