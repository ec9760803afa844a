/**
 * @module A Gitea (and Forgejo) REST v1 test server: the endpoints Autopilot uses, described as JSON Schemas written
 * from Gitea's published API documentation (the Swagger 2.0 description served at https://gitea.com/api/swagger:
 * paths, parameters, the definitions PullRequest, PRBranchInfo, Comment, CombinedStatus, CommitStatus, Team,
 * PullReview and the Create/Edit option bodies; it is published with Gitea, not on npm), validated on every request
 * and response by rest-schema-server.ts; for Gate 5 also the current user, a pull request's reviews and labels
 * (Label), and an organisation's team search and team members. It keeps pull requests (with labels and reviews),
 * comments, commit statuses, requested reviewers and teams, reads branch heads from the bare repository Autopilot
 * pushes to, and counts creates.
 */
import { execFileSync } from 'node:child_process';
import {
  startSchemaServer,
  type ApiDescription,
  type Endpoint,
  type Reply,
  type Schema,
  type SchemaServer,
} from './rest-schema-server.ts';
import type { SeedCheck } from './gitlab-server.ts';
import { mergeInBare } from './bare-merge.ts';

const DOCS = 'https://gitea.com/api/swagger';
const int: Schema = { type: 'integer' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const list = (name: string): Schema => ({ type: 'array', items: ref(name) });
const error: Schema = { type: 'object', properties: { message: str, url: str, errors: { type: 'array' } } };
/** CommitStatusState: pending, success, error, failure, warning. */
const statusState: Schema = { enum: ['pending', 'success', 'error', 'failure', 'warning'] };
const repoPath = { owner: str, repo: str };
const paging = { page: int, limit: int };

const definitions: Record<string, Schema> = {
  User: {
    type: 'object',
    required: ['id', 'login'],
    properties: { id: int, login: str, full_name: str, email: str, avatar_url: str },
  },
  Repository: {
    type: 'object',
    required: ['id', 'name', 'full_name', 'default_branch', 'html_url', 'owner'],
    properties: {
      id: int,
      name: str,
      full_name: str,
      default_branch: str,
      html_url: str,
      clone_url: str,
      private: bool,
      fork: bool,
      owner: ref('User'),
    },
  },
  PRBranchInfo: {
    type: 'object',
    required: ['label', 'ref', 'sha', 'repo_id'],
    properties: { label: str, ref: str, sha: str, repo_id: int, repo: ref('Repository') },
  },
  PullRequest: {
    type: 'object',
    required: ['id', 'number', 'url', 'html_url', 'title', 'body', 'state', 'head', 'base', 'merged', 'user'],
    properties: {
      id: int,
      number: int,
      url: str,
      html_url: str,
      diff_url: str,
      patch_url: str,
      title: str,
      body: str,
      state: { enum: ['open', 'closed'] },
      draft: bool,
      head: ref('PRBranchInfo'),
      base: ref('PRBranchInfo'),
      merge_base: str,
      mergeable: bool,
      merged: bool,
      merged_at: { type: ['string', 'null'], format: 'date-time' },
      // Swagger names it a string (MergedCommitID); Gitea sends null until the pull request is merged.
      merge_commit_sha: { type: ['string', 'null'] },
      comments: int,
      user: ref('User'),
      requested_reviewers: { type: ['array', 'null'], items: ref('User') },
      requested_reviewers_teams: { type: ['array', 'null'], items: ref('Team') },
      labels: { type: ['array', 'null'], items: ref('Label') },
      created_at: time,
      updated_at: time,
    },
  },
  Label: {
    type: 'object',
    required: ['id', 'name'],
    properties: { id: int, name: str, color: str, description: str, exclusive: bool, url: str },
  },
  Team: {
    type: 'object',
    properties: {
      id: int,
      name: str,
      description: str,
      includes_all_repositories: bool,
      permission: { enum: ['none', 'read', 'write', 'admin', 'owner'] },
      can_create_org_repo: bool,
    },
  },
  PullReview: {
    type: 'object',
    properties: {
      id: int,
      body: str,
      comments_count: int,
      commit_id: str,
      dismissed: bool,
      html_url: str,
      official: bool,
      pull_request_url: str,
      stale: bool,
      state: { enum: ['APPROVED', 'PENDING', 'COMMENT', 'REQUEST_CHANGES', 'REQUEST_REVIEW', ''] },
      submitted_at: time,
      updated_at: time,
      team: { anyOf: [ref('Team'), { type: 'null' }] },
      user: { anyOf: [ref('User'), { type: 'null' }] },
    },
  },
  Comment: {
    type: 'object',
    required: ['id', 'html_url', 'body', 'user', 'created_at', 'updated_at'],
    properties: {
      id: int,
      html_url: str,
      pull_request_url: str,
      issue_url: str,
      body: str,
      user: ref('User'),
      original_author: str,
      original_author_id: int,
      assets: { type: 'array' },
      created_at: time,
      updated_at: time,
    },
  },
  CommitStatus: {
    type: 'object',
    required: ['id', 'status', 'context', 'created_at'],
    properties: {
      id: int,
      status: statusState,
      context: str,
      description: str,
      target_url: str,
      url: str,
      creator: ref('User'),
      created_at: time,
      updated_at: time,
    },
  },
  CombinedStatus: {
    type: 'object',
    required: ['state', 'sha', 'total_count', 'statuses'],
    properties: {
      state: statusState,
      sha: str,
      total_count: int,
      statuses: list('CommitStatus'),
      repository: ref('Repository'),
      commit_url: str,
      url: str,
    },
  },
};

const endpoints: Endpoint[] = [
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}',
    doc: `${DOCS}#/repository/repoGet`,
    params: repoPath,
    responses: { 200: ref('Repository'), 404: error },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls',
    doc: `${DOCS}#/repository/repoListPullRequests`,
    params: repoPath,
    query: {
      state: { enum: ['open', 'closed', 'all'] },
      sort: { enum: ['oldest', 'recentupdate', 'leastupdate', 'mostcomment', 'leastcomment', 'priority'] },
      milestone: int,
      labels: int,
      poster: str,
      ...paging,
    },
    responses: { 200: list('PullRequest'), 404: error },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/pulls',
    doc: `${DOCS}#/repository/repoCreatePullRequest`,
    params: repoPath,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        assignee: str,
        assignees: { type: 'array', items: str },
        base: str,
        body: str,
        due_date: time,
        head: str,
        labels: { type: 'array', items: int },
        milestone: int,
        reviewers: { type: 'array', items: str },
        team_reviewers: { type: 'array', items: str },
        title: str,
      },
    },
    responses: { 201: ref('PullRequest'), 403: error, 404: error, 409: error, 422: error, 423: error },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls/{index}',
    doc: `${DOCS}#/repository/repoGetPullRequest`,
    params: { ...repoPath, index: int },
    responses: { 200: ref('PullRequest'), 404: error },
  },
  {
    method: 'PATCH',
    path: '/repos/{owner}/{repo}/pulls/{index}',
    doc: `${DOCS}#/repository/repoEditPullRequest`,
    params: { ...repoPath, index: int },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow_maintainer_edit: bool,
        assignee: str,
        assignees: { type: 'array', items: str },
        base: str,
        body: str,
        due_date: time,
        labels: { type: 'array', items: int },
        milestone: int,
        state: str,
        title: str,
        unset_due_date: bool,
      },
    },
    // Gitea answers an edit with 201, as its description says.
    responses: { 201: ref('PullRequest'), 403: error, 404: error, 409: error, 412: error, 422: error },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/pulls/{index}/requested_reviewers',
    doc: `${DOCS}#/repository/repoCreatePullReviewRequests`,
    params: { ...repoPath, index: int },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { reviewers: { type: 'array', items: str }, team_reviewers: { type: 'array', items: str } },
    },
    responses: { 201: list('PullReview'), 404: error, 422: error },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/issues/{index}/comments',
    doc: `${DOCS}#/issue/issueGetComments`,
    params: { ...repoPath, index: int },
    query: { since: time, before: time },
    responses: { 200: list('Comment'), 404: error },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/issues/{index}/comments',
    doc: `${DOCS}#/issue/issueCreateComment`,
    params: { ...repoPath, index: int },
    body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: str } },
    responses: { 201: ref('Comment'), 403: error, 404: error, 423: error },
  },
  {
    method: 'PATCH',
    path: '/repos/{owner}/{repo}/issues/comments/{id}',
    doc: `${DOCS}#/issue/issueEditComment`,
    params: { ...repoPath, id: int },
    body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: str } },
    responses: { 200: ref('Comment'), 204: null, 403: error, 404: error, 423: error },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/commits/{ref}/status',
    doc: `${DOCS}#/repository/repoGetCombinedStatusByRef`,
    params: { ...repoPath, ref: str },
    query: paging,
    responses: { 200: ref('CombinedStatus'), 400: error, 404: error },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/statuses/{sha}',
    doc: `${DOCS}#/repository/repoCreateStatus`,
    params: { ...repoPath, sha: str },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { context: str, description: str, state: statusState, target_url: str },
    },
    responses: { 201: ref('CommitStatus'), 400: error, 404: error },
  },
  {
    method: 'GET',
    path: '/user',
    doc: `${DOCS}#/user/userGetCurrent`,
    params: {},
    responses: { 200: ref('User'), 401: error },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls/{index}/reviews',
    doc: `${DOCS}#/repository/repoListPullReviews`,
    params: { ...repoPath, index: int },
    query: paging,
    responses: { 200: list('PullReview'), 404: error },
  },
  {
    method: 'GET',
    path: '/orgs/{org}/teams/search',
    doc: `${DOCS}#/organization/teamSearch`,
    params: { org: str },
    query: { q: str, include_desc: bool, ...paging },
    responses: {
      200: {
        type: 'object',
        required: ['data', 'ok'],
        properties: { data: { type: 'array', items: ref('Team') }, ok: bool },
      },
      404: error,
    },
  },
  {
    method: 'GET',
    path: '/teams/{id}/members',
    doc: `${DOCS}#/organization/orgListTeamMembers`,
    params: { id: int },
    query: paging,
    responses: { 200: list('User'), 404: error },
  },
];

