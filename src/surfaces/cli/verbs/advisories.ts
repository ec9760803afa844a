/** @module `autopilot advisories update`: the offline OSV database VERIFY reads, fetched for the ecosystems in use. */
import pc from 'picocolors';
import { ErrorCode, refuse } from '../../../core/errors.ts';
import { plural } from '../../../core/phrasing.ts';
import type { Ecosystem } from '../../../core/supply/packages.ts';
import {
  ecosystemNamed,
  ecosystemsInUse,
  OSV_SOURCE,
  updateAdvisories,
  type AdvisoriesProgress,
} from '../../../engine/evidence/advisories.ts';
import { findRoot, loadConfig } from '../../../engine/repo/config-file.ts';
import { cwdOf, done, UsageError, type GlobalOptions, type VerbResult } from '../runtime.ts';

export interface AdvisoriesUpdateOptions extends GlobalOptions {
  readonly ecosystem?: string[];
  readonly source?: string;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** One progress line a tenth of the way (or a line rewritten in place on a terminal); nothing with --json. */
function progressLines(json: boolean | undefined): AdvisoriesProgress | undefined {
  if (json) return undefined;
  const tty = process.stderr.isTTY;
  const shown = new Map<string, number>();
  return ({ ecosystem, received, total }) => {
    const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 5e6);
    if (shown.get(ecosystem) === step) return;
    shown.set(ecosystem, step);
    const line = `advisories: ${ecosystem} ${mb(received)}${total ? ` of ${mb(total)}` : ''}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    if (tty && total && received >= total) process.stderr.write('\n');
  };
}

export async function advisoriesUpdateVerb(opts: AdvisoriesUpdateOptions): Promise<VerbResult> {
  const cwd = cwdOf(opts);
  const root = findRoot(cwd);
  if (!root)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `no .autopilot/config.yaml at or above ${cwd}; run \`autopilot init\` in the repository first`,
      { key: '(file)', reason: 'missing' },
    );
  const config = loadConfig(root);
  if (!config.supplyChain)
    return refuse(
      ErrorCode.CONFIG_INVALID,
      'the config has no supplyChain section, so nothing says where the OSV database goes; add `supplyChain: {osv: advisories/osv}` to .autopilot/config.yaml (autopilot init writes one for a repository with lockfiles)',
      { key: 'supplyChain.osv', reason: 'missing' },
    );
  let ecosystems: Ecosystem[];
  if (opts.ecosystem?.length) {
    ecosystems = [];
    for (const name of opts.ecosystem) {
      const e = ecosystemNamed(name);
      if (!e)
        throw new UsageError(
          `--ecosystem ${name}: not one Autopilot reads (npm, PyPI, Go, crates.io, Maven)`,
          'ecosystem',
        );
      if (!ecosystems.includes(e)) ecosystems.push(e);
    }
  } else ecosystems = await ecosystemsInUse(root);
  if (opts.source !== undefined && !/^https?:\/\//.test(opts.source))
    throw new UsageError(`--source must be an http(s) URL, got "${opts.source}"`, 'source');
  const progress = progressLines(opts.json);
  const r = await updateAdvisories({
    root,
    osv: config.supplyChain.osv,
    ecosystems,
    source: opts.source ?? process.env['AUTOPILOT_OSV_SOURCE'] ?? OSV_SOURCE,
    ...(progress ? { progress } : {}),
  });
  if (!r.ok) return r;
  const u = r.value;
  return done(
    u,
    [
      `${pc.bold('advisories')} ${plural(u.ecosystems.length, 'ecosystem')} updated in ${u.folder}`,
      ...u.ecosystems.map((e) => `  ${e.ecosystem}: ${plural(e.records, 'record')}, ${mb(e.bytes)} (${e.url})`),
    ].join('\n'),
  );
}
