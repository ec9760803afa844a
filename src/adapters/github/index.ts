/** @module The GitHub forge, through its REST API with Octokit: pull requests, the evidence comment, statuses, checks. */
import { Octokit } from '@octokit/rest';
import {
  ForgeError,
  type CommitStatus,
  type Forge,
  type ForgeCheck,
  type ForgeComment,
  type ForgeDeployment,
  type ForgeMerge,
  type ForgeApproval,
  type ForgePull,
  type ForgeRepo,
  type ForgeReviewState,
  type ForgeSpec,
  type ReviewRequest,
} from '../../ports/forge.ts';

/** How long one request may take before it counts as no answer (and is retried), as for GitLab and Gitea. */
const REQUEST_TIMEOUT_MS = 60_000;

type PullData = { number: number; html_url: string; head: { sha: string; ref: string }; base: { ref: string } };

const pull = (p: PullData): ForgePull => ({
  number: p.number,
  url: p.html_url,
  headSha: p.head.sha,
  headRef: p.head.ref,
  baseRef: p.base.ref,
});

/**
 * A forge error from Octokit's: the status and GitHub's own message, never the request (whose headers hold the
 * token). Rate limits, server errors and no answer at all are worth another try; the rest are not.
 */
function forgeError(err: unknown, what: string): ForgeError {
  const e = err as { status?: unknown; response?: { data?: { message?: unknown } }; message?: unknown };
  // Octokit calls a request that got no answer (refused, timed out) a 500 without a response: it is no answer.
  const status = typeof e.status === 'number' && e.response !== undefined ? e.status : 0;
  const said = typeof e.response?.data?.message === 'string' ? e.response.data.message : String(e.message ?? err);
  const retryable = status === 0 || status === 429 || status >= 500 || (status === 403 && /rate limit/i.test(said));
  const hint =
    status === 401
      ? ': the token was refused; set a valid one in GITHUB_TOKEN or AUTOPILOT_FORGE_TOKEN'
      : status === 404
        ? ': no such repository or pull request, or the token may not see it'
        : '';
  return new ForgeError(
    `GitHub ${what} failed (${status || 'no answer'}): ${said.slice(0, 300)}${hint}`,
    status,
    retryable,
  );
}

