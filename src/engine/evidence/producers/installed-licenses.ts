/**
 * @module The licence an installed copy of a package declares, for the packages whose lockfile records none: the
 * `license` of `node_modules/<name>/package.json` beside the lockfile, or `License-Expression` (else `License`) of a
 * Python package's `*.dist-info/METADATA` in the virtual environment beside it (`.venv`, `venv`). Read from the work
 * tree, where the package manager installed them; a package not installed there has no declared licence.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { declaredLicense } from '../../../core/supply/js-lockfiles.ts';
import { pypiName, type DependencyPackage } from '../../../core/supply/packages.ts';
import { readNoFollow } from '../../repo/files.ts';

const MAX_BYTES = 1024 * 1024;

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function readText(path: string): string | undefined {
  const file = readNoFollow(path, MAX_BYTES);
  return file.kind === 'file' ? file.bytes.toString('utf8') : undefined;
}

function npmLicense(root: string, p: DependencyPackage): string | undefined {
  const text = readText(join(root, dirOf(p.lockfile), 'node_modules', ...p.name.split('/'), 'package.json'));
  if (text === undefined) return undefined;
  try {
    const pkg = JSON.parse(text) as Record<string, unknown>;
    // The installed copy must be the locked version: another version's licence says nothing about this one.
    return pkg['version'] === p.version ? declaredLicense(pkg['license']) : undefined;
  } catch {
    return undefined;
  }
}

/** The site-packages folders of the virtual environments beside a lockfile. */
function sitePackages(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const venv of ['.venv', 'venv']) {
    const lib = join(root, dir, venv, 'lib');
    let pythons: string[];
    try {
      pythons = readdirSync(lib).filter((n) => n.startsWith('python'));
    } catch {
      continue;
    }
    for (const py of pythons) out.push(join(lib, py, 'site-packages'));
  }
  return out;
}

/** A METADATA file's licence: `License-Expression` (core metadata 2.4), else a one-line `License`. */
export function metadataLicense(text: string): string | undefined {
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.+)$`, 'mi').exec(head)?.[1]?.trim();
  return field('License-Expression') || field('License') || undefined;
}

function pythonLicense(root: string, p: DependencyPackage, cache: Map<string, string[]>): string | undefined {
  const dir = dirOf(p.lockfile);
  for (const site of sitePackages(root, dir)) {
    let names = cache.get(site);
    if (!names) {
      try {
        names = readdirSync(site).filter((n) => n.endsWith('.dist-info'));
      } catch {
        names = [];
      }
      cache.set(site, names);
    }
    const hit = names.find((n) => {
      const stem = n.slice(0, -'.dist-info'.length);
      const dash = stem.lastIndexOf('-');
      return dash > 0 && pypiName(stem.slice(0, dash)) === p.name && stem.slice(dash + 1) === p.version;
    });
    const text = hit ? readText(join(site, hit, 'METADATA')) : undefined;
    if (text !== undefined) return metadataLicense(text);
  }
  return undefined;
}

/** A lookup of the licence a package's installed copy declares, in the work tree under `root`. */
export function installedLicenses(root: string): (p: DependencyPackage) => string | undefined {
  const cache = new Map<string, string[]>();
  return (p) => {
    if (p.ecosystem === 'npm') return npmLicense(root, p);
    if (p.ecosystem === 'PyPI') return pythonLicense(root, p, cache);
    return undefined;
  };
}
