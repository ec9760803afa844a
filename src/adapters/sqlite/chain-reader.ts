/**
 * @module The SQLite store's reader for the chain check: a read-only connection of its own (a worker thread opens one
 * too), reading each row as seq, prevHash, hash and the canonical text that was hashed, built by SQLite from the
 * stored columns, so that no row is decoded into an entry and no JSON is parsed or written in JavaScript.
 */
import Database from 'better-sqlite3';
import type { ChainReader, ChainRow } from '../../ports/store.ts';

/** What a worker needs to open the reader: the database file. */
export interface SqliteChainOptions {
  readonly file: string;
}

const quoted = (column: string) => `json_quote(${column})`;

/**
 * The canonical payload as core/ledger.ts's `payloadFromParts` writes it, keys in RFC 8785 order. json_quote writes
 * the few control characters JSON.stringify shortens (\n, \t, …) otherwise: such a row's text does not hash to its
 * hash, and the check then reads it as an entry and canonicalizes it, so a difference costs time, never a verdict.
 */
const PAYLOAD = `'{"actor":' || ${quoted('actor')} || ',"artifacts":' || artifacts || ',"data":' || data || ',"fromPhase":' || ${quoted('from_phase')} || ',"keyId":' || ${quoted('key_id')} || ',"kind":' || ${quoted('kind')} || ',"prevHash":' || ${quoted('prev_hash')} || ',"seq":' || seq || ',"taskId":' || ${quoted('task_id')} || ',"toPhase":' || ${quoted('to_phase')} || ',"ts":' || ${quoted('ts')} || '}'`;

/**
 * A row's columns of the types an entry has, and JSON columns that are a JSON list and a JSON object: only then is
 * the text's split into fields unique (a JSON value is no prefix of another), so that a text that hashes to the
 * entry's hash is the entry's own.
 */
const SOUND = [
  "typeof(seq) = 'integer'",
  ...['prev_hash', 'hash', 'ts', 'kind', 'actor', 'artifacts', 'data', 'key_id', 'signature'].map(
    (c) => `typeof(${c}) = 'text'`,
  ),
  ...['task_id', 'from_phase', 'to_phase'].map((c) => `typeof(${c}) IN ('text', 'null')`),
  "json_valid(artifacts) AND json_type(artifacts) = 'array'",
  "json_valid(data) AND json_type(data) = 'object'",
].join(' AND ');

const SQL = `SELECT seq, prev_hash, hash, CASE WHEN ${SOUND} THEN ${PAYLOAD} END, key_id, signature FROM ledger WHERE seq BETWEEN ? AND ? ORDER BY seq`;

/** Opens a reader on the store in `options.file`. */
export async function openChainReader(options: unknown): Promise<ChainReader> {
  const { file } = options as SqliteChainOptions;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    // A walk reads every page once: through a memory map rather than a pread a page.
    db.pragma(`mmap_size = ${256 * 1024 * 1024}`);
    const stmt = db.prepare<[number, number], ChainRow>(SQL).raw(true);
    return {
      rows: async (fromSeq, toSeq) => stmt.all(fromSeq, toSeq) as unknown as ChainRow[],
      close: async () => void db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The URL of this module, as the running code has it (the sources' .ts, the package's .js). */
export const CHAIN_READER_MODULE = import.meta.url;
