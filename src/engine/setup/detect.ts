/**
 * @module Repository detection for `autopilot init`: languages, package
 * managers, test runners (and how to make each write JUnit XML and lcov),
 * linters, build commands, the CI provider and the agents already set up.
 * It reads files, and with a probe asks the machine which programs are on
 * PATH and what Python can import; nothing of the repository is run. What it
 * finds is a guess that init writes into the config with a comment, for a
 * person to check.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CommandsInput } from '../../core/config.ts';
import type { CoverageFormat, TestReportFormat } from '../../core/report-formats.ts';

/** A command as the config takes it. */
export interface DetectedCommand {
  readonly run: readonly string[];
}

/** The reports a test command writes, as the config takes them. */
export interface DetectedReports {
  readonly junit?: string;
  readonly lcov?: string;
  readonly report?: { readonly format: TestReportFormat; readonly path: string };
  readonly coverage?: {
    readonly format: CoverageFormat;
    readonly path: string;
    readonly sourceRoot?: string;
    readonly modulePrefix?: string;
  };
}

/** A test runner and the command that makes it write a test report (and a coverage report where the tool can). */
export interface DetectedTestRunner {
  readonly name:
    'vitest' | 'jest' | 'mocha' | 'node:test' | 'pytest' | 'go test' | 'maven-surefire' | 'gradle' | 'cargo-nextest';
  readonly language: Language;
  readonly command: DetectedCommand & DetectedReports;
  /** What a person should know or add (a reporter package, a config table). */
  readonly notes: readonly string[];
}

export interface DetectedTool {
  readonly name: string;
  readonly language: Language;
  readonly command: DetectedCommand;
  readonly notes: readonly string[];
}

/** Tests detection found but cannot give a command for (no runner that writes a report), with what to do. */
export interface UntestableSuite {
  readonly name: string;
  readonly language: Language;
  readonly notes: readonly string[];
}

export type Language = 'javascript' | 'typescript' | 'python' | 'go' | 'java' | 'rust';

/** The agents (and agent files) a repository is set up for. */
export interface DetectedAgents {
  /** `.claude/` or CLAUDE.md. */
  readonly claude: boolean;
  /** `.codex/`, or Codex's config in the home folder. */
  readonly codex: boolean;
  /** `.cursor/` or `.cursorrules`. */
  readonly cursor: boolean;
  /** AGENTS.md, which Codex, Cursor and others read. */
  readonly agentsMd: boolean;
  /** `.mcp.json`, the project's MCP servers (Claude Code and others). */
  readonly mcpJson: boolean;
}

export interface Detection {
  readonly languages: readonly Language[];
  /** npm, pnpm, yarn, bun, pip, poetry, uv, go, maven, gradle, cargo. */
  readonly packageManagers: readonly string[];
  readonly testRunners: readonly DetectedTestRunner[];
  readonly linters: readonly DetectedTool[];
  readonly builds: readonly DetectedTool[];
  /** Test suites without a command that writes a report (unittest without pytest), and what to install. */
  readonly untestable: readonly UntestableSuite[];
  /** github-actions, gitlab-ci, circleci, jenkins, azure-pipelines, bitbucket-pipelines, buildkite, travis. */
  readonly ci: readonly string[];
  /** The test and lint steps of the CI workflows that are plain commands, and those that could not be wired. */
  readonly ciSteps?: CiSteps;
  readonly agents: DetectedAgents;
}

/** A CI step wired as one of `commands.ci`: its name and its command as an argument list. */
export interface CiStep {
  readonly name: string;
  readonly run: readonly string[];
  /** The workflow file it came from. */
  readonly file: string;
}

export interface CiSteps {
  readonly steps: readonly CiStep[];
  /** Test or lint steps that are shell scripts, not plain commands: named in the config's comment, not wired. */
  readonly skipped: readonly { readonly file: string; readonly command: string }[];
}

const JUNIT = 'reports/junit.xml';
const LCOV = 'coverage/lcov.info';

function read(root: string, rel: string, max = 1024 * 1024): string | undefined {
  try {
    const path = join(root, rel);
    if (!statSync(path).isFile() || statSync(path).size > max) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const has = (root: string, rel: string) => existsSync(join(root, rel));
const isDir = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

interface PackageJson {
  readonly scripts?: Record<string, unknown>;
  readonly dependencies?: Record<string, unknown>;
  readonly devDependencies?: Record<string, unknown>;
  readonly packageManager?: unknown;
  readonly eslintConfig?: unknown;
}

function packageJson(root: string): PackageJson | undefined {
  const text = read(root, 'package.json');
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as PackageJson) : {};
  } catch {
    return {};
  }
}

