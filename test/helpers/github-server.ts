/**
 * @module A GitHub REST test server on node:http that holds every request and every response it sends to GitHub's
 * official OpenAPI description (@octokit/openapi): the path template and method must be documented, path and query
 * parameters and the JSON body must match the operation's schemas (a body field the operation does not name is a
 * mismatch too), and the response must match the documented schema of its status. Mismatches are collected for the
 * test to assert none. It keeps state (pull requests with their author, labels and reviews, comments, statuses, check
 * runs, requested reviewers, the token's user, teams' members) and counts creates, so that a test can tell one pull
 * request from two; asking a reviewer who is asked already is a duplicate. A test merges or closes a pull request (a
 * real merge commit in the bare repository) and makes requests fail (5xx, 401) to play a forge that is down or
 * refuses the token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { mergeInBare } from './bare-merge.ts';

type Json = Record<string, unknown>;
type Schema = Record<string, unknown>;

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const API_ID = 'https://openapi.test/api.github.com';

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly op: Json;
}

/** The OpenAPI document and a validator over it, loaded once per process (13 MB of JSON). */
let loaded: { doc: Json; ajv: Ajv; ops: Operation[]; cache: Map<string, ValidateFunction> } | undefined;

function load() {
  if (loaded) return loaded;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
  // OpenAPI 3.0: `nullable` is Ajv's own; examples and x- keys are not keywords, hence strict off.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: API_ID, components: { schemas: rebaseLocal((doc['components'] as Json)['schemas']) } });
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc['paths'] as Record<string, Json>)) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      const op = item[method] as Json | undefined;
      if (op) ops.push({ method: method.toUpperCase(), template, pattern, names, op });
    }
  }
  loaded = { doc, ajv, ops, cache: new Map() };
  return loaded;
}

/** The components with OpenAPI's nullable enums read as OpenAPI reads them; their references stay local. */
function rebaseLocal(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebaseLocal);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) out[k] = rebaseLocal(v);
  if (out['nullable'] === true && Array.isArray(out['enum']) && !out['enum'].includes(null))
    out['enum'] = [...(out['enum'] as unknown[]), null];
  return out;
}

