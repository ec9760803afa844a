/** @module Test helpers: a real signer, sealed entries, task states and a minimal engine around a store. */
import './state-home.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalPayload,
  GENESIS_HASH,
  type ChainHead,
  type EntryDraft,
  type LedgerEntry,
} from '../../src/core/ledger.ts';
import { defaultConfig } from '../../src/core/config.ts';
import { foldTask, type TaskState } from '../../src/core/task.ts';
import type { Lease } from '../../src/core/lease.ts';
import type { Store } from '../../src/ports/store.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { ManualClock } from './clock.ts';
import { noopSink } from '../../src/ports/events.ts';
import type { CommandRunner } from '../../src/ports/runner.ts';
import { chainCrypto, ensureKeyPair, type Signer } from '../../src/engine/ledger/keys.ts';
import { sha256Hex } from '../../src/engine/repo/files.ts';
import { layoutFor } from '../../src/engine/repo/layout.ts';
import type { Engine } from '../../src/engine/context.ts';

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix = 'autopilot-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh ed25519 signer whose key lives in a temporary folder (removed at once: the signer keeps the key in memory). */
export function makeSigner(): Signer {
  const t = tempDir('autopilot-key-');
  try {
    return ensureKeyPair(t.dir).signer;
  } finally {
    t.remove();
  }
}

/** The chain crypto that knows exactly these signers. */
export function cryptoFor(...signers: Signer[]) {
  return chainCrypto(new Map(signers.map((s) => [s.keyId, s.publicKeyPem])));
}

export const T0 = Date.UTC(2026, 0, 1);

/** A draft with sensible defaults. */
export function draft(extra: Partial<EntryDraft> = {}): EntryDraft {
  return {
    taskId: 'T-1',
    kind: 'evidence',
    fromPhase: null,
    toPhase: null,
    actor: 'cli:test',
    artifacts: [],
    data: {},
    ...extra,
  };
}

/** Seals a draft on top of `head` exactly as the engine does (src/engine/task/record.ts). */
export function seal(
  signer: Signer,
  head: ChainHead | null,
  d: EntryDraft,
  ts: string | Date = new Date(T0),
): LedgerEntry {
  const unsigned = {
    ...d,
    seq: head ? head.seq + 1 : 1,
    prevHash: head ? head.hash : GENESIS_HASH,
    ts: typeof ts === 'string' ? ts : ts.toISOString(),
    keyId: signer.keyId,
  };
  const hash = sha256Hex(canonicalPayload(unsigned));
  return { ...unsigned, hash, signature: signer.sign(hash) };
}

/** Re-seals an entry after a change, keeping its place in the chain (what a forger with the key would do). */
export function reseal(signer: Signer, e: Omit<LedgerEntry, 'hash' | 'signature' | 'keyId'>): LedgerEntry {
  const unsigned = { ...e, keyId: signer.keyId };
  const hash = sha256Hex(canonicalPayload(unsigned));
  return { ...unsigned, hash, signature: signer.sign(hash) };
}

/** A well-formed chain of `n` entries, one second apart. */
export function chain(
  signer: Signer,
  n: number,
  draftFor: (i: number) => EntryDraft = (i) => draft({ data: { i } }),
): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let i = 0; i < n; i++) {
    const prev = out.at(-1);
    out.push(seal(signer, prev ? { seq: prev.seq, hash: prev.hash } : null, draftFor(i), new Date(T0 + i * 1000)));
  }
  return out;
}

/** A realistic task state: the fold of a start and one transition. */
export function taskState(taskId: string, startedAt: string, signer: Signer): TaskState {
  const start = seal(
    signer,
    null,
    draft({
      taskId,
      kind: 'task_started',
      toPhase: 'STRATEGIZE',
      data: { title: `title of ${taskId}`, baseCommit: 'abc123' },
    }),
    startedAt,
  );
  const next = seal(
    signer,
    start,
    draft({
      taskId,
      kind: 'transition',
      fromPhase: 'STRATEGIZE',
      toPhase: 'SPEC',
      artifacts: [{ path: `evidence/${taskId}/strategize/strategy.md`, sha256: 'a'.repeat(64), producer: 'agent' }],
    }),
    startedAt,
  );
  const state = foldTask([start, next]);
  if (!state) throw new Error('fold gave no state');
  return state;
}

export function lease(extra: Partial<Lease> = {}): Lease {
  return {
    taskId: 'T-1',
    phase: 'SPEC',
    holder: 'agent-a',
    token: 1,
    acquiredAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 60_000).toISOString(),
    ...extra,
  };
}

const noRunner: CommandRunner = {
  run: () => Promise.reject(new Error('no commands run in these tests')),
};

/** The engine's dependencies around a store, enough for `append` and the lease use cases. */
export function testEngine(store: Store, signer: Signer, clock: Clock = new ManualClock(T0), root = tmpdir()): Engine {
  return {
    layout: layoutFor(root, '.autopilot'),
    config: defaultConfig(),
    store,
    signer,
    clock,
    sink: noopSink,
    runner: noRunner,
  };
}

/** A promise with its resolve function, to hold a transaction open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
