/**
 * @module Use case: set Autopilot up in a git repository: state folder, config
 * with the defaults written out, key pair and approval token (in this user's
 * state folder, moved there from the repository where an older installation
 * kept them), store, .gitignore lines. Planning is separate from applying, so
 * `--dry-run` shows exactly what would be written.
 */
import { PACK_DIR, POLICY_PACK, POLICY_PACK_CASES } from '../../core/policy/pack.ts';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { DEFAULT_EVIDENCE, defaultConfig, parseConfig, type CommandsInput, type Config } from '../../core/config.ts';
import { CHECKS, isUnconfigured, waiverReason, type CheckName } from '../../core/waivers.ts';
import { DEFAULT_TOOL_POLICY } from '../../core/policy/policy.ts';
import { ErrorCode, ok, refuse, type Result } from '../../core/errors.ts';
import { isGitRepo, git } from '../repo/git.ts';
import { CONFIG_DIR, CONFIG_FILE, layoutFor, type Layout } from '../repo/layout.ts';
import type { Store } from '../../ports/store.ts';
import { ensureKeyPair, PRIVATE_KEY_FILE } from '../ledger/keys.ts';
import { advanceAnchor, readAnchor } from '../ledger/anchor.ts';
import { APPROVAL_TOKEN, ensureApprovalToken } from '../approvals/token.ts';
import { ensurePrivateDir } from '../repo/user-state.ts';
import { parseConfigText } from '../repo/config-file.ts';
import { planCiFiles } from './ci-workflows.ts';
import { outputPaths } from '../repo/outputs.ts';
import {
  detectAgents,
  detectRepository,
  detectedCommands,
  detectedFileGlobs,
  machineProbe,
  type DetectProbe,
} from './detect.ts';
import { GIT_HOOK_MARK, planWiring, type Launcher } from './agent-wiring.ts';
import { recordGitHooks } from '../repo/git-hooks.ts';
import { packageVersion } from './package-info.ts';
import type { Ecosystem } from '../../core/supply/packages.ts';
import { ecosystemsIn } from '../../core/supply/lockfiles.ts';
import { CONTRACT_TYPES, contractJsonSchema, contractSchemaFile } from '../../core/contracts/schemas.ts';

export interface FileChange {
  /** Relative to the repository root (absolute for a file outside it, such as a git hooks folder elsewhere). */
  readonly path: string;
  readonly action: 'create' | 'update' | 'unchanged';
  readonly before: string | null;
  readonly after: string;
  /** File mode to set (git hooks are executable). */
  readonly mode?: number;
}

/**
 * A secret an older installation kept in the repository (`<stateDir>/keys/`), moved by init to this user's state
 * folder: the copy in the repository is removed. `drop`: the same file is there already, so the repository's copy
 * is only removed.
 */
export interface SecretMove {
  readonly from: string;
  readonly to: string;
  readonly action: 'move' | 'drop';
}

export interface InitPlan {
  readonly root: string;
  readonly changes: FileChange[];
  /** Created on apply besides the files: key pair and approval token (this user's state folder) and store. */
  readonly keysDir: string;
  /** Secrets to move out of the repository into {@link keysDir}. */
  readonly moves: SecretMove[];
  /** What init could not do itself and a person should (a CI include it would not risk writing). */
  readonly notes?: string[];
  /**
   * The checks the config leaves unconfigured and does not waive: each blocks its phase (WAIVER_REQUIRED) until a
   * person configures or waives it, best before the config is committed and the first task adopts it.
   */
  readonly undecided?: CheckName[];
}

export interface InitOptions {
  /** Commands to write into the config (detected or given); others stay as commented examples. */
  readonly commands?: CommandsInput;
  /** A comment above each command in the config: what was detected and what to check. */
  readonly commandNotes?: Partial<Record<'build' | 'test' | 'lint' | 'ci', string>>;
  /**
   * The reason to waive the build check with, when detection found no build step: many repositories have none,
   * and the config says so in writing rather than a build passing on nothing.
   */
  readonly waiveBuild?: string;
  readonly stateDir?: string;
  /** What detection may ask of the machine (programs on PATH, Python's modules); this machine's by default. */
  readonly probe?: DetectProbe;
  /**
   * Wire the agents and git (what `autopilot init` does): the MCP entry, Claude Code's
   * hooks, Codex's and Cursor's where they are set up, git's hooks and AGENTS.md,
   * all starting Autopilot with `launcher`. `home` is where Codex's user config is looked for.
   */
  readonly wiring?: { readonly launcher: Launcher; readonly home?: string };
  /** The version of Autopilot a CI job installs where the repository does not pin it (default: this package's). */
  readonly version?: string;
  /**
   * The ecosystems of the repository's lockfiles: when there are any, the config gets a `supplyChain` section with
   * the defaults and licence lists suited to them.
   */
  readonly ecosystems?: readonly Ecosystem[];
  /** `verify.sources` and `verify.tests` to write (detected per language); the defaults otherwise. */
  readonly fileGlobs?: { readonly sources: readonly string[]; readonly tests: readonly string[] };
  /**
   * Write the policy pack into `.autopilot/policies/pack/` (files that are there already are kept as they are: they
   * are the repository's to edit). Off by default: a repository with policies of its own loads the Cedar engine in
   * every process that reads the config.
   */
  readonly policyPack?: boolean;
}

