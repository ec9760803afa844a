/**
 * @module Version order per ecosystem, from the libraries the ecosystems themselves use: npm's semver (npm, and Go's
 * module versions, which are semver with a `v`; crates) and PEP 440 (PyPI) from @renovatebot/pep440.
 */
import semver from 'semver';
import { compare as pep440Compare, valid as pep440Valid } from '@renovatebot/pep440';
import type { Ecosystem } from './packages.ts';

/** Compares two versions of one ecosystem; undefined when either is not a version of it (the caller notes it). */
export type Comparator = (a: string, b: string) => number | undefined;

function semverCompare(a: string, b: string): number | undefined {
  const x = semver.parse(a, { loose: false });
  const y = semver.parse(b, { loose: false });
  return x && y ? semver.compare(x, y) : undefined;
}

/** Go module versions are semver with a leading `v` (OSV's Go records drop it); `+incompatible` is build metadata. */
function goCompare(a: string, b: string): number | undefined {
  const strip = (v: string) => v.replace(/^v/, '');
  return semverCompare(strip(a), strip(b));
}

function pypiCompare(a: string, b: string): number | undefined {
  if (!pep440Valid(a) || !pep440Valid(b)) return undefined;
  return Math.sign(pep440Compare(a, b));
}

export const COMPARATORS: Readonly<Record<Ecosystem, Comparator>> = {
  npm: semverCompare,
  Go: goCompare,
  PyPI: pypiCompare,
  // Cargo's versions are semver (crates.io refuses anything else).
  'crates.io': semverCompare,
};