/** Follows a `#/components/...` reference in the document. */
function deref<T>(doc: Json, node: unknown): T {
  let n = node as Json;
  while (n && typeof n === 'object' && typeof n['$ref'] === 'string') {
    const path = (n['$ref'] as string).replace(/^#\//, '').split('/');
    n = path.reduce<Json>((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, doc);
  }
  return n as T;
}

/**
 * A schema of the document with its references pointed at the loaded components, and OpenAPI 3.0's `nullable` with
 * `enum` read as OpenAPI reads it (null allowed), which JSON Schema's enum alone would refuse.
 */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json))
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${API_ID}${v}` : rebase(v);
  if (out['nullable'] === true && Array.isArray(out['enum']) && !out['enum'].includes(null))
    out['enum'] = [...(out['enum'] as unknown[]), null];
  return out;
}

function validator(key: string, schema: unknown): ValidateFunction {
  const l = load();
  let v = l.cache.get(key);
  if (!v) {
    v = l.ajv.compile(rebase(schema) as Schema);
    l.cache.set(key, v);
  }
  return v;
}

/** A parameter's text value as its schema's type, or undefined when it cannot be one. */
function coerce(text: string, schema: Json): unknown {
  const t = schema['type'];
  if (t === 'integer') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (t === 'number') return Number.isFinite(Number(text)) ? Number(text) : text;
  if (t === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

export interface CheckRunSeed {
  readonly name: string;
  readonly status: 'queued' | 'in_progress' | 'completed';
  readonly conclusion?: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required';
}

export interface DeploymentSeed {
  readonly environment: string;
  readonly statuses: readonly {
    readonly state: 'error' | 'failure' | 'inactive' | 'pending' | 'success' | 'queued' | 'in_progress';
    readonly environmentUrl?: string;
  }[];
}

interface PullState {
  number: number;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  state: 'open' | 'closed';
  /** Logins and team slugs asked to review. */
  reviewers: string[];
  teams: string[];
  /** The commit its merge made on the base branch, once merged (see `mergePull`). */
  mergeCommitSha: string | null;
  /** Who opened it: the token's user, as when Autopilot's outbox opens it. */
  author: string;
  labels: string[];
}

/** A failure the server answers with instead of the operation's answer, as a forge that is down or refuses does. */
export interface FaultSeed {
  /** The HTTP status: 500, 502, 503 (the forge is down), 401 (the token is refused), … */
  readonly status: number;
  /** How many requests fail, from now (default: every one until `clearFaults`). */
  readonly times?: number;
  /** Only requests of this operation (`GET /repos/{owner}/{repo}/deployments`); default: every request. */
  readonly operation?: string;
}

/** A review as the test wants a person to have given it; on the pull request's head commit unless `commit` says. */
export interface ReviewSeed {
  readonly user: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  readonly commit?: string;
}

export interface GitHubTestServer {
  readonly url: string;
  readonly owner: string;
  readonly repo: string;
  /** Every request and response that did not match the OpenAPI description. */
  readonly mismatches: string[];
  /** Requests as `METHOD template`, in order. */
  readonly calls: string[];
  readonly pulls: PullState[];
  readonly comments: { id: number; issue: number; body: string }[];
  readonly statuses: { sha: string; state: string; context: string; description: string }[];
  /**
   * Creates per kind (`pull`, `comment`, `status`, `reviewers`: review requests sent); a second open PR for a head, a
   * second marked comment or a review asked twice of one person is a duplicate.
   */
  readonly creates: Record<string, number>;
  readonly duplicates: string[];
  /** The check runs of a commit, as the test wants CI to have reported them. */
  setCheckRuns(sha: string, runs: readonly CheckRunSeed[]): void;
  /**
   * The deployments of a commit, as the test wants the release to have gone: each with its statuses, oldest first
   * (none: created, nothing reported yet). Replaces what the commit had.
   */
  setDeployments(sha: string, deployments: readonly DeploymentSeed[]): void;
  /**
   * Merges the pull request as GitHub's merge button does: a real merge commit in the bare repository (the base
   * branch moved to it), the pull request closed with `merged` and `merge_commit_sha`; returns the merge commit.
   */
  mergePull(number: number): string;
  /** Closes the pull request without a merge. */
  closePull(number: number): void;
  /**
   * Makes requests fail with a status (not checked against the description: GitHub answers 5xx or 401 to any
   * operation). Each failed request is listed in `faulted` as `STATUS METHOD template`.
   */
  fail(fault: FaultSeed): void;
  clearFaults(): void;
  readonly faulted: string[];
  /** Adds a review to a pull request (after those it has, so the newest of its user). */
  addReview(pull: number, review: ReviewSeed): void;
  /** Sets the labels of a pull request. */
  setLabels(pull: number, labels: readonly string[]): void;
  /** Sets the members (logins) of the organisation's team `org/slug`. */
  setTeam(org: string, slug: string, members: readonly string[]): void;
  /** The Authorization headers seen. */
  readonly auth: string[];
  /**
   * Holds back the answer to the next request `match` accepts (its operation as `METHOD template`, its body), after
   * the route has made its effect: the client waits for an answer that never comes, as one killed in the middle of a
   * send would. Resolves once such a request has been handled.
   */
  holdNext(match: (where: string, body: Record<string, unknown>) => boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the server for one repository `owner/repo`. Branch heads are read from the bare repository `bare` (where
 * Autopilot pushes), as GitHub reads them from its own: a pull request of a branch not pushed there is refused (422).
 */
export async function startGitHubServer(opts: {
  owner: string;
  repo: string;
  bare: string;
  defaultBranch?: string;
  /** The login of the token's user (GET /user), who authors the pull requests it opens; `autopilot-bot` by default. */
  viewer?: string;
}): Promise<GitHubTestServer> {
  const l = load();
  const { owner, repo, bare } = opts;
  const mismatches: string[] = [];
  const calls: string[] = [];
  const auth: string[] = [];
  const pulls: PullState[] = [];
  const comments: { id: number; issue: number; body: string; created: string; updated: string }[] = [];
  const statuses: {
    id: number;
    sha: string;
    state: string;
    context: string;
    description: string;
    target_url: string | null;
    at: string;
  }[] = [];
  const checkRuns = new Map<string, CheckRunSeed[]>();
  const deployments = new Map<string, { id: number; seed: DeploymentSeed; statusIds: number[] }[]>();
  const creates: Record<string, number> = { pull: 0, comment: 0, status: 0, reviewers: 0 };
  const duplicates: string[] = [];
  const faults: (FaultSeed & { left: number })[] = [];
  const faulted: string[] = [];
  const viewer = opts.viewer ?? 'autopilot-bot';
  const reviews = new Map<number, { id: number; user: string; state: string; commit: string; at: string }[]>();
  const teamsOf = new Map<string, string[]>();
  const examples = (l.doc['components'] as Json)['examples'] as Record<string, { value: unknown }>;
  const example = <T>(name: string): T => structuredClone(examples[name]!.value) as T;
  let nextId = 1000;
  const base = { server: '' };

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
  const htmlPull = (n: number) => `https://github.test/${owner}/${repo}/pull/${n}`;
  const reviewRequest = example<{ users: Json[]; teams: Json[] }>('simple-pull-request-review-request');
  const userJson = (login: string, i: number): Json => ({ ...reviewRequest.users[0], login, id: 100 + i });
  // The example's team lacks the `type` its schema requires: the fixture adds it rather than loosen the check.
  const teamJson = (slug: string, i: number): Json => ({
    ...reviewRequest.teams[0],
    slug,
    name: slug,
    id: 200 + i,
    type: 'organization',
  });
  const pullJson = (p: PullState): Json => {
    const j = example<Json>('pull-request');
    Object.assign(j, {
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      html_url: htmlPull(p.number),
      url: `${base.server}/repos/${owner}/${repo}/pulls/${p.number}`,
      requested_reviewers: p.reviewers.map(userJson),
      requested_teams: p.teams.map(teamJson),
      merged: p.mergeCommitSha !== null,
      merge_commit_sha: p.mergeCommitSha,
      merged_at: p.mergeCommitSha ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      closed_at: p.state === 'closed' ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      user: userJson(p.author, 0),
      labels: p.labels.map((name, i) => ({ ...example<Json>('label'), id: 300 + i, name })),
    });
    (j['head'] as Json)['ref'] = p.head;
    (j['head'] as Json)['sha'] = p.headSha;
    (j['head'] as Json)['label'] = `${owner}:${p.head}`;
    (j['base'] as Json)['ref'] = p.base;
    return j;
  };
  const pullSimple = (p: PullState): Json => {
    const j = (example<Json[]>('pull-request-simple-items')[0] ?? {}) as Json;
    Object.assign(j, {
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      html_url: htmlPull(p.number),
      requested_reviewers: p.reviewers.map(userJson),
      requested_teams: p.teams.map(teamJson),
      merge_commit_sha: p.mergeCommitSha,
      merged_at: p.mergeCommitSha ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      closed_at: p.state === 'closed' ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
    });
    (j['head'] as Json)['ref'] = p.head;
    (j['head'] as Json)['sha'] = p.headSha;
    (j['head'] as Json)['label'] = `${owner}:${p.head}`;
    (j['base'] as Json)['ref'] = p.base;
    return j;
  };
  const commentJson = (c: (typeof comments)[number]): Json => {
    const j = example<Json>('issue-comment');
    Object.assign(j, {
      id: c.id,
      body: c.body,
      html_url: `${htmlPull(c.issue)}#issuecomment-${c.id}`,
      created_at: c.created,
      updated_at: c.updated,
    });
    return j;
  };

  type Reply = { status: number; body: unknown };
  const route = (
    method: string,
    template: string,
    p: Record<string, unknown>,
    q: Record<string, unknown>,
    body: Json,
  ): Reply => {
    // What is not of the repository: the token's own user, and an organisation's team members.
    if (`${method} ${template}` === 'GET /user') {
      const j = example<Json>('private-user');
      Object.assign(j, { login: viewer, id: 99 });
      return { status: 200, body: j };
    }
    if (`${method} ${template}` === 'GET /orgs/{org}/teams/{team_slug}/members') {
      const members = teamsOf.get(`${String(p['org'])}/${String(p['team_slug'])}`.toLowerCase());
      if (!members)
        return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
      return { status: 200, body: members.map((login, i) => ({ ...userJson(login, i), id: 400 + i })) };
    }
    const ownRepo = p['owner'] === owner && p['repo'] === repo;
    if (!ownRepo)
      return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    switch (`${method} ${template}`) {
      case 'GET /repos/{owner}/{repo}': {
        const j = example<Json>('full-repository');
        // GitHub's own example lacks a field its schema requires: the fixture adds it rather than loosen the check.
        Object.assign(j, {
          name: repo,
          full_name: `${owner}/${repo}`,
          default_branch: opts.defaultBranch ?? 'main',
          has_discussions: false,
        });
        return { status: 200, body: j };
      }
      case 'GET /repos/{owner}/{repo}/pulls': {
        const head = typeof q['head'] === 'string' ? q['head'] : undefined;
        const state = (q['state'] as string | undefined) ?? 'open';
        const list = pulls.filter(
          (x) => (state === 'all' || x.state === state) && (!head || `${owner}:${x.head}` === head),
        );
        return { status: 200, body: list.map(pullSimple) };
      }
      case 'POST /repos/{owner}/{repo}/pulls': {
        const head = String(body['head']);
        const sha = branchSha(head);
        if (!sha)
          return {
            status: 422,
            body: {
              message: 'Validation Failed',
              documentation_url: 'https://docs.github.com/rest',
              errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
            },
          };
        creates['pull'] = (creates['pull'] ?? 0) + 1;
        if (pulls.some((x) => x.state === 'open' && x.head === head)) {
          duplicates.push(`pull for ${head}`);
          return {
            status: 422,
            body: {
              message: 'Validation Failed',
              documentation_url: 'https://docs.github.com/rest',
              errors: [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: `A pull request already exists for ${owner}:${head}.`,
                },
              ],
            },
          };
        }
        const pr: PullState = {
          number: pulls.length + 1,
          title: String(body['title'] ?? ''),
          body: String(body['body'] ?? ''),
          head,
          headSha: sha,
          base: String(body['base']),
          state: 'open',
          reviewers: [],
          teams: [],
          mergeCommitSha: null,
          author: viewer,
          labels: [],
        };
        pulls.push(pr);
        return { status: 201, body: pullJson(pr) };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{pull_number}':
      case 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': {
        const pr = pulls.find((x) => x.number === p['pull_number']);
        if (!pr)
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        if (method === 'PATCH') {
          if (typeof body['title'] === 'string') pr.title = body['title'];
          if (typeof body['body'] === 'string') pr.body = body['body'];
        }
        if (pr.state === 'open') pr.headSha = branchSha(pr.head) ?? pr.headSha;
        return { status: 200, body: pullJson(pr) };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers':
      case 'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers': {
        const pr = pulls.find((x) => x.number === p['pull_number']);
        if (!pr)
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        if (method === 'POST') {
          const users = (body['reviewers'] as string[] | undefined) ?? [];
          const teams = (body['team_reviewers'] as string[] | undefined) ?? [];
          // GitHub refuses a reviewer who is not a collaborator; here, `ghost` is none.
          if (users.includes('ghost'))
            return {
              status: 422,
              body: {
                message: 'Reviews may only be requested from collaborators.',
                documentation_url: 'https://docs.github.com/rest',
              },
            };
          creates['reviewers'] = (creates['reviewers'] ?? 0) + 1;
          for (const u of users) {
            if (pr.reviewers.includes(u)) duplicates.push(`review of ${u} asked twice`);
            else pr.reviewers.push(u);
          }
          for (const t of teams) {
            if (pr.teams.includes(t)) duplicates.push(`review of team ${t} asked twice`);
            else pr.teams.push(t);
          }
          return { status: 201, body: pullSimple(pr) };
        }
        return { status: 200, body: { users: pr.reviewers.map(userJson), teams: pr.teams.map(teamJson) } };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': {
        const pr = pulls.find((x) => x.number === p['pull_number']);
        if (!pr)
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        const one = example<Json[]>('pull-request-review-items')[0] ?? {};
        return {
          status: 200,
          body: (reviews.get(pr.number) ?? []).map((r, i) => ({
            ...one,
            id: r.id,
            user: userJson(r.user, i),
            state: r.state,
            commit_id: r.commit,
            submitted_at: r.at,
            html_url: `${htmlPull(pr.number)}#pullrequestreview-${r.id}`,
          })),
        };
      }
      case 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments':
        return { status: 200, body: comments.filter((c) => c.issue === p['issue_number']).map(commentJson) };
      case 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {
        const issue = p['issue_number'] as number;
        if (!pulls.some((x) => x.number === issue))
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        creates['comment'] = (creates['comment'] ?? 0) + 1;
        const text = String(body['body']);
        const marker = /<!-- autopilot:[^>]*-->/.exec(text)?.[0];
        if (marker && comments.some((c) => c.issue === issue && c.body.includes(marker)))
          duplicates.push(`comment ${marker}`);
        const c = { id: nextId++, issue, body: text, created: at, updated: at };
        comments.push(c);
        return { status: 201, body: commentJson(c) };
      }
      case 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {
        const c = comments.find((x) => x.id === p['comment_id']);
        if (!c)
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        c.body = String(body['body']);
        c.updated = at;
        return { status: 200, body: commentJson(c) };
      }
      case 'POST /repos/{owner}/{repo}/statuses/{sha}': {
        creates['status'] = (creates['status'] ?? 0) + 1;
        const s = {
          id: nextId++,
          sha: String(p['sha']),
          state: String(body['state']),
          context: String(body['context'] ?? 'default'),
          description: String(body['description'] ?? ''),
          target_url: typeof body['target_url'] === 'string' ? body['target_url'] : null,
          at,
        };
        statuses.push(s);
        const j = example<Json>('status');
        Object.assign(j, {
          id: s.id,
          state: s.state,
          context: s.context,
          description: s.description,
          target_url: s.target_url,
          created_at: at,
          updated_at: at,
        });
        return { status: 201, body: j };
      }
      case 'GET /repos/{owner}/{repo}/commits/{ref}/status': {
        const j = example<Json>('combined-commit-status');
        const latest = new Map<string, (typeof statuses)[number]>();
        for (const s of statuses) if (s.sha === p['ref']) latest.set(s.context, s);
        const items = [...latest.values()].reverse();
        const one = ((j['statuses'] as Json[])[0] ?? {}) as Json;
        j['statuses'] = items.map((s) => ({
          ...one,
          id: s.id,
          state: s.state,
          context: s.context,
          description: s.description,
          target_url: s.target_url,
          created_at: s.at,
          updated_at: s.at,
        }));
        j['sha'] = p['ref'];
        j['total_count'] = items.length;
        j['state'] = items.some((s) => s.state === 'failure' || s.state === 'error')
          ? 'failure'
          : items.every((s) => s.state === 'success') && items.length
            ? 'success'
            : 'pending';
        return { status: 200, body: j };
      }
      case 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': {
        const j = example<Json>('check-run-paginated');
        const one = ((j['check_runs'] as Json[])[0] ?? {}) as Json;
        const runs = (checkRuns.get(String(p['ref'])) ?? []).map((r, i) => ({
          ...one,
          id: 5000 + i,
          name: r.name,
          head_sha: p['ref'],
          status: r.status,
          conclusion: r.conclusion ?? null,
          completed_at: r.status === 'completed' ? at : null,
          html_url: `https://github.test/${owner}/${repo}/runs/${5000 + i}`,
        }));
        return { status: 200, body: { ...j, total_count: runs.length, check_runs: runs } };
      }
      case 'GET /repos/{owner}/{repo}/deployments': {
        const all = q['sha'] ? (deployments.get(String(q['sha'])) ?? []) : [...deployments.values()].flat();
        const list = all
          .filter((d) => !q['environment'] || d.seed.environment === q['environment'])
          .sort((a, b) => b.id - a.id);
        return {
          status: 200,
          body: list.map((d) => {
            const sha = [...deployments].find(([, v]) => v.includes(d))![0];
            return {
              ...example<Json>('deployment'),
              id: d.id,
              url: `${base.server}/repos/${owner}/${repo}/deployments/${d.id}`,
              sha,
              ref: sha,
              environment: d.seed.environment,
              original_environment: d.seed.environment,
              statuses_url: `${base.server}/repos/${owner}/${repo}/deployments/${d.id}/statuses`,
              created_at: at,
              updated_at: at,
            };
          }),
        };
      }
      case 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': {
        const d = [...deployments.values()].flat().find((x) => x.id === p['deployment_id']);
        if (!d)
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
        // Newest first, as GitHub lists them.
        const items = d.seed.statuses.map((st, i) => ({
          ...example<Json>('deployment-status'),
          id: d.statusIds[i]!,
          state: st.state,
          environment: d.seed.environment,
          environment_url: st.environmentUrl ?? `https://${d.seed.environment}.widgets.test/`,
          log_url: `https://github.test/${owner}/${repo}/deployments/${d.id}/log`,
          target_url: `https://github.test/${owner}/${repo}/deployments/${d.id}/log`,
          deployment_url: `${base.server}/repos/${owner}/${repo}/deployments/${d.id}`,
          created_at: at,
          updated_at: at,
        }));
        return { status: 200, body: items.reverse() };
      }
      default:
        return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    }
  };

  const holds: { match: (where: string, body: Json) => boolean; handled: () => void }[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const op = l.ops.find((o) => o.method === method && o.pattern.test(path));
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (!op) {
      mismatches.push(`${method} ${path}: no such operation in GitHub's OpenAPI description`);
      return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    }
    const where = `${method} ${op.template}`;
    calls.push(where);
    auth.push(req.headers.authorization ?? '');
    const problems: string[] = [];
    // Parameters: every documented one checked, every given query parameter documented.
    const params = ((op.op['parameters'] as unknown[]) ?? []).map((x) => deref<Json>(l.doc, x));
    const m = op.pattern.exec(path)!;
    const p: Record<string, unknown> = {};
    const q: Record<string, unknown> = {};
    for (const prm of params) {
      const name = String(prm['name']);
      const schema = (prm['schema'] ?? {}) as Json;
      let text: string | null = null;
      if (prm['in'] === 'path') text = decodeURIComponent(m[op.names.indexOf(name) + 1] ?? '');
      else if (prm['in'] === 'query') text = url.searchParams.get(name);
      else continue;
      if (text === null) {
        if (prm['required']) problems.push(`missing ${prm['in']} parameter ${name}`);
        continue;
      }
      const value = coerce(text, schema);
      const v = validator(`${where} param ${name}`, schema);
      if (!v(value)) problems.push(`${prm['in']} parameter ${name}=${text}: ${l.ajv.errorsText(v.errors)}`);
      (prm['in'] === 'path' ? p : q)[name] = value;
    }
    for (const name of url.searchParams.keys())
      if (!params.some((x) => x['in'] === 'query' && x['name'] === name))
        problems.push(`undocumented query parameter ${name}`);
    // Body: JSON, valid against the operation's schema, with no field the schema does not name.
    let body: Json = {};
    const rb = deref<Json | undefined>(l.doc, op.op['requestBody']);
    const rbSchema = (rb?.['content'] as Json | undefined)?.['application/json'] as Json | undefined;
    if (raw.length > 0 || rb?.['required']) {
      try {
        body = raw ? (JSON.parse(raw) as Json) : {};
      } catch {
        problems.push('body is not JSON');
      }
      if (!rbSchema) problems.push('a body where the operation takes none');
      else {
        const schema = deref<Json>(l.doc, rbSchema['schema']);
        const v = validator(`${where} body`, schema);
        if (!v(body)) problems.push(`body: ${l.ajv.errorsText(v.errors)}`);
        const known = Object.keys((schema['properties'] as Json | undefined) ?? {});
        for (const k of Object.keys(body)) if (!known.includes(k)) problems.push(`body field ${k} is not documented`);
      }
    }
    if (problems.length) {
      mismatches.push(`${where}: ${problems.join('; ')}`);
      return send(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest' });
    }
    const fault = faults.find((f) => !f.operation || f.operation === where);
    if (fault) {
      if (fault.times !== undefined && --fault.left <= 0) faults.splice(faults.indexOf(fault), 1);
      faulted.push(`${fault.status} ${where}`);
      return send(
        fault.status,
        fault.status === 401
          ? { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }
          : { message: 'Server Error' },
      );
    }
    const reply = route(method, op.template, p, q, body);
    // The response, held to the documented schema of its status.
    const doc = deref<Json | undefined>(l.doc, (op.op['responses'] as Json)[String(reply.status)]);
    const schema = ((doc?.['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'];
    if (!doc) mismatches.push(`${where}: status ${reply.status} is not documented`);
    else if (schema) {
      const v = validator(`${where} response ${reply.status}`, schema);
      if (!v(reply.body)) mismatches.push(`${where} response ${reply.status}: ${l.ajv.errorsText(v.errors)}`);
    }
    const hold = holds.findIndex((h) => h.match(where, body));
    // The answer stays unsent; close() (or the client's death) ends the connection.
    if (hold >= 0) return holds.splice(hold, 1)[0]!.handled();
    send(reply.status, reply.body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        mismatches.push(`server error: ${(err as Error).stack ?? String(err)}`);
        res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base.server = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url: base.server,
    owner,
    repo,
    mismatches,
    calls,
    pulls,
    comments,
    statuses,
    creates,
    duplicates,
    auth,
    setCheckRuns: (sha, runs) => void checkRuns.set(sha, [...runs]),
    setDeployments: (sha, seeds) =>
      void deployments.set(
        sha,
        seeds.map((seed) => ({ id: nextId++, seed, statusIds: seed.statuses.map(() => nextId++) })),
      ),
    holdNext: (match) => new Promise<void>((handled) => holds.push({ match, handled })),
    mergePull: (number) => {
      const pr = pulls.find((x) => x.number === number)!;
      pr.headSha = branchSha(pr.head) ?? pr.headSha;
      pr.mergeCommitSha = mergeInBare(bare, pr.base, pr.head);
      pr.state = 'closed';
      return pr.mergeCommitSha;
    },
    closePull: (number) => void (pulls.find((x) => x.number === number)!.state = 'closed'),
    fail: (f) => void faults.push({ ...f, left: f.times ?? Infinity }),
    clearFaults: () => void faults.splice(0),
    faulted,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    addReview: (number, r) => {
      const pr = pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`no pull request #${number}`);
      const list = reviews.get(number) ?? [];
      const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      list.push({ id: nextId++, user: r.user, state: r.state, commit: r.commit ?? pr.headSha, at });
      reviews.set(number, list);
    },
    setLabels: (number, labels) => {
      const pr = pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`no pull request #${number}`);
      pr.labels = [...labels];
    },
    setTeam: (org, slug, members) => void teamsOf.set(`${org}/${slug}`.toLowerCase(), [...members]),
  };
}
