/**
 * @module The CI jobs init writes so that `autopilot gate` runs on every pull or merge request: GitHub Actions
 * and GitLab CI. The job runs the copy of Autopilot the repository pins and never a bare `npx autopilot`, which
 * would fetch whatever package holds that name: a Node repository with the package among its dependencies
 * installs it with the rest; any other repository installs the exact version that wrote the job.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseAllDocuments } from 'yaml';
import { declaresPackage, LOCAL_NPX } from './agent-wiring.ts';
import { BIN_NAME, PACKAGE_NAME } from './package-info.ts';
import { GATE_WORKFLOW_FILES } from '../repo/layout.ts';

/** A file init would write, in the shape of init's file changes. */
export interface CiFile {
  readonly path: string;
  readonly action: 'create' | 'update' | 'unchanged';
  readonly before: string | null;
  readonly after: string;
}

export const [GITHUB_WORKFLOW, GITLAB_JOB] = GATE_WORKFLOW_FILES as [string, string];

/** CI systems other than GitHub Actions and GitLab CI, by the file or folder that gives them away. */
const OTHER_CI = [
  '.circleci',
  '.travis.yml',
  'Jenkinsfile',
  'azure-pipelines.yml',
  'bitbucket-pipelines.yml',
  '.buildkite',
  '.drone.yml',
  '.woodpecker.yml',
  '.woodpecker',
  'appveyor.yml',
  '.semaphore',
];

/** The install step the re-run of VERIFY needs, from the lock file the repository has. */
function installCommand(root: string): string | undefined {
  if (existsSync(join(root, 'pnpm-lock.yaml'))) return 'corepack enable && pnpm install --frozen-lockfile';
  if (existsSync(join(root, 'yarn.lock'))) return 'corepack enable && yarn install --immutable';
  if (existsSync(join(root, 'package-lock.json'))) return 'npm ci';
  if (existsSync(join(root, 'package.json'))) return 'npm install';
  return undefined;
}

/** Python's and Go's toolchains: the runner's setup and the install of what VERIFY's test command runs. */
export interface Toolchain {
  readonly lang: 'python' | 'go';
  /** The install command, run after the toolchain is set up. */
  readonly install: string;
}

const has = (root: string, ...names: string[]) => names.some((n) => existsSync(join(root, n)));

/**
 * The toolchain of a Python or Go repository. Python: pytest and pytest-cov (init's test command runs pytest
 * and writes coverage through pytest-cov), the requirement files there are, and the project itself when it can be
 * installed (its tests import it). Go: the modules go.mod names.
 */
export function toolchainOf(root: string): Toolchain | undefined {
  if (has(root, 'go.mod')) return { lang: 'go', install: 'go mod download' };
  const requirements = ['requirements.txt', 'requirements-dev.txt', 'requirements-test.txt'].filter((f) =>
    has(root, f),
  );
  const pyproject = has(root, 'pyproject.toml') ? readFileSync(join(root, 'pyproject.toml'), 'utf8') : '';
  const installable = has(root, 'setup.py') || /^\[(build-system|project)\]/m.test(pyproject);
  if (!installable && requirements.length === 0 && !has(root, 'setup.cfg', 'tox.ini', 'pyproject.toml'))
    return undefined;
  const args = ['pytest', 'pytest-cov', ...requirements.map((f) => `-r ${f}`), ...(installable ? ['-e .'] : [])];
  return { lang: 'python', install: `python3 -m pip install ${args.join(' ')}` };
}

/** How a CI job gets Autopilot and runs it. */
export interface GateSteps {
  /** Python or Go: set up on the runner, with the install of what the tests need. */
  readonly toolchain?: Toolchain;
  /** The repository's own install step (for VERIFY's commands, and the package when it is a dependency). */
  readonly install?: string;
  /** The install of the pinned package, when the repository does not have it among its dependencies. */
  readonly installAutopilot?: string;
  /** The command that runs the installed copy: `npx --no-install autopilot` or `autopilot` (a global install). */
  readonly cli: string;
}

/** The steps for the repository at `root`, pinning `version` where the repository does not pin the package itself. */
export function gateSteps(root: string, version: string): GateSteps {
  const install = installCommand(root);
  if (declaresPackage(root)) return { ...(install ? { install } : {}), cli: LOCAL_NPX };
  const toolchain = toolchainOf(root);
  // A global install of the exact version: it leaves the work tree (and so VERIFY's re-run) as it is.
  return {
    ...(toolchain ? { toolchain } : {}),
    ...(install ? { install } : {}),
    installAutopilot: `npm install --global ${PACKAGE_NAME}@${version}`,
    cli: BIN_NAME,
  };
}

const installLines = (s: GateSteps, prefix: string) =>
  (s.install ? `${prefix}${s.install}\n` : '') + (s.installAutopilot ? `${prefix}${s.installAutopilot}\n` : '');

const INSTALL_HERE = 'Install here what the VERIFY commands in .autopilot/config.yaml need.';

// GitHub's runner: the toolchain's setup action, then its install.
function githubToolchain(s: GateSteps): string {
  if (!s.toolchain) return s.install ? '' : `      # ${INSTALL_HERE}\n`;
  const setup =
    s.toolchain.lang === 'go'
      ? '      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n'
      : "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.x'\n";
  return `${setup}      - run: ${s.toolchain.install}\n`;
}