export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly repo: ForgeRepo;
  private readonly api: Octokit;

  /** `requestTimeoutMs`: how long one request may take before it counts as no answer (default 60 s). */
  constructor(spec: ForgeSpec, opts: { requestTimeoutMs?: number } = {}) {
    this.repo = spec.repo;
    const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.api = new Octokit({
      auth: spec.token,
      baseUrl: spec.apiUrl.replace(/\/+$/, ''),
      userAgent: 'agent-autopilot',
      // Octokit waits for ever by default; a forge that does not answer must not hold a move or the outbox.
      request: {
        fetch: (url: string | URL, init?: RequestInit) =>
          fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
      },
      // Octokit logs warnings with the request's URL; nothing of a request goes to the console.
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  private get at() {
    return { owner: this.repo.owner, repo: this.repo.name };
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw forgeError(err, what);
    }
  }

  async defaultBranch(): Promise<string> {
    return this.call(
      'reading the repository',
      async () => (await this.api.rest.repos.get(this.at)).data.default_branch,
    );
  }

  async findOpenPull(branch: string): Promise<ForgePull | null> {
    return this.call('listing pull requests', async () => {
      const r = await this.api.rest.pulls.list({
        ...this.at,
        state: 'open',
        head: `${this.repo.owner}:${branch}`,
        per_page: 100,
      });
      const found = r.data.find((p) => p.head.ref === branch);
      return found ? pull(found) : null;
    });
  }

  async createPull(req: { title: string; body: string; head: string; base: string }): Promise<ForgePull> {
    return this.call('opening the pull request', async () =>
      pull((await this.api.rest.pulls.create({ ...this.at, ...req })).data),
    );
  }

  async updatePull(number: number, req: { title: string; body: string }): Promise<ForgePull> {
    return this.call('updating the pull request', async () =>
      pull((await this.api.rest.pulls.update({ ...this.at, pull_number: number, ...req })).data),
    );
  }

  async getPull(number: number): Promise<ForgePull> {
    return this.call('reading the pull request', async () =>
      pull((await this.api.rest.pulls.get({ ...this.at, pull_number: number })).data),
    );
  }

  async pullMerge(number: number): Promise<ForgeMerge> {
    return this.call('reading the pull request', async () => {
      const p = (await this.api.rest.pulls.get({ ...this.at, pull_number: number })).data;
      // GitHub fills merge_commit_sha before a merge too (a test merge); it is the merge's commit only once merged.
      const state = p.merged ? 'merged' : p.state === 'closed' ? 'closed' : 'open';
      return {
        number: p.number,
        url: p.html_url,
        state,
        mergeCommitSha: state === 'merged' ? (p.merge_commit_sha ?? null) : null,
      };
    });
  }

  async findComment(pullNumber: number, marker: string): Promise<ForgeComment | null> {
    return this.call('listing comments', async () => {
      for await (const page of this.api.paginate.iterator(this.api.rest.issues.listComments, {
        ...this.at,
        issue_number: pullNumber,
        per_page: 100,
      })) {
        const c = page.data.find((x) => (x.body ?? '').includes(marker));
        if (c) return { id: c.id, url: c.html_url, body: c.body ?? '' };
      }
      return null;
    });
  }

  async createComment(pullNumber: number, body: string): Promise<ForgeComment> {
    return this.call('posting the comment', async () => {
      const c = (await this.api.rest.issues.createComment({ ...this.at, issue_number: pullNumber, body })).data;
      return { id: c.id, url: c.html_url, body: c.body ?? '' };
    });
  }

  async updateComment(_pull: number, id: number, body: string): Promise<ForgeComment> {
    return this.call('updating the comment', async () => {
      const c = (await this.api.rest.issues.updateComment({ ...this.at, comment_id: id, body })).data;
      return { id: c.id, url: c.html_url, body: c.body ?? '' };
    });
  }

  async requestedReviewers(pullNumber: number): Promise<ReviewRequest> {
    return this.call('reading the requested reviewers', async () => {
      const r = await this.api.rest.pulls.listRequestedReviewers({ ...this.at, pull_number: pullNumber });
      return { users: r.data.users.map((u) => u.login), teams: r.data.teams.map((t) => t.slug) };
    });
  }

  async requestReviewers(pullNumber: number, req: ReviewRequest): Promise<void> {
    await this.call('requesting reviewers', async () => {
      await this.api.rest.pulls.requestReviewers({
        ...this.at,
        pull_number: pullNumber,
        reviewers: [...req.users],
        team_reviewers: [...req.teams],
      });
    });
  }

  async listStatuses(sha: string): Promise<CommitStatus[]> {
    return this.call('reading commit statuses', async () => {
      const r = await this.api.rest.repos.getCombinedStatusForRef({ ...this.at, ref: sha, per_page: 100 });
      return r.data.statuses.map((s) => ({
        state: s.state as CommitStatus['state'],
        context: s.context,
        description: s.description ?? '',
        ...(s.target_url ? { targetUrl: s.target_url } : {}),
      }));
    });
  }

  async setStatus(sha: string, s: CommitStatus): Promise<void> {
    await this.call('setting the commit status', async () => {
      await this.api.rest.repos.createCommitStatus({
        ...this.at,
        sha,
        state: s.state,
        context: s.context,
        description: s.description.slice(0, 140),
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      });
    });
  }

  async checks(sha: string): Promise<ForgeCheck[]> {
    const runs = await this.call('reading check runs', async () =>
      this.api.paginate(this.api.rest.checks.listForRef, { ...this.at, ref: sha, per_page: 100 }),
    );
    const statuses = await this.listStatuses(sha);
    const out = new Map<string, ForgeCheck>();
    for (const r of runs) {
      if (out.has(r.name)) continue; // newest first: a re-run replaces the older one
      const done = r.status === 'completed';
      const good = r.conclusion === 'success' || r.conclusion === 'neutral' || r.conclusion === 'skipped';
      out.set(r.name, {
        name: r.name,
        kind: 'check_run',
        state: !done ? 'pending' : good ? 'success' : 'failure',
        detail: done ? (r.conclusion ?? 'no conclusion') : r.status,
        url: r.html_url ?? null,
      });
    }
    for (const s of statuses) {
      if (out.has(s.context)) continue;
      out.set(s.context, {
        name: s.context,
        kind: 'status',
        state: s.state === 'pending' ? 'pending' : s.state === 'success' ? 'success' : 'failure',
        detail: s.state,
        url: s.targetUrl ?? null,
      });
    }
    return [...out.values()];
  }

  async deployments(sha: string): Promise<ForgeDeployment[]> {
    const list = await this.call('listing deployments', async () =>
      this.api.paginate(this.api.rest.repos.listDeployments, { ...this.at, sha, per_page: 100 }),
    );
    const out: ForgeDeployment[] = [];
    for (const d of [...list].sort((a, b) => b.id - a.id)) {
      const statuses = await this.call('reading deployment statuses', async () =>
        this.api.paginate(this.api.rest.repos.listDeploymentStatuses, {
          ...this.at,
          deployment_id: d.id,
          per_page: 100,
        }),
      );
      // The newest status is the deployment's state; a deployment nothing reported on yet is pending.
      const latest = statuses.reduce<(typeof statuses)[number] | null>((a, s) => (!a || s.id > a.id ? s : a), null);
      const word = latest?.state ?? 'pending';
      out.push({
        id: d.id,
        environment: latest?.environment ?? d.environment,
        state: DEPLOYMENT_RUNNING.has(word) ? 'pending' : word === 'success' ? 'success' : 'failure',
        detail: word,
        url: latest?.environment_url || latest?.log_url || latest?.target_url || null,
      });
    }
    return out;
  }

  async currentUser(): Promise<string> {
    return this.call("reading the token's user", async () => (await this.api.rest.users.getAuthenticated()).data.login);
  }

  async reviewState(pullNumber: number): Promise<ForgeReviewState> {
    const p = await this.call(
      'reading the pull request',
      async () => (await this.api.rest.pulls.get({ ...this.at, pull_number: pullNumber })).data,
    );
    const reviews = await this.call('listing reviews', async () =>
      this.api.paginate(this.api.rest.pulls.listReviews, { ...this.at, pull_number: pullNumber, per_page: 100 }),
    );
    // As GitHub counts them: each user's latest review that decides (a comment does not undo an approval), approving.
    const latest = new Map<string, ForgeApproval | null>();
    for (const r of [...reviews].sort((a, b) => a.id - b.id)) {
      const login = r.user?.login;
      if (!login || !DECIDING_REVIEW.has(r.state)) continue;
      latest.set(login, r.state === 'APPROVED' ? { user: login, commit: r.commit_id ?? null } : null);
    }
    return {
      author: p.user.login,
      headSha: p.head.sha,
      labels: p.labels.map((l) => l.name),
      approvals: [...latest.values()].filter((a): a is ForgeApproval => a !== null),
    };
  }

  async teamMembers(team: string): Promise<string[]> {
    const [org = '', slug = ''] = team.split('/');
    return this.call(`reading the members of ${team}`, async () =>
      (await this.api.paginate(this.api.rest.teams.listMembersInOrg, { org, team_slug: slug, per_page: 100 })).map(
        (u) => u.login,
      ),
    );
  }
}

/** Review states that decide: an approval, changes requested, or a dismissal of an earlier one. */
const DECIDING_REVIEW = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/** GitHub's deployment states that have not ended yet. */
const DEPLOYMENT_RUNNING = new Set(['pending', 'queued', 'in_progress']);

/** Opens the GitHub forge for a spec (the composition root's {@link ForgeOpener}). */
export function openGitHub(spec: ForgeSpec): Forge {
  return new GitHubForge(spec);
}
