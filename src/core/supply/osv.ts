/**
 * @module OSV records (the Open Source Vulnerability format, schema 1.x) matched against packages: `affected[].ranges`
 * of type SEMVER and ECOSYSTEM (events introduced, fixed, last_affected) and `affected[].versions` lists, evaluated
 * as the OSV schema's own algorithm does, with each ecosystem's version order. GIT ranges name commits, not
 * releases, and are not evaluated.
 */
import cvss from 'ae-cvss-calculator';
import { COMPARATORS, type Comparator } from './versions.ts';
import { pypiName, type DependencyPackage, type Ecosystem } from './packages.ts';

export const SEVERITY_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

export interface OsvAffected {
  readonly package?: { readonly ecosystem?: string; readonly name?: string };
  readonly ranges?: readonly { readonly type?: string; readonly events?: readonly OsvEvent[] }[];
  readonly versions?: readonly string[];
  readonly severity?: readonly OsvSeverity[];
  readonly database_specific?: { readonly severity?: unknown };
}

interface OsvSeverity {
  readonly type?: string;
  readonly score?: string;
}

/** The fields of an OSV record that matching reads. */
export interface OsvRecord {
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly summary?: string;
  readonly withdrawn?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly database_specific?: { readonly severity?: unknown };
}

/** A record's severity: the highest CVSS score it gives, else its database's word (GHSA's), else unknown. */
export interface Severity {
  readonly level: SeverityLevel | 'unknown';
  readonly score?: number;
  readonly vector?: string;
  readonly source: 'cvss' | 'database' | 'none';
}

const OSV_ECOSYSTEMS: Readonly<Record<string, Ecosystem>> = {
  npm: 'npm',
  PyPI: 'PyPI',
  Go: 'Go',
  'crates.io': 'crates.io',
  Maven: 'Maven',
};

/** A record, checked for the fields matching needs; a reason when it is not an OSV record. */
export function asOsvRecord(raw: unknown): OsvRecord | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a JSON object';
  const r = raw as Record<string, unknown>;
  if (typeof r['id'] !== 'string' || r['id'] === '') return 'no "id"';
  if (r['affected'] !== undefined && !Array.isArray(r['affected'])) return '"affected" is not a list';
  return r as unknown as OsvRecord;
}

function levelOfScore(score: number): SeverityLevel | 'unknown' {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'unknown';
}

function levelOfWord(word: unknown): SeverityLevel | undefined {
  const w = typeof word === 'string' ? word.toLowerCase() : '';
  if (w === 'moderate') return 'medium';
  return (SEVERITY_LEVELS as readonly string[]).includes(w) ? (w as SeverityLevel) : undefined;
}

/** The severity of a record for one of its affected entries (an entry's own severity wins over the record's). */
export function severityOf(record: OsvRecord, affected?: OsvAffected): Severity {
  let best: Severity | undefined;
  for (const s of [...(affected?.severity ?? []), ...(record.severity ?? [])]) {
    if (!s.score || !/^CVSS_V[234]$/.test(s.type ?? '')) continue;
    // CVSS v2 vectors carry no prefix; the library needs one to tell the version.
    const vector = s.type === 'CVSS_V2' && !s.score.startsWith('CVSS:') ? `CVSS:2.0/${s.score}` : s.score;
    let score: number | undefined;
    try {
      score = cvss.fromVector(vector)?.calculateScores().base;
    } catch {
      score = undefined;
    }
    if (typeof score !== 'number' || Number.isNaN(score)) continue;
    if (!best || (best.score ?? -1) < score)
      best = { level: levelOfScore(score), score, vector: s.score, source: 'cvss' };
  }
  if (best) return best;
  const word = levelOfWord(affected?.database_specific?.severity) ?? levelOfWord(record.database_specific?.severity);
  return word ? { level: word, source: 'database' } : { level: 'unknown', source: 'none' };
}

/** The key a record's affected entry is indexed by: ecosystem and (normalised) package name; undefined for others. */
export function osvKey(affected: OsvAffected): string | undefined {
  const eco = OSV_ECOSYSTEMS[affected.package?.ecosystem ?? ''];
  const name = affected.package?.name;
  if (!eco || !name) return undefined;
  return packageOsvKey({ ecosystem: eco, name: eco === 'PyPI' ? pypiName(name) : name });
}

/** The key a package's records are found by (its name as the lockfile reader normalised it). */
export function packageOsvKey(p: Pick<DependencyPackage, 'ecosystem' | 'name'>): string {
  return `${p.ecosystem}\0${p.name}`;
}

