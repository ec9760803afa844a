/**
 * @module The Gitea forge (and Forgejo, which speaks the same API), through its REST API v1 over fetch: pull
 * requests, the evidence comment, and commit statuses, which are also how Gitea Actions and other CI report checks.
 */
import {
  ForgeError,
  type CommitStatus,
  type Forge,
  type ForgeCheck,
  type ForgeComment,
  type ForgeMerge,
  type ForgeApproval,
  type ForgePull,
  type ForgeRepo,
  type ForgeReviewState,
  type ForgeSpec,
  type ReviewRequest,
} from '../../ports/forge.ts';
import { RestClient, seg } from '../shared/rest.ts';

interface Branch {
  ref: string;
  sha: string;
  repo_id: number;
}
interface PullRequest {
  number: number;
  html_url: string;
  head: Branch;
  base: Branch;
  state?: string;
  merged?: boolean;
  merge_commit_sha?: string | null;
  /** Who is asked to review (users; teams since Gitea 1.22, Forgejo 7); null when nobody is. */
  requested_reviewers?: { login: string }[] | null;
  requested_reviewers_teams?: { name: string }[] | null;
  user?: { login: string } | null;
  labels?: { name: string }[] | null;
}
interface Review {
  id: number;
  user: { login: string } | null;
  state: string;
  commit_id?: string;
  dismissed?: boolean;
}
interface Comment {
  id: number;
  html_url: string;
  body: string;
}
interface Status {
  status: string;
  context: string;
  description: string | null;
  target_url: string | null;
}

const PAGE = 50;

const pull = (p: PullRequest): ForgePull => ({
  number: p.number,
  url: p.html_url,
  headSha: p.head.sha,
  headRef: p.head.ref,
  baseRef: p.base.ref,
});

export class GiteaForge implements Forge {
  readonly kind = 'gitea' as const;
  readonly repo: ForgeRepo;
  private readonly api: RestClient;
  private readonly at: string;

  constructor(spec: ForgeSpec) {
    this.repo = spec.repo;
    this.at = `/repos/${seg(spec.repo.owner)}/${seg(spec.repo.name)}`;
    this.api = new RestClient(spec.apiUrl, { authorization: `token ${spec.token}` }, 'Gitea', 'GITEA_TOKEN');
  }

  async defaultBranch(): Promise<string> {
    return (await this.api.request<{ default_branch: string }>('reading the repository', 'GET', this.at)).data
      .default_branch;
  }

  async findOpenPull(branch: string): Promise<ForgePull | null> {
    const list = await this.api.all<PullRequest>(
      'listing pull requests',
      `${this.at}/pulls`,
      { state: 'open' },
      'limit',
      PAGE,
    );
    // A fork's pull request from a branch of the same name is not the task's.
    const found = list.find((p) => p.head.ref === branch && p.head.repo_id === p.base.repo_id);
    return found ? pull(found) : null;
  }

  async createPull(req: { title: string; body: string; head: string; base: string }): Promise<ForgePull> {
    return pull(
      (await this.api.request<PullRequest>('opening the pull request', 'POST', `${this.at}/pulls`, { body: req })).data,
    );
  }

  async updatePull(number: number, req: { title: string; body: string }): Promise<ForgePull> {
    return pull(
      (
        await this.api.request<PullRequest>('updating the pull request', 'PATCH', `${this.at}/pulls/${seg(number)}`, {
          body: req,
        })
      ).data,
    );
  }

  async getPull(number: number): Promise<ForgePull> {
    return pull(
      (await this.api.request<PullRequest>('reading the pull request', 'GET', `${this.at}/pulls/${seg(number)}`)).data,
    );
  }

  async pullMerge(number: number): Promise<ForgeMerge> {
    const p = (
      await this.api.request<PullRequest>('reading the pull request', 'GET', `${this.at}/pulls/${seg(number)}`)
    ).data;
    const state = p.merged ? 'merged' : p.state === 'closed' ? 'closed' : 'open';
    return {
      number: p.number,
      url: p.html_url,
      state,
      mergeCommitSha: state === 'merged' ? (p.merge_commit_sha ?? null) : null,
    };
  }

  async findComment(index: number, marker: string): Promise<ForgeComment | null> {
    // Gitea lists every comment of an issue in one answer (the endpoint takes no page).
    const r = await this.api.request<Comment[]>('listing comments', 'GET', `${this.at}/issues/${seg(index)}/comments`);
    const c = r.data.find((x) => (x.body ?? '').includes(marker));
    return c ? { id: c.id, url: c.html_url, body: c.body } : null;
  }

  async createComment(index: number, body: string): Promise<ForgeComment> {
    const c = (
      await this.api.request<Comment>('posting the comment', 'POST', `${this.at}/issues/${seg(index)}/comments`, {
        body: { body },
      })
    ).data;
    return { id: c.id, url: c.html_url, body: c.body };
  }

