/**
 * @module The conformance suite of the Store port: every adapter runs it and
 * must behave as the in-memory reference does.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { checkChain, GENESIS_HASH, type LedgerEntry } from '../../src/core/ledger.ts';
import { decideAcquire, decideRelease, decideRenew, type Lease, type LeaseDecision } from '../../src/core/lease.ts';
import { decideClaim, type MoveClaim } from '../../src/core/move.ts';
import {
  claimRow,
  failRow,
  newOutboxRow,
  outboxKey,
  OutboxState,
  sentRow,
  type OutboxRow,
} from '../../src/core/outbox.ts';
import { AutopilotError, ErrorCode, type Result } from '../../src/core/errors.ts';
import { ManualClock } from '../helpers/clock.ts';
import { StaleHeadError, type Store, type TaskPage, type TaskQuery } from '../../src/ports/store.ts';
import { append as engineAppend } from '../../src/engine/ledger/record.ts';
import { verifyLedger } from '../../src/engine/ledger/verify.ts';
import type { RowTable } from '../../src/adapters/shared/rows.ts';
import type { TaskState } from '../../src/core/task.ts';
import { cryptoFor, draft, gate, lease, makeSigner, seal, T0, taskState, testEngine } from '../helpers/ledger.ts';

export interface StoreHarness {
  readonly store: Store;
  /** Closes the store and opens a new one on the same data; absent when the store keeps nothing. */
  readonly reopen?: () => Promise<Store>;
  /** Changes the stored data of entry `seq` behind the adapter's back, as an attacker with file access would. */
  readonly tamper?: (seq: number) => Promise<void>;
  /** Closes whatever store is open and removes its files. */
  readonly dispose?: () => Promise<void>;
  /**
   * Puts `value` as it is into `column` of the row of `table` keyed `key` (a ledger seq, a task id or a key id),
   * behind the adapter's back and past the schema's triggers, constraints and column types, as an attacker with
   * the file or the database password, or a damaged record, would. The column's other rows may change in form
   * (pg: a column turned jsonb), never in what they hold. Present where `rawRows` is given.
   */
  readonly writeRaw?: (table: RowTable, key: string | number, column: string, value: RawValue) => Promise<void>;
}

export type MakeStore = () => Promise<StoreHarness>;

/** A value for one column of one stored row: text, an integer (a bigint past a JavaScript number's exact range), a real number, a blob or NULL. */
export type RawValue = string | number | bigint | Buffer | null;
export type RawKind = 'text' | 'integer' | 'real' | 'blob' | 'null';

export function rawKind(v: RawValue): RawKind {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'text';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'real';
  return 'blob';
}

/** One corrupt row: the value put into a column, and what the refusal must say of it. */
interface CorruptCase {
  readonly table: RowTable;
  /** The row's key; by default ledger entry 2 (of 3), task T-1, the signer's key. */
  readonly key?: string | number;
  readonly column: string;
  /** SAME_BYTES: the text the row holds, as a blob of the same bytes. */
  readonly value: RawValue | typeof SAME_BYTES;
  readonly says: RegExp;
  /** The row the refusal names (details.row), when not `key`: a ledger entry whose seq cannot be read is named by its hash. */
  readonly named?: null;
}

const BEYOND_SAFE = 2n ** 53n + 1n;
const SAME_BYTES = Symbol('the same bytes as a blob');

