/**
 * @module A GitLab REST v4 test server: the endpoints Autopilot uses, described as JSON Schemas written from GitLab's
 * published API documentation (field names, types and status codes of each page named below; GitLab publishes no
 * OpenAPI document of these endpoints on npm), and validated on every request and response by rest-schema-server.ts.
 * It keeps merge requests (with their reviewers, labels, approvals and a diff version per push to the source branch,
 * the push seen on the next request), notes (approving and revoking write GitLab's system notes), commit statuses,
 * pipelines and groups' members, knows every user but `ghost`,
 * reads branch heads from the bare repository Autopilot pushes to, and counts creates, so that a test can tell one
 * merge request from two.
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
import { mergeInBare } from './bare-merge.ts';

const DOCS = 'https://docs.gitlab.com/api';
const int: Schema = { type: 'integer' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const strOrNull: Schema = { type: ['string', 'null'] };
const time: Schema = { type: 'string', format: 'date-time' };
const page: Schema = { type: 'integer', minimum: 1 };
const perPage: Schema = { type: 'integer', minimum: 1, maximum: 100 };
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const list = (name: string): Schema => ({ type: 'array', items: ref(name) });
/** The project: its numeric ID or its URL-encoded path (`group%2Fproject`). */
const projectId: Schema = { type: ['integer', 'string'], minLength: 1 };
const error: Schema = {
  type: 'object',
  properties: { message: { type: ['string', 'object', 'array'] }, error: str },
};
const jobStatus = [
  'created',
  'pending',
  'running',
  'failed',
  'success',
  'canceled',
  'skipped',
  'waiting_for_resource',
  'manual',
  'preparing',
  'scheduled',
];

/** deployments.md: the statuses a deployment can have. */
const deploymentStatus = ['created', 'running', 'success', 'failed', 'canceled', 'skipped', 'blocked'];