/** The description, for tests that hold a recorded answer to it. */
export const GITEA_API: ApiDescription = { name: 'gitea-v1', endpoints, definitions };

export interface GiteaTestServer extends SchemaServer {
  readonly owner: string;
  readonly repo: string;
  readonly pulls: {
    number: number;
    title: string;
    body: string;
    head: string;
    headSha: string;
    base: string;
    reviewers: string[];
    teams: string[];
    /** Set by {@link GiteaTestServer.mergePull} or {@link GiteaTestServer.closePull}. */
    state?: 'open' | 'closed';
    mergeCommitSha?: string | null;
    labels?: string[];
  }[];
  readonly comments: { id: number; issue: number; body: string }[];
  readonly statuses: { sha: string; state: string; context: string; description: string }[];
  readonly creates: Record<string, number>;
  readonly duplicates: string[];
  /** Commit statuses CI set on the commit. */
  setChecks(sha: string, checks: readonly SeedCheck[]): void;
  /** Merges the pull request as the forge's button does: a real merge commit in the bare repository; returns it. */
  mergePull(number: number): string;
  /** Closes the pull request without a merge. */
  closePull(number: number): void;
  /** Adds a review to a pull request, on its head commit unless `commit` says; the newest of its user. */
  addReview(
    index: number,
    review: { user: string; state: 'APPROVED' | 'REQUEST_CHANGES' | 'COMMENT'; commit?: string; dismissed?: boolean },
  ): void;
  setLabels(index: number, labels: readonly string[]): void;
  /** Sets the members (logins) of the organisation's team `org/name`. */
  setTeam(org: string, name: string, members: readonly string[]): void;
}