function nodeManager(root: string, pkg: PackageJson): 'npm' | 'pnpm' | 'yarn' | 'bun' {
  const declared = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  if (declared === 'pnpm' || declared === 'yarn' || declared === 'npm' || declared === 'bun') return declared;
  if (has(root, 'pnpm-lock.yaml')) return 'pnpm';
  if (has(root, 'yarn.lock')) return 'yarn';
  if (has(root, 'bun.lockb') || has(root, 'bun.lock')) return 'bun';
  return 'npm';
}

// How a package manager runs a package's binary.
const EXEC: Record<string, readonly string[]> = { npm: ['npx'], pnpm: ['pnpm', 'exec'], yarn: ['yarn'], bun: ['bunx'] };

// The arguments of a plain `node … --test …` script (no shell syntax), for node:test.
function nodeTestArgs(script: string): string[] | undefined {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node' || !words.includes('--test')) return undefined;
  if (!words.every((w) => /^[\w./@:=*+,-]+$/.test(w))) return undefined;
  return words.slice(1).filter((w) => !w.startsWith('--test-reporter') && w !== '--experimental-test-coverage');
}

function detectNode(root: string, out: Builder): void {
  const pkg = packageJson(root);
  if (!pkg) return;
  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  const dep = (name: string) => Object.hasOwn(deps, name);
  const typescript = dep('typescript') || has(root, 'tsconfig.json');
  const language: Language = typescript ? 'typescript' : 'javascript';
  out.language(language);
  const pm = nodeManager(root, pkg);
  out.manager(pm);
  const x = EXEC[pm] ?? ['npx'];
  const script = typeof pkg.scripts?.['test'] === 'string' ? pkg.scripts['test'] : '';
  const mentions = (word: string) => new RegExp(`(^|[\\s/])${word}(\\s|$)`).test(script);
  const order: DetectedTestRunner['name'][] = [];
  // The test script says which runner the project uses; dependencies say which it has.
  for (const [name, word] of [
    ['vitest', 'vitest'],
    ['jest', 'jest'],
    ['mocha', 'mocha'],
  ] as const)
    if (mentions(word)) order.push(name);
  if (/\bnode\b.*\s--test\b/.test(script) || /\btsx\b.*\s--test\b/.test(script)) order.push('node:test');
  for (const name of ['vitest', 'jest', 'mocha'] as const) if (dep(name) && !order.includes(name)) order.push(name);
  for (const name of order) {
    switch (name) {
      case 'vitest': {
        const coverage = dep('@vitest/coverage-v8') || dep('@vitest/coverage-istanbul');
        out.test({
          name,
          language,
          command: {
            run: [
              ...x,
              'vitest',
              'run',
              '--reporter=default',
              '--reporter=junit',
              `--outputFile.junit=${JUNIT}`,
              ...(coverage
                ? ['--coverage.enabled', '--coverage.reporter=lcov', '--coverage.reportsDirectory=coverage']
                : []),
            ],
            junit: JUNIT,
            ...(coverage ? { lcov: LCOV } : {}),
          },
          notes: coverage
            ? []
            : [
                'for coverage add @vitest/coverage-v8, then --coverage.enabled --coverage.reporter=lcov and lcov: coverage/lcov.info',
              ],
        });
        break;
      }
      case 'jest':
        out.test({
          name,
          language,
          command: {
            run: [
              ...x,
              'jest',
              '--ci',
              '--reporters=default',
              '--reporters=jest-junit',
              '--coverage',
              '--coverageReporters=lcov',
            ],
            junit: 'junit.xml',
            lcov: LCOV,
          },
          notes: dep('jest-junit') ? [] : ['jest-junit writes the JUnit report: add it as a dev dependency'],
        });
        break;
      case 'mocha': {
        const c8 = dep('c8');
        const mocha = ['mocha', '--reporter', 'mocha-junit-reporter', '--reporter-options', `mochaFile=${JUNIT}`];
        out.test({
          name,
          language,
          command: {
            run: c8 ? [...x, 'c8', '--reporter=lcov', '--reporter=text', ...mocha] : [...x, ...mocha],
            junit: JUNIT,
            ...(c8 ? { lcov: LCOV } : {}),
          },
          notes: [
            ...(dep('mocha-junit-reporter')
              ? []
              : ['mocha-junit-reporter writes the JUnit report: add it as a dev dependency']),
            ...(c8 ? [] : ['for coverage add c8 and run mocha under `c8 --reporter=lcov`']),
          ],
        });
        break;
      }
      case 'node:test': {
        const args = nodeTestArgs(script) ?? ['--test'];
        const at = args.indexOf('--test') + 1;
        const reporters = [
          '--experimental-test-coverage',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=junit',
          `--test-reporter-destination=${JUNIT}`,
          '--test-reporter=lcov',
          `--test-reporter-destination=${LCOV}`,
        ];
        out.test({
          name,
          language,
          command: { run: ['node', ...args.slice(0, at), ...reporters, ...args.slice(at)], junit: JUNIT, lcov: LCOV },
          notes: [],
        });
        break;
      }
      default:
        break;
    }
  }
  const eslintConfig = [
    'eslint.config.js',
    'eslint.config.mjs',
    'eslint.config.cjs',
    'eslint.config.ts',
    '.eslintrc',
    '.eslintrc.js',
    '.eslintrc.cjs',
    '.eslintrc.json',
    '.eslintrc.yml',
    '.eslintrc.yaml',
  ];
  if (dep('eslint') || pkg.eslintConfig !== undefined || eslintConfig.some((f) => has(root, f)))
    out.lint({ name: 'eslint', language, command: { run: [...x, 'eslint', '.'] }, notes: [] });
  if (dep('@biomejs/biome') || has(root, 'biome.json') || has(root, 'biome.jsonc'))
    out.lint({ name: 'biome', language, command: { run: [...x, 'biome', 'check', '.'] }, notes: [] });
  if (typeof pkg.scripts?.['build'] === 'string')
    out.build({ name: `${pm} run build`, language, command: { run: [pm, 'run', 'build'] }, notes: [] });
  else if (typescript)
    out.build({
      name: 'tsc',
      language,
      command: { run: [...x, 'tsc', '--noEmit'] },
      notes: ['no build script: the type check stands in for the build'],
    });
}

