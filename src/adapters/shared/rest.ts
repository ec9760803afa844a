/**
 * @module JSON over fetch for the forges spoken to without a client library (GitLab, Gitea): one request, its
 * pages, and a failure as a ForgeError that names the status and the forge's own message, never the token.
 */
import { ForgeError } from '../../ports/forge.ts';

type Query = Readonly<Record<string, string | number | undefined>>;

/** How long one request may take before it counts as no answer (and is retried by the outbox). */
const REQUEST_TIMEOUT_MS = 60_000;

/** A REST API at `base`, reached with `headers` (the token among them). */
export class RestClient {
  constructor(
    private readonly base: string,
    private readonly headers: Readonly<Record<string, string>>,
    /** The forge's name and token variable, for messages. */
    private readonly forge: string,
    private readonly tokenVar: string,
  ) {}

  /** One request; the parsed JSON body and the response's headers. Throws a ForgeError for anything but 2xx. */
  async request<T>(
    what: string,
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown } = {},
  ): Promise<{ data: T; headers: Headers }> {
    const url = new URL(`${this.base.replace(/\/+$/, '')}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'user-agent': 'agent-autopilot',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...this.headers,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new ForgeError(`${this.forge} ${what} failed (no answer): ${(err as Error).message}`, 0, true);
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      if (res.ok)
        throw new ForgeError(`${this.forge} ${what} answered with something that is not JSON`, res.status, true);
    }
    if (!res.ok) throw this.failure(what, res.status, data, text);
    return { data: data as T, headers: res.headers };
  }

  /**
   * Every item of a listing, page after page: `sizeParam` items a page, on until the forge names no next page
   * (GitLab's `x-next-page`) or a page comes back short.
   */
  async all<T>(what: string, path: string, query: Query, sizeParam: 'per_page' | 'limit', size: number): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= 100; page++) {
      const r = await this.request<T[]>(what, 'GET', path, { query: { ...query, [sizeParam]: size, page } });
      if (!Array.isArray(r.data)) throw new ForgeError(`${this.forge} ${what} did not answer with a list`, 200, false);
      out.push(...r.data);
      const next = r.headers.get('x-next-page');
      if (r.data.length < size || next === '') break;
    }
    return out;
  }

  /** A failure: rate limits, server errors and no answer are worth another try; the rest wait for a person. */
  private failure(what: string, status: number, data: unknown, text: string): ForgeError {
    const d = data as { message?: unknown; error?: unknown } | null;
    const raw = d?.message ?? d?.error ?? text;
    const said = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const retryable = status === 429 || status >= 500;
    const hint =
      status === 401
        ? `: the token was refused; set a valid one in ${this.tokenVar} or AUTOPILOT_FORGE_TOKEN`
        : status === 403
          ? ': the token may not do this; give it the api (GitLab) or write:repository and write:issue (Gitea) scope'
          : status === 404
            ? ': no such repository or pull request, or the token may not see it'
            : '';
    return new ForgeError(
      `${this.forge} ${what} failed (${status}): ${String(said).slice(0, 300)}${hint}`,
      status,
      retryable,
    );
  }
}

/** A path segment, escaped (GitLab's project path keeps its slashes as %2F). */
export const seg = (s: string | number): string => encodeURIComponent(String(s));
