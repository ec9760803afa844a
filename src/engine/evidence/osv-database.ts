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
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { asOsvRecord, osvKey, OsvIndex, type OsvRecord } from '../../core/supply/osv.ts';
import { forEachZipEntry } from './zip-entries.ts';

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

/**
 * Calls `each` with every record of the database, in file order, and returns the files that held no OSV record.
 * Zips are read entry by entry, so that memory holds one record at a time, not the database.
 */
function forEachRecord(files: readonly { rel: string; full: string }[], each: (r: OsvRecord) => void): string[] {
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
    else each(rec);
  };
  const decoder = new TextDecoder();
  for (const f of files) {
    if (f.full.endsWith('.zip')) {
      const prefix = f.rel ? `${f.rel}:` : '';
      forEachZipEntry(
        f.full,
        (name) => name.endsWith('.json'),
        (name, bytes) => add(`${prefix}${name}`, decoder.decode(bytes)),
      );
    } else add(f.rel, readFileSync(f.full, 'utf8'));
  }
  return invalid;
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

/**
 * Writes the index of a database's records into `dir` (a fresh folder renamed into place: a reader never sees half).
 * Each record's line is written as it is read; only the offsets of each package's lines stay in memory.
 */
function writeIndex(dir: string, signature: string, files: readonly { rel: string; full: string }[]): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const keys: Record<string, [number, number][]> = {};
  let offset = 0;
  let records = 0;
  let invalid: string[];
  const fd = openSync(join(tmp, 'records.jsonl'), 'w');
  try {
    invalid = forEachRecord(files, (r) => {
      if (r.withdrawn) return;
      const line = Buffer.from(`${JSON.stringify(compact(r))}\n`);
      for (const key of new Set((r.affected ?? []).map((a) => osvKey(a)).filter((k) => k !== undefined)))
        (keys[key] ??= []).push([offset, line.length]);
      writeSync(fd, line);
      offset += line.length;
      records++;
    });
  } finally {
    closeSync(fd);
  }
  const head: IndexHead = { signature, records, invalid, keys };
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
    // Only the fields matching reads are kept: the whole database is in memory on this path.
    const invalid = forEachRecord(files, (r) => index.add(compact(r)));
    return { index, records: index.records, invalid, cache: 'none' };
  }
  const dir = join(opts.cacheDir, signature.slice(0, 32));
  let head = readIndex(dir, signature);
  let cache: OsvLoad['cache'] = 'reused';
  if (!head) {
    writeIndex(dir, signature, files);
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