const definitions: Record<string, Schema> = {
  /** projects.md, "Get a single project". */
  Project: {
    type: 'object',
    required: ['id', 'name', 'path_with_namespace', 'default_branch', 'web_url'],
    properties: {
      id: int,
      name: str,
      path: str,
      path_with_namespace: str,
      default_branch: strOrNull,
      web_url: str,
      visibility: { enum: ['private', 'internal', 'public'] },
    },
  },
  UserBasic: {
    type: 'object',
    required: ['id', 'username', 'name'],
    properties: { id: int, username: str, name: str, state: str, web_url: str, avatar_url: strOrNull },
  },
  /** merge_requests.md, "Get single MR" (the list answers with the same fields, less a few). */
  MergeRequest: {
    type: 'object',
    required: [
      'id',
      'iid',
      'project_id',
      'title',
      'description',
      'state',
      'source_branch',
      'target_branch',
      'source_project_id',
      'target_project_id',
      'sha',
      'web_url',
      'author',
      'draft',
      'created_at',
      'updated_at',
    ],
    properties: {
      id: int,
      iid: int,
      project_id: int,
      title: str,
      description: strOrNull,
      state: { enum: ['opened', 'closed', 'locked', 'merged'] },
      source_branch: str,
      target_branch: str,
      source_project_id: int,
      target_project_id: int,
      sha: strOrNull,
      merge_commit_sha: strOrNull,
      squash_commit_sha: strOrNull,
      web_url: str,
      author: ref('UserBasic'),
      draft: bool,
      work_in_progress: bool,
      detailed_merge_status: str,
      reviewers: list('UserBasic'),
      labels: { type: 'array', items: str },
      created_at: time,
      updated_at: time,
      references: { type: 'object', properties: { short: str, relative: str, full: str } },
    },
  },
  /** notes.md, "Merge requests": a note. */
  Note: {
    type: 'object',
    required: ['id', 'body', 'author', 'created_at', 'updated_at', 'system', 'noteable_type'],
    properties: {
      id: int,
      type: strOrNull,
      body: str,
      author: ref('UserBasic'),
      created_at: time,
      updated_at: time,
      system: bool,
      noteable_id: int,
      noteable_type: { enum: ['Issue', 'MergeRequest', 'Snippet', 'Commit', 'Epic'] },
      noteable_iid: { type: ['integer', 'null'] },
      resolvable: bool,
      confidential: bool,
      internal: bool,
    },
  },
  /** commits.md, "List the statuses of a commit" and "Set the pipeline status of a commit". */
  CommitStatus: {
    type: 'object',
    required: ['id', 'sha', 'status', 'name', 'created_at', 'allow_failure'],
    properties: {
      id: int,
      sha: str,
      ref: strOrNull,
      status: { enum: jobStatus },
      name: str,
      target_url: strOrNull,
      description: strOrNull,
      created_at: time,
      started_at: { type: ['string', 'null'], format: 'date-time' },
      finished_at: { type: ['string', 'null'], format: 'date-time' },
      allow_failure: bool,
      coverage: { type: ['number', 'null'] },
      pipeline_id: int,
      author: ref('UserBasic'),
    },
  },
  /** pipelines.md, "List project pipelines". */
  Pipeline: {
    type: 'object',
    required: ['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'web_url', 'created_at', 'updated_at'],
    properties: {
      id: int,
      iid: int,
      project_id: int,
      sha: str,
      ref: str,
      status: { enum: [...jobStatus] },
      source: str,
      web_url: str,
      created_at: time,
      updated_at: time,
    },
  },
  /** jobs.md, "List pipeline jobs". */
  Job: {
    type: 'object',
    required: ['id', 'name', 'stage', 'status', 'allow_failure', 'web_url', 'ref', 'created_at', 'pipeline'],
    properties: {
      id: int,
      name: str,
      stage: str,
      status: { enum: jobStatus },
      allow_failure: bool,
      web_url: str,
      ref: str,
      tag: bool,
      created_at: time,
      started_at: { type: ['string', 'null'], format: 'date-time' },
      finished_at: { type: ['string', 'null'], format: 'date-time' },
      pipeline: {
        type: 'object',
        required: ['id', 'sha', 'ref', 'status'],
        properties: { id: int, project_id: int, sha: str, ref: str, status: str },
      },
    },
  },
  /** users.md, "Get the current user" (a user without administrator access: fewer fields). */
  CurrentUser: {
    type: 'object',
    required: ['id', 'username', 'name', 'state', 'web_url'],
    properties: {
      id: int,
      username: str,
      name: str,
      state: str,
      locked: bool,
      avatar_url: strOrNull,
      web_url: str,
      created_at: time,
      bot: bool,
      email: str,
      public_email: strOrNull,
    },
  },
  /**
   * merge_requests.md, "Get merge request diff versions": one version a push to the source branch, with the head
   * commit it was made for and when (`order_id_desc`: newest first).
   */
  MergeRequestDiff: {
    type: 'object',
    required: [
      'id',
      'head_commit_sha',
      'base_commit_sha',
      'start_commit_sha',
      'created_at',
      'merge_request_id',
      'state',
    ],
    properties: {
      id: int,
      head_commit_sha: str,
      base_commit_sha: str,
      start_commit_sha: str,
      created_at: time,
      merge_request_id: int,
      state: str,
      real_size: strOrNull,
      patch_id_sha: strOrNull,
    },
  },
  /**
   * merge_request_approvals.md, "Merge request-level MR approvals": `GET .../approvals`, the approvers of a merge
   * request (each `{ user }`), with no commit named for an approval.
   */
  MergeRequestApprovals: {
    type: 'object',
    required: ['id', 'iid', 'project_id', 'state', 'approved', 'approved_by'],
    properties: {
      id: int,
      iid: int,
      project_id: int,
      title: str,
      description: strOrNull,
      state: { enum: ['opened', 'closed', 'locked', 'merged'] },
      created_at: time,
      updated_at: time,
      merge_status: str,
      approved: bool,
      approvals_required: int,
      approvals_left: int,
      require_password_to_approve: bool,
      approved_by: {
        type: 'array',
        items: { type: 'object', required: ['user'], properties: { user: ref('UserBasic') } },
      },
      suggested_approvers: list('UserBasic'),
      approvers: { type: 'array' },
      approver_groups: { type: 'array' },
      user_has_approved: bool,
      user_can_approve: bool,
      approval_rules_left: { type: 'array' },
      has_approval_rules: bool,
      merge_request_approvers_available: bool,
      multiple_approval_rules_available: bool,
    },
  },
  /** members.md, "List all members of a group or project including inherited and invited members". */
  Member: {
    type: 'object',
    required: ['id', 'username', 'name', 'state', 'access_level'],
    properties: {
      id: int,
      username: str,
      name: str,
      state: str,
      avatar_url: strOrNull,
      web_url: str,
      access_level: { enum: [0, 5, 10, 15, 20, 30, 40, 50] },
      created_at: time,
      expires_at: { type: ['string', 'null'] },
      membership_state: str,
      group_saml_identity: { type: ['object', 'null'] },
    },
  },
  /** deployments.md, "List project deployments": a deployment with its environment. */
  Deployment: {
    type: 'object',
    required: ['id', 'iid', 'ref', 'sha', 'status', 'created_at', 'updated_at', 'environment'],
    properties: {
      id: int,
      iid: int,
      ref: str,
      sha: str,
      status: { enum: deploymentStatus },
      created_at: time,
      updated_at: time,
      finished_at: { type: ['string', 'null'], format: 'date-time' },
      user: ref('UserBasic'),
      environment: {
        type: 'object',
        required: ['id', 'name'],
        properties: { id: int, name: str, slug: str, external_url: strOrNull, tier: str, state: str },
      },
    },
  },
};

const mrPath = { id: projectId, merge_request_iid: int };
const endpoints: Endpoint[] = [
  {
    method: 'GET',
    path: '/projects/{id}',
    doc: `${DOCS}/projects/#get-a-single-project`,
    params: { id: projectId },
    query: { statistics: bool, license: bool, with_custom_attributes: bool },
    responses: { 200: ref('Project'), 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/merge_requests',
    doc: `${DOCS}/merge_requests/#list-project-merge-requests`,
    params: { id: projectId },
    query: {
      state: { enum: ['opened', 'closed', 'locked', 'merged', 'all'] },
      source_branch: str,
      target_branch: str,
      order_by: {
        enum: [
          'created_at',
          'updated_at',
          'title',
          'merged_at',
          'label_priority',
          'milestone_due',
          'popularity',
          'priority',
        ],
      },
      sort: { enum: ['asc', 'desc'] },
      iids: str,
      labels: str,
      milestone: str,
      scope: { enum: ['created_by_me', 'assigned_to_me', 'all'] },
      search: str,
      view: { enum: ['simple'] },
      page,
      per_page: perPage,
    },
    responses: { 200: list('MergeRequest'), 404: error },
  },
  {
    method: 'POST',
    path: '/projects/{id}/merge_requests',
    doc: `${DOCS}/merge_requests/#create-mr`,
    params: { id: projectId },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['source_branch', 'target_branch', 'title'],
      properties: {
        source_branch: { type: 'string', minLength: 1 },
        target_branch: { type: 'string', minLength: 1 },
        title: { type: 'string', minLength: 1 },
        description: { type: 'string', maxLength: 1048576 },
        allow_collaboration: bool,
        approvals_before_merge: int,
        allow_maintainer_to_push: bool,
        assignee_id: int,
        assignee_ids: { type: 'array', items: int },
        labels: str,
        milestone_id: int,
        remove_source_branch: bool,
        reviewer_ids: { type: 'array', items: int },
        squash: bool,
        target_project_id: int,
      },
    },
    responses: { 201: ref('MergeRequest'), 400: error, 404: error, 409: error, 422: error },
  },
  {
    method: 'GET',
    path: '/users',
    doc: `${DOCS}/users/#list-users`,
    params: {},
    query: { username: str, search: str, active: bool, page, per_page: perPage },
    responses: { 200: list('UserBasic') },
  },
  {
    method: 'GET',
    path: '/projects/{id}/merge_requests/{merge_request_iid}',
    doc: `${DOCS}/merge_requests/#get-single-mr`,
    params: mrPath,
    query: { include_diverged_commits_count: bool, include_rebase_in_progress: bool, render_html: bool },
    responses: { 200: ref('MergeRequest'), 404: error },
  },
  {
    method: 'PUT',
    path: '/projects/{id}/merge_requests/{merge_request_iid}',
    doc: `${DOCS}/merge_requests/#update-mr`,
    params: mrPath,
    body: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        title: { type: 'string', minLength: 1 },
        description: { type: 'string', maxLength: 1048576 },
        target_branch: str,
        state_event: { enum: ['close', 'reopen'] },
        labels: str,
        add_labels: str,
        remove_labels: str,
        assignee_id: int,
        assignee_ids: { type: 'array', items: int },
        reviewer_ids: { type: 'array', items: int },
        milestone_id: int,
        remove_source_branch: bool,
        squash: bool,
        discussion_locked: bool,
        allow_collaboration: bool,
      },
    },
    responses: { 200: ref('MergeRequest'), 400: error, 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/merge_requests/{merge_request_iid}/notes',
    doc: `${DOCS}/notes/#list-all-merge-request-notes`,
    params: mrPath,
    query: {
      sort: { enum: ['asc', 'desc'] },
      order_by: { enum: ['created_at', 'updated_at'] },
      page,
      per_page: perPage,
    },
    responses: { 200: list('Note'), 404: error },
  },
  {
    method: 'POST',
    path: '/projects/{id}/merge_requests/{merge_request_iid}/notes',
    doc: `${DOCS}/notes/#create-new-merge-request-note`,
    params: mrPath,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['body'],
      properties: {
        body: { type: 'string', minLength: 1, maxLength: 1000000 },
        created_at: str,
        internal: bool,
        merge_request_diff_head_sha: str,
      },
    },
    responses: { 201: ref('Note'), 400: error, 404: error },
  },
  {
    method: 'PUT',
    path: '/projects/{id}/merge_requests/{merge_request_iid}/notes/{note_id}',
    doc: `${DOCS}/notes/#modify-existing-merge-request-note`,
    params: { ...mrPath, note_id: int },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['body'],
      properties: { body: { type: 'string', minLength: 1, maxLength: 1000000 } },
    },
    responses: { 200: ref('Note'), 400: error, 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/repository/commits/{sha}/statuses',
    doc: `${DOCS}/commits/#list-the-statuses-of-a-commit`,
    params: { id: projectId, sha: { type: 'string', pattern: '^[0-9a-f]{7,64}$' } },
    query: {
      ref: str,
      stage: str,
      name: str,
      pipeline_id: int,
      order_by: { enum: ['id', 'pipeline_id'] },
      sort: { enum: ['asc', 'desc'] },
      all: bool,
      page,
      per_page: perPage,
    },
    responses: { 200: list('CommitStatus'), 404: error },
  },
  {
    method: 'POST',
    path: '/projects/{id}/statuses/{sha}',
    doc: `${DOCS}/commits/#set-the-pipeline-status-of-a-commit`,
    params: { id: projectId, sha: { type: 'string', pattern: '^[0-9a-f]{40,64}$' } },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['state'],
      properties: {
        state: { enum: ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] },
        ref: str,
        name: str,
        context: str,
        target_url: str,
        description: { type: 'string', maxLength: 255 },
        coverage: { type: 'number' },
        pipeline_id: int,
      },
    },
    responses: { 201: ref('CommitStatus'), 400: error, 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/pipelines',
    doc: `${DOCS}/pipelines/#list-project-pipelines`,
    params: { id: projectId },
    query: {
      scope: { enum: ['running', 'pending', 'finished', 'branches', 'tags'] },
      status: { enum: jobStatus },
      source: str,
      ref: str,
      sha: str,
      yaml_errors: bool,
      username: str,
      updated_after: str,
      updated_before: str,
      order_by: { enum: ['id', 'status', 'ref', 'updated_at', 'user_id'] },
      sort: { enum: ['asc', 'desc'] },
      page,
      per_page: perPage,
    },
    responses: { 200: list('Pipeline'), 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/pipelines/{pipeline_id}/jobs',
    doc: `${DOCS}/jobs/#list-pipeline-jobs`,
    params: { id: projectId, pipeline_id: int },
    query: { scope: str, include_retried: bool, page, per_page: perPage },
    responses: { 200: list('Job'), 404: error },
  },
  {
    method: 'GET',
    path: '/user',
    doc: `${DOCS}/users/#get-the-current-user`,
    params: {},
    responses: { 200: ref('CurrentUser'), 401: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/merge_requests/{merge_request_iid}/approvals',
    doc: `${DOCS}/merge_request_approvals/#merge-request-level-mr-approvals`,
    params: mrPath,
    responses: { 200: ref('MergeRequestApprovals'), 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/merge_requests/{merge_request_iid}/versions',
    doc: `${DOCS}/merge_requests/#get-merge-request-diff-versions`,
    params: mrPath,
    query: { page, per_page: perPage },
    responses: { 200: list('MergeRequestDiff'), 404: error },
  },
  {
    method: 'GET',
    path: '/groups/{id}/members/all',
    doc: `${DOCS}/members/#list-all-members-of-a-group-or-project-including-inherited-and-invited-members`,
    /** The group: its numeric ID or its URL-encoded full path (`group%2Fsubgroup`). */
    params: { id: { type: ['integer', 'string'], minLength: 1 } },
    query: {
      query: str,
      user_ids: { type: 'array', items: int },
      show_seat_info: bool,
      state: { enum: ['awaiting', 'active'] },
      page,
      per_page: perPage,
    },
    responses: { 200: list('Member'), 401: error, 404: error },
  },
  {
    method: 'GET',
    path: '/projects/{id}/deployments',
    doc: `${DOCS}/deployments/#list-project-deployments`,
    params: { id: projectId },
    query: {
      order_by: { enum: ['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'] },
      sort: { enum: ['asc', 'desc'] },
      updated_after: time,
      updated_before: time,
      finished_after: time,
      finished_before: time,
      environment: str,
      status: { enum: deploymentStatus },
      page,
      per_page: perPage,
    },
    responses: { 200: list('Deployment'), 400: error, 404: error },
  },
];

/** The description, for tests that hold a recorded answer to it. */
export const GITLAB_API: ApiDescription = { name: 'gitlab-v4', endpoints, definitions };

export interface SeedCheck {
  readonly name: string;
  readonly result: 'success' | 'failure' | 'pending';
}

export interface GitLabTestServer extends SchemaServer {
  readonly owner: string;
  readonly repo: string;
  readonly pulls: {
    number: number;
    title: string;
    body: string;
    head: string;
    headSha: string;
    base: string;
    /** The reviewers' user ids. */
    reviewers: number[];
    labels: string[];
    /** The usernames that approved, in order. */
    approvedBy: string[];
  }[];
  readonly comments: { id: number; issue: number; body: string }[];
  readonly statuses: { sha: string; state: string; context: string; description: string }[];
  /** Creates per kind (`pull`, `comment`, `status`, `reviewers`: updates that set reviewers). */
  readonly creates: Record<string, number>;
  /**
   * A second open merge request for a branch, a second note with the same marker, or reviewers set again with
   * nobody new among them.
   */
  readonly duplicates: string[];
  /** The jobs of a pipeline for the commit, as CI reported them. */
  setChecks(sha: string, checks: readonly SeedCheck[]): void;
  /** Adds deployments of a commit, oldest first, each to an environment with the status it has now. */
  addDeployments(sha: string, deployments: readonly { environment: string; status: string }[]): void;
  /**
   * Merges the merge request as GitLab's button does: a real commit in the bare repository (a merge commit, or with
   * `squash` a squashed one named in squash_commit_sha, the merge commit then absent); returns it.
   */
  mergePull(number: number, opts?: { squash?: boolean }): string;
  /** Closes the merge request without a merge. */
  closePull(number: number): void;
  /** Sets the merge request's labels. */
  setLabels(number: number, labels: readonly string[]): void;
  /**
   * Records `username`'s approval of the merge request and its "approved this merge request" system note, as GitLab's
   * Approve button does; a user whose approval stands cannot approve again (GitLab refuses), so nothing changes.
   */
  approve(number: number, username: string): void;
  /** Takes `username`'s approval back, with GitLab's "unapproved this merge request" system note. */
  unapprove(number: number, username: string): void;
  /** Sets the members (usernames) of the group at `path` (`group/subgroup`), inherited ones included. */
  setGroup(path: string, members: readonly string[]): void;
}

/**
 * Starts the server for the project `owner/repo` (its API at `url`/api/v4). A merge request of a branch not pushed to
 * `bare` is refused, as GitLab refuses one whose source branch does not exist.
 */
export async function startGitLabServer(opts: {
  owner: string;
  repo: string;
  bare: string;
  defaultBranch?: string;
}): Promise<GitLabTestServer> {
  const { owner, repo, bare } = opts;
  const projectPath = `${owner}/${repo}`;
  const PROJECT = 42;
  const pulls: GitLabTestServer['pulls'] = [];
  const state = new Map<number, 'opened' | 'closed' | 'merged'>();
  const merges = new Map<number, { merge: string | null; squash: string | null }>();
  const comments: (GitLabTestServer['comments'][number] & { at: string })[] = [];
  const statuses: (GitLabTestServer['statuses'][number] & { id: number; at: string; target_url: string | null })[] = [];
  const pipelines = new Map<string, { id: number; jobs: SeedCheck[] }>();
  const deployments: { id: number; sha: string; environment: string; status: string }[] = [];
  const creates: Record<string, number> = { pull: 0, comment: 0, status: 0, reviewers: 0 };
  /** The users the server knows, by username, with their ids: anyone asked for but `ghost`. */
  const users = new Map<string, number>();
  const userJson = (username: string) => ({
    id: users.get(username)!,
    username,
    name: username,
    state: 'active',
    web_url: `https://gitlab.test/${username}`,
    avatar_url: null,
  });
  const duplicates: string[] = [];
  let nextId = 500;
  const base = { url: '' };
  const user = {
    id: 1,
    username: 'autopilot-bot',
    name: 'Autopilot',
    state: 'active',
    web_url: 'https://gitlab.test/bot',
    avatar_url: null,
  };
  const web = () => `${base.url}/${projectPath}`;
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
  const now = () => new Date().toISOString();
  /** A time later than any given before, so that a push, an approval and a note are never at the same instant. */
  let last = 0;
  const stamp = () => new Date((last = Math.max(Date.now(), last + 1))).toISOString();
  /** Each merge request's diff versions, oldest first, and its approvals' and revocations' system notes. */
  const versions = new Map<number, { id: number; head: string; base: string; at: string }[]>();
  const systemNotes: { id: number; issue: number; body: string; author: string; at: string }[] = [];
  /** Sees a push to the merge request's source branch, as GitLab does on a push: a new diff version of the new head. */
  const sync = (pr: GitLabTestServer['pulls'][number]) => {
    pr.headSha = branchSha(pr.head) ?? pr.headSha;
    const list = versions.get(pr.number) ?? [];
    if (list.at(-1)?.head !== pr.headSha)
      list.push({ id: 1200 + nextId++, head: pr.headSha, base: branchSha(pr.base) ?? pr.headSha, at: stamp() });
    versions.set(pr.number, list);
  };
  const mrJson = (p: GitLabTestServer['pulls'][number]) => ({
    id: 9000 + p.number,
    iid: p.number,
    project_id: PROJECT,
    title: p.title,
    description: p.body,
    state: state.get(p.number) ?? 'opened',
    source_branch: p.head,
    target_branch: p.base,
    source_project_id: PROJECT,
    target_project_id: PROJECT,
    sha: p.headSha,
    merge_commit_sha: merges.get(p.number)?.merge ?? null,
    squash_commit_sha: merges.get(p.number)?.squash ?? null,
    web_url: `${web()}/-/merge_requests/${p.number}`,
    author: user,
    draft: false,
    work_in_progress: false,
    detailed_merge_status: 'mergeable',
    reviewers: p.reviewers.map((id) => userJson([...users].find(([, v]) => v === id)![0])),
    labels: p.labels,
    created_at: now(),
    updated_at: now(),
    references: { short: `!${p.number}`, relative: `!${p.number}`, full: `${projectPath}!${p.number}` },
  });
  const noteJson = (c: (typeof comments)[number]) => ({
    id: c.id,
    type: null,
    body: c.body,
    author: user,
    created_at: c.at,
    updated_at: c.at,
    system: false,
    noteable_id: 9000 + c.issue,
    noteable_type: 'MergeRequest',
    noteable_iid: c.issue,
    resolvable: false,
    confidential: false,
    internal: false,
  });
  const systemNoteJson = (n: (typeof systemNotes)[number]) => ({
    ...noteJson({ id: n.id, issue: n.issue, body: n.body, at: n.at }),
    author: known(n.author),
    system: true,
  });
  const statusJson = (s: (typeof statuses)[number]) => ({
    id: s.id,
    sha: s.sha,
    ref: null,
    status: s.state,
    name: s.context,
    target_url: s.target_url,
    description: s.description,
    created_at: s.at,
    started_at: null,
    finished_at: null,
    allow_failure: false,
    coverage: null,
    author: user,
  });
  /** One page of a listing, with GitLab's pagination headers. */
  const paged = (items: unknown[], q: Record<string, unknown>): Reply => {
    const size = (q['per_page'] as number | undefined) ?? 20;
    const n = (q['page'] as number | undefined) ?? 1;
    const slice = items.slice((n - 1) * size, n * size);
    const more = n * size < items.length;
    return {
      status: 200,
      body: slice,
      headers: {
        'x-page': String(n),
        'x-per-page': String(size),
        'x-total': String(items.length),
        'x-next-page': more ? String(n + 1) : '',
      },
    };
  };
  const notFound: Reply = { status: 404, body: { message: '404 Not found' } };
  /** Groups by full path (lower case), with their members' usernames. */
  const groups = new Map<string, string[]>();
  const known = (username: string) => {
    if (!users.has(username)) users.set(username, 100 + users.size);
    return userJson(username);
  };

  const server = await startSchemaServer(GITLAB_API, 'private-token', (e, p, q, body) => {
    if (e.path.startsWith('/projects/') && p['id'] !== projectPath && p['id'] !== PROJECT)
      return { status: 404, body: { message: '404 Project Not Found' } };
    const mr = () => pulls.find((x) => x.number === p['merge_request_iid']);
    switch (`${e.method} ${e.path}`) {
      case 'GET /user':
        return { status: 200, body: { ...user, locked: false, bot: false, created_at: now() } };
      case 'GET /groups/{id}/members/all': {
        const members = groups.get(String(p['id']).toLowerCase());
        if (!members) return { status: 404, body: { message: '404 Group Not Found' } };
        return paged(
          members.map((u) => ({ ...known(u), access_level: 30, created_at: now(), expires_at: null })),
          q,
        );
      }
      case 'GET /projects/{id}/merge_requests/{merge_request_iid}/approvals': {
        const pr = mr();
        if (!pr) return notFound;
        sync(pr);
        return {
          status: 200,
          body: {
            id: 9000 + pr.number,
            iid: pr.number,
            project_id: PROJECT,
            title: pr.title,
            description: pr.body,
            state: state.get(pr.number) ?? 'opened',
            created_at: now(),
            updated_at: now(),
            merge_status: 'can_be_merged',
            approved: pr.approvedBy.length > 0,
            approvals_required: 0,
            approvals_left: 0,
            require_password_to_approve: false,
            approved_by: pr.approvedBy.map((u) => ({ user: known(u) })),
            suggested_approvers: [],
            approvers: [],
            approver_groups: [],
            user_has_approved: pr.approvedBy.includes(user.username),
            user_can_approve: !pr.approvedBy.includes(user.username),
            approval_rules_left: [],
            has_approval_rules: false,
            merge_request_approvers_available: false,
            multiple_approval_rules_available: false,
          },
        };
      }
      case 'GET /projects/{id}':
        return {
          status: 200,
          body: {
            id: PROJECT,
            name: repo,
            path: repo,
            path_with_namespace: projectPath,
            default_branch: opts.defaultBranch ?? 'main',
            web_url: web(),
            visibility: 'private',
          },
        };
      case 'GET /projects/{id}/merge_requests': {
        const want = q['state'] ?? 'all';
        const items = pulls
          .filter(
            (x) =>
              (want === 'all' || (state.get(x.number) ?? 'opened') === want) &&
              (!q['source_branch'] || x.head === q['source_branch']),
          )
          .map(mrJson);
        return paged(items, q);
      }
      case 'POST /projects/{id}/merge_requests': {
        const head = String(body['source_branch']);
        const sha = branchSha(head);
        if (!sha) return { status: 400, body: { message: ['Source branch does not exist'] } };
        creates['pull'] = (creates['pull'] ?? 0) + 1;
        const open = pulls.find((x) => x.head === head && (state.get(x.number) ?? 'opened') === 'opened');
        if (open) {
          duplicates.push(`merge request for ${head}`);
          return {
            status: 409,
            body: { message: [`Another open merge request already exists for this source branch: !${open.number}`] },
          };
        }
        const pr = {
          number: pulls.length + 1,
          title: String(body['title']),
          body: typeof body['description'] === 'string' ? body['description'] : '',
          head,
          headSha: sha,
          base: String(body['target_branch']),
          reviewers: [],
          labels: [],
          approvedBy: [],
        };
        pulls.push(pr);
        sync(pr);
        return { status: 201, body: mrJson(pr) };
      }
      case 'GET /projects/{id}/merge_requests/{merge_request_iid}':
      case 'PUT /projects/{id}/merge_requests/{merge_request_iid}': {
        const pr = mr();
        if (!pr) return notFound;
        if (e.method === 'PUT') {
          if (typeof body['title'] === 'string') pr.title = body['title'];
          if (typeof body['description'] === 'string') pr.body = body['description'];
          if (Array.isArray(body['reviewer_ids'])) {
            const ids = body['reviewer_ids'] as number[];
            if (ids.some((id) => ![...users.values()].includes(id)))
              return { status: 400, body: { message: { reviewer_ids: ['contain an unknown user'] } } };
            creates['reviewers'] = (creates['reviewers'] ?? 0) + 1;
            if (ids.every((id) => pr.reviewers.includes(id))) duplicates.push(`reviewers of !${pr.number} set again`);
            pr.reviewers = [...new Set(ids)];
          }
        }
        sync(pr);
        return { status: 200, body: mrJson(pr) };
      }
      case 'GET /users': {
        const name = typeof q['username'] === 'string' ? q['username'] : undefined;
        if (name === undefined || name === 'ghost') return { status: 200, body: [] };
        if (!users.has(name)) users.set(name, 100 + users.size);
        return { status: 200, body: [userJson(name)] };
      }
      case 'GET /projects/{id}/merge_requests/{merge_request_iid}/versions': {
        const pr = mr();
        if (!pr) return notFound;
        sync(pr);
        const items = [...(versions.get(pr.number) ?? [])].reverse().map((v) => ({
          id: v.id,
          head_commit_sha: v.head,
          base_commit_sha: v.base,
          start_commit_sha: v.base,
          created_at: v.at,
          merge_request_id: 9000 + pr.number,
          state: 'collected',
          real_size: '1',
          patch_id_sha: null,
        }));
        return paged(items, q);
      }
      case 'GET /projects/{id}/merge_requests/{merge_request_iid}/notes': {
        const pr = mr();
        if (!pr) return notFound;
        sync(pr);
        // Comments and system notes in the order they were written (ids and times both rise).
        const items = [
          ...comments.filter((c) => c.issue === pr.number).map((c) => ({ id: c.id, json: noteJson(c) })),
          ...systemNotes.filter((n) => n.issue === pr.number).map((n) => ({ id: n.id, json: systemNoteJson(n) })),
        ]
          .sort((x, y) => x.id - y.id)
          .map((x) => x.json);
        if (q['sort'] !== 'asc') items.reverse(); // GitLab's default is newest first
        return paged(items, q);
      }
      case 'POST /projects/{id}/merge_requests/{merge_request_iid}/notes': {
        const pr = mr();
        if (!pr) return notFound;
        creates['comment'] = (creates['comment'] ?? 0) + 1;
        const text = String(body['body']);
        const marker = /<!-- autopilot:[^>]*-->/.exec(text)?.[0];
        if (marker && comments.some((c) => c.issue === pr.number && c.body.includes(marker)))
          duplicates.push(`note ${marker}`);
        const c = { id: nextId++, issue: pr.number, body: text, at: now() };
        comments.push(c);
        return { status: 201, body: noteJson(c) };
      }
      case 'PUT /projects/{id}/merge_requests/{merge_request_iid}/notes/{note_id}': {
        const c = comments.find((x) => x.id === p['note_id'] && x.issue === p['merge_request_iid']);
        if (!c) return notFound;
        c.body = String(body['body']);
        return { status: 200, body: noteJson(c) };
      }
      case 'GET /projects/{id}/repository/commits/{sha}/statuses': {
        const sha = String(p['sha']);
        const latest = new Map<string, (typeof statuses)[number]>();
        for (const s of statuses) if (s.sha === sha) latest.set(s.context, s);
        // A pipeline's jobs are commit statuses too.
        const jobs = (pipelines.get(sha)?.jobs ?? []).map((j, i) => ({
          ...statusJson({
            id: 7000 + i,
            sha,
            state: jobState(j.result),
            context: j.name,
            description: '',
            at: now(),
            target_url: null,
          }),
        }));
        return paged([...jobs, ...[...latest.values()].map(statusJson)], q);
      }
      case 'POST /projects/{id}/statuses/{sha}': {
        const sha = String(p['sha']);
        if (!/^[0-9a-f]{40}$/.test(sha)) return { status: 404, body: { message: '404 Commit Not Found' } };
        creates['status'] = (creates['status'] ?? 0) + 1;
        const s = {
          id: nextId++,
          sha,
          state: String(body['state']),
          context: String(body['name'] ?? body['context'] ?? 'default'),
          description: typeof body['description'] === 'string' ? body['description'] : '',
          target_url: typeof body['target_url'] === 'string' ? body['target_url'] : null,
          at: now(),
        };
        statuses.push(s);
        return { status: 201, body: statusJson(s) };
      }
      case 'GET /projects/{id}/pipelines': {
        const items = [...pipelines.entries()]
          .filter(([sha]) => !q['sha'] || sha === q['sha'])
          .map(([sha, pl]) => ({
            id: pl.id,
            iid: pl.id,
            project_id: PROJECT,
            sha,
            ref: 'task',
            status: pl.jobs.some((j) => j.result === 'failure')
              ? 'failed'
              : pl.jobs.some((j) => j.result === 'pending')
                ? 'running'
                : 'success',
            source: 'push',
            web_url: `${web()}/-/pipelines/${pl.id}`,
            created_at: now(),
            updated_at: now(),
          }));
        return paged(items, q);
      }
      case 'GET /projects/{id}/pipelines/{pipeline_id}/jobs': {
        const found = [...pipelines.entries()].find(([, pl]) => pl.id === p['pipeline_id']);
        if (!found) return notFound;
        const [sha, pl] = found;
        const items = pl.jobs.map((j, i) => ({
          id: pl.id * 100 + i,
          name: j.name,
          stage: 'test',
          status: jobState(j.result),
          allow_failure: false,
          web_url: `${web()}/-/jobs/${pl.id * 100 + i}`,
          ref: 'task',
          tag: false,
          created_at: now(),
          started_at: null,
          finished_at: null,
          pipeline: { id: pl.id, project_id: PROJECT, sha, ref: 'task', status: 'running' },
        }));
        return paged(items, q);
      }
      case 'GET /projects/{id}/deployments': {
        const desc = q['sort'] !== 'asc';
        const items = [...deployments]
          .filter((d) => !q['environment'] || d.environment === q['environment'])
          .filter((d) => !q['status'] || d.status === q['status'])
          .sort((a, b) => (desc ? b.id - a.id : a.id - b.id))
          .map((d) => ({
            id: d.id,
            iid: d.id - 700,
            ref: 'main',
            sha: d.sha,
            status: d.status,
            created_at: now(),
            updated_at: now(),
            finished_at: null,
            user,
            environment: {
              id: 9,
              name: d.environment,
              slug: d.environment,
              external_url: `https://${d.environment}.gitlab-app.test`,
              tier: d.environment === 'production' ? 'production' : 'other',
              state: 'available',
            },
          }));
        return paged(items, q);
      }
      default:
        return notFound;
    }
  });
  base.url = server.url;
  let pipelineId = 300;
  return {
    ...server,
    owner,
    repo,
    pulls,
    comments,
    statuses,
    creates,
    duplicates,
    setChecks: (sha, checks) => void pipelines.set(sha, { id: pipelineId++, jobs: [...checks] }),
    addDeployments: (sha, list) => {
      for (const d of list) deployments.push({ id: 700 + deployments.length + 1, sha, ...d });
    },
    mergePull: (number, o = {}) => {
      const pr = pulls.find((x) => x.number === number)!;
      const sha = mergeInBare(bare, pr.base, pr.head, o);
      merges.set(number, o.squash ? { merge: null, squash: sha } : { merge: sha, squash: null });
      state.set(number, 'merged');
      return sha;
    },
    closePull: (number) => void state.set(number, 'closed'),
    setLabels: (number, labels) => {
      const pr = pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`no merge request !${number}`);
      pr.labels = [...labels];
    },
    approve: (number, username) => {
      const pr = pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`no merge request !${number}`);
      if (pr.approvedBy.includes(username)) return;
      sync(pr);
      pr.approvedBy.push(username);
      systemNotes.push({
        id: nextId++,
        issue: number,
        body: 'approved this merge request',
        author: username,
        at: stamp(),
      });
    },
    unapprove: (number, username) => {
      const pr = pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`no merge request !${number}`);
      if (!pr.approvedBy.includes(username)) return;
      sync(pr);
      pr.approvedBy = pr.approvedBy.filter((u) => u !== username);
      systemNotes.push({
        id: nextId++,
        issue: number,
        body: 'unapproved this merge request',
        author: username,
        at: stamp(),
      });
    },
    setGroup: (path, members) => void groups.set(path.toLowerCase(), [...members]),
  };
}

const jobState = (r: SeedCheck['result']): string =>
  r === 'failure' ? 'failed' : r === 'pending' ? 'running' : 'success';
