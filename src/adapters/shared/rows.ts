/**
 * @module The one row decoder of the SQL stores: turns the values a driver hands over for a ledger, task, lease,
 * key or move claim row into the domain's value, checking every column's type and shape. A value that does not
 * fit is a corrupt row: thrown as LEDGER_TAMPERED naming the table, the row and the column.
 */
import { withPayloadParts, type ArtifactRef, type ChainHead, type LedgerEntry } from '../../core/ledger.ts';
import type { TaskState } from '../../core/task.ts';
import type { Lease } from '../../core/lease.ts';
import type { MoveClaim } from '../../core/move.ts';
import { OUTBOX_STATES, type OutboxRow, type OutboxState } from '../../core/outbox.ts';
import { AutopilotError, ErrorCode } from '../../core/errors.ts';

/** The ledger's columns in the order `RowDecoder.entry` reads them: rows are read as arrays, which costs a third of objects. */
export const ENTRY_COLUMNS = [
  'seq',
  'prev_hash',
  'hash',
  'ts',
  'task_id',
  'kind',
  'from_phase',
  'to_phase',
  'actor',
  'artifacts',
  'data',
  'key_id',
  'signature',
] as const;

/** `ENTRY_COLUMNS` for a SELECT list. */
export const ENTRY_SELECT = ENTRY_COLUMNS.join(', ');

/** The tables whose rows are decoded here, as the schemas name them. */
export type RowTable = 'ledger' | 'tasks' | 'leases' | 'keys' | 'move_claims' | 'outbox';

/**
 * What `details` of a corrupt row's LEDGER_TAMPERED holds: the table, the row's key (a ledger entry's seq, a task
 * id or a key id; null when the key itself cannot be read), the column, and `where`, the row in words.
 */
export interface CorruptRowDetails {
  readonly table: RowTable;
  readonly row: number | string | null;
  readonly column: string;
  readonly where: string;
}

/** How a driver hands over integer columns. */
export interface RowDialect {
  /**
   * True where an integer may also come as its decimal text: pg hands over BIGINT so, to keep its whole range.
   * SQLite never does (a text that reads as an integer is stored as one), so there text is a corrupt value.
   */
  readonly integersAsText: boolean;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return 'text';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : `the number ${v}`;
  if (v instanceof Uint8Array) return 'a blob';
  if (v instanceof Date) return 'a timestamp';
  return `a ${typeof v}`;
}

function corrupt(details: CorruptRowDetails, problem: string): AutopilotError {
  return new AutopilotError(
    ErrorCode.LEDGER_TAMPERED,
    `corrupt row in the store: column ${details.column} of ${details.where} ${problem}; the store was changed outside Autopilot: restore it from a backup, or keep it aside for a person to examine`,
    { ...details },
  );
}

/** A row being decoded: names it in every complaint. */
class Row {
  constructor(
    readonly table: RowTable,
    readonly row: number | string | null,
    /** The row in words; left out for a ledger entry named by its seq, worded only when it fails (a walk decodes millions). */
    readonly where?: string,
  ) {}

  fail(column: string, problem: string): never {
    const where = this.where ?? `${this.table} entry ${String(this.row)}`;
    throw corrupt({ table: this.table, row: this.row, column, where }, problem);
  }

  text(column: string, v: unknown): string {
    if (typeof v !== 'string') this.fail(column, `is ${describe(v)}, not text`);
    return v;
  }

  textOrNull(column: string, v: unknown): string | null {
    if (v !== null && typeof v !== 'string') this.fail(column, `is ${describe(v)}, not text or NULL`);
    return v;
  }

  /** The value of a JSON column whose text was checked already. */
  json(column: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return this.fail(column, 'is not JSON');
    }
  }
}

const DECIMAL = /^-?(?:0|[1-9][0-9]*)$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isArtifact(v: unknown): v is ArtifactRef {
  return (
    isObject(v) && typeof v['path'] === 'string' && typeof v['sha256'] === 'string' && typeof v['producer'] === 'string'
  );
}