/** Every kind of corrupt row the SQL stores must name; an adapter's run includes those whose value it can store. */
const CORRUPT_ROWS: readonly CorruptCase[] = [
  { table: 'ledger', column: 'seq', value: BEYOND_SAFE, says: /past the integers/, named: null },
  { table: 'ledger', column: 'prev_hash', value: Buffer.from('0'.repeat(64)), says: /is a blob, not text/ },
  { table: 'ledger', column: 'ts', value: 1765000000, says: /is an integer, not text/ },
  { table: 'ledger', column: 'task_id', value: 1.5, says: /is the number 1\.5, not text or NULL/ },
  { table: 'ledger', column: 'kind', value: Buffer.from('evidence'), says: /is a blob, not text/ },
  { table: 'ledger', column: 'actor', value: null, says: /is NULL, not text/ },
  { table: 'ledger', column: 'artifacts', value: '[{"path": "a.md"', says: /is not JSON/ },
  { table: 'ledger', column: 'artifacts', value: '{}', says: /is not a JSON list of artifacts/ },
  {
    table: 'ledger',
    column: 'artifacts',
    value: '[{"path": 1, "sha256": "", "producer": "agent"}]',
    says: /list of artifacts/,
  },
  { table: 'ledger', column: 'data', value: '[]', says: /is not a JSON object/ },
  { table: 'ledger', column: 'data', value: 'null', says: /is not a JSON object/ },
  { table: 'ledger', column: 'data', value: 7, says: /is an integer, not text/ },
  { table: 'ledger', column: 'key_id', value: null, says: /is NULL, not text/ },
  // The head's row: read by head() too.
  { table: 'ledger', key: 3, column: 'hash', value: 42, says: /is an integer, not text/ },
  { table: 'ledger', key: 3, column: 'signature', value: Buffer.from('6e', 'hex'), says: /is a blob, not text/ },
  { table: 'tasks', column: 'state', value: '{"taskId": "T-1"', says: /is not JSON/ },
  { table: 'tasks', column: 'state', value: 'null', says: /is not a task's state/ },
  { table: 'tasks', column: 'state', value: '[{"taskId": "T-1"}]', says: /is not a task's state/ },
  { table: 'tasks', column: 'state', value: '{"title": "no task id"}', says: /is not a task's state/ },
  { table: 'tasks', column: 'state', value: '{"taskId": "T-2"}', says: /is the state of another task, T-2/ },
  { table: 'tasks', column: 'state', value: 42, says: /is an integer, not text/ },
  { table: 'tasks', column: 'state', value: SAME_BYTES, says: /is a blob, not text/ },
  { table: 'leases', column: 'token', value: 'seven', says: /is text, not an integer/ },
  { table: 'leases', column: 'token', value: 1.5, says: /is the number 1\.5, not an integer/ },
  { table: 'leases', column: 'token', value: BEYOND_SAFE, says: /past the integers/ },
  { table: 'leases', column: 'holder', value: 7, says: /is an integer, not text or NULL/ },
  { table: 'leases', column: 'acquired_at', value: Buffer.from('2026'), says: /is a blob, not text/ },
  { table: 'leases', column: 'expires_at', value: null, says: /is NULL, not text/ },
  // The same bytes as a blob: every signature would still check, only the value's type tells the row was changed.
  { table: 'keys', column: 'public_key', value: SAME_BYTES, says: /is a blob, not text/ },
  { table: 'keys', column: 'public_key', value: 42, says: /is an integer, not text/ },
  { table: 'keys', column: 'public_key', value: null, says: /is NULL, not text/ },
  { table: 'move_claims', column: 'pid', value: 'x', says: /is text, not an integer/ },
  { table: 'move_claims', column: 'pid', value: 2.5, says: /is the number 2\.5, not an integer/ },
  { table: 'move_claims', column: 'token', value: 5, says: /is an integer, not text/ },
  { table: 'move_claims', column: 'expires_at', value: null, says: /is NULL, not text/ },
  { table: 'outbox', column: 'payload', value: '{"remote": ', says: /is not JSON/ },
  { table: 'outbox', column: 'payload', value: '[]', says: /is not a JSON object/ },
  { table: 'outbox', column: 'state', value: 'sent-twice', says: /not an outbox state/ },
  { table: 'outbox', column: 'attempts', value: 'two', says: /is text, not an integer/ },
  { table: 'outbox', column: 'claim_pid', value: 1.5, says: /is the number 1\.5, not an integer/ },
  { table: 'outbox', column: 'next_at', value: null, says: /is NULL, not text/ },
];

const signer = makeSigner();
const crypto = cryptoFor(signer);

/** Appends sealed entries one transaction each; returns them. */
async function appendAll(store: Store, drafts: Parameters<typeof draft>[0][]): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (const [i, d] of drafts.entries()) {
    const entry = await store.transact(async (tx) => {
      const e = seal(signer, await tx.head(), draft(d), new Date(T0 + i * 1000));
      await tx.append(e);
      return e;
    });
    out.push(entry);
  }
  return out;
}

const richDraft = (i: number) => ({
  taskId: i % 3 === 2 ? null : `T-${(i % 3) + 1}`,
  kind: 'evidence' as const,
  fromPhase: 'SPEC',
  toPhase: null,
  actor: `cli:user-${i}`,
  artifacts: [
    { path: `evidence/T-1/spec/file-${i}.md`, sha256: String(i).repeat(64).slice(0, 64), producer: 'agent' as const },
  ],
  data: {
    i,
    nested: { z: [1, 2.5, -3, null, true], a: 'é ✓ "quoted" \\ \n newline', big: 1e21, small: 1e-7 },
    empty: {},
    list: [],
  },
});

/** A pending push row of `taskId`, decided by entry `epoch` at T0 + `epoch` seconds. */
function pushRow(taskId: string, epoch: number, commit = 'c'.repeat(40)): OutboxRow {
  return newOutboxRow(
    taskId,
    epoch,
    'push',
    { remote: 'origin', branch: `task/${taskId}`, commit, phase: 'PR', note: 'é ✓ "quoted"' },
    epoch,
    new Date(T0 + epoch * 1000),
  );
}

/** Everything a reader can see of a store, for "nothing changed" checks. */
async function snapshot(store: Store, taskIds: string[] = ['T-1', 'T-2']) {
  return {
    head: await store.head(),
    entries: await store.entries(),
    tasks: await store.listTasks(),
    byId: await Promise.all(taskIds.map((id) => store.getTask(id))),
    leases: await Promise.all(taskIds.map((id) => store.getLease(id))),
  };
}

/** One lease decision applied inside a transaction: read, decide, store when granted. */
async function leaseStep(
  store: Store,
  decide: (current: Lease | undefined) => Result<LeaseDecision>,
): Promise<Result<LeaseDecision>> {
  return store.transact(async (tx) => {
    const d = decide(await tx.getLease('T-1'));
    if (d.ok) await tx.putLease(d.value.lease);
    return d;
  });
}

function refusedWith(r: Result<unknown>, code: string): Record<string, unknown> {
  assert.equal(r.ok, false, `expected a ${code} refusal, got ${JSON.stringify(r)}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.code, code, r.error.message);
  return r.error.details;
}

function granted(r: Result<LeaseDecision>): LeaseDecision {
  assert.ok(r.ok, `expected a grant, got ${JSON.stringify(r)}`);
  return r.value;
}

/** A store holding a row of every kind, all sound: three ledger entries (T-1, T-2, T-1), their tasks, the signer's key, and a lease and a move claim for T-1 and T-2. */
async function storeOfEveryRow(store: Store): Promise<void> {
  const engine = testEngine(store, signer);
  await store.putKey(signer.keyId, signer.publicKeyPem);
  await store.transact(async (tx) => {
    await engineAppend(engine, tx, draft({ kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'one' } }));
    await engineAppend(
      engine,
      tx,
      draft({ taskId: 'T-2', kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'two' } }),
    );
    await engineAppend(engine, tx, draft({ kind: 'transition', fromPhase: 'STRATEGIZE', toPhase: 'SPEC' }));
    for (const taskId of ['T-1', 'T-2']) {
      await tx.putLease(lease({ taskId }));
      await tx.putMoveClaim({
        taskId,
        token: `move-${taskId}`,
        holder: 'agent-a',
        action: 'advance',
        phase: 'SPEC',
        host: 'host-a',
        pid: 4242,
        takenAt: new Date(T0).toISOString(),
        expiresAt: new Date(T0 + 60_000).toISOString(),
      });
      await tx.addOutbox(pushRow(taskId, taskId === 'T-1' ? 1 : 2));
    }
  });
}

/** Every read of a store that meets the row `c` names, and one that does not (which must still succeed). */
function readsOf(
  store: Store,
  c: CorruptCase,
  key: string | number,
): { meets: [string, () => Promise<unknown>][]; misses: () => Promise<unknown> } {
  const engine = testEngine(store, signer);
  const verify = (): [string, () => Promise<unknown>] => ['ledger verify', () => verifyLedger(engine)];
  switch (c.table) {
    case 'ledger':
      return {
        meets: [
          ['entries()', () => store.entries()],
          ['entries({ fromSeq })', () => store.entries({ fromSeq: 2 })],
          // The head is the last row's seq and hash.
          ...(key === 3 && (c.column === 'seq' || c.column === 'hash')
            ? ([
                ['head()', () => store.head()],
                ['tx.head()', () => store.transact((tx) => tx.head())],
              ] as [string, () => Promise<unknown>][])
            : []),
          verify(),
        ],
        misses: () => store.entries({ limit: 1 }),
      };
    case 'tasks':
      return {
        meets: [
          ['getTask()', () => store.getTask('T-1')],
          ['listTasks()', () => store.listTasks()],
          ['tx.getTask()', () => store.transact((tx) => tx.getTask('T-1'))],
          verify(),
        ],
        misses: () => store.getTask('T-2'),
      };
    case 'leases':
      return {
        meets: [
          ['getLease()', () => store.getLease('T-1')],
          ['tx.getLease()', () => store.transact((tx) => tx.getLease('T-1'))],
        ],
        misses: () => store.getLease('T-2'),
      };
    case 'keys':
      return { meets: [['keys()', () => store.keys()], verify()], misses: () => store.entries() };
    case 'move_claims':
      return {
        meets: [['tx.getMoveClaim()', () => store.transact((tx) => tx.getMoveClaim('T-1'))]],
        misses: () => store.transact((tx) => tx.getMoveClaim('T-2')),
      };
    case 'outbox':
      return {
        meets: [
          ['listOutbox()', () => store.listOutbox()],
          ['getOutbox()', () => store.getOutbox(String(key))],
          ['tx.getOutbox()', () => store.transact((tx) => tx.getOutbox(String(key)))],
        ],
        misses: () => store.getOutbox(outboxKey('T-2', 2, 'push')),
      };
  }
}

const DEFAULT_KEY: Record<RowTable, string | number> = {
  ledger: 2,
  tasks: 'T-1',
  leases: 'T-1',
  keys: signer.keyId,
  move_claims: 'T-1',
  outbox: outboxKey('T-1', 1, 'push'),
};

export interface SuiteOptions {
  /** False for a store that keeps nothing across a restart (the memory reference): it has no restart test. */
  readonly persistent?: boolean;
  /**
   * The kinds of value the harness's `writeRaw` can put into a single row; the corrupt-row cases of those kinds
   * run. A store without stored rows (the memory reference) gives none and has no corrupt-row cases.
   */
  readonly rawRows?: readonly RawKind[];
}

export function runStoreSuite(name: string, makeStore: MakeStore, opts: SuiteOptions = {}): void {
  const persistent = opts.persistent ?? true;
  const corruptRows = CORRUPT_ROWS.filter(
    (c) => opts.rawRows?.includes(c.value === SAME_BYTES ? 'blob' : rawKind(c.value)) ?? false,
  );
  /** Runs a test body on a fresh store and disposes of it whatever happens. */
  const withStore = (body: (h: StoreHarness, t: TestContext) => Promise<void>) => async (t: TestContext) => {
    const h = await makeStore();
    try {
      await body(h, t);
    } finally {
      await (h.dispose ? h.dispose() : h.store.close());
    }
  };

  describe(`Store conformance: ${name}`, () => {
    describe('empty store', () => {
      it(
        'has no head, entries, tasks, leases or keys',
        withStore(async ({ store }) => {
          assert.equal(await store.head(), null);
          assert.deepEqual(await store.entries(), []);
          assert.deepEqual(await store.entries({ taskId: 'T-1', fromSeq: 1, limit: 10 }), []);
          assert.deepEqual(await store.listTasks(), []);
          assert.equal(await store.getTask('T-1'), undefined);
          assert.equal(await store.getLease('T-1'), undefined);
          assert.equal((await store.keys()).size, 0);
          await store.transact(async (tx) => {
            assert.equal(await tx.head(), null);
            assert.equal(await tx.getTask('T-1'), undefined);
            assert.equal(await tx.getLease('T-1'), undefined);
          });
        }),
      );
    });

    describe('append and read back', () => {
      it(
        'starts the chain at the genesis hash and tracks the head after every append',
        withStore(async ({ store }) => {
          const written: LedgerEntry[] = [];
          for (let i = 0; i < 4; i++) {
            const [e] = await appendAll(store, [richDraft(i)]);
            assert.ok(e);
            written.push(e);
            assert.deepEqual(await store.head(), { seq: i + 1, hash: e.hash });
          }
          assert.equal(written[0]?.prevHash, GENESIS_HASH);
          assert.equal(GENESIS_HASH, '0'.repeat(64));
          for (let i = 1; i < written.length; i++) assert.equal(written[i]?.prevHash, written[i - 1]?.hash);
        }),
      );

      it(
        'returns every field exactly as written, in seq order, and the chain verifies',
        withStore(async ({ store }) => {
          const written = await appendAll(
            store,
            Array.from({ length: 6 }, (_, i) => richDraft(i)),
          );
          const read = await store.entries();
          assert.deepEqual(read, written);
          assert.deepEqual(
            read.map((entry) => entry.seq),
            [1, 2, 3, 4, 5, 6],
          );
          assert.equal(read[2]?.taskId, null);
          assert.equal(checkChain(read, null, crypto), null);
        }),
      );

      it(
        'filters by taskId, fromSeq and limit, alone and together',
        withStore(async ({ store }) => {
          await appendAll(
            store,
            Array.from({ length: 9 }, (_, i) => richDraft(i)),
          );
          const seqs = async (q: Parameters<Store['entries']>[0]) => (await store.entries(q)).map((entry) => entry.seq);
          assert.deepEqual(await seqs({ taskId: 'T-1' }), [1, 4, 7]);
          assert.deepEqual(await seqs({ taskId: 'T-2' }), [2, 5, 8]);
          assert.deepEqual(await seqs({ taskId: 'T-9' }), []);
          assert.deepEqual(await seqs({ fromSeq: 6 }), [6, 7, 8, 9]);
          assert.deepEqual(await seqs({ fromSeq: 1 }), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
          assert.deepEqual(await seqs({ fromSeq: 10 }), []);
          assert.deepEqual(await seqs({ limit: 3 }), [1, 2, 3]);
          assert.deepEqual(await seqs({ limit: 0 }), []);
          assert.deepEqual(await seqs({ limit: 100 }), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
          assert.deepEqual(await seqs({ fromSeq: 4, limit: 2 }), [4, 5]);
          assert.deepEqual(await seqs({ taskId: 'T-1', fromSeq: 2 }), [4, 7]);
          assert.deepEqual(await seqs({ taskId: 'T-2', fromSeq: 2, limit: 2 }), [2, 5]);
          assert.deepEqual(await seqs({ taskId: 'T-1', limit: 1 }), [1]);
        }),
      );

      it(
        'filters by kind and reads newest first',
        withStore(async ({ store }) => {
          const kinds = ['task_started', 'evidence', 'violation', 'evidence', 'lease', 'evidence'] as const;
          await appendAll(
            store,
            kinds.map((kind, i) => draft({ kind, taskId: i % 2 ? 'T-1' : 'T-2' })),
          );
          const seqs = async (q: Parameters<Store['entries']>[0]) => (await store.entries(q)).map((entry) => entry.seq);
          assert.deepEqual(await seqs({ kind: 'evidence' }), [2, 4, 6]);
          assert.deepEqual(await seqs({ kind: 'approval' }), []);
          assert.deepEqual(await seqs({ kind: 'evidence', taskId: 'T-1', fromSeq: 3 }), [4, 6]);
          assert.deepEqual(await seqs({ newestFirst: true }), [6, 5, 4, 3, 2, 1]);
          assert.deepEqual(await seqs({ newestFirst: true, limit: 2 }), [6, 5]);
          assert.deepEqual(await seqs({ newestFirst: true, fromSeq: 3, limit: 10 }), [6, 5, 4, 3]);
          assert.deepEqual(await seqs({ newestFirst: true, kind: 'evidence', limit: 2 }), [6, 4]);
          assert.deepEqual(await seqs({ newestFirst: false, limit: 2 }), [1, 2]);
          // Reading newest first leaves the stored order alone.
          assert.deepEqual(await seqs({}), [1, 2, 3, 4, 5, 6]);
        }),
      );

      it(
        'sees its own appends inside a transaction, several per transaction',
        withStore(async ({ store }) => {
          const [first] = await appendAll(store, [draft()]);
          assert.ok(first);
          const added = await store.transact(async (tx) => {
            const out: LedgerEntry[] = [];
            for (let i = 0; i < 3; i++) {
              const head = await tx.head();
              assert.equal(head?.seq, 1 + i);
              const e = seal(signer, head, draft({ data: { i } }));
              await tx.append(e);
              out.push(e);
              assert.deepEqual(await tx.head(), { seq: e.seq, hash: e.hash });
            }
            return out;
          });
          assert.deepEqual(await store.entries(), [first, ...added]);
          assert.equal(checkChain(await store.entries(), null, crypto), null);
        }),
      );
    });

    describe('stale heads and rollback', () => {
      it(
        'refuses a first entry that is not seq 1 on the genesis hash',
        withStore(async ({ store }) => {
          const good = seal(signer, null, draft());
          for (const bad of [
            { ...good, prevHash: 'f'.repeat(64) },
            { ...good, seq: 2 },
            { ...good, seq: 0 },
          ]) {
            await assert.rejects(
              store.transact((tx) => tx.append(bad)),
              (e: unknown) => e instanceof StaleHeadError && e.expected === null && e.got.seq === bad.seq,
            );
          }
          assert.equal(await store.head(), null);
          assert.deepEqual(await store.entries(), []);
        }),
      );

      it(
        'refuses an entry that does not extend the head and leaves the store unchanged',
        withStore(async ({ store }) => {
          const written = await appendAll(store, [
            draft({ taskId: 'T-1' }),
            draft({ taskId: 'T-2' }),
            draft({ taskId: 'T-1' }),
          ]);
          await store.transact(async (tx) => {
            await tx.putTask(taskState('T-1', new Date(T0).toISOString(), signer));
            await tx.putLease(lease());
          });
          const before = await snapshot(store);
          const head = { seq: 3, hash: written[2]!.hash };
          const cases: [string, LedgerEntry][] = [
            ['a replay of the head seq', seal(signer, { seq: 2, hash: written[1]!.hash }, draft())],
            ['a gap', seal(signer, { seq: 4, hash: written[2]!.hash }, draft())],
            ['the right seq on the wrong prevHash', seal(signer, { seq: 3, hash: written[1]!.hash }, draft())],
            ['a fork from genesis', seal(signer, null, draft())],
          ];
          for (const [label, bad] of cases) {
            let thrown: unknown;
            try {
              await store.transact(async (tx) => {
                // Writes before the refused append must go too.
                await tx.putTask(taskState('T-2', new Date(T0 + 5).toISOString(), signer));
                await tx.putLease(lease({ taskId: 'T-2', holder: 'intruder' }));
                await tx.putLease(lease({ holder: 'intruder', token: 99 }));
                await tx.append(bad);
              });
            } catch (err) {
              thrown = err;
            }
            assert.ok(thrown instanceof StaleHeadError, `${label}: expected StaleHeadError, got ${String(thrown)}`);
            assert.deepEqual(thrown.expected, head, label);
            assert.deepEqual(thrown.got.seq, bad.seq, label);
            assert.deepEqual(await snapshot(store), before, `${label}: the store changed`);
          }
          // The store still takes the right entry afterwards.
          const [next] = await appendAll(store, [draft()]);
          assert.equal(next?.seq, 4);
          assert.equal(next?.prevHash, written[2]!.hash);
        }),
      );

      it(
        'rolls back every write of a transaction that throws, and stays usable',
        withStore(async ({ store }) => {
          const t1 = taskState('T-1', new Date(T0).toISOString(), signer);
          await appendAll(store, [draft()]);
          await store.transact(async (tx) => {
            await tx.putTask(t1);
            await tx.putLease(lease({ token: 3 }));
          });
          const before = await snapshot(store);
          const boom = new Error('boom');
          await assert.rejects(
            store.transact(async (tx) => {
              await tx.append(seal(signer, await tx.head(), draft({ taskId: 'T-2' })));
              await tx.append(seal(signer, await tx.head(), draft({ taskId: 'T-2' })));
              await tx.putTask({ ...t1, phase: 'PLAN', lastSeq: 3 });
              await tx.putTask(taskState('T-2', new Date(T0 + 1).toISOString(), signer));
              await tx.putLease(lease({ token: 4, holder: 'agent-b' }));
              await tx.putLease(lease({ taskId: 'T-2' }));
              assert.equal((await tx.head())?.seq, 3);
              assert.equal((await tx.getTask('T-1'))?.phase, 'PLAN');
              assert.equal((await tx.getLease('T-1'))?.token, 4);
              throw boom;
            }),
            (e) => e === boom,
          );
          assert.deepEqual(await snapshot(store), before);
          // A rejected result value is returned untouched and the next transaction starts from the old head.
          const value = await store.transact(async (tx) => {
            const e = seal(signer, await tx.head(), draft());
            await tx.append(e);
            return { seq: e.seq };
          });
          assert.deepEqual(value, { seq: 2 });
          assert.deepEqual(
            (await store.entries()).map((entry) => entry.seq),
            [1, 2],
          );
        }),
      );

      it(
        'does not show a transaction’s uncommitted writes to readers outside it',
        withStore(async ({ store }) => {
          const [first] = await appendAll(store, [draft()]);
          const before = await snapshot(store);
          for (const outcome of ['rollback', 'commit'] as const) {
            const inside = gate();
            const release = gate();
            const running = store.transact(async (tx) => {
              await tx.append(seal(signer, await tx.head(), draft({ taskId: 'T-1' })));
              await tx.putTask(taskState('T-1', new Date(T0).toISOString(), signer));
              await tx.putLease(lease());
              inside.open();
              await release.promise;
              if (outcome === 'rollback') throw new Error('rolled back');
            });
            await inside.promise;
            assert.deepEqual(await snapshot(store), before, `${outcome}: a reader saw uncommitted writes`);
            release.open();
            if (outcome === 'rollback') await assert.rejects(running, /rolled back/);
            else await running;
          }
          assert.equal((await store.head())?.seq, 2);
          assert.equal((await store.entries())[0]?.hash, first?.hash);
          assert.equal((await store.getTask('T-1'))?.taskId, 'T-1');
          assert.equal((await store.getLease('T-1'))?.holder, 'agent-a');
        }),
      );
    });

    describe('task projection', () => {
      it(
        'puts and gets tasks inside a transaction and reads them back outside',
        withStore(async ({ store }) => {
          const t1 = taskState('T-1', new Date(T0 + 2000).toISOString(), signer);
          const t2 = taskState('T-2', new Date(T0 + 1000).toISOString(), signer);
          await store.transact(async (tx) => {
            assert.equal(await tx.getTask('T-1'), undefined);
            await tx.putTask(t1);
            assert.deepEqual(await tx.getTask('T-1'), t1);
            await tx.putTask(t2);
          });
          assert.deepEqual(await store.getTask('T-1'), t1);
          assert.deepEqual(await store.getTask('T-2'), t2);
          assert.equal(await store.getTask('T-3'), undefined);
          // Ordered by start time, then id.
          assert.deepEqual(await store.listTasks(), [t2, t1]);

          const moved = {
            ...t1,
            phase: 'PLAN',
            lastSeq: 7,
            visits: { ...t1.visits, PLAN: 1 },
            counts: { refusals: 2, backtracks: 0, skips: 1 },
          };
          await store.transact(async (tx) => {
            assert.deepEqual(await tx.getTask('T-1'), t1, 'a later transaction reads the committed state');
            await tx.putTask(moved);
            assert.deepEqual(await tx.getTask('T-1'), moved);
          });
          assert.deepEqual(await store.getTask('T-1'), moved);
          assert.deepEqual(await store.listTasks(), [t2, moved]);
        }),
      );

      it(
        'reads the tasks started before one, the most recent first, ties in id order, without it, at most a limit',
        withStore(async ({ store }) => {
          const at = (ms: number) => new Date(T0 + ms).toISOString();
          const made = [
            taskState('T-a', at(1000), signer),
            taskState('T-c', at(2000), signer),
            taskState('T-b', at(2000), signer),
            taskState('T-d', at(3000), signer),
            taskState('T-e', at(4000), signer),
          ];
          await store.transact(async (tx) => {
            for (const t of made) await tx.putTask(t);
          });
          const ids = async (startedAt: string, except: string, limit: number) =>
            (await store.recentTasks(startedAt, except, limit)).map((t) => t.taskId);
          assert.deepEqual(await ids(at(3000), 'T-d', 10), ['T-b', 'T-c', 'T-a']);
          assert.deepEqual(await ids(at(3000), 'T-x', 2), ['T-d', 'T-b']);
          assert.deepEqual(await ids(at(2000), 'T-b', 10), ['T-c', 'T-a'], 'a task started at the same instant counts');
          assert.deepEqual(await ids(at(999), 'T-x', 10), []);
          assert.deepEqual(await ids(at(9999), 'T-x', 0), []);
          assert.deepEqual(await store.recentTasks(at(1000), 'T-x', 1), [made[0]], 'whole task states');
        }),
      );

      it(
        'reads the active tasks, and pages the task list by status, text and last update, with the number of matches',
        withStore(async ({ store }) => {
          const at = (ms: number) => new Date(T0 + ms).toISOString();
          const as = (id: string, startMs: number, updMs: number, status: TaskState['status'], title?: string) => ({
            ...taskState(id, at(startMs), signer),
            status,
            updatedAt: at(updMs),
            ...(title ? { title } : {}),
          });
          const made = [
            as('T-1', 1000, 5000, 'done'),
            as('T-2', 2000, 3000, 'active', 'Fix the Login page'),
            as('T-3', 3000, 9000, 'aborted'),
            as('T-4', 4000, 4000, 'active'),
            as('T-5', 5000, 8000, 'done', 'LOGIN flow'),
            as('T-6', 1500, 4000, 'active'),
          ];
          await store.transact(async (tx) => {
            for (const t of made) await tx.putTask(t);
          });
          const ids = (ts: readonly TaskState[]) => ts.map((t) => t.taskId);
          assert.deepEqual(ids(await store.activeTasks()), ['T-6', 'T-2', 'T-4'], 'by start time');
          const all = await store.taskPage();
          assert.deepEqual(ids(all.tasks), ['T-4', 'T-6', 'T-2', 'T-5', 'T-1', 'T-3'], 'status, then newest update');
          assert.equal(all.total, 6);
          assert.deepEqual(all.tasks[0], made[3], 'whole task states');
          const page = await store.taskPage({ limit: 2, offset: 2 });
          assert.deepEqual([ids(page.tasks), page.total], [['T-2', 'T-5'], 6]);
          const done = await store.taskPage({ status: 'done' });
          assert.deepEqual([ids(done.tasks), done.total], [['T-5', 'T-1'], 2]);
          const login = await store.taskPage({ q: 'login' });
          assert.deepEqual([ids(login.tasks), login.total], [['T-2', 'T-5'], 2], 'ASCII letters in any case');
          const byId = await store.taskPage({ q: 't-3' });
          assert.deepEqual(ids(byId.tasks), ['T-3'], 'the id matches too');
          assert.deepEqual(await store.taskPage({ q: '%' }), { tasks: [], total: 0 }, 'no pattern characters');
          const few = await store.taskPage({ status: 'active', q: 'T-', limit: 1 });
          assert.deepEqual([ids(few.tasks), few.total], [['T-4'], 3]);
          // A task that finishes leaves the active ones; the list follows its new status and update time.
          await store.transact(async (tx) => tx.putTask({ ...made[1]!, status: 'done', updatedAt: at(9500) }));
          assert.deepEqual(ids(await store.activeTasks()), ['T-6', 'T-4']);
          assert.deepEqual(ids((await store.taskPage({ status: 'done' })).tasks), ['T-2', 'T-5', 'T-1']);
        }),
      );

      it(
        'pages the task list by keyset in both directions, across statuses, and keeps the count of each status',
        withStore(async ({ store }) => {
          const at = (ms: number) => new Date(T0 + ms).toISOString();
          const as = (id: string, updMs: number, status: TaskState['status'], title?: string) => ({
            ...taskState(id, at(1000), signer),
            status,
            updatedAt: at(updMs),
            ...(title ? { title } : {}),
          });
          // Order: T-a, T-b (active, same update: id order), T-c; T-d, T-e (done); T-f (aborted).
          const made = [
            as('T-c', 1000, 'active', 'login'),
            as('T-b', 2000, 'active'),
            as('T-a', 2000, 'active', 'Login'),
            as('T-e', 500, 'done'),
            as('T-d', 3000, 'done', 'LOGIN'),
            as('T-f', 4000, 'aborted', 'login'),
          ];
          assert.deepEqual(await store.taskCounts(), { active: 0, done: 0, aborted: 0 }, 'an empty store');
          await store.transact(async (tx) => {
            for (const t of made) await tx.putTask(t);
          });
          const ids = (p: TaskPage) => p.tasks.map((t) => t.taskId);
          const place = (id: string) => made.find((t) => t.taskId === id)!;
          assert.deepEqual(ids(await store.taskPage()), ['T-a', 'T-b', 'T-c', 'T-d', 'T-e', 'T-f']);
          const after = (id: string, more: TaskQuery = {}) => store.taskPage({ after: place(id), ...more });
          assert.deepEqual(ids(await after('T-a', { limit: 2 })), ['T-b', 'T-c'], 'ties broken by id');
          assert.deepEqual(ids(await after('T-c', { limit: 2 })), ['T-d', 'T-e'], 'into the next status');
          assert.deepEqual(ids(await after('T-b', { limit: 2, offset: 2 })), ['T-e', 'T-f'], 'an offset after it');
          assert.deepEqual(ids(await after('T-c', { limit: 2, offset: 1 })), ['T-e', 'T-f']);
          assert.deepEqual(ids(await after('T-f')), [], 'nothing after the last');
          assert.equal((await after('T-e')).total, 6, 'the total counts every match, not those after the cursor');
          const before = (id: string, more: TaskQuery = {}) => store.taskPage({ before: place(id), ...more });
          assert.deepEqual(ids(await before('T-f', { limit: 2 })), ['T-d', 'T-e'], 'the nearest, in list order');
          assert.deepEqual(ids(await before('T-d', { limit: 2 })), ['T-b', 'T-c'], 'back into the status before');
          assert.deepEqual(ids(await before('T-b', { limit: 5 })), ['T-a'], 'fewer at the start of the list');
          assert.deepEqual(ids(await before('T-a')), []);
          // With a filter: the cursor may be a task the filter leaves out; its place in the order still counts.
          assert.deepEqual(ids(await after('T-b', { q: 'login' })), ['T-c', 'T-d', 'T-f']);
          assert.deepEqual(ids(await after('T-b', { status: 'done' })), ['T-d', 'T-e'], 'a status after the cursor');
          assert.deepEqual(ids(await after('T-d', { status: 'active' })), [], 'a status before it');
          assert.deepEqual(ids(await before('T-d', { q: 'LOGIN', limit: 1 })), ['T-c']);
          const found = await store.taskPage({ q: 'login', offset: 1, limit: 2 });
          assert.deepEqual([ids(found), found.total], [['T-c', 'T-d'], 4], 'an offset across statuses');
          assert.deepEqual(await store.taskCounts(), { active: 3, done: 2, aborted: 1 });
          // The counts follow a task that changes status, and not one that only moves.
          await store.transact(async (tx) => {
            await tx.putTask({ ...place('T-a'), status: 'done', updatedAt: at(5000) });
            await tx.putTask({ ...place('T-b'), updatedAt: at(6000) });
          });
          assert.deepEqual(await store.taskCounts(), { active: 2, done: 3, aborted: 1 });
          assert.deepEqual(ids(await store.taskPage()), ['T-b', 'T-c', 'T-a', 'T-d', 'T-e', 'T-f']);
          assert.equal((await store.taskPage({ limit: 0 })).total, 6);
          assert.equal((await store.taskPage({ status: 'done', limit: 0 })).total, 3);
        }),
      );

      it(
        'lists tasks that started at the same instant in task id order',
        withStore(async ({ store }) => {
          const at = new Date(T0).toISOString();
          const [b, a, c] = ['T-b', 'T-a', 'T-c'].map((id) => taskState(id, at, signer));
          await store.transact(async (tx) => {
            for (const t of [b!, a!, c!]) await tx.putTask(t);
          });
          assert.deepEqual(
            (await store.listTasks()).map((t) => t.taskId),
            ['T-a', 'T-b', 'T-c'],
          );
        }),
      );

      it(
        'keeps the projection the engine writes with each appended entry',
        withStore(async ({ store }) => {
          const engine = testEngine(store, signer);
          await store.transact(async (tx) => {
            await engineAppend(
              engine,
              tx,
              draft({ kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'a task' } }),
            );
            await engineAppend(engine, tx, draft({ kind: 'transition', fromPhase: 'STRATEGIZE', toPhase: 'SPEC' }));
          });
          const state = await store.getTask('T-1');
          assert.equal(state?.phase, 'SPEC');
          assert.equal(state?.lastSeq, 2);
          assert.equal(state?.title, 'a task');
          assert.deepEqual(state?.visits, { STRATEGIZE: 1, SPEC: 1 });
        }),
      );
    });

    describe('leases', () => {
      it(
        'puts and gets leases inside and outside transactions; a released lease keeps its token',
        withStore(async ({ store }) => {
          const l1 = lease({ token: 5 });
          await store.transact(async (tx) => {
            assert.equal(await tx.getLease('T-1'), undefined);
            await tx.putLease(l1);
            assert.deepEqual(await tx.getLease('T-1'), l1);
          });
          assert.deepEqual(await store.getLease('T-1'), l1);
          assert.equal(await store.getLease('T-2'), undefined);

          const released: Lease = { ...l1, holder: null, expiresAt: new Date(T0 + 5000).toISOString() };
          await store.transact(async (tx) => {
            assert.deepEqual(await tx.getLease('T-1'), l1);
            await tx.putLease(released);
          });
          const got = await store.getLease('T-1');
          assert.deepEqual(got, released);
          assert.equal(got?.holder, null);
          assert.equal(got?.token, 5);

          const other = lease({ taskId: 'T-2', phase: 'PLAN', holder: 'agent-b', token: 1 });
          await store.transact((tx) => tx.putLease(other));
          assert.deepEqual(await store.getLease('T-2'), other);
          assert.deepEqual(await store.getLease('T-1'), released);
        }),
      );

      it(
        'runs the expiry and fencing sequence through transactions, with a manual clock',
        withStore(async ({ store }) => {
          const clock = new ManualClock(T0);
          const ttlMs = 30_000;
          const acquire = (holder: string) => (cur: Lease | undefined) =>
            decideAcquire(cur, { taskId: 'T-1', phase: 'SPEC', holder, ttlMs, now: clock.now() });

          const a1 = granted(await leaseStep(store, acquire('A')));
          assert.equal(a1.change, 'acquired');
          assert.equal(a1.lease.token, 1);
          assert.deepEqual(await store.getLease('T-1'), a1.lease);

          clock.advance(ttlMs - 1);
          const held = refusedWith(await leaseStep(store, acquire('B')), ErrorCode.LEASE_HELD);
          assert.equal(held['holder'], 'A');
          assert.equal(held['expiresAt'], new Date(T0 + ttlMs).toISOString());
          assert.deepEqual(await store.getLease('T-1'), a1.lease, 'a refusal stores nothing');

          clock.advance(1);
          const b = granted(await leaseStep(store, acquire('B')));
          assert.equal(b.change, 'takeover');
          assert.equal(b.previousHolder, 'A');
          assert.ok(b.lease.token > a1.lease.token);
          assert.deepEqual(await store.getLease('T-1'), b.lease);

          const fenced = refusedWith(
            await leaseStep(store, (cur) =>
              decideRenew(cur, { taskId: 'T-1', holder: 'A', ttlMs, now: clock.now(), token: a1.lease.token }),
            ),
            ErrorCode.LEASE_FENCED,
          );
          assert.equal(fenced['token'], 1);
          assert.equal(fenced['current'], 2);
          assert.deepEqual(await store.getLease('T-1'), b.lease);

          clock.advance(1000);
          const again = granted(await leaseStep(store, acquire('B')));
          assert.equal(again.change, 'renewed');
          assert.equal(again.lease.token, b.lease.token);

          const rel = granted(
            await leaseStep(store, (cur) =>
              decideRelease(cur, { taskId: 'T-1', holder: 'B', now: clock.now(), token: b.lease.token }),
            ),
          );
          const stored = await store.getLease('T-1');
          assert.equal(rel.change, 'released');
          assert.equal(stored?.holder, null);
          assert.equal(stored?.token, 2);

          const next = granted(await leaseStep(store, acquire('C')));
          assert.equal(next.change, 'acquired');
          assert.equal(next.lease.token, 3);
          assert.deepEqual(await store.getLease('T-1'), next.lease);
        }),
      );
    });

    describe('move claims', () => {
      const claim = (over: Partial<MoveClaim> = {}): MoveClaim => ({
        taskId: 'T-1',
        token: 'move-1',
        holder: 'agent-a',
        action: 'advance',
        phase: 'VERIFY',
        host: 'host-a',
        pid: 4242,
        takenAt: new Date(T0).toISOString(),
        expiresAt: new Date(T0 + 60_000).toISOString(),
        ...over,
      });

      it(
        "puts, replaces and reads claims in transactions; a drop with another move's token leaves the claim",
        withStore(async ({ store }) => {
          const first = claim();
          await store.transact(async (tx) => {
            assert.equal(await tx.getMoveClaim('T-1'), undefined);
            await tx.putMoveClaim(first);
            assert.deepEqual(await tx.getMoveClaim('T-1'), first, 'read back in its own transaction');
          });
          assert.deepEqual(await store.transact((tx) => tx.getMoveClaim('T-1')), first, 'committed');
          assert.equal(await store.transact((tx) => tx.getMoveClaim('T-2')), undefined, 'one claim a task');

          await store.transact((tx) => tx.dropMoveClaim('T-1', 'another-move'));
          assert.deepEqual(await store.transact((tx) => tx.getMoveClaim('T-1')), first, 'another token drops nothing');

          const second = claim({
            token: 'move-2',
            holder: 'agent-b',
            pid: 7,
            expiresAt: new Date(T0 + 1).toISOString(),
          });
          await store.transact((tx) => tx.putMoveClaim(second));
          assert.deepEqual(await store.transact((tx) => tx.getMoveClaim('T-1')), second, 'a put replaces the claim');

          await store.transact(async (tx) => {
            await tx.dropMoveClaim('T-1', 'move-2');
            assert.equal(await tx.getMoveClaim('T-1'), undefined, 'gone in its own transaction');
          });
          assert.equal(await store.transact((tx) => tx.getMoveClaim('T-1')), undefined, 'dropped for good');
        }),
      );

      it(
        'rolls back a claim taken or dropped in a transaction that throws',
        withStore(async ({ store }) => {
          await assert.rejects(
            store.transact(async (tx) => {
              await tx.putMoveClaim(claim());
              throw new Error('boom');
            }),
            /boom/,
          );
          assert.equal(await store.transact((tx) => tx.getMoveClaim('T-1')), undefined, 'the put rolled back');
          await store.transact((tx) => tx.putMoveClaim(claim()));
          await assert.rejects(
            store.transact(async (tx) => {
              await tx.dropMoveClaim('T-1', 'move-1');
              throw new Error('boom');
            }),
            /boom/,
          );
          assert.deepEqual(await store.transact((tx) => tx.getMoveClaim('T-1')), claim(), 'the drop rolled back');
        }),
      );

      it(
        'grants one of many parallel claims of a task, each decided inside its transaction',
        withStore(async ({ store }) => {
          const now = new Date(T0 + 1000);
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              store.transact(async (tx) => {
                const d = decideClaim(await tx.getMoveClaim('T-1'), claim({ token: `move-${i}` }), now, false);
                if (d.ok) await tx.putMoveClaim(d.value.claim);
                return d;
              }),
            ),
          );
          const won = results.filter((r) => r.ok);
          assert.equal(won.length, 1, 'exactly one move holds the claim');
          for (const r of results.filter((x) => !x.ok))
            assert.equal(refusedWith(r, ErrorCode.LEASE_HELD)['reason'], 'move-running');
          const held = await store.transact((tx) => tx.getMoveClaim('T-1'));
          assert.equal(held?.token, won[0]!.ok ? won[0]!.value.claim.token : '');
          // Once the claim has expired, the next move takes it over.
          const later = new Date(T0 + 120_000);
          const next = await store.transact(async (tx) => {
            const d = decideClaim(await tx.getMoveClaim('T-1'), claim({ token: 'move-late' }), later, false);
            if (d.ok) await tx.putMoveClaim(d.value.claim);
            return d;
          });
          assert.ok(next.ok && next.value.replaced?.token === held?.token, 'an expired claim is replaced');
        }),
      );
    });

    describe('keys', () => {
      it(
        'stores public keys by id; the first key filed under an id stays',
        withStore(async ({ store }) => {
          const other = makeSigner();
          await store.putKey(signer.keyId, signer.publicKeyPem);
          await store.putKey(other.keyId, other.publicKeyPem);
          await store.putKey(signer.keyId, signer.publicKeyPem);
          const keys = await store.keys();
          assert.deepEqual(
            [...keys.entries()].sort(),
            [
              [signer.keyId, signer.publicKeyPem],
              [other.keyId, other.publicKeyPem],
            ].sort(),
          );
          keys.delete(signer.keyId);
          assert.equal((await store.keys()).get(signer.keyId), signer.publicKeyPem, 'keys() hands out a copy');
          await store.putKey(signer.keyId, other.publicKeyPem);
          assert.equal((await store.keys()).get(signer.keyId), signer.publicKeyPem, 'a key cannot be replaced');
        }),
      );
    });

    describe('concurrency within one process', () => {
      it(
        'never forks when many transactions start at once',
        withStore(async ({ store }) => {
          const engine = testEngine(store, signer);
          const n = 60;
          const results = await Promise.all(
            Array.from({ length: n }, (_, i) =>
              store.transact(async (tx) => {
                const head = await tx.head();
                // Yield between reading the head and appending, as real use cases do (files, validators).
                await new Promise((r) => setImmediate(r));
                const e = await engineAppend(
                  engine,
                  tx,
                  draft({ taskId: `T-${i % 4}`, kind: 'evidence', data: { i } }),
                );
                assert.equal(e.seq, (head?.seq ?? 0) + 1);
                return e;
              }),
            ),
          );
          const entries = await store.entries();
          assert.deepEqual(
            entries.map((entry) => entry.seq),
            Array.from({ length: n }, (_, i) => i + 1),
          );
          assert.deepEqual(new Set(results.map((entry) => entry.seq)).size, n);
          assert.equal(new Set(entries.map((entry) => entry.hash)).size, n);
          assert.deepEqual(
            entries.map((entry) => entry.data['i']).sort((a, b) => Number(a) - Number(b)),
            Array.from({ length: n }, (_, i) => i),
          );
          assert.equal(checkChain(entries, null, crypto), null);
          assert.deepEqual(await store.head(), { seq: n, hash: entries.at(-1)!.hash });
        }),
      );

      it(
        'lets a failed transaction go without blocking the ones queued behind it',
        withStore(async ({ store }) => {
          const outcomes = await Promise.allSettled(
            Array.from({ length: 10 }, (_, i) =>
              store.transact(async (tx) => {
                await tx.append(seal(signer, await tx.head(), draft({ data: { i } })));
                if (i % 2 === 0) throw new Error(`fail ${i}`);
                return i;
              }),
            ),
          );
          assert.deepEqual(
            outcomes.map((o) => o.status),
            Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'rejected' : 'fulfilled')),
          );
          const entries = await store.entries();
          assert.deepEqual(
            entries.map((entry) => entry.data['i']),
            [1, 3, 5, 7, 9],
          );
          assert.equal(checkChain(entries, null, crypto), null);
        }),
      );
    });

    if (corruptRows.length > 0)
      describe('corrupt rows', () => {
        for (const c of corruptRows) {
          const key = c.key ?? DEFAULT_KEY[c.table];
          const shown =
            c.value === SAME_BYTES
              ? 'its text as a blob'
              : Buffer.isBuffer(c.value)
                ? 'a blob'
                : typeof c.value === 'string'
                  ? JSON.stringify(c.value)
                  : String(c.value);
          it(
            `${c.table} ${c.table === 'keys' ? "(the signer's key)" : key} with ${c.column} ${shown}: LEDGER_TAMPERED naming the row and column on every read`,
            withStore(async (h) => {
              assert.ok(h.writeRaw, 'a store run with rawRows must offer writeRaw');
              const { store } = h;
              await storeOfEveryRow(store);
              const reads = readsOf(store, c, key);
              // Sound, every read succeeds: whatever fails below, the corrupt value made it fail.
              for (const [label, read] of reads.meets)
                await assert.doesNotReject(read(), `${label} on the sound store`);
              assert.ok((await verifyLedger(testEngine(store, signer))).ok, 'the sound store verifies');
              const original =
                c.table === 'keys' ? signer.publicKeyPem : JSON.stringify(await store.getTask(String(key)));
              await h.writeRaw(c.table, key, c.column, c.value === SAME_BYTES ? Buffer.from(original) : c.value);
              for (const [label, read] of reads.meets) {
                await assert.rejects(
                  read(),
                  (err: unknown) => {
                    assert.ok(
                      err instanceof AutopilotError,
                      `${label}: expected an AutopilotError, got ${String(err)}`,
                    );
                    assert.equal(err.code, ErrorCode.LEDGER_TAMPERED, `${label}: ${err.message}`);
                    assert.deepEqual(
                      { table: err.details['table'], row: err.details['row'], column: err.details['column'] },
                      { table: c.table, row: c.named === null ? null : key, column: c.column },
                      label,
                    );
                    assert.match(err.message, /^corrupt row in the store: /, label);
                    assert.match(err.message, c.says, label);
                    assert.ok(
                      err.message.includes(String(err.details['where'])),
                      `${label}: the message names the row`,
                    );
                    return true;
                  },
                  `${label} read the corrupt row without complaint`,
                );
              }
              // The other rows still read.
              await reads.misses();
            }),
          );
        }
      });

    describe('persistence and tampering', () => {
      if (persistent)
        it(
          'keeps everything across a restart',
          withStore(async (h) => {
            assert.ok(h.reopen, 'a persistent store must offer reopen');
            const { store } = h;
            const engine = testEngine(store, signer);
            await store.putKey(signer.keyId, signer.publicKeyPem);
            await store.transact(async (tx) => {
              await engineAppend(
                engine,
                tx,
                draft({ kind: 'task_started', toPhase: 'STRATEGIZE', data: { title: 'persisted' } }),
              );
              await engineAppend(
                engine,
                tx,
                draft({
                  kind: 'evidence',
                  artifacts: [
                    { path: 'evidence/T-1/strategize/strategy.md', sha256: 'b'.repeat(64), producer: 'agent' },
                  ],
                }),
              );
              await tx.putLease(lease({ token: 7, holder: null }));
            });
            await appendAll(
              store,
              [richDraft(5)].map((d) => ({ ...d, taskId: null })),
            );
            const before = { ...(await snapshot(store, ['T-1'])), keys: await store.keys() };
            const reopened = await h.reopen();
            assert.deepEqual({ ...(await snapshot(reopened, ['T-1'])), keys: await reopened.keys() }, before);
            assert.equal(checkChain(await reopened.entries(), null, cryptoFor(signer)), null);
            const after = await reopened.transact(async (tx) =>
              engineAppend(testEngine(reopened, signer), tx, draft()),
            );
            assert.equal(after.seq, 4);
            assert.equal(after.prevHash, before.head?.hash);
          }),
        );

      it(
        'shows a tampered entry to the chain check, by seq',
        withStore(async (h, t) => {
          if (!h.tamper) return t.skip('no way to tamper with this store');
          await appendAll(
            h.store,
            Array.from({ length: 5 }, (_, i) => draft({ data: { i, note: 'original' } })),
          );
          assert.equal(checkChain(await h.store.entries(), null, crypto), null);
          await h.tamper(3);
          const entries = await h.store.entries();
          assert.notDeepEqual(entries[2]?.data, { i: 2, note: 'original' }, 'the tamper hook changed nothing');
          const problem = checkChain(entries, null, crypto);
          assert.equal(problem?.seq, 3);
          assert.match(problem?.reason ?? '', /hash does not match/);
        }),
      );
    });

    describe('outbox', () => {
      const now = (s: number) => new Date(T0 + s * 1000);

      it(
        'commits a row with the entry that decides it, and rolls both back together',
        withStore(async ({ store }) => {
          const [entry, added] = await store.transact(async (tx) => {
            const e = seal(signer, await tx.head(), draft({ kind: 'transition', fromPhase: 'REVIEW', toPhase: 'PR' }));
            await tx.append(e);
            return [e, await tx.addOutbox(pushRow('T-1', e.seq))] as const;
          });
          assert.equal(added, true);
          assert.deepEqual(await store.listOutbox(), [pushRow('T-1', entry.seq)]);
          await assert.rejects(
            store.transact(async (tx) => {
              const e = seal(
                signer,
                await tx.head(),
                draft({ kind: 'transition', fromPhase: 'PR', toPhase: 'MONITOR' }),
              );
              await tx.append(e);
              assert.equal(await tx.addOutbox(pushRow('T-1', e.seq)), true);
              assert.ok(await tx.getOutbox(outboxKey('T-1', e.seq, 'push')), 'the transaction sees its own row');
              throw new Error('abort');
            }),
            /abort/,
          );
          assert.equal((await store.head())?.seq, 1);
          assert.deepEqual(
            (await store.listOutbox()).map((r) => r.key),
            [outboxKey('T-1', 1, 'push')],
          );
          assert.equal(await store.getOutbox(outboxKey('T-1', 2, 'push')), undefined);
        }),
      );

      it(
        'keeps the first row of a key: a decision written twice is one row',
        withStore(async ({ store }) => {
          const first = pushRow('T-1', 5, 'a'.repeat(40));
          assert.equal(await store.transact((tx) => tx.addOutbox(first)), true);
          assert.equal(await store.transact((tx) => tx.addOutbox(pushRow('T-1', 5, 'b'.repeat(40)))), false);
          const both = await store.transact(async (tx) => [
            await tx.addOutbox(pushRow('T-1', 6)),
            await tx.addOutbox(pushRow('T-1', 6, 'd'.repeat(40))),
          ]);
          assert.deepEqual(both, [true, false]);
          assert.deepEqual(await store.getOutbox(first.key), first);
          assert.equal((await store.getOutbox(outboxKey('T-1', 6, 'push')))?.payload['commit'], 'c'.repeat(40));
          assert.equal((await store.listOutbox()).length, 2);
        }),
      );

      it(
        'reads back every field of every state exactly as put, and refuses to replace a row that is not there',
        withStore(async ({ store }) => {
          const row = pushRow('T-1', 3);
          await store.transact((tx) => tx.addOutbox(row));
          const claimed = claimRow(row, 'tok-1', 'host-a', 4242, now(10));
          const failed = failRow(claimed, 'remote hung up: "origin" ✗', true, now(11));
          const again = claimRow(failed, 'tok-2', 'host-b', 7, now(30));
          const sent = sentRow(again, 42, now(31));
          for (const step of [claimed, failed, again, sent]) {
            await store.transact((tx) => tx.putOutbox(step));
            assert.deepEqual(await store.getOutbox(row.key), step);
            assert.deepEqual(await store.transact((tx) => tx.getOutbox(row.key)), step);
          }
          assert.equal(failed.state, OutboxState.failed);
          assert.equal(failed.nextAt, new Date(T0 + 11_000 + 5_000).toISOString());
          assert.equal(sent.attempts, 2);
          assert.equal(sent.claimToken, null);
          await assert.rejects(
            store.transact(async (tx) => {
              await tx.addOutbox(pushRow('T-2', 9));
              await tx.putOutbox(pushRow('T-2', 10));
            }),
            /no outbox row T-2@10:push/,
          );
          assert.equal(
            await store.getOutbox(outboxKey('T-2', 9, 'push')),
            undefined,
            'the failed transaction left nothing',
          );
          assert.deepEqual(await store.listOutbox(), [sent]);
        }),
      );

      it(
        'lists oldest first, then by key, filtered by task and state',
        withStore(async ({ store }) => {
          const rows = [pushRow('T-2', 4), pushRow('T-1', 2), pushRow('T-10', 2), pushRow('T-1', 9)];
          await store.transact(async (tx) => {
            for (const r of rows) await tx.addOutbox(r);
            await tx.putOutbox(sentRow(rows[3]!, 12, now(20)));
          });
          const keys = async (q?: Parameters<Store['listOutbox']>[0]) => (await store.listOutbox(q)).map((r) => r.key);
          // Code-point order: '0' (0x30) sorts before '@' (0x40).
          assert.deepEqual(await keys(), ['T-10@2:push', 'T-1@2:push', 'T-2@4:push', 'T-1@9:push']);
          assert.deepEqual(await keys({ taskId: 'T-1' }), ['T-1@2:push', 'T-1@9:push']);
          assert.deepEqual(await keys({ states: [OutboxState.sent] }), ['T-1@9:push']);
          assert.deepEqual(await keys({ states: [OutboxState.pending, OutboxState.failed], taskId: 'T-2' }), [
            'T-2@4:push',
          ]);
          assert.deepEqual(await keys({ states: [] }), []);
          assert.deepEqual(await keys({ taskId: 'T-9' }), []);
        }),
      );

      it(
        'lets one of two dispatchers claim a row: the claim is read and put inside one transaction',
        withStore(async ({ store }) => {
          const row = pushRow('T-1', 3);
          await store.transact((tx) => tx.addOutbox(row));
          const claim = (token: string) =>
            store.transact(async (tx) => {
              const current = await tx.getOutbox(row.key);
              if (current?.state !== OutboxState.pending) return null;
              await tx.putOutbox(claimRow(current, token, 'host-a', 1, now(5)));
              return token;
            });
          const won = (await Promise.all(['a', 'b', 'c', 'd'].map(claim))).filter((t) => t !== null);
          assert.equal(won.length, 1);
          const stored = await store.getOutbox(row.key);
          assert.equal(stored?.claimToken, won[0]);
          assert.equal(stored?.attempts, 1);
        }),
      );

      if (persistent)
        it(
          'keeps its rows across a restart',
          withStore(async (h, t) => {
            if (!h.reopen) return t.skip('this store keeps nothing across a restart');
            const rows = [pushRow('T-1', 2), claimRow(pushRow('T-2', 3), 'tok', 'host-a', 99, now(4))];
            await h.store.transact(async (tx) => {
              await tx.addOutbox(rows[0]!);
              await tx.addOutbox(pushRow('T-2', 3));
              await tx.putOutbox(rows[1]!);
            });
            const reopened = await h.reopen();
            assert.deepEqual(await reopened.listOutbox(), rows);
          }),
        );
    });
  });
}