/**
 * What detection may ask of the machine beyond the repository's files: which programs are on PATH and what
 * a Python interpreter can import. Without one, detection reads files only and assumes `python3` and nothing
 * importable.
 */
export interface DetectProbe {
  /** Whether `name` is an executable on PATH. */
  onPath(name: string): boolean;
  /** Whether `python` (an interpreter on PATH) can import `module`. */
  pythonHas(python: string, module: string): boolean;
}

// Test files of the standard library's unittest: test*.py (at the top, or in test/ or tests/) that import it.
function unittestFiles(root: string): string[] {
  const found: string[] = [];
  for (const dir of ['.', 'test', 'tests']) {
    let names: string[];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!/^test.*\.py$/.test(name)) continue;
      const rel = dir === '.' ? name : `${dir}/${name}`;
      if (/^\s*(import unittest\b|from unittest\b)/m.test(read(root, rel, 256 * 1024) ?? '')) found.push(rel);
    }
  }
  return found;
}

function detectPython(root: string, out: Builder, probe: DetectProbe | undefined): void {
  const pyproject = read(root, 'pyproject.toml') ?? '';
  const requirements = ['requirements.txt', 'requirements-dev.txt', 'requirements_dev.txt', 'dev-requirements.txt']
    .map((f) => read(root, f) ?? '')
    .join('\n');
  const setupCfg = read(root, 'setup.cfg') ?? '';
  const tox = read(root, 'tox.ini') ?? '';
  const nox = read(root, 'noxfile.py') ?? '';
  const makefile = read(root, 'Makefile') ?? '';
  const unittests = unittestFiles(root);
  if (
    !pyproject &&
    !requirements.trim() &&
    !has(root, 'setup.py') &&
    !setupCfg &&
    !has(root, 'Pipfile') &&
    !tox &&
    !nox &&
    unittests.length === 0
  )
    return;
  out.language('python');
  const all = `${pyproject}\n${requirements}\n${setupCfg}\n${read(root, 'Pipfile') ?? ''}`;
  const mentions = (name: string, text = all) => new RegExp(`(^|[^\\w-])${name}([^\\w-]|$)`, 'm').test(text);
  // The interpreter that exists: stock Debian has python3 and no `python`.
  const python = !probe || probe.onPath('python3') || !probe.onPath('python') ? 'python3' : 'python';
  const importable = (module: string) => probe?.pythonHas(python, module) ?? false;
  let prefix: string[];
  if (/^\[tool\.poetry\]/m.test(pyproject) || has(root, 'poetry.lock')) {
    out.manager('poetry');
    prefix = ['poetry', 'run'];
  } else if (/^\[tool\.uv\]/m.test(pyproject) || has(root, 'uv.lock')) {
    out.manager('uv');
    prefix = ['uv', 'run'];
  } else {
    out.manager('pip');
    prefix = [python, '-m'];
  }
  // Where a project says how it runs its tests: tox's commands, nox's sessions, a Makefile.
  const runners = `${tox}\n${nox}\n${makefile}`;
  const via = [...(tox ? ['tox.ini'] : []), ...(nox ? ['noxfile.py'] : [])];
  const viaNote = via.length
    ? [
        `${via.join(' and ')} found: Autopilot runs the tests with ${prefix[0]} directly (tox and nox build virtualenvs from the network); keep the two in step`,
      ]
    : [];
  const pytestConfigured =
    /^\[tool\.pytest/m.test(pyproject) ||
    has(root, 'pytest.ini') ||
    has(root, 'conftest.py') ||
    has(root, 'tests/conftest.py') ||
    /^\[tool:pytest\]/m.test(setupCfg) ||
    /^\[pytest\]/m.test(tox) ||
    mentions('pytest') ||
    mentions('pytest', runners);
  const unittest =
    unittests.length > 0 ||
    /-m\s+unittest\b/.test(runners) ||
    /["']unittest["']/.test(nox) ||
    mentions('unittest', runners);
  // pytest runs unittest's TestCases too, and writes JUnit, which the standard library cannot.
  const pytest = pytestConfigured || (unittest && (prefix[0] !== python || importable('pytest')));
  if (pytest) {
    const cov = mentions('pytest-cov') || (prefix[0] === python && importable('pytest_cov'));
    out.test({
      name: 'pytest',
      language: 'python',
      command: {
        run: [...prefix, 'pytest', `--junitxml=${JUNIT}`, ...(cov ? ['--cov=.', `--cov-report=lcov:${LCOV}`] : [])],
        junit: JUNIT,
        ...(cov ? { lcov: LCOV } : {}),
      },
      notes: [
        ...(pytestConfigured
          ? []
          : [
              `unittest suites (${unittests.join(', ') || 'run by ' + via.join(', ')}), run through pytest, which writes JUnit`,
            ]),
        ...(cov
          ? []
          : [
              'for coverage add pytest-cov (coverage.py), then --cov=. --cov-report=lcov:coverage/lcov.info and lcov: coverage/lcov.info',
            ]),
        ...viaNote,
      ],
    });
  } else if (unittest) {
    out.untestable({
      name: 'unittest',
      language: 'python',
      notes: [
        `unittest suites found (${unittests.join(', ') || 'run by ' + via.join(', ')}), but pytest is not installed for ${python}, and the standard library writes no JUnit report`,
        `install pytest (Debian: apt-get install python3-pytest python3-pytest-cov; else pip install pytest pytest-cov), which runs unittest suites, then set:`,
        `test: { run: [${python}, -m, pytest, --junitxml=${JUNIT}, --cov=., --cov-report=lcov:${LCOV}], junit: ${JUNIT}, lcov: ${LCOV} }`,
      ],
    });
  }
  const run = (tool: string) => (prefix[0] === python ? [python, '-m', tool] : [...prefix, tool]);
  if (/^\[tool\.ruff/m.test(pyproject) || has(root, 'ruff.toml') || has(root, '.ruff.toml') || mentions('ruff')) {
    out.lint({ name: 'ruff', language: 'python', command: { run: [...run('ruff'), 'check', '.'] }, notes: [] });
  } else if (has(root, '.flake8') || /^\[flake8\]/m.test(setupCfg) || /^\[flake8\]/m.test(tox) || mentions('flake8')) {
    out.lint({ name: 'flake8', language: 'python', command: { run: run('flake8') }, notes: [] });
  }
}

function detectGo(root: string, out: Builder): void {
  if (!has(root, 'go.mod')) return;
  out.language('go');
  out.manager('go');
  // `go test -json` and the cover profile are read as they are: no converter to install.
  const module = /^module\s+(\S+)/m.exec(read(root, 'go.mod') ?? '')?.[1];
  out.test({
    name: 'go test',
    language: 'go',
    command: {
      // -count=1: evidence comes from tests that ran now, never from go's cache of earlier results.
      run: [
        'sh',
        '-c',
        'mkdir -p reports && go test -count=1 -json -coverprofile=coverage.out ./... > reports/go-test.json',
      ],
      report: { format: 'go-json', path: 'reports/go-test.json' },
      coverage: { format: 'go', path: 'coverage.out', ...(module ? { modulePrefix: module } : {}) },
    },
    notes: [],
  });
  const golangci = ['.golangci.yml', '.golangci.yaml', '.golangci.toml', '.golangci.json'].some((f) => has(root, f));
  out.lint(
    golangci
      ? { name: 'golangci-lint', language: 'go', command: { run: ['golangci-lint', 'run'] }, notes: [] }
      : { name: 'go vet', language: 'go', command: { run: ['go', 'vet', './...'] }, notes: [] },
  );
  out.build({ name: 'go build', language: 'go', command: { run: ['go', 'build', './...'] }, notes: [] });
}

// A shell step that joins one-file-a-class JUnit reports (Surefire, Gradle) into one file.
function joinReports(dir: string, into: string): string {
  return `mkdir -p ${into.slice(0, into.lastIndexOf('/'))} && { echo '<testsuites>'; for f in ${dir}/TEST-*.xml; do [ -f "$f" ] && sed '1{/^<?xml/d;}' "$f"; done; echo '</testsuites>'; } > ${into}`;
}

function detectJava(root: string, out: Builder): void {
  if (has(root, 'pom.xml')) {
    out.language('java');
    out.manager('maven');
    const mvn = has(root, 'mvnw') ? './mvnw' : 'mvn';
    const jacoco = /jacoco-maven-plugin/.test(read(root, 'pom.xml') ?? '');
    out.test({
      name: 'maven-surefire',
      language: 'java',
      command: {
        run: [
          'sh',
          '-c',
          `${mvn} -B ${jacoco ? 'verify' : 'test'}; status=$?; ${joinReports('target/surefire-reports', 'target/junit.xml')}; exit $status`,
        ],
        junit: 'target/junit.xml',
        ...(jacoco
          ? {
              coverage: {
                format: 'jacoco' as const,
                path: 'target/site/jacoco/jacoco.xml',
                sourceRoot: 'src/main/java',
              },
            }
          : {}),
      },
      notes: [
        'Surefire writes one report a test class in target/surefire-reports/; the command joins them into target/junit.xml',
        ...(jacoco
          ? []
          : [
              "for coverage add jacoco-maven-plugin's report goal; its target/site/jacoco/jacoco.xml is read with format: jacoco",
            ]),
      ],
    });
    out.build({
      name: 'maven package',
      language: 'java',
      command: { run: [mvn, '-B', '-q', '-DskipTests', 'package'] },
      notes: [],
    });
    if (/maven-checkstyle-plugin/.test(read(root, 'pom.xml') ?? ''))
      out.lint({
        name: 'checkstyle',
        language: 'java',
        command: { run: [mvn, '-B', '-q', 'checkstyle:check'] },
        notes: [],
      });
    return;
  }
  if (['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts'].some((f) => has(root, f))) {
    out.language('java');
    out.manager('gradle');
    const gradle = has(root, 'gradlew') ? './gradlew' : 'gradle';
    const jacoco = ['build.gradle', 'build.gradle.kts'].some((f) => /\bjacoco\b/.test(read(root, f) ?? ''));
    out.test({
      name: 'gradle',
      language: 'java',
      command: {
        run: [
          'sh',
          '-c',
          `${gradle} test${jacoco ? ' jacocoTestReport' : ''}; status=$?; ${joinReports('build/test-results/test', 'build/junit.xml')}; exit $status`,
        ],
        junit: 'build/junit.xml',
        ...(jacoco
          ? {
              coverage: {
                format: 'jacoco' as const,
                path: 'build/reports/jacoco/test/jacocoTestReport.xml',
                sourceRoot: 'src/main/java',
              },
            }
          : {}),
      },
      notes: [
        'Gradle writes one report a test class in build/test-results/test/; the command joins them into build/junit.xml',
        ...(jacoco
          ? ['the jacoco plugin writes XML only with jacocoTestReport { reports { xml.required = true } }']
          : ['for coverage apply the jacoco plugin; its XML report is read with format: jacoco']),
      ],
    });
    out.build({ name: 'gradle assemble', language: 'java', command: { run: [gradle, 'assemble'] }, notes: [] });
  }
}

function detectRust(root: string, out: Builder): void {
  if (!has(root, 'Cargo.toml')) return;
  out.language('rust');
  out.manager('cargo');
  const nextest = read(root, '.config/nextest.toml') ?? '';
  const profile = /^\[profile\.([\w-]+)\.junit\]/m.exec(nextest)?.[1] ?? 'ci';
  out.test({
    name: 'cargo-nextest',
    language: 'rust',
    command: { run: ['cargo', 'nextest', 'run', '--profile', profile], junit: `target/nextest/${profile}/junit.xml` },
    notes: [
      ...(nextest.includes(`[profile.${profile}.junit]`)
        ? []
        : [
            `cargo-nextest writes JUnit with a [profile.${profile}.junit] table (path = "junit.xml") in .config/nextest.toml`,
          ]),
      'for coverage run it under cargo llvm-cov nextest --lcov --output-path coverage/lcov.info and set lcov:',
    ],
  });
  out.lint({
    name: 'clippy',
    language: 'rust',
    command: { run: ['cargo', 'clippy', '--all-targets', '--', '-D', 'warnings'] },
    notes: [],
  });
  out.build({ name: 'cargo build', language: 'rust', command: { run: ['cargo', 'build'] }, notes: [] });
}

const CI: readonly (readonly [string, string])[] = [
  ['.github/workflows', 'github-actions'],
  ['.gitlab-ci.yml', 'gitlab-ci'],
  ['.circleci', 'circleci'],
  ['Jenkinsfile', 'jenkins'],
  ['azure-pipelines.yml', 'azure-pipelines'],
  ['bitbucket-pipelines.yml', 'bitbucket-pipelines'],
  ['.buildkite', 'buildkite'],
  ['.travis.yml', 'travis'],
];

function detectCi(root: string): string[] {
  return CI.filter(([path, name]) => {
    if (name !== 'github-actions') return has(root, path);
    try {
      return readdirSync(join(root, path)).some((f) => /\.ya?ml$/.test(f));
    } catch {
      return false;
    }
  }).map(([, name]) => name);
}

/** The probe of this machine: PATH searched as given, Python asked with `-c "import …"` (answers kept). */
export function machineProbe(path = process.env['PATH'] ?? ''): DetectProbe {
  const imports = new Map<string, boolean>();
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  // A name is looked for on PATH; a path (`/usr/bin/python3`) is taken as it is.
  const onPath = (name: string) =>
    name.includes('/')
      ? executable(name)
      : path
          .split(delimiter)
          .filter(isAbsolute)
          .some((d) => executable(join(d, name)));
  return {
    onPath,
    pythonHas(python, module) {
      const key = `${python} ${module}`;
      let answer = imports.get(key);
      if (answer === undefined) {
        answer =
          onPath(python) &&
          /^[A-Za-z_][\w.]*$/.test(module) &&
          // From a neutral folder: a module of the repository's own (a pytest.py) must neither answer nor run.
          spawnSync(python, ['-c', `import ${module}`], { cwd: tmpdir(), stdio: 'ignore', timeout: 20_000 }).status ===
            0;
        imports.set(key, answer);
      }
      return answer;
    },
  };
}

/** The agents a repository is set up for; `home` is where Codex keeps its user config (`~/.codex`). */
export function detectAgents(root: string, home?: string): DetectedAgents {
  return {
    claude: isDir(join(root, '.claude')) || has(root, 'CLAUDE.md'),
    codex:
      isDir(join(root, '.codex')) ||
      (home !== undefined && (existsSync(join(home, '.codex', 'config.toml')) || isDir(join(home, '.codex')))),
    cursor: isDir(join(root, '.cursor')) || has(root, '.cursorrules'),
    agentsMd: has(root, 'AGENTS.md'),
    mcpJson: has(root, '.mcp.json'),
  };
}

class Builder {
  readonly languages: Language[] = [];
  readonly packageManagers: string[] = [];
  readonly testRunners: DetectedTestRunner[] = [];
  readonly linters: DetectedTool[] = [];
  readonly builds: DetectedTool[] = [];
  readonly untestables: UntestableSuite[] = [];
  language(l: Language): void {
    if (!this.languages.includes(l)) this.languages.push(l);
  }
  manager(m: string): void {
    if (!this.packageManagers.includes(m)) this.packageManagers.push(m);
  }
  test(t: DetectedTestRunner): void {
    this.testRunners.push(t);
  }
  lint(t: DetectedTool): void {
    this.linters.push(t);
  }
  build(t: DetectedTool): void {
    this.builds.push(t);
  }
  untestable(t: UntestableSuite): void {
    this.untestables.push(t);
  }
}

/** Detects what the repository at `root` is made of. `home` (default: none) is where a user's Codex config would be. */
export function detectRepository(root: string, opts: { home?: string; probe?: DetectProbe } = {}): Detection {
  const out = new Builder();
  detectNode(root, out);
  detectPython(root, out, opts.probe);
  detectGo(root, out);
  detectJava(root, out);
  detectRust(root, out);
  return {
    languages: out.languages,
    packageManagers: out.packageManagers,
    testRunners: out.testRunners,
    linters: out.linters,
    builds: out.builds,
    untestable: out.untestables,
    ci: detectCi(root),
    ciSteps: detectCiSteps(root),
    agents: detectAgents(root, opts.home),
  };
}

/** A step worth running as a CI command: a test, lint or check step, not an install or a deploy. */
const CHECK_STEP =
  /(^|[\s:/])(test|tests|lint|check|vet|clippy|typecheck|type-check|pytest|jest|vitest|mocha|eslint|biome|ruff|flake8|mypy|golangci-lint|tsc)(?=[\s:]|$)/;
/** Setup and Autopilot's own steps: never wired. */
const SETUP_STEP =
  /^(npm (ci|install|i)\b|yarn( install)?$|pnpm (i|install)\b|bun install|pip3? install|python3? -m pip|poetry install|uv sync|apt-get|sudo|go mod download|.*\bautopilot\b)/;
/** Shell syntax a plain argument list cannot hold. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?{}\[\]~#]|^\S*=/;
/** Keys of .gitlab-ci.yml that are not jobs. */
const GITLAB_KEYWORDS = new Set([
  'stages',
  'variables',
  'default',
  'include',
  'image',
  'services',
  'before_script',
  'after_script',
  'workflow',
  'cache',
  'pages',
]);

/**
 * The test and lint steps of the repository's CI (GitHub Actions `run:` steps, GitLab `script:` lines) that are
 * plain commands, as argument lists for `commands.ci`. A step in shell syntax (pipes, variables, quotes, several
 * lines) is not guessed at: it is listed for the config's comment. Autopilot's own gate workflow is left out.
 */
export function detectCiSteps(root: string): CiSteps {
  const steps: CiStep[] = [];
  const skipped: { file: string; command: string }[] = [];
  const seen = new Set<string>();
  const take = (file: string, name: string, command: unknown) => {
    if (typeof command !== 'string') return;
    const text = command.trim();
    if (!text || SETUP_STEP.test(text) || !CHECK_STEP.test(text)) return;
    if (text.includes('\n') || SHELL_SYNTAX.test(text)) {
      skipped.push({ file, command: text.split('\n')[0]!.slice(0, 120) });
      return;
    }
    const run = text.split(/\s+/);
    if (seen.has(run.join(' '))) return;
    seen.add(run.join(' '));
    steps.push({ name: name.slice(0, 80), run, file });
  };
  const parse = (rel: string): unknown => {
    const text = read(root, rel);
    if (text === undefined) return undefined;
    try {
      return parseYaml(text);
    } catch {
      return undefined;
    }
  };
  const obj = (v: unknown): Record<string, unknown> | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  let workflows: string[] = [];
  try {
    workflows = readdirSync(join(root, '.github', 'workflows'))
      .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('autopilot-gate.'))
      .sort();
  } catch {
    // no GitHub Actions
  }
  for (const f of workflows) {
    const file = `.github/workflows/${f}`;
    for (const [jobName, job] of Object.entries(obj(obj(parse(file))?.['jobs']) ?? {})) {
      const list = obj(job)?.['steps'];
      if (!Array.isArray(list)) continue;
      for (const step of list) {
        const st = obj(step);
        if (st && typeof st['run'] === 'string')
          take(file, typeof st['name'] === 'string' ? st['name'] : `${jobName}: ${st['run'].trim()}`, st['run']);
      }
    }
  }
  const gitlab = obj(parse('.gitlab-ci.yml'));
  for (const [jobName, job] of Object.entries(gitlab ?? {})) {
    if (jobName.startsWith('.') || GITLAB_KEYWORDS.has(jobName)) continue;
    const script = obj(job)?.['script'];
    const lines = typeof script === 'string' ? [script] : Array.isArray(script) ? script : [];
    for (const line of lines) take('.gitlab-ci.yml', `${jobName}: ${String(line).trim()}`, line);
  }
  return { steps, skipped };
}

/** The config's commands from a detection (the first of each kind), with the comment for each that a person should read. */
export function detectedCommands(d: Detection): {
  commands: CommandsInput;
  notes: Partial<Record<'build' | 'test' | 'lint' | 'ci', string>>;
} {
  const commands: {
    build?: { run: string[] };
    test?: NonNullable<CommandsInput['test']>;
    lint?: { run: string[] };
    smoke: [];
    ci: { name: string; run: string[] }[];
  } = { smoke: [], ci: [] };
  const notes: Partial<Record<'build' | 'test' | 'lint' | 'ci', string>> = {};
  const others = (list: readonly { name: string }[]) =>
    list.length > 1
      ? `; also found: ${list
          .slice(1)
          .map((t) => t.name)
          .join(', ')}`
      : '';
  const [test] = d.testRunners;
  if (test) {
    const c = test.command;
    commands.test = {
      run: [...c.run],
      ...(c.junit ? { junit: c.junit } : {}),
      ...(c.report ? { report: { ...c.report } } : {}),
      ...(c.lcov ? { lcov: c.lcov } : {}),
      ...(c.coverage ? { coverage: { ...c.coverage } } : {}),
    };
    notes.test = [`detected: ${test.name} (${test.language})${others(d.testRunners)}; check it`, ...test.notes].join(
      '\n',
    );
  } else if (d.untestable.length > 0) {
    // No command to write: the note says why, and what to install, where the command would be.
    notes.test = d.untestable
      .map((u) => [`detected: ${u.name} (${u.language}); no test command written`, ...u.notes].join('\n'))
      .join('\n');
  }
  const [build] = d.builds;
  if (build) {
    commands.build = { run: [...build.command.run] };
    notes.build = [`detected: ${build.name}${others(d.builds)}; check it`, ...build.notes].join('\n');
  }
  const [lint] = d.linters;
  if (lint) {
    commands.lint = { run: [...lint.command.run] };
    notes.lint = [`detected: ${lint.name}${others(d.linters)}; check it`, ...lint.notes].join('\n');
  }
  const ci = d.ciSteps;
  if (ci && (ci.steps.length > 0 || ci.skipped.length > 0)) {
    commands.ci = ci.steps.map((s) => ({ name: s.name, run: [...s.run] }));
    const files = [...new Set([...ci.steps, ...ci.skipped].map((s) => s.file))].join(', ');
    notes.ci = [
      `detected from ${files}: the test and lint steps that are plain commands; check them (they run in Autopilot's sandbox, without the network unless network: true)`,
      ...ci.skipped.map((s) => `not wired (shell syntax; add it as an argument list if it should run): ${s.command}`),
    ].join('\n');
  }
  return { commands, notes };
}

/** Where each language keeps its tests, by the conventions of its test runners. */
const TEST_GLOBS: Readonly<Record<Language, readonly string[]>> = {
  javascript: ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', 'test/**', 'tests/**'],
  typescript: ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', 'test/**', 'tests/**'],
  python: ['**/test_*.py', '**/*_test.py', '**/conftest.py', 'tests/**', 'test/**'],
  go: ['**/*_test.go', '**/testdata/**'],
  java: ['src/test/**', '**/src/test/**'],
  rust: ['tests/**', 'benches/**'],
};

const JS_EXTENSIONS = ['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx'];
/** Folders a JavaScript or TypeScript project keeps its code in, when it has them. */
const JS_SOURCE_FOLDERS = ['src', 'lib', 'app', 'server', 'client', 'packages'];

/**
 * The config's `verify.sources` and `verify.tests` for what detection found: each language's source folders (or its
 * files by extension where it has none) and its test runners' test layouts. Undefined when no language was found
 * (the config's defaults, every code file, then apply).
 */
export function detectedFileGlobs(
  root: string,
  d: Pick<Detection, 'languages'>,
): { sources: string[]; tests: string[] } | undefined {
  if (d.languages.length === 0) return undefined;
  const sources: string[] = [];
  const tests: string[] = [];
  const add = (list: string[], globs: readonly string[]) => {
    for (const g of globs) if (!list.includes(g)) list.push(g);
  };
  for (const language of d.languages) {
    add(tests, TEST_GLOBS[language]);
    switch (language) {
      case 'javascript':
      case 'typescript': {
        const folders = JS_SOURCE_FOLDERS.filter((f) => isDir(join(root, f)));
        add(sources, folders.length > 0 ? folders.map((f) => `${f}/**`) : JS_EXTENSIONS.map((x) => `**/*.${x}`));
        break;
      }
      case 'python':
        add(sources, [isDir(join(root, 'src')) ? 'src/**/*.py' : '**/*.py']);
        break;
      case 'go':
        add(sources, ['**/*.go']);
        break;
      case 'java':
        add(sources, ['src/main/**', '**/src/main/**']);
        break;
      case 'rust':
        add(sources, ['src/**/*.rs', '**/src/**/*.rs']);
        break;
    }
  }
  return { sources, tests };
}
