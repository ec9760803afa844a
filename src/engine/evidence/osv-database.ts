/**
 * @module The offline OSV database on disk: a folder of OSV JSON records and zips of them (at any depth, as
 * `advisories update` writes `<Ecosystem>/all.zip`), or one zip. Reading a whole ecosystem's zip at every VERIFY
 * would cost seconds, so the first read writes an index (the records matching needs, one a line, and where each
 * package's records start); later reads load only the lines of the packages a lockfile names. The index is keyed by
 * the database files' paths, sizes and modification times, and lives in the state folder, where an agent's commands
 * cannot write.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { asOsvRecord, osvKey, OsvIndex, type OsvRecord } from '../../core/supply/osv.ts';

/** What a read of the database gave: the records of the packages asked for, the database's size, its bad files. */
export interface OsvLoad {
  readonly index: OsvIndex;
  /** Records in the whole database (not only those loaded). */
  readonly records: number;
  readonly invalid: string[];
  /** `built` when this read wrote the index, `reused` when it read one, `none` without a cache folder. */
  readonly cache: 'built' | 'reused' | 'none';
}

/** The files of a database with their sizes and times: what its index is keyed by. */
function sourceFiles(path: string): { files: { rel: string; full: string }[]; signature: string } {
  const files: { rel: string; full: string }[] = [];
  const hash = createHash('sha256').update('osv-index v1\0');
  if (statSync(path).isDirectory()) {
    const walk = (dir: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = join(dir, d.name);
        // Symbolic links are not followed, and half-written downloads (dot files) are not records.
        if (d.name.startsWith('.')) continue;
        if (d.isDirectory()) walk(full);
        else if (d.isFile() && (d.name.endsWith('.json') || d.name.endsWith('.zip')))
          files.push({ rel: full.slice(path.length + 1), full });
      }
    };
    walk(path);
  } else files.push({ rel: '', full: path });
  hash.update(path);
  for (const f of files) {
    const s = statSync(f.full);
    hash.update(`\0${f.rel}\0${s.size}\0${s.mtimeMs}`);
  }
  return { files, signature: hash.digest('hex') };
}

/** Every record of the database, in file order, with the files that held no OSV record. */
function readAll(files: readonly { rel: string; full: string }[]): { records: OsvRecord[]; invalid: string[] } {
  const records: OsvRecord[] = [];
  const invalid: string[] = [];
  const add = (name: string, text: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      invalid.push(`${name}: not JSON`);
      return;
    }
    const rec = asOsvRecord(raw);
    if (typeof rec === 'string') invalid.push(`${name}: ${rec}`);
    else records.push(rec);
  };
  const decoder = new TextDecoder();
  for (const f of files) {
    if (f.full.endsWith('.zip')) {
      const entries = unzipSync(readFileSync(f.full), { filter: (e) => e.name.endsWith('.json') });
      const prefix = f.rel ? `${f.rel}:` : '';
      for (const [name, bytes] of Object.entries(entries)) add(`${prefix}${name}`, decoder.decode(bytes));
    } else add(f.rel, readFileSync(f.full, 'utf8'));
  }
  return { records, invalid };
}

/** The fields matching reads, so that the index stays a fraction of the database. */
function compact(r: OsvRecord): OsvRecord {
  return {
    id: r.id,
    ...(r.aliases ? { aliases: r.aliases } : {}),
    ...(r.summary ? { summary: r.summary } : {}),
    ...(r.withdrawn ? { withdrawn: r.withdrawn } : {}),
    ...(r.severity ? { severity: r.severity } : {}),
    ...(r.affected
      ? {
          affected: r.affected.map((a) => ({
            ...(a.package ? { package: { ecosystem: a.package.ecosystem, name: a.package.name } } : {}),
            ...(a.ranges ? { ranges: a.ranges.filter((x) => x.type === 'SEMVER' || x.type === 'ECOSYSTEM') } : {}),
            ...(a.versions ? { versions: a.versions } : {}),
            ...(a.severity ? { severity: a.severity } : {}),
            ...(a.database_specific?.severity !== undefined
              ? { database_specific: { severity: a.database_specific.severity } }
              : {}),
          })),
        }
      : {}),
    ...(r.database_specific?.severity !== undefined
      ? { database_specific: { severity: r.database_specific.severity } }
      : {}),
  };
}

interface IndexHead {
  readonly signature: string;
  readonly records: number;
  readonly invalid: string[];
  /** Package key → [byte offset, length] of each of its records' lines in records.jsonl. */
  readonly keys: Record<string, [number, number][]>;
}

/** Writes the index of a database's records into `dir` (a fresh folder renamed into place: a reader never sees half). */
function writeIndex(dir: string, signature: string, records: readonly OsvRecord[], invalid: string[]): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const keys: Record<string, [number, number][]> = {};
  const lines: Buffer[] = [];
  let offset = 0;
  for (const r of records) {
    if (r.withdrawn) continue;
    const line = Buffer.from(`${JSON.stringify(compact(r))}\n`);
    for (const key of new Set((r.affected ?? []).map((a) => osvKey(a)).filter((k) => k !== undefined)))
      (keys[key] ??= []).push([offset, line.length]);
    lines.push(line);
    offset += line.length;
  }
  writeFileSync(join(tmp, 'records.jsonl'), Buffer.concat(lines));
  const head: IndexHead = { signature, records: records.filter((r) => !r.withdrawn).length, invalid, keys };
  writeFileSync(join(tmp, 'index.json'), JSON.stringify(head));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

function readIndex(dir: string, signature: string): IndexHead | undefined {
  try {
    const head = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as IndexHead;
    return head.signature === signature ? head : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the database at `path` for the packages `wanted` names (keys as {@link osvKey} makes them; undefined: all).
 * With `cacheDir`, the index there is used when it matches the database's files, and written when it does not.
 * A missing or unreadable database throws (the caller reports it).
 */
export function loadOsvDatabase(path: string, opts: { cacheDir?: string; wanted?: ReadonlySet<string> } = {}): OsvLoad {
  const { files, signature } = sourceFiles(path);
  const index = new OsvIndex();
  if (opts.cacheDir === undefined || opts.wanted === undefined) {
    const all = readAll(files);
    for (const r of all.records) index.add(r);
    return { index, records: index.records, invalid: all.invalid, cache: 'none' };
  }
  const dir = join(opts.cacheDir, signature.slice(0, 32));
  let head = readIndex(dir, signature);
  let cache: OsvLoad['cache'] = 'reused';
  if (!head) {
    const all = readAll(files);
    writeIndex(dir, signature, all.records, all.invalid);
    head = readIndex(dir, signature);
    if (!head) throw new Error(`the OSV index written to ${dir} cannot be read back`);
    cache = 'built';
  }
  const spans = new Map<number, number>();
  for (const key of opts.wanted) for (const [at, len] of head.keys[key] ?? []) spans.set(at, len);
  if (spans.size > 0) {
    const fd = openSync(join(dir, 'records.jsonl'), 'r');
    try {
      for (const [at, len] of [...spans].sort((a, b) => a[0] - b[0])) {
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, at);
        const rec = asOsvRecord(JSON.parse(buf.toString('utf8')));
        if (typeof rec === 'string') throw new Error(`the OSV index in ${dir} is corrupt at byte ${at}: ${rec}`);
        index.add(rec);
      }
    } finally {
      closeSync(fd);
    }
  }
  return { index, records: head.records, invalid: head.invalid, cache };
}
