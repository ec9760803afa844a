/**
 * @module What a task's page shows of its dependencies, from the live VERIFY evidence of the supply-chain check
 * (dependency_diff.json, vulnerabilities.json, licenses.json): the packages the change adds, removes and changes, the
 * known vulnerabilities and whether each blocks, the licence findings, and the acceptances with their expiry.
 */
import type { LedgerEntry } from '../../../core/ledger.ts';
import type { TaskState } from '../../../core/task.ts';
import { acceptanceActive } from '../../../core/supply/report.ts';
import { phaseDir } from '../../../core/phases.ts';
import type { ArtifactState } from './evidence.ts';
import { verifyDocument } from './verify-findings.ts';
import type { Engine } from '../../../engine/context.ts';

export interface DependencyChangeView {
  readonly change: 'added' | 'removed' | 'changed';
  readonly ecosystem: string;
  readonly name: string;
  readonly lockfile: string;
  readonly direct: boolean;
  /** The versions before and after; empty on the side that has none. */
  readonly from: readonly string[];
  readonly to: readonly string[];
}

export interface VulnerabilityView {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
  readonly severity: string;
  readonly score: number | null;
  readonly affected: string;
  readonly fixed: string | null;
  readonly addedByChange: boolean;
  readonly blocking: boolean;
  /** The acceptance VERIFY applied, with its expiry. */
  readonly accepted: { readonly id: string; readonly expires: string } | null;
  readonly sources: readonly string[];
}

export interface LicenseFindingView {
  readonly name: string;
  readonly version: string;
  readonly ecosystem: string;
  readonly declared: string | null;
  readonly status: string;
  readonly blocking: boolean;
}

export interface AcceptanceView {
  readonly id: string;
  readonly reason: string;
  readonly expires: string;
  /** As VERIFY recorded it (`active`, `unused`, `expired`), or `expired` once its day has passed since. */
  readonly status: string;
  /** True when VERIFY counted it but its last day has passed since: the next VERIFY will not. */
  readonly expiredSince: boolean;
}

export interface SupplyView {
  /** The worst state of the files against the ledger. */
  readonly state: ArtifactState;
  /** Where the evidence lives, for links: `evidence/<task>/<phase dir>`. */
  readonly dir: string;
  readonly changes: readonly DependencyChangeView[];
  readonly vulnerabilities: {
    /** `checked`, or `unavailable` with its reason (no OSV database). */
    readonly status: string;
    readonly reason: string | null;
    readonly failOn: string | null;
    readonly records: number | null;
    readonly findings: readonly VulnerabilityView[];
    readonly acceptances: readonly AcceptanceView[];
    readonly notes: readonly string[];
  } | null;
  /** The licence verdicts that are findings (anything but allowed); null without a licence policy. */
  readonly licenses: { readonly checked: number; readonly findings: readonly LicenseFindingView[] } | null;
}

type Doc = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown) => (Array.isArray(v) ? (v as Doc[]) : []);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const obj = (v: unknown): Doc => (typeof v === 'object' && v !== null ? (v as Doc) : {});

function changesOf(doc: Doc): DependencyChangeView[] {
  const one = (change: DependencyChangeView['change'], p: Doc, from: string[], to: string[]) => ({
    change,
    ecosystem: str(p['ecosystem']),
    name: str(p['name']),
    lockfile: str(p['lockfile']),
    direct: p['direct'] === true,
    from,
    to,
  });
  return [
    ...list(doc['added']).map((p) => one('added', p, [], [str(p['version'])])),
    ...list(doc['removed']).map((p) => one('removed', p, [str(p['version'])], [])),
    ...list(doc['changed']).map((p) => one('changed', p, strings(p['from']), strings(p['to']))),
  ];
}

function vulnerabilitiesOf(doc: Doc, now: Date): NonNullable<SupplyView['vulnerabilities']> {
  const acceptances = list(doc['acceptances']).map((a) => {
    const expires = str(a['expires']);
    const recorded = str(a['status']) || 'unused';
    // The same rule as VERIFY's: an acceptance counts through the whole of its last day, UTC.
    const lapsed = !acceptanceActive({ id: str(a['id']), reason: str(a['reason']), expires }, now);
    return {
      id: str(a['id']),
      reason: str(a['reason']),
      expires,
      status: lapsed ? 'expired' : recorded,
      expiredSince: lapsed && recorded !== 'expired',
    };
  });
  const database = obj(doc['database']);
  return {
    status: str(doc['status']) || 'checked',
    reason: typeof doc['reason'] === 'string' ? doc['reason'] : null,
    failOn: typeof doc['failOn'] === 'string' ? doc['failOn'] : null,
    records: typeof database['records'] === 'number' ? database['records'] : null,
    findings: list(doc['findings']).map((f) => {
      const p = obj(f['package']);
      const sev = obj(f['severity']);
      const accepted = obj(f['accepted']);
      return {
        id: str(f['id']),
        aliases: strings(f['aliases']),
        ecosystem: str(p['ecosystem']),
        name: str(p['name']),
        version: str(p['version']),
        severity: str(sev['level']) || 'unknown',
        score: typeof sev['score'] === 'number' ? sev['score'] : null,
        affected: str(f['affected']),
        fixed: typeof f['fixed'] === 'string' ? f['fixed'] : null,
        addedByChange: f['addedByChange'] === true,
        blocking: f['blocking'] === true,
        accepted: typeof accepted['id'] === 'string' ? { id: accepted['id'], expires: str(accepted['expires']) } : null,
        sources: strings(f['sources']),
      };
    }),
    acceptances,
    notes: [...strings(doc['notes']), ...strings(obj(doc['npmAudit'])['notes'])],
  };
}

/** The task's dependencies as its live VERIFY evidence has them; undefined when that evidence has no supply files. */
export function taskSupply(engine: Engine, task: TaskState, entries: readonly LedgerEntry[]): SupplyView | undefined {
  const diff = verifyDocument(engine, task, entries, 'dependency_diff.json');
  if (!diff) return undefined;
  const vulns = verifyDocument(engine, task, entries, 'vulnerabilities.json');
  const licenses = verifyDocument(engine, task, entries, 'licenses.json');
  const states = [diff.state, vulns?.state, licenses?.state].filter((s): s is ArtifactState => s !== undefined);
  const packages = list(licenses?.doc['packages']);
  return {
    state: states.find((s) => s !== 'matches') ?? 'matches',
    dir: `evidence/${task.taskId}/${phaseDir(engine.config.roles.verify!)}`,
    changes: changesOf(diff.doc),
    vulnerabilities: vulns ? vulnerabilitiesOf(vulns.doc, engine.clock.now()) : null,
    licenses: licenses
      ? {
          checked: packages.length,
          findings: packages
            .filter((v) => v['status'] !== 'allowed')
            .map((v) => ({
              name: str(v['name']),
              version: str(v['version']),
              ecosystem: str(v['ecosystem']),
              declared: typeof v['declared'] === 'string' ? v['declared'] : null,
              status: str(v['status']),
              blocking: v['blocking'] === true,
            })),
        }
      : null,
  };
}
