/**
 * @module The GitLab forge, through its REST API v4 over fetch: merge requests, the evidence note, commit statuses,
 * the jobs of the commit's latest pipeline as its checks, and what Gate 5 reads (approvals, labels, group members).
 */
import {
  ForgeError,
  type CommitStatus,
  type Forge,
  type ForgeCheck,
  type ForgeComment,
  type ForgeDeployment,
  type ForgeMerge,
  type ForgeReviewState,
  type ForgePull,
  type ForgeRepo,
  type ForgeSpec,
  type ReviewRequest,
} from '../../ports/forge.ts';
import { RestClient, seg } from '../shared/rest.ts';

interface MergeRequest {
  iid: number;
  web_url: string;
  sha: string | null;
  state?: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  target_project_id: number;
  reviewers?: { id: number; username: string }[];
  author?: { username: string } | null;
  /** Label names (GitLab answers with names unless asked for `with_labels_details`). */
  labels?: string[] | null;
}
/** A merge request's approvals: who approved; GitLab does not say on which commit. */
interface Approvals {
  approved_by?: { user: { username: string } | null }[] | null;
}
interface Note {
  id: number;
  body: string;
  system: boolean;
  author?: { username: string } | null;
  created_at?: string;
}
/** One diff version of a merge request: GitLab makes one on each push to the source branch. */
interface Version {
  head_commit_sha: string;
  created_at: string;
}

/** The system notes GitLab writes when a user approves a merge request or takes the approval back. */
const APPROVED = 'approved this merge request';
const UNAPPROVED = 'unapproved this merge request';
interface Status {
  name: string;
  status: string;
  description: string | null;
  target_url: string | null;
}
interface Pipeline {
  id: number;
}
interface Job {
  name: string;
  status: string;
  allow_failure: boolean;
  web_url: string;
}

const PAGE = 100;

