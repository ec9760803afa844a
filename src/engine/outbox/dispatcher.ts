/**
 * @module The outbox dispatcher of a long-running process (`serve`, the hook daemon): sends what the outbox holds
 * as soon as a ledger entry decides it, and again when a failed row's backoff ends, through the same claim as
 * `autopilot outbox run`, so that any number of dispatchers, in any processes, send each row once.
 */
import { DEFAULT_BACKOFF, OutboxState, type Backoff, type OutboxRow } from '../../core/outbox.ts';
import { runOutbox, type DispatchOutcome } from './dispatch.ts';
import type { Actor, Engine } from '../context.ts';

export interface DispatcherOptions {
  /** One line for each row that went out, failed or stopped, and for the dispatcher's own trouble. */
  readonly log?: (line: string) => void;
  readonly backoff?: Backoff;
  /**
   * How often the ledger head is read to notice a new decision, milliseconds; absent: never, and the owner calls
   * {@link OutboxDispatcher.poke} when the head moves (serve does, from the watcher its pages use).
   */
  readonly headPollMs?: number;
  /** The longest sleep when nothing is due, milliseconds (default 60 s): a safety net, decisions come by the head. */
  readonly idleMs?: number;
  /**
   * How soon a row held by another dispatcher, or waiting for what it needs (the PR template), is looked at again,
   * milliseconds (default 5 s): a holder that died on this host is seen only by looking.
   */
  readonly recheckMs?: number;
}

/** Never sleep less than this: a row that stays due (it waits for a file) must not make the loop spin. */
const MIN_SLEEP_MS = 250;

/**
 * Runs {@link runOutbox} whenever something may be due: at start, on {@link poke} (a new ledger head), and on a
 * timer set to the earliest time a row becomes due. One run at a time in this process; the rows' claims keep
 * dispatchers of other processes off a row this one sends.
 */
export class OutboxDispatcher {
  readonly #engine: Engine;
  readonly #actor: Actor;
  readonly #log: (line: string) => void;
  readonly #backoff: Backoff;
  readonly #idleMs: number;
  readonly #recheckMs: number;
  readonly #headPollMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #headTimer: NodeJS.Timeout | undefined;
  #head: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #troubles = 0;
  #runs = 0;

  constructor(engine: Engine, actor: Actor, opts: DispatcherOptions = {}) {
    this.#engine = engine;
    this.#actor = actor;
    this.#log = opts.log ?? (() => {});
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.#idleMs = opts.idleMs ?? 60_000;
    this.#recheckMs = opts.recheckMs ?? 5_000;
    this.#headPollMs = opts.headPollMs;
  }

  /** Runs once now, then on every poke, head move and due time until {@link stop}. */
  start(): void {
    if (this.#headPollMs !== undefined) {
      this.#headTimer = setInterval(() => void this.#checkHead(), this.#headPollMs);
      // The dispatcher serves its process; it never keeps one alive by itself.
      this.#headTimer.unref();
    }
    this.poke();
  }

  /** Something may be due (the ledger head moved): run now, or right after the run under way. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#loop().finally(() => (this.#running = undefined));
  }

  /** Completed runs (each a look at the outbox), for tests and status lines. */
  get runs(): number {
    return this.#runs;
  }

  /** Stops the timers and waits for a run under way: a row it claimed is recorded before the engine closes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#headTimer) clearInterval(this.#headTimer);
    this.#timer = this.#headTimer = undefined;
    await this.#running;
  }

  async #checkHead(): Promise<void> {
    try {
      const seq = (await this.#engine.store.head())?.seq ?? 0;
      if (this.#head !== undefined && seq !== this.#head) this.poke();
      this.#head = seq;
    } catch {
      // The run's own error report says what is wrong with the store; the head is read again at the next tick.
    }
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      let sleep: number;
      try {
        const outcomes = await runOutbox(this.#engine, this.#actor, { backoff: this.#backoff });
        for (const o of outcomes) if (o.outcome !== 'skipped' && o.outcome !== 'waiting') this.#log(describe(o));
        sleep = this.#nextSleep(await this.#engine.store.listOutbox({ states: OPEN }));
        if (this.#troubles > 0) this.#log('outbox: the store answers again');
        this.#troubles = 0;
      } catch (err) {
        // The store or the disk is in trouble: said once, tried again with a growing wait.
        if (this.#troubles === 0) this.#log(`outbox: dispatching failed, trying again: ${(err as Error).message}`);
        this.#troubles++;
        sleep = Math.min(this.#idleMs, 1_000 * 2 ** Math.min(10, this.#troubles - 1));
      }
      this.#runs++;
      if (this.#stopped) return;
      if (!this.#again) {
        this.#timer = setTimeout(() => this.poke(), Math.max(MIN_SLEEP_MS, sleep));
        this.#timer.unref();
      }
    } while (this.#again && !this.#stopped);
  }

  /** Until the earliest row is due: a failed row at the end of its backoff, a held or waiting one at the recheck. */
  #nextSleep(rows: readonly OutboxRow[]): number {
    const now = this.#engine.clock.now().getTime();
    let next = now + this.#idleMs;
    for (const r of rows) {
      const due = Date.parse(r.nextAt);
      const at = r.state === OutboxState.sending || due <= now ? now + this.#recheckMs : due;
      next = Math.min(next, at);
    }
    return next - now;
  }
}

const OPEN = [OutboxState.pending, OutboxState.failed, OutboxState.sending];

function describe(o: DispatchOutcome): string {
  const seq = o.seq !== undefined ? ` (entry ${o.seq})` : '';
  const next = o.nextAt ? `, next try at ${o.nextAt}` : '';
  const why = o.error ? `: ${o.error}` : '';
  return `outbox: ${o.key} ${o.outcome}${seq}${next}${why}`;
}
