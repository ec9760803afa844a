/** @module The forge port: what Autopilot asks of a code host (pull requests, one comment, commit statuses, checks). */

/** The forges Autopilot speaks to: GitHub, GitLab, and Gitea (Forgejo speaks Gitea's API). */
export type ForgeKind = 'github' | 'gitlab' | 'gitea';

/** A repository on a forge; on GitLab `owner` is the whole namespace (`group/subgroup`). */
export interface ForgeRepo {
  readonly owner: string;
  readonly name: string;
}

/** A pull request as the forge describes it. */
export interface ForgePull {
  readonly number: number;
  readonly url: string;
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
}

/** Whether a pull request was merged, and the commit its merge put on the base branch. */
export interface ForgeMerge {
  readonly number: number;
  readonly url: string;
  /** `open` until it is merged (GitLab's `locked` too); `closed` when it was closed without a merge. */
  readonly state: 'open' | 'merged' | 'closed';
  /**
   * The commit the merge made on the base branch: the merge commit, the squashed commit, or (a fast-forward or a
   * rebase) the head it put there. Null until merged.
   */
  readonly mergeCommitSha: string | null;
}

export interface ForgeComment {
  readonly id: number;
  readonly url: string;
  readonly body: string;
}

/** One check of a commit: a check run, or the latest commit status of a context. */
export interface ForgeCheck {
  readonly name: string;
  readonly kind: 'check_run' | 'status';
  /** `pending` while it runs; then `success`, or `failure` for every other conclusion. */
  readonly state: 'pending' | 'success' | 'failure';
  /** The forge's own word (`failure`, `timed_out`, `cancelled`, `error`, …). */
  readonly detail: string;
  readonly url: string | null;
}

/** A deployment of a commit to an environment, with its latest state. */
export interface ForgeDeployment {
  readonly id: number;
  readonly environment: string;
  /** `pending` while it is queued or runs; `success`; `failure` for every other end (failure, error, inactive, …). */
  readonly state: 'pending' | 'success' | 'failure';
  /** The forge's own word for the latest state (`in_progress`, `error`, `failed`, `canceled`, …). */
  readonly detail: string;
  /** Where the deployed environment answers, or the deployment's log, when the forge names one. */
  readonly url: string | null;
}

/** Who is asked to review a pull request: user logins, and team slugs where the forge has teams. */
export interface ReviewRequest {
  readonly users: readonly string[];
  readonly teams: readonly string[];
}

/** One person's standing approval of a pull request, as the forge counts it. */
export interface ForgeApproval {
  /** The approver's login, as the forge spells it. */
  readonly user: string;
  /**
   * The commit the approval was given on: named by the forge (GitHub, Gitea) or worked out from when it was given
   * (GitLab); null when the forge does not tell.
   */
  readonly commit: string | null;
  /** Why the approval cannot be tied to a commit at all, when so: it then does not count. */
  readonly unverified?: string;
}

/** What Gate 5 reads of a pull request: its author, head, labels, and the approvals that stand. */
export interface ForgeReviewState {
  readonly author: string;
  readonly headSha: string;
  readonly labels: readonly string[];
  /** Each user's latest review when it approves and was not dismissed (GitHub, Gitea); GitLab's standing approvals. */
  readonly approvals: readonly ForgeApproval[];
}

export interface CommitStatus {
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

/**
 * A forge's REST API, for one repository. Every method either answers or throws a {@link ForgeError}; none retries:
 * the outbox decides what is tried again.
 */
export interface Forge {
  readonly kind: ForgeKind;
  readonly repo: ForgeRepo;
  defaultBranch(): Promise<string>;
  /** The open pull request whose head is `branch` of this repository, if there is one. */
  findOpenPull(branch: string): Promise<ForgePull | null>;
  createPull(req: { title: string; body: string; head: string; base: string }): Promise<ForgePull>;
  updatePull(number: number, req: { title: string; body: string }): Promise<ForgePull>;
  getPull(number: number): Promise<ForgePull>;
  /** Whether the pull request is merged, and with which commit. */
  pullMerge(number: number): Promise<ForgeMerge>;
  /** The first comment on the pull request whose body contains `marker`. */
  findComment(pull: number, marker: string): Promise<ForgeComment | null>;
  createComment(pull: number, body: string): Promise<ForgeComment>;
  /** Replaces the body of a comment on the pull request (GitLab addresses a note through its merge request). */
  updateComment(pull: number, id: number, body: string): Promise<ForgeComment>;
  /** The users and teams asked to review the pull request now (not those who have reviewed already). */
  requestedReviewers(pull: number): Promise<ReviewRequest>;
  /** Asks these users and teams to review the pull request; those asked already stay asked. */
  requestReviewers(pull: number, req: ReviewRequest): Promise<void>;
  /** The latest status of each context of a commit. */
  listStatuses(sha: string): Promise<CommitStatus[]>;
  setStatus(sha: string, status: CommitStatus): Promise<void>;
  /** Check runs and commit statuses of a commit, one entry a name (the latest). */
  checks(sha: string): Promise<ForgeCheck[]>;
  /**
   * The deployments of a commit, each with its latest state, newest first. Absent on a forge whose API has no
   * deployments (Gitea, Forgejo).
   */
  deployments?(sha: string): Promise<ForgeDeployment[]>;
  /** The login of the user the token acts as (the agent's forge identity). Absent where the client cannot tell. */
  currentUser?(): Promise<string>;
  /** The pull request's author, head, labels and standing approvals. Absent where the client cannot read them. */
  reviewState?(pull: number): Promise<ForgeReviewState>;
  /**
   * The logins of a team's members, the team as CODEOWNERS writes it (`org/team`; GitLab: `group/subgroup`). Absent
   * where the forge has no teams the client can read.
   */
  teamMembers?(team: string): Promise<string[]>;
}

/** A failed request: `status` is the HTTP status (0 when none came back); `retryable` says whether to try again. */
export class ForgeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}

/** Where a forge is and how to reach it; the token is read by the engine, never stored with the config. */
export interface ForgeSpec {
  readonly kind: ForgeKind;
  readonly repo: ForgeRepo;
  /**
   * The REST API's base URL: `https://api.github.com` (a GitHub Enterprise server's `/api/v3`), a GitLab server's
   * `/api/v4`, a Gitea or Forgejo server's `/api/v1`.
   */
  readonly apiUrl: string;
  readonly token: string;
}

/** Opens a forge client; wired by the composition root, which loads the client's library only when asked. */
export type ForgeOpener = (spec: ForgeSpec) => Promise<Forge>;
