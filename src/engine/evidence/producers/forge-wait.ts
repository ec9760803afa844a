/**
 * @module The wait shared by the evidence read from a forge (PR's checks, MONITOR's deployments): the time allowed,
 * polls and progress on stderr, transient forge errors retried with backoff, and a forge that cannot be read refused
 * as such, never read as a verdict on what was asked.
 */
import { AutopilotError, ErrorCode } from '../../../core/errors.ts';
import { ForgeError, type ForgeKind } from '../../../ports/forge.ts';

/** The first wait after a forge error; each next one doubles, up to the poll interval (or this, if longer). */
export const FIRST_RETRY_MS = 1000;

const FORGE_NAME: Readonly<Record<ForgeKind, string>> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };

/** What a refusal says was being read, and of what it says nothing. */
export interface ForgeReadContext {
  readonly taskId: string;
  readonly phase: string;
  readonly forge: ForgeKind;
  /** `the release of T-1`, `the CI checks of T-1`. */
  readonly subject: string;
  /** `the deployment`, `CI`. */
  readonly about: string;
}

/** The clock of one read: what was slept so far (the time the forge takes to answer does not count), and the retries. */
export class ForgeWait {
  waited = 0;
  private retryMs = FIRST_RETRY_MS;

  constructor(
    readonly withinMs: number,
    readonly pollMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
    readonly progress: (line: string) => void,
  ) {}

  /** The time allowed is up: this look is the last. */
  get final(): boolean {
    return this.waited >= this.withinMs;
  }

  /** `3 s of 10 s`, for progress lines. */
  clock(): string {
    return `${Math.round(this.waited / 1000)} s of ${this.withinMs / 1000} s`;
  }

  /** The forge answered: the next error starts its backoff afresh. */
  answered(): void {
    this.retryMs = FIRST_RETRY_MS;
  }

  /** Sleeps `ms` (the poll interval by default), never past the time allowed. */
  async pause(ms = this.pollMs): Promise<void> {
    const step = Math.max(0, Math.min(ms, this.withinMs - this.waited));
    await this.sleep(step);
    this.waited += step;
  }

  /**
   * After a failed look: a transient forge error is retried (a progress line, then the backoff) while time is left;
   * anything else is thrown, a forge error as the move's refusal (see {@link forgeRefusal}).
   */
  async retry(err: unknown, ctx: ForgeReadContext): Promise<void> {
    if (!(err instanceof ForgeError)) throw err;
    if (!err.retryable || this.final) throw forgeRefusal(ctx, err, this.withinMs);
    this.progress(
      `${err.message}; trying again in ${Math.min(this.retryMs, this.withinMs - this.waited) / 1000} s (${this.clock()})`,
    );
    await this.pause(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, Math.max(this.pollMs, FIRST_RETRY_MS));
  }
}

/**
 * A forge that could not be read, as the move's refusal: CONFIG_INVALID for a refused token (401, 403, key
 * `forge-token`) or a repository it does not show (404, key `pr.repository`), at once; EVIDENCE_INVALID (reason
 * `forge unreadable`) for one still failing when the time is up. Never a verdict on what was read.
 */
export function forgeRefusal(ctx: ForgeReadContext, err: ForgeError, withinMs: number): AutopilotError {
  const name = FORGE_NAME[ctx.forge];
  const base = {
    taskId: ctx.taskId,
    phase: ctx.phase,
    forge: ctx.forge,
    status: err.status,
    remedy: { retry: 'advance' },
  };
  if (!err.retryable && (err.status === 401 || err.status === 403))
    return new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `${err.message}. ${name} refused the token, so ${ctx.subject} could not be read (this says nothing about ${ctx.about}): check the forge token and its scopes, then advance again`,
      { ...base, key: 'forge-token', reason: 'token refused' },
    );
  if (!err.retryable && err.status === 404)
    return new AutopilotError(
      ErrorCode.CONFIG_INVALID,
      `${err.message}. ${ctx.subject[0]!.toUpperCase()}${ctx.subject.slice(1)} could not be read: check pr.repository, pr.apiUrl and what the token may see, then advance again`,
      { ...base, key: 'pr.repository', reason: 'not found' },
    );
  return new AutopilotError(
    ErrorCode.EVIDENCE_INVALID,
    `${err.message}. ${name} could not be read${err.retryable ? ` (tried for ${withinMs / 1000} s)` : ''}, so ${ctx.subject} is not known (this says nothing about ${ctx.about}): check that the forge is up and reachable, then advance again`,
    { ...base, reason: 'forge unreadable', retryable: err.retryable },
  );
}