/** A task id or key id that keys a row, for naming it: its text, or null when the key itself is not text. */
const keyOf = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The decoder of one driver's rows. */
export interface RowDecoder {
  /** A ledger row as an array in `ENTRY_COLUMNS` order; the entry carries the JSON texts it was parsed from. */
  entry(row: readonly unknown[]): LedgerEntry;
  /** The head: the last ledger row's seq and hash. */
  head(seq: unknown, hash: unknown): ChainHead;
  /** A task row: its key and its state, a JSON object naming the same task. */
  task(taskId: unknown, state: unknown): TaskState;
  lease(row: Readonly<Record<string, unknown>>): Lease;
  /** A key row as [key id, public key PEM]. */
  key(row: Readonly<Record<string, unknown>>): [string, string];
  claim(row: Readonly<Record<string, unknown>>): MoveClaim;
  outbox(row: Readonly<Record<string, unknown>>): OutboxRow;
}

/** The decoder for a driver that hands over integers as `dialect` says. */
export function rowDecoder(dialect: RowDialect): RowDecoder {
  /** A safe integer, or undefined for anything else. */
  const integer = (v: unknown): number | undefined => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
    if (dialect.integersAsText && typeof v === 'string' && DECIMAL.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    return undefined;
  };
  const needInteger = (r: Row, column: string, v: unknown): number => {
    const n = integer(v);
    if (n !== undefined) return n;
    const whole =
      typeof v === 'number' ? Number.isInteger(v) : dialect.integersAsText && typeof v === 'string' && DECIMAL.test(v);
    return r.fail(
      column,
      whole
        ? `is ${String(v)}, past the integers a JavaScript number holds exactly`
        : `is ${describe(v)}, not an integer`,
    );
  };

  /** A ledger row named by its seq, or by its hash when the seq cannot be read. */
  const ledgerRow = (seq: unknown, hash: unknown): Row => {
    const n = integer(seq);
    if (n !== undefined) return new Row('ledger', n);
    return new Row('ledger', null, typeof hash === 'string' ? `the ledger entry with hash ${hash}` : 'a ledger entry');
  };
  const seqOf = (r: Row, v: unknown): number => {
    const seq = needInteger(r, 'seq', v);
    if (seq < 1) r.fail('seq', `is ${seq}, not a sequence number (1 or more)`);
    return seq;
  };

  return {
    entry(row) {
      const r: Row = ledgerRow(row[0], row[2]);
      // Column by column, in the schema's order: the first column that does not fit is the one named.
      const seq = seqOf(r, row[0]);
      const prevHash = r.text('prev_hash', row[1]);
      const hash = r.text('hash', row[2]);
      const ts = r.text('ts', row[3]);
      const taskId = r.textOrNull('task_id', row[4]);
      const kind = r.text('kind', row[5]) as LedgerEntry['kind'];
      const fromPhase = r.textOrNull('from_phase', row[6]);
      const toPhase = r.textOrNull('to_phase', row[7]);
      const actor = r.text('actor', row[8]);
      const artifactsText = r.text('artifacts', row[9]);
      const artifacts = r.json('artifacts', artifactsText);
      if (!Array.isArray(artifacts) || !artifacts.every(isArtifact))
        r.fail('artifacts', 'is not a JSON list of artifacts ({path, sha256, producer})');
      const dataText = r.text('data', row[10]);
      const data = r.json('data', dataText);
      if (!isObject(data)) r.fail('data', 'is not a JSON object');
      const keyId = r.text('key_id', row[11]);
      const signature = r.text('signature', row[12]);
      const entry: LedgerEntry = {
        seq,
        prevHash,
        hash,
        ts,
        taskId,
        kind,
        fromPhase,
        toPhase,
        actor,
        artifacts,
        data,
        keyId,
        signature,
      };
      // The texts the values were parsed from: a chain check hashes them as they are when they are canonical.
      return withPayloadParts(entry, { artifacts: artifactsText, data: dataText });
    },

    head(seq, hash) {
      const r: Row = ledgerRow(seq, hash);
      return { seq: seqOf(r, seq), hash: r.text('hash', hash) };
    },

    task(taskId, state) {
      const id = keyOf(taskId);
      const r: Row = new Row('tasks', id, `task ${id ?? '?'}`);
      r.text('task_id', taskId);
      const value = r.json('state', r.text('state', state));
      if (!isObject(value) || typeof value['taskId'] !== 'string')
        r.fail('state', "is not a task's state (a JSON object naming its task)");
      if (value['taskId'] !== id) r.fail('state', `is the state of another task, ${value['taskId']}`);
      return value as unknown as TaskState;
    },

    lease(row) {
      const id = keyOf(row['task_id']);
      const r: Row = new Row('leases', id, `the lease of task ${id ?? '?'}`);
      return {
        taskId: r.text('task_id', row['task_id']),
        phase: r.text('phase', row['phase']),
        holder: r.textOrNull('holder', row['holder']),
        token: needInteger(r, 'token', row['token']),
        acquiredAt: r.text('acquired_at', row['acquired_at']),
        expiresAt: r.text('expires_at', row['expires_at']),
      };
    },

    key(row) {
      const id = keyOf(row['key_id']);
      // A damaged record can turn the public key into a blob of the same bytes, which a signature check would
      // still accept: the row is corrupt all the same, and named.
      const r: Row = new Row('keys', id, `key ${id ?? '?'}`);
      return [r.text('key_id', row['key_id']), r.text('public_key', row['public_key'])];
    },

    claim(row) {
      const id = keyOf(row['task_id']);
      const r: Row = new Row('move_claims', id, `the move claim of task ${id ?? '?'}`);
      return {
        taskId: r.text('task_id', row['task_id']),
        token: r.text('token', row['token']),
        holder: r.text('holder', row['holder']),
        action: r.text('action', row['action']),
        phase: r.text('phase', row['phase']),
        host: r.text('host', row['host']),
        pid: needInteger(r, 'pid', row['pid']),
        takenAt: r.text('taken_at', row['taken_at']),
        expiresAt: r.text('expires_at', row['expires_at']),
      };
    },

    outbox(row) {
      const key = keyOf(row['key']);
      const r: Row = new Row('outbox', key, `outbox row ${key ?? '?'}`);
      const intOrNull = (column: string) => (row[column] === null ? null : needInteger(r, column, row[column]));
      const payload = r.json('payload', r.text('payload', row['payload']));
      if (!isObject(payload)) r.fail('payload', 'is not a JSON object');
      const state = r.text('state', row['state']);
      if (!OUTBOX_STATES.includes(state as OutboxState)) r.fail('state', `is "${state}", not an outbox state`);
      return {
        key: r.text('key', row['key']),
        taskId: r.text('task_id', row['task_id']),
        action: r.text('action', row['action']),
        epoch: needInteger(r, 'epoch', row['epoch']),
        payload,
        state: state as OutboxState,
        attempts: needInteger(r, 'attempts', row['attempts']),
        nextAt: r.text('next_at', row['next_at']),
        claimToken: r.textOrNull('claim_token', row['claim_token']),
        claimHost: r.textOrNull('claim_host', row['claim_host']),
        claimPid: intOrNull('claim_pid'),
        claimedAt: r.textOrNull('claimed_at', row['claimed_at']),
        decidedSeq: needInteger(r, 'decided_seq', row['decided_seq']),
        resultSeq: intOrNull('result_seq'),
        lastError: r.textOrNull('last_error', row['last_error']),
        createdAt: r.text('created_at', row['created_at']),
        updatedAt: r.text('updated_at', row['updated_at']),
      };
    },
  };
}