/** The records of a database, indexed by ecosystem and (normalised) package name. */
export class OsvIndex {
  private readonly byPackage = new Map<string, { record: OsvRecord; affected: OsvAffected }[]>();
  records = 0;

  add(record: OsvRecord): void {
    if (record.withdrawn) return;
    this.records++;
    for (const affected of record.affected ?? []) {
      const key = osvKey(affected);
      if (key === undefined) continue;
      const list = this.byPackage.get(key) ?? [];
      list.push({ record, affected });
      this.byPackage.set(key, list);
    }
  }

  candidates(
    p: Pick<DependencyPackage, 'ecosystem' | 'name'>,
  ): readonly { record: OsvRecord; affected: OsvAffected }[] {
    return this.byPackage.get(packageOsvKey(p)) ?? [];
  }
}

/** One package version that a record affects. */
export interface Match {
  readonly record: OsvRecord;
  readonly severity: Severity;
  /** The affected range that holds the version, as `>=1.0.0 <1.2.3` (or `listed` for a versions list). */
  readonly range: string;
  /** The first release that fixes it after the version, when the record names one. */
  readonly fixed: string | null;
}

/** The range an introduced event opens, up to the fixed or last_affected event that closes it. */
interface Interval {
  readonly introduced: string;
  readonly fixed?: string;
  readonly lastAffected?: string;
}

/** Sorts a range's events in version order (introduced "0" first) and pairs them into intervals. */
function intervals(events: readonly OsvEvent[], cmp: Comparator): Interval[] | undefined {
  const points: { kind: 'introduced' | 'fixed' | 'last_affected'; v: string }[] = [];
  for (const e of events) {
    if (e.introduced !== undefined) points.push({ kind: 'introduced', v: e.introduced });
    else if (e.fixed !== undefined) points.push({ kind: 'fixed', v: e.fixed });
    else if (e.last_affected !== undefined) points.push({ kind: 'last_affected', v: e.last_affected });
  }
  let broken = false;
  const order = (a: string, b: string) => {
    if (a === b) return 0;
    if (a === '0') return -1;
    if (b === '0') return 1;
    const c = cmp(a, b);
    if (c === undefined) broken = true;
    return c ?? 0;
  };
  points.sort((a, b) => order(a.v, b.v));
  if (broken) return undefined;
  const out: Interval[] = [];
  let open: string | undefined;
  for (const p of points) {
    if (p.kind === 'introduced') open ??= p.v;
    else if (open !== undefined) {
      out.push(p.kind === 'fixed' ? { introduced: open, fixed: p.v } : { introduced: open, lastAffected: p.v });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ introduced: open });
  return out;
}

function describe(i: Interval): string {
  const from = i.introduced === '0' ? '>=0' : `>=${i.introduced}`;
  return i.fixed ? `${from} <${i.fixed}` : i.lastAffected ? `${from} <=${i.lastAffected}` : from;
}

/**
 * The records that affect a package's version. `notes` receives what could not be judged (a version or an event
 * that is not a version of the ecosystem): such a range is neither a match nor a clean bill.
 */
export function matchPackage(index: OsvIndex, p: DependencyPackage, notes: string[]): Match[] {
  const cmp = COMPARATORS[p.ecosystem];
  const out: Match[] = [];
  for (const { record, affected } of index.candidates(p)) {
    let hit: { range: string; fixed: string | null } | undefined;
    if (affected.versions?.some((v) => v === p.version || cmp(v, p.version) === 0))
      hit = { range: 'listed', fixed: null };
    for (const range of affected.ranges ?? []) {
      if (hit) break;
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      const list = intervals(range.events ?? [], cmp);
      if (!list || cmp(p.version, p.version) === undefined) {
        notes.push(`${record.id}: cannot compare ${p.name}@${p.version} with its ${range.type} range`);
        continue;
      }
      for (const i of list) {
        const after = i.introduced === '0' || (cmp(p.version, i.introduced) ?? -1) >= 0;
        const before = i.fixed
          ? (cmp(p.version, i.fixed) ?? 1) < 0
          : i.lastAffected
            ? (cmp(p.version, i.lastAffected) ?? 1) <= 0
            : true;
        if (after && before) {
          hit = { range: describe(i), fixed: i.fixed ?? null };
          break;
        }
      }
    }
    if (hit) out.push({ record, severity: severityOf(record, affected), ...hit });
  }
  return out;
}