  async updateComment(_index: number, id: number, body: string): Promise<ForgeComment> {
    const c = (
      await this.api.request<Comment>('updating the comment', 'PATCH', `${this.at}/issues/comments/${seg(id)}`, {
        body: { body },
      })
    ).data;
    return { id: c.id, url: c.html_url, body: c.body };
  }

  async requestedReviewers(index: number): Promise<ReviewRequest> {
    const p = (
      await this.api.request<PullRequest>('reading the requested reviewers', 'GET', `${this.at}/pulls/${seg(index)}`)
    ).data;
    return {
      users: (p.requested_reviewers ?? []).map((u) => u.login),
      teams: (p.requested_reviewers_teams ?? []).map((t) => t.name),
    };
  }

  async requestReviewers(index: number, req: ReviewRequest): Promise<void> {
    await this.api.request('requesting reviewers', 'POST', `${this.at}/pulls/${seg(index)}/requested_reviewers`, {
      body: { reviewers: [...req.users], team_reviewers: [...req.teams] },
    });
  }

  /** The latest status of each context, as the combined status gives them. */
  private async rawStatuses(sha: string): Promise<Status[]> {
    const r = await this.api.request<{ statuses: Status[] | null }>(
      'reading commit statuses',
      'GET',
      `${this.at}/commits/${seg(sha)}/status`,
    );
    return r.data.statuses ?? [];
  }

  async listStatuses(sha: string): Promise<CommitStatus[]> {
    return (await this.rawStatuses(sha)).map((s) => ({
      // Gitea's `warning` does not fail a pull request; Autopilot reads it as passing, and says so in the detail.
      state: s.status === 'warning' ? 'success' : (s.status as CommitStatus['state']),
      context: s.context,
      description: s.description ?? '',
      ...(s.target_url ? { targetUrl: s.target_url } : {}),
    }));
  }

  async setStatus(sha: string, s: CommitStatus): Promise<void> {
    await this.api.request('setting the commit status', 'POST', `${this.at}/statuses/${seg(sha)}`, {
      body: {
        state: s.state,
        context: s.context,
        description: s.description.slice(0, 255),
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      },
    });
  }

  async checks(sha: string): Promise<ForgeCheck[]> {
    return (await this.rawStatuses(sha)).map((s) => ({
      name: s.context,
      kind: 'status',
      state:
        s.status === 'pending' ? 'pending' : s.status === 'success' || s.status === 'warning' ? 'success' : 'failure',
      detail: s.status,
      url: s.target_url || null,
    }));
  }

  async currentUser(): Promise<string> {
    return (await this.api.request<{ login: string }>("reading the token's user", 'GET', '/user')).data.login;
  }

  async reviewState(index: number): Promise<ForgeReviewState> {
    const p = (await this.api.request<PullRequest>('reading the pull request', 'GET', `${this.at}/pulls/${seg(index)}`))
      .data;
    const reviews = await this.api.all<Review>(
      'listing reviews',
      `${this.at}/pulls/${seg(index)}/reviews`,
      {},
      'limit',
      PAGE,
    );
    // Each user's latest review that decides (a comment does not undo an approval); a dismissed one stands for none.
    const latest = new Map<string, ForgeApproval | null>();
    for (const r of [...reviews].sort((a, b) => a.id - b.id)) {
      const login = r.user?.login;
      if (!login || !(r.state === 'APPROVED' || r.state === 'REQUEST_CHANGES' || r.dismissed)) continue;
      latest.set(
        login,
        r.state === 'APPROVED' && !r.dismissed ? { user: login, commit: r.commit_id ? r.commit_id : null } : null,
      );
    }
    return {
      author: p.user?.login ?? '',
      headSha: p.head.sha,
      labels: (p.labels ?? []).map((l) => l.name),
      approvals: [...latest.values()].filter((a): a is ForgeApproval => a !== null),
    };
  }

  async teamMembers(team: string): Promise<string[]> {
    const [org = '', name = ''] = team.split('/');
    // Gitea addresses a team by its id: found by name among the organisation's teams.
    const found = await this.api.request<{ data: { id: number; name: string }[] | null }>(
      `finding the team ${team}`,
      'GET',
      `/orgs/${seg(org)}/teams/search`,
      { query: { q: name } },
    );
    const t = (found.data.data ?? []).find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!t) throw new ForgeError(`Gitea has no team ${name} in ${org}, or the token may not see it`, 404, false);
    const members = await this.api.all<{ login: string }>(
      `reading the members of ${team}`,
      `/teams/${seg(t.id)}/members`,
      {},
      'limit',
      PAGE,
    );
    return members.map((u) => u.login);
  }
}

/** Opens the Gitea (Forgejo) forge for a spec (the composition root's ForgeOpener). */
export function openGitea(spec: ForgeSpec): Forge {
  return new GiteaForge(spec);
}