/** A commit status's or a job's state, as Autopilot reads it; `manual` is a job nobody started. */
const RUNNING = new Set(['created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'scheduled']);

const pull = (m: MergeRequest): ForgePull => ({
  number: m.iid,
  url: m.web_url,
  headSha: m.sha ?? '',
  headRef: m.source_branch,
  baseRef: m.target_branch,
});

export class GitLabForge implements Forge {
  readonly kind = 'gitlab' as const;
  readonly repo: ForgeRepo;
  private readonly api: RestClient;
  /** The project as GitLab's API names it: its full path, escaped. */
  private readonly project: string;
  /** The web address of the project, for links to notes (which GitLab's answers do not carry). */
  private readonly web: string;

  constructor(spec: ForgeSpec) {
    this.repo = spec.repo;
    this.project = `/projects/${seg(`${spec.repo.owner}/${spec.repo.name}`)}`;
    this.api = new RestClient(spec.apiUrl, { 'private-token': spec.token }, 'GitLab', 'GITLAB_TOKEN');
    this.web = `${spec.apiUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '')}/${spec.repo.owner}/${spec.repo.name}`;
  }

  private noteUrl(iid: number, id: number): string {
    return `${this.web}/-/merge_requests/${iid}#note_${id}`;
  }

  async defaultBranch(): Promise<string> {
    const r = await this.api.request<{ default_branch: string | null }>('reading the project', 'GET', this.project);
    return r.data.default_branch ?? 'main';
  }

  async findOpenPull(branch: string): Promise<ForgePull | null> {
    const list = await this.api.all<MergeRequest>(
      'listing merge requests',
      `${this.project}/merge_requests`,
      { state: 'opened', source_branch: branch },
      'per_page',
      PAGE,
    );
    // A fork's merge request from a branch of the same name is not the task's.
    const found = list.find((m) => m.source_branch === branch && m.source_project_id === m.target_project_id);
    return found ? pull(found) : null;
  }

  async createPull(req: { title: string; body: string; head: string; base: string }): Promise<ForgePull> {
    const r = await this.api.request<MergeRequest>(
      'opening the merge request',
      'POST',
      `${this.project}/merge_requests`,
      {
        body: { source_branch: req.head, target_branch: req.base, title: req.title, description: req.body },
      },
    );
    return pull(r.data);
  }

  async updatePull(number: number, req: { title: string; body: string }): Promise<ForgePull> {
    const r = await this.api.request<MergeRequest>(
      'updating the merge request',
      'PUT',
      `${this.project}/merge_requests/${seg(number)}`,
      { body: { title: req.title, description: req.body } },
    );
    return pull(r.data);
  }

  async getPull(number: number): Promise<ForgePull> {
    const r = await this.api.request<MergeRequest>(
      'reading the merge request',
      'GET',
      `${this.project}/merge_requests/${seg(number)}`,
    );
    return pull(r.data);
  }

  async pullMerge(iid: number): Promise<ForgeMerge> {
    const m = (
      await this.api.request<MergeRequest>(
        'reading the merge request',
        'GET',
        `${this.project}/merge_requests/${seg(iid)}`,
      )
    ).data;
    const state = m.state === 'merged' ? 'merged' : m.state === 'closed' ? 'closed' : 'open';
    // A squash merge names its commit in squash_commit_sha; a fast-forward merge makes no commit, and the head went in.
    const sha = state === 'merged' ? (m.merge_commit_sha ?? m.squash_commit_sha ?? m.sha ?? null) : null;
    return { number: m.iid, url: m.web_url, state, mergeCommitSha: sha };
  }

  async findComment(iid: number, marker: string): Promise<ForgeComment | null> {
    const notes = await this.api.all<Note>(
      'listing notes',
      `${this.project}/merge_requests/${seg(iid)}/notes`,
      { sort: 'asc', order_by: 'created_at' },
      'per_page',
      PAGE,
    );
    const n = notes.find((x) => !x.system && (x.body ?? '').includes(marker));
    return n ? { id: n.id, url: this.noteUrl(iid, n.id), body: n.body } : null;
  }

  async createComment(iid: number, body: string): Promise<ForgeComment> {
    const r = await this.api.request<Note>(
      'posting the note',
      'POST',
      `${this.project}/merge_requests/${seg(iid)}/notes`,
      {
        body: { body },
      },
    );
    return { id: r.data.id, url: this.noteUrl(iid, r.data.id), body: r.data.body };
  }

  async updateComment(iid: number, id: number, body: string): Promise<ForgeComment> {
    const r = await this.api.request<Note>(
      'updating the note',
      'PUT',
      `${this.project}/merge_requests/${seg(iid)}/notes/${seg(id)}`,
      { body: { body } },
    );
    return { id: r.data.id, url: this.noteUrl(iid, r.data.id), body: r.data.body };
  }

  async requestedReviewers(iid: number): Promise<ReviewRequest> {
    const r = await this.api.request<MergeRequest>(
      'reading the reviewers',
      'GET',
      `${this.project}/merge_requests/${seg(iid)}`,
    );
    return { users: (r.data.reviewers ?? []).map((u) => u.username), teams: [] };
  }

  /**
   * GitLab takes reviewers as user ids, and the whole list at once: each login is looked up, and the merge request's
   * reviewers become those it had and these. GitLab has no team reviewers: asking for one is refused for good.
   */
  async requestReviewers(iid: number, req: ReviewRequest): Promise<void> {
    if (req.teams.length > 0)
      throw new ForgeError(
        `GitLab has no team reviewers (asked for ${req.teams.join(', ')}): name the people in pr.reviewers and leave pr.teamReviewers out`,
        0,
        false,
      );
    const had = await this.api.request<MergeRequest>(
      'reading the reviewers',
      'GET',
      `${this.project}/merge_requests/${seg(iid)}`,
    );
    const ids = new Set((had.data.reviewers ?? []).map((u) => u.id));
    for (const login of req.users) {
      const found = await this.api.request<{ id: number; username: string }[]>(
        'looking up a reviewer',
        'GET',
        '/users',
        {
          query: { username: login },
        },
      );
      const user = found.data.find((u) => u.username.toLowerCase() === login.toLowerCase());
      if (!user) throw new ForgeError(`GitLab has no user ${login}: correct the login in pr.reviewers`, 404, false);
      ids.add(user.id);
    }
    await this.api.request('requesting reviewers', 'PUT', `${this.project}/merge_requests/${seg(iid)}`, {
      body: { reviewer_ids: [...ids] },
    });
  }

  /** The latest status of each name (GitLab lists only the latest unless asked for all). */
  private async rawStatuses(sha: string): Promise<Status[]> {
    return this.api.all<Status>(
      'reading commit statuses',
      `${this.project}/repository/commits/${seg(sha)}/statuses`,
      {},
      'per_page',
      PAGE,
    );
  }

  async listStatuses(sha: string): Promise<CommitStatus[]> {
    return (await this.rawStatuses(sha)).map((s) => ({
      state:
        s.status === 'success'
          ? 'success'
          : s.status === 'failed'
            ? 'failure'
            : RUNNING.has(s.status) || s.status === 'manual'
              ? 'pending'
              : 'error',
      context: s.name,
      description: s.description ?? '',
      ...(s.target_url ? { targetUrl: s.target_url } : {}),
    }));
  }

  async setStatus(sha: string, s: CommitStatus): Promise<void> {
    // GitLab has no `error` state: a status that could not be judged is a failed one.
    const state = s.state === 'failure' || s.state === 'error' ? 'failed' : s.state;
    await this.api.request('setting the commit status', 'POST', `${this.project}/statuses/${seg(sha)}`, {
      body: {
        state,
        name: s.context,
        description: s.description.slice(0, 255),
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      },
    });
  }

  /**
   * The jobs of the commit's newest pipeline (a retried job counts by its last run), then the commit statuses set by
   * anything else. A manual job nobody started is no check: required, it shows as missing.
   */
  async checks(sha: string): Promise<ForgeCheck[]> {
    const pipelines = await this.api.all<Pipeline>(
      'listing pipelines',
      `${this.project}/pipelines`,
      { sha, order_by: 'id', sort: 'desc' },
      'per_page',
      PAGE,
    );
    const newest = pipelines.reduce<Pipeline | null>((a, p) => (!a || p.id > a.id ? p : a), null);
    const jobs = newest
      ? await this.api.all<Job>(
          'listing pipeline jobs',
          `${this.project}/pipelines/${seg(newest.id)}/jobs`,
          {},
          'per_page',
          PAGE,
        )
      : [];
    const out = new Map<string, ForgeCheck>();
    const jobNames = new Set(jobs.map((j) => j.name));
    for (const j of jobs) {
      if (j.status === 'manual' || out.has(j.name)) continue;
      const allowed = j.status === 'failed' && j.allow_failure;
      out.set(j.name, {
        name: j.name,
        kind: 'check_run',
        state: RUNNING.has(j.status)
          ? 'pending'
          : j.status === 'success' || j.status === 'skipped' || allowed
            ? 'success'
            : 'failure',
        detail: allowed ? 'failed (allowed to fail)' : j.status,
        url: j.web_url ?? null,
      });
    }
    // Each job is a commit status too: only the statuses of other systems are added.
    for (const s of await this.rawStatuses(sha)) {
      if (jobNames.has(s.name) || out.has(s.name)) continue;
      out.set(s.name, {
        name: s.name,
        kind: 'status',
        state:
          RUNNING.has(s.status) || s.status === 'manual' ? 'pending' : s.status === 'success' ? 'success' : 'failure',
        detail: s.status,
        url: s.target_url ?? null,
      });
    }
    return [...out.values()];
  }

  async currentUser(): Promise<string> {
    return (await this.api.request<{ username: string }>("reading the token's user", 'GET', '/user')).data.username;
  }

  /**
   * The merge request's author, head, labels and approvals, each approval with the commit it was given on. GitLab's
   * approvals do not name a commit, so it is worked out: the user's latest "approved this merge request" system note
   * (with no later "unapproved" one) says when, and the diff version newest before that moment (GitLab makes one on
   * each push) says which head the user saw. An approval given before the head's version was made is thus of an older
   * commit, and Gate 5 leaves it out. An approval whose note cannot be matched does not count, and says why; notes or
   * versions that cannot be read make the whole read fail, as any refused request does.
   */
  async reviewState(iid: number): Promise<ForgeReviewState> {
    const at = `${this.project}/merge_requests/${seg(iid)}`;
    const m = (await this.api.request<MergeRequest>('reading the merge request', 'GET', at)).data;
    const a = (await this.api.request<Approvals>("reading the merge request's approvals", 'GET', `${at}/approvals`))
      .data;
    const users = [...new Set((a.approved_by ?? []).map((x) => x.user?.username).filter((u): u is string => !!u))];
    const state = { author: m.author?.username ?? '', headSha: m.sha ?? '', labels: m.labels ?? [] };
    if (users.length === 0) return { ...state, approvals: [] };
    const versions = (
      await this.api.all<Version>("reading the merge request's diff versions", `${at}/versions`, {}, 'per_page', PAGE)
    )
      .map((v) => ({ sha: v.head_commit_sha, at: Date.parse(v.created_at) }))
      .filter((v) => typeof v.sha === 'string' && v.sha !== '' && Number.isFinite(v.at))
      .sort((x, y) => x.at - y.at);
    const notes = await this.api.all<Note>(
      "reading the merge request's approval notes",
      `${at}/notes`,
      { sort: 'asc', order_by: 'created_at' },
      'per_page',
      PAGE,
    );
    const approvals = users.map((user) => {
      const given = approvedAt(notes, user);
      if (given === null)
        return {
          user,
          commit: null,
          unverified: 'GitLab shows no approval note of it, so when it was given is unknown',
        };
      // Strictly before: an approval in the same instant as a push is not taken to have seen the new head.
      const seen = versions.filter((v) => v.at < given).pop();
      if (!seen)
        return {
          user,
          commit: null,
          unverified: 'it predates every diff version GitLab lists, so its commit is unknown',
        };
      return { user, commit: seen.sha };
    });
    return { ...state, approvals };
  }

  /**
   * The usernames of a group's members, those inherited from its parent groups included (`members/all`); the group is
   * its full path (`group/subgroup`), escaped, which GitLab takes as the group's id.
   */
  async teamMembers(group: string): Promise<string[]> {
    const members = await this.api.all<{ username: string }>(
      `reading the members of ${group}`,
      `/groups/${seg(group)}/members/all`,
      {},
      'per_page',
      PAGE,
    );
    return members.map((u) => u.username);
  }

  /**
   * The deployments of a commit among the project's newest hundred (GitLab's list cannot be asked by commit): a
   * release looked at after it happened is among them.
   */
  async deployments(sha: string): Promise<ForgeDeployment[]> {
    const r = await this.api.request<Deployment[]>('listing deployments', 'GET', `${this.project}/deployments`, {
      query: { order_by: 'id', sort: 'desc', per_page: DEPLOYMENTS_PAGE, page: 1 },
    });
    return r.data
      .filter((d) => d.sha === sha)
      .sort((a, b) => b.id - a.id)
      .map((d) => ({
        id: d.id,
        environment: d.environment.name,
        state: DEPLOYING.has(d.status) ? 'pending' : d.status === 'success' ? 'success' : 'failure',
        detail: d.status,
        url: d.environment.external_url || null,
      }));
  }
}

interface Deployment {
  id: number;
  sha: string;
  status: string;
  environment: { name: string; external_url?: string | null };
}

/**
 * When `user` last approved, from the system notes in the order given (oldest first): the time of the latest
 * "approved" note with no "unapproved" note after it, or null when there is none or its time cannot be read.
 */
function approvedAt(notes: readonly Note[], user: string): number | null {
  let when: number | null = null;
  const who = user.toLowerCase();
  for (const n of notes) {
    if (!n.system || n.author?.username.toLowerCase() !== who) continue;
    const body = (n.body ?? '').trim();
    if (body === APPROVED) {
      const t = Date.parse(n.created_at ?? '');
      when = Number.isFinite(t) ? t : null;
    } else if (body === UNAPPROVED) when = null;
  }
  return when;
}

/** GitLab's deployment states that have not ended; success, failed, canceled and skipped have. */
const DEPLOYING = new Set(['created', 'running', 'blocked']);
const DEPLOYMENTS_PAGE = 100;

/** Opens the GitLab forge for a spec (the composition root's ForgeOpener). */
export function openGitLab(spec: ForgeSpec): Forge {
  return new GitLabForge(spec);
}
