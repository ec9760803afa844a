/** @module Watching the ledger head: the server polls the store and tells every open page when it moves. */
import type { ChainHead } from '../../core/ledger.ts';
import type { Engine } from '../../engine/context.ts';

export type HeadListener = (head: ChainHead | null) => void;

/** Polls `store.head()` every `intervalMs` and notifies listeners when the head changes. */
export class HeadWatcher {
  #head: ChainHead | null = null;
  readonly #listeners = new Set<HeadListener>();
  readonly #stops = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #failed = false;

  constructor(
    private readonly engine: Engine,
    private readonly intervalMs = 500,
    private readonly log: (line: string) => void = () => {},
  ) {}

  get head(): ChainHead | null {
    return this.#head;
  }

  async start(): Promise<void> {
    this.#head = await this.engine.store.head();
    this.#timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  /** Reads the head once; notifies when it moved. */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const head = await this.engine.store.head();
      this.#failed = false;
      if ((head?.seq ?? 0) !== (this.#head?.seq ?? 0) || head?.hash !== this.#head?.hash) {
        this.#head = head;
        for (const fn of this.#listeners) fn(head);
      }
    } catch (err) {
      if (!this.#failed) this.log(`reading the ledger head failed: ${(err as Error).message}`);
      this.#failed = true;
    } finally {
      this.#polling = false;
    }
  }

  /** Calls `fn` on every move of the head; returns the unsubscribe function. */
  subscribe(fn: HeadListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` once when the watcher stops (the server closes). */
  onStop(fn: () => void): () => void {
    this.#stops.add(fn);
    return () => this.#stops.delete(fn);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const fn of [...this.#stops]) fn();
    this.#stops.clear();
    this.#listeners.clear();
  }
}