/** Starts the server for `owner/repo` (its API at `url`/api/v1); a pull request of a branch not in `bare` is refused. */
export async function startGiteaServer(opts: {
  owner: string;
  repo: string;
  bare: string;
  defaultBranch?: string;
}): Promise<GiteaTestServer> {
  const { owner, repo, bare } = opts;
  const REPO_ID = 7;
  const pulls: GiteaTestServer['pulls'] = [];
  const comments: (GiteaTestServer['comments'][number] & { at: string })[] = [];
  const statuses: (GiteaTestServer['statuses'][number] & { id: number; at: string; target_url: string })[] = [];
  const creates: Record<string, number> = { pull: 0, comment: 0, status: 0, reviewers: 0 };
  const duplicates: string[] = [];
  let nextId = 800;
  const base = { url: '' };
  const user = { id: 1, login: 'autopilot-bot', full_name: 'Autopilot', email: 'bot@gitea.test', avatar_url: '' };
  const repoJson = () => ({
    id: REPO_ID,
    name: repo,
    full_name: `${owner}/${repo}`,
    default_branch: opts.defaultBranch ?? 'main',
    html_url: `${base.url}/${owner}/${repo}`,
    clone_url: `${base.url}/${owner}/${repo}.git`,
    private: true,
    fork: false,
    owner: { ...user, id: 2, login: owner },
  });
  const branchSha = (branch: string): string | null => {
    try {
      return execFileSync(
        'git',
        ['--git-dir', bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
        {
          encoding: 'utf8',
        },
      ).trim();
    } catch {
      return null;
    }
  };
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const html = (n: number) => `${base.url}/${owner}/${repo}/pulls/${n}`;
  const pullJson = (p: GiteaTestServer['pulls'][number]) => ({
    id: 3000 + p.number,
    number: p.number,
    url: html(p.number),
    html_url: html(p.number),
    diff_url: `${html(p.number)}.diff`,
    patch_url: `${html(p.number)}.patch`,
    title: p.title,
    body: p.body,
    state: p.state ?? 'open',
    draft: false,
    head: { label: p.head, ref: p.head, sha: p.headSha, repo_id: REPO_ID, repo: repoJson() },
    base: { label: p.base, ref: p.base, sha: branchSha(p.base) ?? p.headSha, repo_id: REPO_ID, repo: repoJson() },
    mergeable: true,
    merged: Boolean(p.mergeCommitSha),
    merged_at: p.mergeCommitSha ? now() : null,
    merge_commit_sha: p.mergeCommitSha ?? null,
    comments: comments.filter((c) => c.issue === p.number).length,
    user,
    // Gitea answers null, not [], when nobody is asked.
    requested_reviewers: p.reviewers.length ? p.reviewers.map((login, i) => ({ ...user, id: 40 + i, login })) : null,
    requested_reviewers_teams: p.teams.length
      ? p.teams.map((name, i) => ({ id: 60 + i, name, description: '', permission: 'read' }))
      : null,
    labels: (p.labels ?? []).map((name, i) => ({ id: 90 + i, name, color: '00aabb', description: '' })),
    created_at: now(),
    updated_at: now(),
  });
  const commentJson = (c: (typeof comments)[number]) => ({
    id: c.id,
    html_url: `${html(c.issue)}#issuecomment-${c.id}`,
    pull_request_url: html(c.issue),
    issue_url: '',
    body: c.body,
    user,
    original_author: '',
    original_author_id: 0,
    assets: [],
    created_at: c.at,
    updated_at: c.at,
  });
  const statusJson = (s: {
    id: number;
    state: string;
    context: string;
    description: string;
    target_url: string;
    at: string;
  }) => ({
    id: s.id,
    status: s.state,
    context: s.context,
    description: s.description,
    target_url: s.target_url,
    url: '',
    creator: user,
    created_at: s.at,
    updated_at: s.at,
  });
  const seeded = new Map<string, SeedCheck[]>();
  const reviews = new Map<number, { id: number; user: string; state: string; commit: string; dismissed: boolean }[]>();
  const teams = new Map<string, { id: number; org: string; name: string; members: string[] }>();
  const userJson = (login: string, i: number) => ({ ...user, id: login === user.login ? user.id : 20 + i, login });
  const teamJson = (t: { id: number; name: string }) => ({
    id: t.id,
    name: t.name,
    description: '',
    permission: 'read',
  });
  const notFound: Reply = { status: 404, body: { message: "The target couldn't be found.", url: DOCS, errors: [] } };

  const server = await startSchemaServer(GITEA_API, 'authorization', (e, p, q, body) => {
    // What is not of the repository: the token's own user, and an organisation's teams.
    switch (`${e.method} ${e.path}`) {
      case 'GET /user':
        return { status: 200, body: user };
      case 'GET /orgs/{org}/teams/search': {
        const q1 = String(q['q'] ?? '').toLowerCase();
        const found = [...teams.values()].filter(
          (t) => t.org === String(p['org']).toLowerCase() && t.name.toLowerCase().includes(q1),
        );
        return { status: 200, body: { data: found.map(teamJson), ok: true } };
      }
      case 'GET /teams/{id}/members': {
        const t = [...teams.values()].find((x) => x.id === p['id']);
        return t ? { status: 200, body: t.members.map(userJson) } : notFound;
      }
    }
    if (p['owner'] !== owner || p['repo'] !== repo) return notFound;
    const pr = () => pulls.find((x) => x.number === p['index']);
    switch (`${e.method} ${e.path}`) {
      case 'GET /repos/{owner}/{repo}':
        return { status: 200, body: repoJson() };
      case 'GET /repos/{owner}/{repo}/pulls': {
        const limit = (q['limit'] as number | undefined) ?? 30;
        const n = (q['page'] as number | undefined) ?? 1;
        const state = (q['state'] as string | undefined) ?? 'open';
        const items = pulls.filter((x) => state === 'all' || (x.state ?? 'open') === state).map(pullJson);
        return {
          status: 200,
          body: items.slice((n - 1) * limit, n * limit),
          headers: { 'x-total-count': String(items.length) },
        };
      }
      case 'POST /repos/{owner}/{repo}/pulls': {
        const head = String(body['head']);
        const sha = branchSha(head);
        if (!sha) return { status: 404, body: { message: `branch ${head} does not exist`, url: DOCS, errors: [] } };
        creates['pull'] = (creates['pull'] ?? 0) + 1;
        if (pulls.some((x) => x.head === head)) {
          duplicates.push(`pull for ${head}`);
          return {
            status: 409,
            body: { message: 'pull request already exists for these targets', url: DOCS, errors: [] },
          };
        }
        const made = {
          number: pulls.length + 1,
          title: String(body['title'] ?? ''),
          body: String(body['body'] ?? ''),
          head,
          headSha: sha,
          base: String(body['base'] ?? ''),
          reviewers: [],
          teams: [],
        };
        pulls.push(made);
        return { status: 201, body: pullJson(made) };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{index}':
      case 'PATCH /repos/{owner}/{repo}/pulls/{index}': {
        const found = pr();
        if (!found) return notFound;
        if (e.method === 'PATCH') {
          if (typeof body['title'] === 'string') found.title = body['title'];
          if (typeof body['body'] === 'string') found.body = body['body'];
        }
        found.headSha = branchSha(found.head) ?? found.headSha;
        return { status: e.method === 'PATCH' ? 201 : 200, body: pullJson(found) };
      }
      case 'POST /repos/{owner}/{repo}/pulls/{index}/requested_reviewers': {
        const found = pr();
        if (!found) return notFound;
        const users = (body['reviewers'] as string[] | undefined) ?? [];
        const teams = (body['team_reviewers'] as string[] | undefined) ?? [];
        if (users.includes('ghost'))
          return { status: 422, body: { message: 'reviewer ghost does not exist', url: DOCS, errors: [] } };
        creates['reviewers'] = (creates['reviewers'] ?? 0) + 1;
        for (const u of users)
          if (found.reviewers.includes(u)) duplicates.push(`review of ${u} asked twice`);
          else found.reviewers.push(u);
        for (const t of teams)
          if (found.teams.includes(t)) duplicates.push(`review of team ${t} asked twice`);
          else found.teams.push(t);
        const at = now();
        const review = (u: string | null, t: string | null, i: number) => ({
          id: 900 + i,
          body: '',
          comments_count: 0,
          commit_id: found.headSha,
          dismissed: false,
          html_url: html(found.number),
          official: false,
          pull_request_url: html(found.number),
          stale: false,
          state: 'REQUEST_REVIEW',
          submitted_at: at,
          updated_at: at,
          team: t === null ? null : { id: 60 + i, name: t, description: '', permission: 'read' },
          user: u === null ? null : { ...user, id: 40 + i, login: u },
        });
        return {
          status: 201,
          body: [...users.map((u, i) => review(u, null, i)), ...teams.map((t, i) => review(null, t, users.length + i))],
        };
      }
      case 'GET /repos/{owner}/{repo}/issues/{index}/comments':
        if (!pr()) return notFound;
        return { status: 200, body: comments.filter((c) => c.issue === p['index']).map(commentJson) };
      case 'POST /repos/{owner}/{repo}/issues/{index}/comments': {
        const found = pr();
        if (!found) return notFound;
        creates['comment'] = (creates['comment'] ?? 0) + 1;
        const text = String(body['body']);
        const marker = /<!-- autopilot:[^>]*-->/.exec(text)?.[0];
        if (marker && comments.some((c) => c.issue === found.number && c.body.includes(marker)))
          duplicates.push(`comment ${marker}`);
        const c = { id: nextId++, issue: found.number, body: text, at: now() };
        comments.push(c);
        return { status: 201, body: commentJson(c) };
      }
      case 'PATCH /repos/{owner}/{repo}/issues/comments/{id}': {
        const c = comments.find((x) => x.id === p['id']);
        if (!c) return notFound;
        c.body = String(body['body']);
        return { status: 200, body: commentJson(c) };
      }
      case 'GET /repos/{owner}/{repo}/commits/{ref}/status': {
        const sha = String(p['ref']);
        const latest = new Map<string, ReturnType<typeof statusJson>>();
        (seeded.get(sha) ?? []).forEach((s, i) =>
          latest.set(
            s.name,
            statusJson({
              id: 6000 + i,
              state: s.result,
              context: s.name,
              description: '',
              target_url: `${base.url}/ci/${i}`,
              at: now(),
            }),
          ),
        );
        for (const s of statuses) if (s.sha === sha) latest.set(s.context, statusJson(s));
        const items = [...latest.values()];
        const state = items.some((s) => s.status === 'failure' || s.status === 'error')
          ? 'failure'
          : items.some((s) => s.status === 'pending')
            ? 'pending'
            : 'success';
        return {
          status: 200,
          body: {
            state,
            sha,
            total_count: items.length,
            statuses: items,
            repository: repoJson(),
            commit_url: '',
            url: '',
          },
        };
      }
      case 'POST /repos/{owner}/{repo}/statuses/{sha}': {
        creates['status'] = (creates['status'] ?? 0) + 1;
        const s = {
          id: nextId++,
          sha: String(p['sha']),
          state: String(body['state'] ?? 'pending'),
          context: String(body['context'] ?? 'default'),
          description: String(body['description'] ?? ''),
          target_url: String(body['target_url'] ?? ''),
          at: now(),
        };
        statuses.push(s);
        return { status: 201, body: statusJson(s) };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{index}/reviews': {
        const x = pr();
        if (!x) return notFound;
        return {
          status: 200,
          body: (reviews.get(x.number) ?? []).map((r, i) => ({
            id: r.id,
            body: '',
            comments_count: 0,
            commit_id: r.commit,
            dismissed: r.dismissed,
            html_url: `${html(x.number)}#issuecomment-${r.id}`,
            official: true,
            pull_request_url: html(x.number),
            stale: r.commit !== x.headSha,
            state: r.state,
            submitted_at: now(),
            updated_at: now(),
            team: null,
            user: userJson(r.user, i),
          })),
        };
      }
      default:
        return notFound;
    }
  });
  base.url = server.url;
  return {
    ...server,
    owner,
    repo,
    pulls,
    comments,
    statuses,
    creates,
    duplicates,
    setChecks: (sha, checks) => void seeded.set(sha, [...checks]),
    mergePull: (number) => {
      const pr = pulls.find((x) => x.number === number)!;
      pr.mergeCommitSha = mergeInBare(bare, pr.base, pr.head);
      pr.state = 'closed';
      return pr.mergeCommitSha;
    },
    closePull: (number) => void (pulls.find((x) => x.number === number)!.state = 'closed'),
    addReview: (index, r) => {
      const x = pulls.find((y) => y.number === index);
      if (!x) throw new Error(`no pull request #${index}`);
      const list = reviews.get(index) ?? [];
      list.push({
        id: nextId++,
        user: r.user,
        state: r.state,
        commit: r.commit ?? x.headSha,
        dismissed: !!r.dismissed,
      });
      reviews.set(index, list);
    },
    setLabels: (index, labels) => {
      const x = pulls.find((y) => y.number === index);
      if (!x) throw new Error(`no pull request #${index}`);
      x.labels = [...labels];
    },
    setTeam: (org, name, members) =>
      void teams.set(`${org}/${name}`.toLowerCase(), {
        id: 500 + teams.size,
        org: org.toLowerCase(),
        name,
        members: [...members],
      }),
  };
}