// GitLab's node:20 image is Debian: Python's test tools come from its packages; Go needs a newer toolchain than
// Debian's, which the job cannot guess.
function gitlabToolchain(s: GateSteps): string {
  if (!s.toolchain) return s.install ? '' : `    # ${INSTALL_HERE}\n`;
  if (s.toolchain.lang === 'go')
    return `    # Install the Go toolchain go.mod names here (or run the job in an image that has both Node 20 and Go).\n    - ${s.toolchain.install}\n`;
  const rest = s.toolchain.install.replace(/^python3 -m pip install pytest pytest-cov ?/, '');
  return (
    '    - apt-get update -qq && apt-get install -y -qq python3-pip python3-pytest python3-pytest-cov\n' +
    (rest ? `    - python3 -m pip install --break-system-packages ${rest}\n` : '')
  );
}

/** The GitHub Actions workflow: the gate on every pull request, with the whole history. */
export function githubWorkflow(steps: GateSteps): string {
  return `# Autopilot: the CI gate. On every pull request it checks the committed attestation
# bundles (signatures, hash chain, phase order), the evidence they name, and runs
# VERIFY's build and test commands again (see: ${steps.cli} gate --help).
name: autopilot-gate
on:
  pull_request:
permissions:
  contents: read
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the gate diffs from the base and from each task's base commit
      - uses: actions/setup-node@v4
        with:
          node-version: 20
${githubToolchain(steps)}${installLines(steps, '      - run: ')}      - run: ${steps.cli} gate --base \${{ github.event.pull_request.base.sha }}
        env:
          # Your team's key ids, as a repository variable a branch cannot change: only their signatures count.
          AUTOPILOT_TRUSTED_KEYS: \${{ vars.AUTOPILOT_TRUSTED_KEYS }}
`;
}

/** The GitLab CI job: the gate on every merge request, with the whole history. */
export function gitlabJob(steps: GateSteps): string {
  return `# Autopilot: the CI gate. On every merge request it checks the committed attestation
# bundles (signatures, hash chain, phase order), the evidence they name, and runs
# VERIFY's build and test commands again (see: ${steps.cli} gate --help).
# Include it from .gitlab-ci.yml:
#   include:
#     - local: ${GITLAB_JOB}
autopilot-gate:
  image: node:20
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0" # the gate diffs from the base and from each task's base commit
    # Set AUTOPILOT_TRUSTED_KEYS (your team's key ids) as a protected CI/CD variable:
    # then only their signatures count.
  script:
${gitlabToolchain(steps)}${installLines(steps, '    - ')}    - ${steps.cli} gate --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
`;
}

const INCLUDE = `\n# Autopilot: the CI gate on merge requests\ninclude:\n  - local: ${GITLAB_JOB}\n`;

/**
 * The CI files for the repository at `root`: the GitHub workflow when it has
 * `.github/` or no CI at all, the GitLab job when it has `.gitlab-ci.yml`. A file
 * that exists is kept as it is. `.gitlab-ci.yml` gets an `include:` appended only
 * when it has none; otherwise a note says what to add. `version` is the version of
 * Autopilot a job installs where the repository does not pin it.
 */
export function planCiFiles(root: string, version: string): { files: CiFile[]; notes: string[] } {
  const files: CiFile[] = [];
  const notes: string[] = [];
  const read = (rel: string) => (existsSync(join(root, rel)) ? readFileSync(join(root, rel), 'utf8') : null);
  const keep = (rel: string, fresh: string): CiFile => {
    const before = read(rel);
    return before === null
      ? { path: rel, action: 'create', before, after: fresh }
      : { path: rel, action: 'unchanged', before, after: before };
  };
  const steps = gateSteps(root, version);
  const hasGithub = existsSync(join(root, '.github'));
  const gitlabCi = read('.gitlab-ci.yml');
  const other = OTHER_CI.filter((f) => existsSync(join(root, f)));
  if (hasGithub || (gitlabCi === null && other.length === 0)) files.push(keep(GITHUB_WORKFLOW, githubWorkflow(steps)));
  if (gitlabCi !== null) {
    files.push(keep(GITLAB_JOB, gitlabJob(steps)));
    const included = gitlabCi.includes(GITLAB_JOB);
    const docs = parseAllDocuments(gitlabCi);
    const single = Array.isArray(docs) && docs.length === 1 ? docs[0] : undefined;
    const appendable =
      !!single &&
      single.errors.length === 0 &&
      isMap(single.contents) &&
      !single.contents.flow &&
      !single.contents.has('include');
    if (included) files.push({ path: '.gitlab-ci.yml', action: 'unchanged', before: gitlabCi, after: gitlabCi });
    else if (appendable)
      files.push({
        path: '.gitlab-ci.yml',
        action: 'update',
        before: gitlabCi,
        after: `${gitlabCi}${gitlabCi.endsWith('\n') ? '' : '\n'}${INCLUDE}`,
      });
    else notes.push(`add the CI gate to .gitlab-ci.yml: under include:, add "- local: ${GITLAB_JOB}"`);
  }
  if (other.length > 0 && !hasGithub) {
    notes.push(
      `found ${other.join(', ')}: add a job there that runs, on the full history, ${steps.installAutopilot ? `${steps.installAutopilot} then ` : ''}${steps.cli} gate --base <the pull request's base commit>`,
    );
  }
  return { files, notes };
}