/** The folders from the root down to `stateDir` (`a/b` gives `a`, `a/b`); none for the root itself. */
function stateFolders(stateDir: string): string[] {
  const parts = stateDir
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

const GITIGNORE_BLOCK = (stateDir: string) =>
  [
    "# Autopilot: the local store and private key stay on this machine, as do the tools' caches",
    `${stateDir}/autopilot.db*`,
    `${stateDir}/keys/`,
    `${stateDir}/telemetry/`,
    `${stateDir}/cache/`,
    `${stateDir}/osv-index/`,
    '# ... and the public keys that check the attestation bundles are committed',
    `!${stateDir}/attestations/keys/`,
    `!${stateDir}/attestations/keys/*.pub.pem`,
    ...UNHIDE_STATE(stateDir),
    '',
  ].join('\n');

/**
 * The state folder itself is never hidden (git does not look inside an ignored folder, so nothing in it could be
 * un-ignored); what in it is committed, its own .gitignore says.
 */
const UNHIDE_STATE = (stateDir: string) => {
  const folders = stateFolders(stateDir);
  return folders.length === 0
    ? []
    : [
        `# ... and the state folder is never hidden: ${folders[folders.length - 1]}/.gitignore keeps its evidence committed`,
        ...folders.map((f) => `!/${f}/`),
      ];
};

/**
 * The state folder's own .gitignore. A .gitignore deeper in the tree wins over the ones above it, so a
 * repository's `*.log` or `*.json` cannot leave Autopilot's evidence or bundles out of a commit.
 */
const STATE_GITIGNORE = [
  '# Autopilot: the evidence and the attestation bundles are committed with the work, whatever a pattern',
  '# elsewhere says (*.log, *.json): this file is deeper than those, so its lines win.',
  '!/evidence/',
  '!/evidence/**',
  '!/attestations/',
  '!/attestations/*.jsonl',
  '!/attestations/keys/',
  '!/attestations/keys/*.pub.pem',
  '',
].join('\n');

/** `text` with every line of `block` it lacks appended (comments only with the lines they introduce). */
function withLines(text: string | null, block: string): string {
  const have = new Set((text ?? '').split('\n').map((l) => l.trim()));
  const lines = block.split('\n');
  const missing = lines.filter((l, i) => {
    if (l === '') return false;
    if (!l.startsWith('#')) return !have.has(l);
    // A comment goes in when a line it stands above does.
    for (let j = i + 1; j < lines.length && lines[j] !== ''; j++) {
      if (lines[j]!.startsWith('#')) {
        if (j === i + 1 || lines[j - 1]!.startsWith('#')) continue; // the same comment, on its next line
        break; // the next comment's lines
      }
      if (!have.has(lines[j]!)) return true;
    }
    return false;
  });
  if (missing.length === 0) return text ?? '';
  const before = text ?? '';
  return `${before}${before && !before.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`;
}

/** What Python's test tools leave in the work tree besides the reports: coverage.py's data file, pytest's cache. */
const PYTHON_LEFTOVERS = ['.coverage', '.pytest_cache/', '__pycache__/'];

/** The .gitignore with a line for each of what the test command writes (reports, coverage) that it does not list yet. */
function withReportLines(text: string, reportLines: readonly string[]): string {
  const listed = new Set(text.split('\n').map((l) => l.trim().replace(/^\//, '')));
  const missing = reportLines.filter((l) => !listed.has(l.replace(/^\//, '')));
  if (missing.length === 0) return text;
  return `${text}${text && !text.endsWith('\n') ? '\n' : ''}# Autopilot: what the test command writes (reports, coverage), never part of a change\n${missing.join('\n')}\n`;
}

/** The reports a test command (as the config takes it) names. */
function reportsOf(test: CommandsInput['test']): string[] {
  if (!test) return [];
  return [test.junit, test.report?.path, test.lcov, test.coverage?.path].filter((p): p is string => p !== undefined);
}

/** What each top-level key of the config is for, in the order the file lists them. */
const SECTION_COMMENTS: readonly (readonly [string, string])[] = [
  ['version', ' The config format version.'],
  ['stateDir', " Where the store, keys, evidence, telemetry, journal and the tools' caches (cache/) live."],
  ['phases', ' The phases, in order. A forward move goes to the next one only.'],
  ['process', " Which phases may send a task back ('any', or a list of phases)."],
  [
    'roles',
    ' Which phase plays each part: implement is where the source changes (Autopilot records the diff there);\n' +
      ' verify runs the build, tests and coverage (autopilot verify, and the CI gate re-runs it); review runs the\n' +
      ' lint command; ci reads the CI results (the forge or commands.ci); monitor runs the smoke commands; seal is\n' +
      ' the phase whose entry writes the attestation bundle the CI gate requires. Each names one of the phases\n' +
      ' above (null: none), implement before verify before seal. After renaming phases, point these at the new names.',
  ],
  ['leases', ' implicit: the first mutating call takes the lease; explicit: take it with `lease acquire`; off.'],
  [
    'watchdog',
    ' A task refused `refusals` times in a row for the same reason, or trying to move forward after `idleMinutes`\n' +
      ' without (0: never), is held for a person (ESCALATED) with a loop diary in its journal; approving releases it.',
  ],
  ['limits', ' Size caps, bytes.'],
  [
    'verify',
    ' coverageThreshold: minimum coverage (percent) of the lines a task changes in source files; a source file no\n' +
      ' test loads counts all its executable lines as unrun, and source changed with no test that runs it fails.\n' +
      " baseCoverage: compare (total coverage may not fall below the base commit's, when a VERIFY measured it) or off.\n" +
      ' sources, tests: globs of the source and test files (init detects them per language; a test glob wins).\n' +
      '   Test files never count toward the coverage; files matching neither (docs, config) count for nothing.\n' +
      ' mutation: mutants of a sample of the changed lines that tests run, each a re-run of the test command in the\n' +
      '   sandbox; a survivor needs a person. enabled, maxMutants, timeoutSeconds (for all of them together),\n' +
      '   threshold (a mutation score under it fails VERIFY; 0: survivors only need a person),\n' +
      "   engine: auto (StrykerJS for JavaScript/TypeScript tested by vitest, jest or mocha; Autopilot's own\n" +
      '   mutations otherwise, or when Stryker cannot run, with the reason), stryker or autopilot.\n' +
      ' impactedFirst (optional): a command run on the tests that reach the change, before the full suite; a failure\n' +
      '   ends VERIFY early. {files} becomes the impacted test files, {packages} their folders (./dir, for go test):\n' +
      "   impactedFirst: { run: [npx, vitest, run, '{files}'] }",
  ],
  [
    'sandbox',
    ' The sandbox evidence commands run in (bubblewrap).\n' +
      ' mode: preferred (unsandboxed, and the evidence says so, where bubblewrap is missing), required, or off.\n' +
      ' workspace: copy (a scratch copy of the repository a run) or readonly (the repository bound read-only).\n' +
      ' dependencies (in a copy): bind (node_modules bound read-only, not copied; the default) or copy (for a\n' +
      '   build that writes into them, such as a generated client).\n' +
      ' memoryMb: data memory a process may have; maxProcesses: processes at once.\n' +
      " The tools' caches under <stateDir>/cache/ (GOCACHE, GOMODCACHE, PIP_CACHE_DIR, npm_config_cache,\n" +
      ' npm_config_store_dir) are the one part of the state folder a command sees, and may write.',
  ],
  [
    'commands',
    ' Commands Autopilot runs for evidence, as argument lists (never a shell string).\n' +
      ' test: its reports are read after the run: junit: PATH and lcov: PATH, or any format with\n' +
      '   report: { format: junit|tap|go-json|jest-json, path: PATH }\n' +
      '   coverage: { format: lcov|cobertura|jacoco|istanbul|go, path: PATH, sourceRoot?: DIR, modulePrefix?: GO_MODULE }\n' +
      ' Each command also takes timeoutSeconds (600), env (variables passed through; the rest is cleared) and network (false).\n' +
      ' Examples:\n' +
      '   test: { run: [npm, test], junit: reports/junit.xml, lcov: coverage/lcov.info }\n' +
      '   test: { run: [python3, -m, pytest, --junitxml=junit.xml, --cov=., --cov-report=xml], junit: junit.xml, coverage: { format: cobertura, path: coverage.xml } }\n' +
      '   lint: { run: [npx, eslint, .] }\n' +
      '   smoke: [{ name: health, run: [curl, -fsS, http://127.0.0.1:8080/health] }]',
  ],
  [
    'tools',
    ' Which tool calls each phase allows, by capability. phases: a list for a phase replaces its default;\n' +
      ' ask: capabilities a person may approve where the phase denies them; mcpServers: what third-party\n' +
      " MCP servers' tools do ({ default: [CAPABILITIES], tools: { NAME: [CAPABILITIES] } }). The defaults:\n" +
      Object.entries(DEFAULT_TOOL_POLICY)
        .map(([phase, caps]) => `   ${phase}: [${caps.join(', ')}]`)
        .join('\n'),
  ],
  [
    'attest',
    " files: the agent's instruction files (globs) whose content is attested; a change is drift.\n" +
      ' blockIn: phases in which drift refuses a move (PROMPT_DRIFT); elsewhere it is a warning.',
  ],
  [
    'approvals',
    " Moves into the phases of enter need a person when the task's risk is at least minRisk (low, medium, high).\n" +
      ' riskyPaths: globs that make a change high-risk; maxLines: a diff with more changed lines is high-risk.',
  ],
  [
    'store',
    ' The ledger, leases and approvals: sqlite (the embedded store in stateDir), sqlite:PATH,\n' +
      ' or postgres://user@host/database for a team. AUTOPILOT_STORE overrides it.',
  ],
  [
    'alerts',
    ' Rules `autopilot alerts` evaluates, for example:\n' +
      '   - { name: skips, metric: phase_skips_attempted, op: gte, threshold: 5, windowHours: 24 }\n' +
      ' metric: task_success_rate, loop_rate, tool_mttr_seconds or a counter; op: gt, gte, lt, lte.',
  ],
  [
    'slo',
    ' loopThreshold: a task loops when it entered one phase more than this many times.\n' +
      ' stuckAfterHours: an active task is stuck once this long has passed without an entry other than a refusal.',
  ],
  [
    'supplyChain',
    ' The supply-chain check of VERIFY (written because the repository has lockfiles): SBOMs of the base and the head,\n' +
      ' the dependency diff, known vulnerabilities and licences, each a VERIFY file.\n' +
      ' osv: the offline OSV database (a folder or a zip of OSV records). VERIFY never fetches: run `autopilot advisories\n' +
      '   update` where there is network to fetch the ecosystems in use into it (large: keep it out of git, or commit it\n' +
      '   for an offline CI). Without it VERIFY refuses and says so.\n' +
      ' failOn: the lowest severity (low, medium, high, critical) that fails VERIFY; a finding without one counts as critical.\n' +
      ' accept: a person accepts a finding: - { id: GHSA-… or CVE-…, reason: why, expires: YYYY-MM-DD }\n' +
      ' npmAudit (not set: off): true also runs npm audit --json for package-lock.json files, which needs the npm\n' +
      '   registry (offline the evidence notes that it did not run); required fails VERIFY then.\n' +
      ' licenses: SPDX ids allowed and denied (a licence must satisfy allow when allow is not empty); unknown: warn or fail.',
  ],
  [
    'evidence',
    ' The evidence contract, phase by phase: the files each phase needs and how each is checked.\n' +
      ' producer: autopilot marks files Autopilot writes itself; nobody else may write them.\n' +
      ' sections: Markdown headings that need real content (minWords of prose, or a list).\n' +
      ' schema: a JSON Schema; assert: values at dotted paths; mustMatch/mustNotMatch: regular expressions.\n' +
      ' distinctWords, repeatedSections, copiedText (Markdown): filler checks, each false to turn it off for the file.\n' +
      " groundedIn: the spec's Acceptance Criteria must name something this file map or diff touches.",
  ],
];

/**
 * The config file's text: every section of the defaults written out, each with a comment, the detected
 * commands with theirs. Parsed back it gives the defaults with those commands.
 */
export function renderConfig(opts: InitOptions = {}): string {
  const defaults = defaultConfig() as unknown as Record<string, unknown>;
  const values: Record<string, unknown> = {
    ...defaults,
    stateDir: opts.stateDir ?? defaults['stateDir'],
    commands: { smoke: [], ci: [], ...opts.commands },
    evidence: DEFAULT_EVIDENCE,
    ...(opts.fileGlobs
      ? {
          verify: {
            ...(defaults['verify'] as Record<string, unknown>),
            sources: [...opts.fileGlobs.sources],
            tests: [...opts.fileGlobs.tests],
          },
        }
      : {}),
    ...(opts.waiveBuild ? { waive: { build: opts.waiveBuild } } : {}),
    ...(opts.ecosystems?.length ? { supplyChain: supplyChainDefaults(opts.ecosystems) } : {}),
  };
  // The known sections in their order, then any other section the defaults have, so that none is left out.
  const order = [
    ...SECTION_COMMENTS.map(([key]) => key).filter((k) => k in values),
    ...Object.keys(values).filter((k) => !SECTION_COMMENTS.some(([key]) => key === k)),
  ];
  const doc = new Document(Object.fromEntries(order.map((k) => [k, values[k]])));
  doc.commentBefore =
    ' Autopilot: the process every task goes through, the evidence each phase needs,\n' +
    ' and the commands Autopilot runs itself. Every key is optional: a missing key\n' +
    ' takes the default shown here. Check a change with `autopilot doctor`.';
  const root = doc.contents as YAMLMap;
  const comment = (key: string, text: string) => {
    const node = root.items.find((p) => (p.key as { value?: unknown }).value === key);
    if (node) (node.key as { commentBefore?: string }).commentBefore = text;
  };
  for (const [key, text] of SECTION_COMMENTS) comment(key, text);
  // What detection found, above each command it wrote, for a person to check.
  const commands = root.get('commands', true);
  const indent = (note: string) =>
    note
      .split('\n')
      .map((l) => ` ${l}`)
      .join('\n');
  if (isMap(commands)) {
    for (const p of commands.items) {
      const key = (p.key as { value?: unknown }).value;
      const note =
        key === 'build' || key === 'test' || key === 'lint' || key === 'ci' ? opts.commandNotes?.[key] : undefined;
      if (note) (p.key as { commentBefore?: string }).commentBefore = indent(note);
    }
    // A note for a command that was not written (tests found, no runner that writes a report) goes on top.
    const unwritten = (['test', 'build', 'lint'] as const).filter(
      (k) => opts.commandNotes?.[k] && !commands.items.some((p) => (p.key as { value?: unknown }).value === k),
    );
    const first = commands.items[0];
    if (unwritten.length > 0 && first) {
      const key = first.key as { commentBefore?: string };
      key.commentBefore = [...unwritten.map((k) => indent(opts.commandNotes![k]!)), key.commentBefore]
        .filter(Boolean)
        .join('\n');
    }
  }
  const evidence = root.get('evidence', true);
  if (isMap(evidence)) {
    for (const p of evidence.items) {
      if (isSeq(p.value)) p.value.flow = false;
    }
  }
  // The checks left unconfigured: never waived silently. The waiver lines stay commented out for a person to decide.
  const note = waiverSuggestions(opts);
  const waive = root.items.find((p) => (p.key as { value?: unknown }).value === 'waive');
  if (note && waive) {
    (waive.key as { commentBefore?: string }).commentBefore = note.about;
    // The suggestions under the waiver that is there, indented as its siblings, to uncomment in place.
    if (note.open.length && isMap(waive.value)) waive.value.comment = note.open.map((l) => ` ${l}`).join('\n');
  } else if (note) {
    doc.comment = [note.about, ...(note.open.length ? [' waive:', ...note.open.map((l) => `   ${l}`)] : [])].join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}

/** Licences every ecosystem's permissive packages use. */
const PERMISSIVE = ['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD', 'Unlicense', 'CC0-1.0', 'Zlib'];

/** Licences common in one ecosystem's dependencies that a team usually accepts (weak copyleft only where it is usual). */
const ECOSYSTEM_LICENSES: Readonly<Record<Ecosystem, readonly string[]>> = {
  npm: ['BlueOak-1.0.0', 'CC-BY-3.0', 'CC-BY-4.0', 'Python-2.0', 'MPL-2.0'],
  PyPI: ['Python-2.0', 'PSF-2.0', 'MPL-2.0', 'HPND'],
  Go: ['MPL-2.0'],
  'crates.io': ['Unicode-3.0', 'Unicode-DFS-2016', 'MPL-2.0', 'BSL-1.0'],
  Maven: ['EPL-1.0', 'EPL-2.0', 'MPL-2.0', 'CDDL-1.0', 'CDDL-1.1'],
};

/** Strong copyleft and source-available licences, denied by default: a person decides before one comes in. */
const DENIED = [
  'GPL-2.0-only',
  'GPL-2.0-or-later',
  'GPL-3.0-only',
  'GPL-3.0-or-later',
  'AGPL-3.0-only',
  'AGPL-3.0-or-later',
  'SSPL-1.0',
];

/** The OSV ecosystems of the lockfiles in the work tree (tracked or not, ignored files left out). */
async function lockfileEcosystems(root: string): Promise<Ecosystem[]> {
  const listed = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (listed.code !== 0) throw new Error(`git ls-files failed: ${listed.stderr.trim()}`);
  return ecosystemsIn(listed.stdout.split('\0').filter(Boolean));
}

/** The `supplyChain` section init writes for a repository whose lockfiles use these ecosystems. */
export function supplyChainDefaults(ecosystems: readonly Ecosystem[]): Record<string, unknown> {
  const allow = [...new Set([...PERMISSIVE, ...ecosystems.flatMap((e) => ECOSYSTEM_LICENSES[e])])];
  return {
    osv: 'advisories/osv',
    failOn: 'high',
    accept: [],
    licenses: { allow, deny: DENIED, unknown: 'warn' },
  };
}

/** What a waiver suggestion says for each check init left unconfigured. */
const SUGGESTED_REASON: Readonly<Record<CheckName, string>> = {
  build: 'no build step: the tests are the check',
  coverage: 'the test runner writes no coverage report',
  lint: 'no linter in this repository',
  ci: 'the CI runs nothing Autopilot can run here',
  smoke: 'nothing is deployed: no smoke test',
};

/**
 * The comment on `waive:`: what it is for, and a commented-out line for each check the config leaves unconfigured
 * (`open`, to uncomment under `waive:`), or undefined when every check is configured.
 */
function waiverSuggestions(opts: InitOptions): { about: string; open: string[] } | undefined {
  const parsed = parseConfig({ commands: { smoke: [], ci: [], ...opts.commands } });
  if (!parsed.ok) return undefined;
  const open = CHECKS.filter((c) => isUnconfigured(parsed.value, c) && !(c === 'build' && opts.waiveBuild));
  if (open.length === 0 && !opts.waiveBuild) return undefined;
  const about = [
    ' waive: checks this repository leaves unconfigured on purpose, each with its reason. An unconfigured',
    ' check blocks its phase (WAIVER_REQUIRED) until it is configured under commands or waived here; a move',
    " that relies on a waiver is recorded with it and needs a person's approval (approvals.waivers: person,",
    ' the default; none records it only).',
    ...(open.length
      ? [' Not configured and not waived, so a person decides: configure them, or uncomment what is true here.']
      : []),
  ].join('\n');
  return { about, open: open.map((c) => `${c}: "${SUGGESTED_REASON[c]}"`) };
}

export async function planInit(cwd: string, opts: InitOptions = {}): Promise<Result<InitPlan>> {
  if (!(await isGitRepo(cwd))) {
    return refuse(
      ErrorCode.USAGE,
      `${cwd} is not inside a git repository; run \`git init\` first, or run init in your repository`,
      {
        argument: 'cwd',
      },
    );
  }
  const root = (await git(cwd, ['rev-parse', '--show-toplevel'])).stdout.trim();
  const changes: FileChange[] = [];
  const configPath = join(CONFIG_DIR, CONFIG_FILE);
  const existingConfig = readOrNull(join(root, configPath));
  let stateDir = opts.stateDir ?? '.autopilot';
  let phases: readonly string[] = defaultConfig().phases;
  let test: CommandsInput['test'];
  // Files only, unless commands are to be detected: then the machine is asked which interpreters and tools it has.
  const detection = detectRepository(
    root,
    opts.commands || existingConfig !== null ? {} : { probe: opts.probe ?? machineProbe() },
  );
  if (existingConfig !== null) {
    // Keep a config the team already has; only check that it is valid.
    const existing = parseConfigText(existingConfig, join(root, configPath));
    stateDir = existing.stateDir;
    phases = existing.phases;
    test = existing.commands.test;
    changes.push({ path: configPath, action: 'unchanged', before: existingConfig, after: existingConfig });
  } else {
    // Without commands given, the config gets the ones detection finds, each with a comment to check it.
    const detected = opts.commands ? undefined : detectedCommands(detection);
    const commands = opts.commands ?? detected?.commands;
    test = commands?.test;
    const commandNotes = { ...detected?.notes, ...opts.commandNotes };
    const fileGlobs = opts.fileGlobs ?? detectedFileGlobs(root, detection);
    // No build step found: written down as a waiver, so that VERIFY records it rather than passing on nothing.
    const waiveBuild =
      opts.waiveBuild ??
      (detected && !detected.commands.build
        ? 'init found no build step (build script, tsc, go build, Maven, Gradle, cargo): the tests are the check; set commands.build and remove this line when there is one'
        : undefined);
    changes.push({
      path: configPath,
      action: 'create',
      before: null,
      after: renderConfig({
        ...opts,
        stateDir,
        ...(commands ? { commands } : {}),
        commandNotes,
        ...(fileGlobs ? { fileGlobs } : {}),
        ...(waiveBuild ? { waiveBuild } : {}),
        ecosystems: opts.ecosystems ?? (await lockfileEcosystems(root)),
      }),
    });
  }
  const gitignore = readOrNull(join(root, '.gitignore'));
  const reportLines = [
    ...(await outputPaths(root, reportsOf(test))).map((o) => (o.folder ? `/${o.path}/` : `/${o.path}`)),
    ...(detection.languages.includes('python') ? PYTHON_LEFTOVERS : []),
  ];
  const after = withReportLines(withLines(gitignore, GITIGNORE_BLOCK(stateDir)), reportLines);
  changes.push({
    path: '.gitignore',
    action: after === (gitignore ?? '') && gitignore !== null ? 'unchanged' : gitignore === null ? 'create' : 'update',
    before: gitignore,
    after,
  });
  if (stateFolders(stateDir).length > 0) {
    const rel = `${stateFolders(stateDir).pop()}/.gitignore`;
    const existing = readOrNull(join(root, rel));
    const next = withLines(existing, STATE_GITIGNORE);
    changes.push({
      path: rel,
      action: existing === null ? 'create' : next === existing ? 'unchanged' : 'update',
      before: existing,
      after: next,
    });
  }
  // The typed contracts' JSON Schemas, for editors and agents that write the documents; regenerated on every init.
  for (const type of CONTRACT_TYPES) {
    const rel = [...stateFolders(stateDir).slice(-1), 'schemas', contractSchemaFile(type)].join('/');
    const existing = readOrNull(join(root, rel));
    const next = `${JSON.stringify(contractJsonSchema(type), null, 2)}\n`;
    changes.push({
      path: rel,
      action: existing === null ? 'create' : next === existing ? 'unchanged' : 'update',
      before: existing,
      after: next,
    });
  }
  if (opts.policyPack) changes.push(...planPolicyPack(root));
  const ci = planCiFiles(root, opts.version ?? packageVersion());
  changes.push(...ci.files);
  const notes = [...ci.notes];
  if (opts.wiring) {
    // git's hooks folder: core.hooksPath when it is set, else the repository's (a worktree's common) hooks folder.
    const hooks = (await git(root, ['rev-parse', '--git-path', 'hooks'])).stdout.trim() || '.git/hooks';
    const wiring = planWiring({
      root,
      gitHooksDir: resolve(root, hooks),
      agents: detectAgents(root, opts.wiring.home),
      launcher: opts.wiring.launcher,
      phases,
    });
    changes.push(...wiring.files);
    notes.push(...wiring.notes);
  }
  const layout = layoutFor(root, stateDir);
  const moves = await planSecretMoves(layout);
  if (!moves.ok) return moves;
  if (moves.value.moves.length > 0)
    notes.push(
      `moves ${moves.value.moves.map((m) => relative(root, m.from)).join(', ')} out of the repository to ${layout.keysDir} (this user's state folder, which the agent cannot reach)`,
      ...moves.value.notes,
    );
  const config = changes.find((c) => c.path === configPath)!.after;
  const written = parseConfigText(config, join(root, configPath));
  const undecided = CHECKS.filter((c) => isUnconfigured(written, c) && waiverReason(written, c) === undefined);
  return ok({ root, changes, keysDir: layout.keysDir, moves: moves.value.moves, notes, undecided });
}

/**
 * The policy pack's files under `.autopilot/policies/pack/`: created where missing, a file there already kept as it
 * is (the repository may have tuned it; its changes are reviewed and committed like any policy).
 */
function planPolicyPack(root: string): FileChange[] {
  const files = { ...POLICY_PACK, 'cases.yaml': POLICY_PACK_CASES };
  return Object.entries(files).map(([name, text]) => {
    const path = [CONFIG_DIR, 'policies', PACK_DIR, name].join('/');
    const existing = readOrNull(join(root, path));
    return existing === null
      ? { path, action: 'create' as const, before: null, after: text }
      : { path, action: 'unchanged' as const, before: existing, after: existing };
  });
}

/** What older installations kept in `<stateDir>/keys/`: the private key, the approval token, the public keys. */
function isRepoSecret(name: string): boolean {
  return name === PRIVATE_KEY_FILE || name === APPROVAL_TOKEN || /^[A-Za-z0-9_-]{1,64}\.pub\.pem$/.test(name);
}

/**
 * The secrets to move out of the repository. Two different private keys (one in the repository, one in this user's
 * state folder) are refused: which one signed the ledger is for a person to say.
 */
async function planSecretMoves(layout: Layout): Promise<Result<{ moves: SecretMove[]; notes: string[] }>> {
  let names: string[];
  try {
    names = readdirSync(layout.repoKeysDir).filter(isRepoSecret).sort();
  } catch {
    return ok({ moves: [], notes: [] });
  }
  const moves: SecretMove[] = [];
  const notes: string[] = [];
  for (const name of names) {
    const from = join(layout.repoKeysDir, name);
    const to = join(layout.keysDir, name);
    if (!statSync(from).isFile()) continue;
    const there = readOrNull(to);
    if (there === null) {
      moves.push({ from, to, action: 'move' });
    } else if (there === readFileSync(from, 'utf8') || name !== PRIVATE_KEY_FILE) {
      // The same file, a public key (named by its own id), or a second token: the one in this user's folder stays.
      moves.push({ from, to, action: 'drop' });
    } else {
      return refuse(
        ErrorCode.CONFIG_INVALID,
        `there are two different signing keys: ${from} in the repository and ${to} in this user's state folder. Keep the one whose key id signed the ledger (\`autopilot ledger show\` names it in each entry's keyId): move the other aside, then run init again`,
        { key: 'keys', reason: 'two keys', files: [from, to] },
      );
    }
  }
  const tracked = moves.length
    ? await git(layout.root, ['ls-files', '--', ...moves.map((m) => m.from)])
    : { code: 0, stdout: '' };
  if (tracked.code === 0 && tracked.stdout.trim())
    notes.push(
      `git tracks ${tracked.stdout.trim().split('\n').join(', ')}: the secret is in the repository's history, so treat it as known: run \`git rm --cached\` on it, and move the key aside and run init again for a new key pair (entries it signed still verify with its public key)`,
    );
  if (moves.some((m) => m.action === 'move' && m.from.endsWith(PRIVATE_KEY_FILE)))
    notes.push(
      'an agent that ran here before could read the moved key: pin the keys the CI gate trusts (AUTOPILOT_TRUSTED_KEYS) to the ones you know',
    );
  return ok({ moves, notes });
}

/** Moves the secrets out of the repository (copy, then remove: the repository's copy must be gone), and its keys folder when empty. */
function applySecretMoves(layout: Layout, moves: readonly SecretMove[]): void {
  for (const m of moves) {
    if (m.action === 'move') {
      const bytes = readFileSync(m.from);
      const tmp = `${m.to}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes, { mode: m.to.endsWith('.pub.pem') ? 0o644 : 0o600, flag: 'w' });
      renameSync(tmp, m.to);
    }
    unlinkSync(m.from);
  }
  if (moves.length > 0) {
    try {
      rmdirSync(layout.repoKeysDir);
    } catch {
      // something else is left in it: it stays, and doctor names any secret among it
    }
  }
}

export interface InitResult {
  readonly plan: InitPlan;
  readonly keyId: string;
  readonly keyCreated: boolean;
}

/** Writes the planned files, creates the key pair and the store. Running it twice changes nothing the second time. */
export async function applyInit(
  plan: InitPlan,
  openStore: (layout: Layout, config: Config) => Promise<Store>,
): Promise<InitResult> {
  for (const c of plan.changes) {
    if (c.action === 'unchanged') continue;
    const abs = isAbsolute(c.path) ? c.path : join(plan.root, c.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, c.after);
    if (c.mode !== undefined) chmodSync(abs, c.mode);
  }
  const config = parseConfigText(readFileSync(join(plan.root, CONFIG_DIR, CONFIG_FILE), 'utf8'), CONFIG_FILE);
  const layout = layoutFor(plan.root, config.stateDir);
  // This user's folder first (0700 all the way down), then what an older installation left in the repository, so
  // that a key moved in is the one kept: a key is created only where there is none.
  ensurePrivateDir(layout.user, layout.keysDir);
  applySecretMoves(layout, plan.moves);
  const { signer, created } = ensureKeyPair(layout.keysDir);
  mkdirSync(layout.evidenceDir, { recursive: true });
  ensureApprovalToken(layout);
  // The digests of the git hooks just written, for doctor and every move to notice a hook switched off or replaced.
  if (plan.changes.some((c) => c.after.includes(GIT_HOOK_MARK))) await recordGitHooks(plan.root);
  const store = await openStore(layout, config);
  try {
    await store.putKey(signer.keyId, signer.publicKeyPem);
    // An installation from before the anchor: its head as it is now is the first anchored one.
    const head = await store.head();
    const [first] = head ? await store.entries({ fromSeq: 1, limit: 1 }) : [];
    if (head && first?.seq === 1 && !readAnchor(layout.user.anchorFile))
      advanceAnchor(layout.user, head, first.hash, store.location ?? '', new Date());
  } finally {
    await store.close();
  }
  return { plan, keyId: signer.keyId, keyCreated: created };
}

function readOrNull(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}
