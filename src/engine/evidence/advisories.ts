/**
 * @module `advisories update`: fetches osv.dev's per-ecosystem database (`<source>/<Ecosystem>/all.zip`) for the
 * ecosystems the repository's lockfiles use into the offline folder VERIFY reads. Every zip is downloaded beside its
 * place, checked to hold OSV records, and only when all are sound renamed over the old ones: a failed or interrupted
 * update leaves the database as it was. VERIFY itself never fetches.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ErrorCode, refuse, type Result } from '../../core/errors.ts';
import { ecosystemsIn } from '../../core/supply/lockfiles.ts';
import { asOsvRecord } from '../../core/supply/osv.ts';
import { ECOSYSTEMS, type Ecosystem } from '../../core/supply/packages.ts';
import { git } from '../repo/git.ts';
import { forEachZipEntry } from './zip-entries.ts';

/** osv.dev's bucket of per-ecosystem zips. */
export const OSV_SOURCE = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface AdvisoriesUpdate {
  /** The folder written (supplyChain.osv, absolute). */
  readonly folder: string;
  readonly source: string;
  readonly ecosystems: {
    readonly ecosystem: Ecosystem;
    readonly url: string;
    readonly path: string;
    readonly bytes: number;
    readonly records: number;
  }[];
}

/** A step of a download: bytes received of an ecosystem's zip, and its size when the server says it. */
export type AdvisoriesProgress = (p: { ecosystem: Ecosystem; received: number; total?: number }) => void;

/** The OSV ecosystems of the lockfiles in the work tree (tracked or not, ignored files left out). */
export async function ecosystemsInUse(root: string): Promise<Ecosystem[]> {
  const listed = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (listed.code !== 0) throw new Error(`git ls-files failed: ${listed.stderr.trim()}`);
  return ecosystemsIn(listed.stdout.split('\0').filter(Boolean));
}

/** The ecosystem names as OSV spells them, whatever the case a person typed. */
export function ecosystemNamed(name: string): Ecosystem | undefined {
  return ECOSYSTEMS.find((e) => e.toLowerCase() === name.toLowerCase());
}

const why = (err: unknown) => {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
};

/** Downloads one zip to `to`, reporting progress; a refusal when the server or the network fails. */
async function download(
  url: string,
  to: string,
  ecosystem: Ecosystem,
  progress: AdvisoriesProgress | undefined,
): Promise<Result<number>> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    return refuse(
      ErrorCode.USAGE,
      `cannot reach ${url}: ${why(err)}. The offline database is unchanged; run the update again where there is network, or give a reachable mirror of osv.dev's bucket`,
      { argument: 'source', url, ecosystem, reason: why(err) },
    );
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    return refuse(
      ErrorCode.USAGE,
      `${url} answered ${res.status} ${res.statusText}: osv.dev has no such ecosystem zip there. The offline database is unchanged`,
      { argument: 'source', url, ecosystem, status: res.status },
    );
  }
  const totalHeader = Number(res.headers.get('content-length'));
  const total = Number.isFinite(totalHeader) && totalHeader > 0 ? totalHeader : undefined;
  const out = createWriteStream(to);
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      progress?.({ ecosystem, received, ...(total !== undefined ? { total } : {}) });
    }
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    return refuse(
      ErrorCode.USAGE,
      `the download of ${url} broke off after ${received} bytes: ${why(err)}. The offline database is unchanged`,
      { argument: 'source', url, ecosystem, reason: why(err) },
    );
  }
  if (total !== undefined && received !== total)
    return refuse(
      ErrorCode.USAGE,
      `the download of ${url} stopped at ${received} of ${total} bytes. The offline database is unchanged`,
      { argument: 'source', url, ecosystem, received, total },
    );
  return { ok: true, value: received };
}

/** Counts the OSV records of a downloaded zip, reading it entry by entry; a reason when it is no zip or holds none. */
function recordsIn(path: string): number | string {
  const decoder = new TextDecoder();
  let records = 0;
  let bad: string | undefined;
  try {
    forEachZipEntry(
      path,
      (name) => name.endsWith('.json'),
      (name, bytes) => {
        if (bad) return;
        let raw: unknown;
        try {
          raw = JSON.parse(decoder.decode(bytes));
        } catch {
          bad = `${name} is not JSON`;
          return;
        }
        if (typeof asOsvRecord(raw) === 'string') bad = `${name} is not an OSV record`;
        else records++;
      },
    );
  } catch (err) {
    return `not a zip (${(err as Error).message})`;
  }
  if (bad) return bad;
  return records === 0 ? 'no OSV records in it' : records;
}

/**
 * Fetches each ecosystem's zip into `<folder>/<Ecosystem>/all.zip`. `osv` is supplyChain.osv (relative to `root`);
 * it must name a folder (or nothing yet), since one zip cannot hold several ecosystems' databases.
 */
export async function updateAdvisories(opts: {
  readonly root: string;
  readonly osv: string;
  readonly ecosystems: readonly Ecosystem[];
  readonly source?: string;
  readonly progress?: AdvisoriesProgress;
}): Promise<Result<AdvisoriesUpdate>> {
  const folder = isAbsolute(opts.osv) ? opts.osv : resolve(opts.root, opts.osv);
  const source = (opts.source ?? OSV_SOURCE).replace(/\/+$/, '');
  let isFile = false;
  try {
    isFile = !statSync(folder).isDirectory();
  } catch {
    isFile = false;
  }
  if (isFile || folder.endsWith('.zip'))
    return refuse(
      ErrorCode.CONFIG_INVALID,
      `supplyChain.osv (${opts.osv}) names a file; an update writes one zip per ecosystem into a folder. Point supplyChain.osv at a folder (advisories/osv)`,
      { key: 'supplyChain.osv', reason: 'not a folder', file: folder },
    );
  if (opts.ecosystems.length === 0)
    return refuse(
      ErrorCode.USAGE,
      'no ecosystem to fetch: the repository has no lockfile Autopilot reads; name the ecosystems to fetch',
      { argument: 'ecosystem' },
    );
  mkdirSync(folder, { recursive: true });
  const staged: { ecosystem: Ecosystem; url: string; tmp: string; path: string; bytes: number; records: number }[] = [];
  const discard = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
  };
  for (const ecosystem of opts.ecosystems) {
    const url = `${source}/${encodeURIComponent(ecosystem)}/all.zip`;
    // A dot file in the folder itself: the same file system (so the rename is atomic), and never read as records.
    const tmp = join(folder, `.${ecosystem}.all.zip.${process.pid}.part`);
    staged.push({ ecosystem, url, tmp, path: join(folder, ecosystem, 'all.zip'), bytes: 0, records: 0 });
    const got = await download(url, tmp, ecosystem, opts.progress);
    if (!got.ok) {
      discard();
      return got;
    }
    const records = recordsIn(tmp);
    if (typeof records === 'string') {
      discard();
      return refuse(ErrorCode.USAGE, `${url} is not an OSV database: ${records}. The offline database is unchanged`, {
        argument: 'source',
        url,
        ecosystem,
        reason: records,
      });
    }
    Object.assign(staged[staged.length - 1]!, { bytes: got.value, records });
  }
  for (const s of staged) {
    mkdirSync(join(folder, s.ecosystem), { recursive: true });
    renameSync(s.tmp, s.path);
  }
  return {
    ok: true,
    value: {
      folder,
      source,
      ecosystems: staged.map(({ ecosystem, url, path, bytes, records }) => ({ ecosystem, url, path, bytes, records })),
    },
  };
}
