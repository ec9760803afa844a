/**
 * @module Version order per ecosystem, from the libraries the ecosystems themselves use: npm's semver (npm, and Go's
 * module versions, which are semver with a `v`; crates) and PEP 440 (PyPI) from @renovatebot/pep440; Maven's order
 * (no npm library implements it) written here after Maven's ComparableVersion.
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

/** Maven's qualifiers in release order; the empty string is the release itself (`ga`, `final`, `release` alias it). */
const MAVEN_QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const MAVEN_ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };

type MavenItem = number | string;

/**
 * A Maven version as items: numbers and qualifiers split at `.`, `-` and each change between digits and letters
 * (`1.0-RC1` → 1, 0, rc, 1); `a1`, `b1`, `m1` are alpha, beta, milestone. Trailing release-equivalent items (0 and
 * the empty qualifier) are dropped, so `1.0.0`, `1` and `1.0.Final` are one version.
 */
function mavenItems(v: string): MavenItem[] | undefined {
  const tokens = v.toLowerCase().match(/\d+|[a-z]+|[^a-z\d]+/g);
  if (!tokens || !/^[\da-z][\da-z.\-_+]*$/i.test(v)) return undefined;
  const items: MavenItem[] = [];
  tokens.forEach((t, i) => {
    if (/^\d+$/.test(t)) items.push(Number(t));
    else if (/^[a-z]+$/.test(t)) {
      const short = { a: 'alpha', b: 'beta', m: 'milestone' }[t];
      const beforeDigit = /^\d/.test(tokens[i + 1] ?? '');
      items.push(short && beforeDigit ? short : (MAVEN_ALIASES[t] ?? t));
    }
  });
  while (items.length && (items[items.length - 1] === 0 || items[items.length - 1] === '')) items.pop();
  return items;
}

/** A qualifier's rank: the known ones in order, any other after `sp`, alphabetically among themselves. */
function qualifierOrder(a: string, b: string): number {
  const ra = MAVEN_QUALIFIERS.indexOf(a);
  const rb = MAVEN_QUALIFIERS.indexOf(b);
  if (ra >= 0 && rb >= 0) return Math.sign(ra - rb);
  if (ra >= 0) return -1;
  if (rb >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function mavenCompare(a: string, b: string): number | undefined {
  const x = mavenItems(a);
  const y = mavenItems(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    // A missing item is the release itself: 0 beside a number, the empty qualifier beside a qualifier.
    const p = x[i] ?? (typeof y[i] === 'number' ? 0 : '');
    const q = y[i] ?? (typeof x[i] === 'number' ? 0 : '');
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return Math.sign(p - q);
    } else if (typeof p === 'number')
      return 1; // a number is later than any qualifier (1.0.1 > 1.0-sp)
    else if (typeof q === 'number') return -1;
    else {
      const c = qualifierOrder(p, q);
      if (c !== 0) return c;
    }
  }
  return 0;
}

export const COMPARATORS: Readonly<Record<Ecosystem, Comparator>> = {
  npm: semverCompare,
  Go: goCompare,
  PyPI: pypiCompare,
  // Cargo's versions are semver (crates.io refuses anything else).
  'crates.io': semverCompare,
  Maven: mavenCompare,
};
