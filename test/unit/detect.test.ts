/**
 * Unit: repository detection on the fixture repositories in
 * test/fixtures/repos/: languages, package managers, test runners and the
 * commands that make them write JUnit (and lcov), linters, builds, CI, agents;
 * and the config commands init writes from them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import {
  detectAgents,
  detectRepository,
  detectedCommands,
  detectedFileGlobs,
  machineProbe,
  type DetectProbe,
  type Detection,
} from '../../src/engine/setup/detect.ts';

const REPOS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'repos');
const TMP = mkdtempSync(join(tmpdir(), 'autopilot-detect-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
/** A home folder without a Codex config, so that the machine's own does not count. */
const HOME = mkdtempSync(join(TMP, 'home-'));
const detect = (name: string): Detection => detectRepository(join(REPOS, name), { home: HOME });

describe('repository detection', () => {
  it('node with npm and vitest: JUnit and lcov flags, eslint, the build script, GitHub Actions', () => {
    const d = detect('node-npm-vitest');
    assert.deepEqual(d.languages, ['typescript']);
    assert.deepEqual(d.packageManagers, ['npm']);
    assert.deepEqual(
      d.testRunners.map((t) => t.name),
      ['vitest'],
    );
    const test = d.testRunners[0]!;
    assert.deepEqual(test.command.run, [
      'npx',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=junit',
      '--outputFile.junit=reports/junit.xml',
      '--coverage.enabled',
      '--coverage.reporter=lcov',
      '--coverage.reportsDirectory=coverage',
    ]);
    assert.equal(test.command.junit, 'reports/junit.xml');
    assert.equal(test.command.lcov, 'coverage/lcov.info');
    assert.deepEqual(test.notes, []);
    assert.deepEqual(
      d.linters.map((l) => [l.name, l.command.run]),
      [['eslint', ['npx', 'eslint', '.']]],
    );
    assert.deepEqual(
      d.builds.map((b) => b.command.run),
      [['npm', 'run', 'build']],
    );
    assert.deepEqual(d.ci, ['github-actions']);
  });

  it('node with pnpm and jest: jest-junit is named when it is missing; GitLab CI', () => {
    const d = detect('node-pnpm-jest');
    assert.deepEqual(d.languages, ['javascript']);
    assert.deepEqual(d.packageManagers, ['pnpm']);
    const [test] = d.testRunners;
    assert.equal(test?.name, 'jest');
    assert.deepEqual(test?.command.run.slice(0, 3), ['pnpm', 'exec', 'jest']);
    assert.ok(test?.command.run.includes('--reporters=jest-junit'));
    assert.equal(test?.command.junit, 'junit.xml');
    assert.equal(test?.command.lcov, 'coverage/lcov.info');
    assert.match(test?.notes.join(' ') ?? '', /jest-junit/);
    assert.deepEqual(d.ci, ['gitlab-ci']);
    assert.deepEqual(d.builds, []);
  });

  it('node with yarn and mocha: mocha-junit-reporter under c8 for lcov; biome', () => {
    const d = detect('node-yarn-mocha');
    assert.deepEqual(d.packageManagers, ['yarn']);
    const [test] = d.testRunners;
    assert.equal(test?.name, 'mocha');
    assert.deepEqual(test?.command.run, [
      'yarn',
      'c8',
      '--reporter=lcov',
      '--reporter=text',
      'mocha',
      '--reporter',
      'mocha-junit-reporter',
      '--reporter-options',
      'mochaFile=reports/junit.xml',
    ]);
    assert.equal(test?.command.lcov, 'coverage/lcov.info');
    assert.deepEqual(test?.notes, []);
    assert.deepEqual(
      d.linters.map((l) => l.name),
      ['biome'],
    );
  });

  it("node:test: the script's own arguments, with the junit and lcov reporters added", () => {
    const d = detect('node-npm-nodetest');
    const [test] = d.testRunners;
    assert.equal(test?.name, 'node:test');
    assert.deepEqual(test?.command.run, [
      'node',
      '--test',
      '--experimental-test-coverage',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=junit',
      '--test-reporter-destination=reports/junit.xml',
      '--test-reporter=lcov',
      '--test-reporter-destination=coverage/lcov.info',
      'test/',
    ]);
    assert.deepEqual(d.ci, []);
  });

  it('python with pip: python3 -m pytest --junitxml with pytest-cov lcov; ruff', () => {
    const d = detect('python-pytest');
    assert.deepEqual(d.languages, ['python']);
    assert.deepEqual(d.packageManagers, ['pip']);
    const [test] = d.testRunners;
    assert.deepEqual(test?.command.run, [
      'python3',
      '-m',
      'pytest',
      '--junitxml=reports/junit.xml',
      '--cov=.',
      '--cov-report=lcov:coverage/lcov.info',
    ]);
    assert.equal(test?.command.lcov, 'coverage/lcov.info');
    assert.deepEqual(
      d.linters.map((l) => l.command.run),
      [['python3', '-m', 'ruff', 'check', '.']],
    );
  });

  it('python with poetry: poetry run pytest; coverage.py is named when pytest-cov is missing', () => {
    const d = detect('python-poetry');
    assert.deepEqual(d.packageManagers, ['poetry']);
    const [test] = d.testRunners;
    assert.deepEqual(test?.command.run, ['poetry', 'run', 'pytest', '--junitxml=reports/junit.xml']);
    assert.equal(test?.command.lcov, undefined);
    assert.match(test?.notes.join(' ') ?? '', /pytest-cov/);
    assert.deepEqual(d.linters, []);
  });

  it('python with uv: uv run pytest with coverage; uv run ruff', () => {
    const d = detect('python-uv');
    assert.deepEqual(d.packageManagers, ['uv']);
    assert.deepEqual(d.testRunners[0]?.command.run, [
      'uv',
      'run',
      'pytest',
      '--junitxml=reports/junit.xml',
      '--cov=.',
      '--cov-report=lcov:coverage/lcov.info',
    ]);
    assert.deepEqual(
      d.linters.map((l) => l.command.run),
      [['uv', 'run', 'ruff', 'check', '.']],
    );
  });

  /** A machine that has `programs` on PATH and whose Python imports `modules`. */
  const machine = (programs: string[], modules: string[]): DetectProbe => ({
    onPath: (name) => programs.includes(name),
    pythonHas: (python, module) => programs.includes(python) && modules.includes(module),
  });
  /** A repository of the given files, in a folder of its own. */
  const repoOf = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(TMP, 'py-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    return dir;
  };
  const UNITTEST =
    'import unittest\n\nclass T(unittest.TestCase):\n    def test_one(self):\n        self.assertTrue(True)\n';

  it('python unittest suites run through pytest where pytest is installed (it writes JUnit), with pytest-cov when importable', () => {
    const dir = repoOf({ 'tests/test_calc.py': UNITTEST, 'calc.py': 'def add(a, b):\n    return a + b\n' });
    const d = detectRepository(dir, { home: HOME, probe: machine(['python3'], ['pytest', 'pytest_cov']) });
    assert.deepEqual(d.languages, ['python']);
    const [test] = d.testRunners;
    assert.deepEqual(test?.command.run, [
      'python3',
      '-m',
      'pytest',
      '--junitxml=reports/junit.xml',
      '--cov=.',
      '--cov-report=lcov:coverage/lcov.info',
    ]);
    assert.match(test?.notes.join('\n') ?? '', /unittest suites \(tests\/test_calc\.py\), run through pytest/);
    const bare = detectRepository(dir, { home: HOME, probe: machine(['python3'], ['pytest']) });
    assert.deepEqual(bare.testRunners[0]?.command.run, ['python3', '-m', 'pytest', '--junitxml=reports/junit.xml']);
    assert.match(bare.testRunners[0]?.notes.join(' ') ?? '', /for coverage add pytest-cov/);
  });

  it('python unittest without pytest: no test command, and a note that says what to install', () => {
    const dir = repoOf({ 'test_calc.py': UNITTEST });
    const d = detectRepository(dir, { home: HOME, probe: machine(['python3'], []) });
    assert.deepEqual(d.testRunners, []);
    assert.deepEqual(
      d.untestable.map((u) => u.name),
      ['unittest'],
    );
    const { commands, notes } = detectedCommands(d);
    assert.equal(commands.test, undefined);
    assert.match(notes.test ?? '', /^detected: unittest \(python\); no test command written\n/);
    assert.match(notes.test ?? '', /standard library writes no JUnit report/);
    assert.match(notes.test ?? '', /apt-get install python3-pytest python3-pytest-cov/);
  });

  it('python: tox.ini and noxfile.py say how the tests run; their runner is used, never tox or nox themselves', () => {
    const tox = repoOf({
      'tox.ini': '[tox]\nenvlist = py311\n\n[testenv]\ncommands = python -m unittest discover -s tests\n',
      'tests/helper.py': 'X = 1\n',
    });
    const viaTox = detectRepository(tox, { home: HOME, probe: machine(['python3'], ['pytest']) });
    assert.equal(viaTox.testRunners[0]?.name, 'pytest');
    assert.match(
      viaTox.testRunners[0]?.notes.join('\n') ?? '',
      /tox\.ini found: Autopilot runs the tests with python3/,
    );
    const noTox = detectRepository(tox, { home: HOME, probe: machine(['python3'], []) });
    assert.deepEqual(
      noTox.untestable.map((u) => u.name),
      ['unittest'],
      'tox running unittest, without pytest here',
    );
    const nox = repoOf({
      'noxfile.py':
        'import nox\n\n@nox.session\ndef tests(session):\n    session.install("pytest")\n    session.run("pytest")\n',
    });
    const viaNox = detectRepository(nox, { home: HOME, probe: machine(['python3'], []) });
    assert.deepEqual(viaNox.testRunners[0]?.command.run.slice(0, 3), ['python3', '-m', 'pytest']);
    assert.match(viaNox.testRunners[0]?.notes.join('\n') ?? '', /noxfile\.py found/);
  });

  it('python: the interpreter that exists; `python` only where python3 is missing', () => {
    const dir = repoOf({ 'requirements.txt': 'pytest==8.3.4\n' });
    assert.equal(
      detectRepository(dir, { home: HOME, probe: machine(['python3', 'python'], []) }).testRunners[0]?.command.run[0],
      'python3',
    );
    assert.equal(
      detectRepository(dir, { home: HOME, probe: machine(['python'], []) }).testRunners[0]?.command.run[0],
      'python',
    );
    assert.equal(
      detectRepository(dir, { home: HOME }).testRunners[0]?.command.run[0],
      'python3',
      'files only: python3',
    );
  });

  it('the machine probe: PATH searched as given, imports asked of the interpreter', () => {
    const bin = mkdtempSync(join(TMP, 'bin-'));
    writeFileSync(join(bin, 'fake-tool'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(bin, 'not-executable'), 'data\n', { mode: 0o644 });
    const probe = machineProbe(`${bin}:${process.env['PATH'] ?? ''}`);
    assert.equal(probe.onPath('fake-tool'), true);
    assert.equal(probe.onPath('not-executable'), false);
    assert.equal(probe.onPath('no-such-tool-anywhere'), false);
    assert.equal(probe.pythonHas('python3', 'json'), true, 'the standard library imports');
    assert.equal(probe.pythonHas('python3', 'no_such_module_anywhere'), false);
    assert.equal(probe.pythonHas('python3', 'os; import sys'), false, 'only a module name is asked');
    assert.equal(probe.onPath(join(bin, 'fake-tool')), true, 'a path is taken as it is');
    // A module of the current folder's own neither answers nor runs: the question is asked from elsewhere.
    const here = mkdtempSync(join(TMP, 'cwd-'));
    writeFileSync(join(here, 'planted_module_xyz.py'), "open('ran', 'w').write('x')\n");
    const cwd = process.cwd();
    process.chdir(here);
    try {
      assert.equal(machineProbe().pythonHas('python3', 'planted_module_xyz'), false);
    } finally {
      process.chdir(cwd);
    }
    assert.equal(existsSync(join(here, 'ran')), false);
  });

  it('go: go test -json and the cover profile read as they are; golangci-lint; go build', () => {
    const d = detect('go');
    assert.deepEqual([d.languages, d.packageManagers], [['go'], ['go']]);
    const [test] = d.testRunners;
    assert.equal(test?.command.run[0], 'sh');
    assert.match(
      test?.command.run[2] ?? '',
      /go test -count=1 -json -coverprofile=coverage\.out \.\/\.\.\. > reports\/go-test\.json/,
    );
    assert.deepEqual(test?.command.report, { format: 'go-json', path: 'reports/go-test.json' });
    assert.equal(test?.command.coverage?.format, 'go');
    assert.equal(test?.command.coverage?.path, 'coverage.out');
    assert.equal(test?.command.coverage?.modulePrefix, 'example.com/fixture');
    assert.equal(test?.command.junit, undefined);
    assert.deepEqual(
      d.linters.map((l) => l.command.run),
      [['golangci-lint', 'run']],
    );
    assert.deepEqual(
      d.builds.map((b) => b.command.run),
      [['go', 'build', './...']],
    );
  });

  it("java with maven: Surefire's reports joined into one JUnit file", () => {
    const d = detect('java-maven');
    assert.deepEqual([d.languages, d.packageManagers], [['java'], ['maven']]);
    const [test] = d.testRunners;
    assert.equal(test?.name, 'maven-surefire');
    assert.match(
      test?.command.run[2] ?? '',
      /^mvn -B test; status=\$\?; .*target\/surefire-reports\/TEST-\*\.xml.*> target\/junit\.xml; exit \$status$/,
    );
    assert.equal(test?.command.junit, 'target/junit.xml');
    assert.deepEqual(d.builds[0]?.command.run, ['mvn', '-B', '-q', '-DskipTests', 'package']);
  });

  it('java with gradle: the wrapper, and the test results joined', () => {
    const d = detect('java-gradle');
    assert.deepEqual(d.packageManagers, ['gradle']);
    const [test] = d.testRunners;
    assert.match(test?.command.run[2] ?? '', /^\.\/gradlew test; .*build\/test-results\/test\/TEST-\*\.xml/);
    assert.equal(test?.command.junit, 'build/junit.xml');
    assert.deepEqual(d.builds[0]?.command.run, ['./gradlew', 'assemble']);
  });

  it("rust: cargo nextest with the config's junit profile; clippy", () => {
    const d = detect('rust');
    assert.deepEqual([d.languages, d.packageManagers], [['rust'], ['cargo']]);
    const [test] = d.testRunners;
    assert.deepEqual(test?.command.run, ['cargo', 'nextest', 'run', '--profile', 'ci']);
    assert.equal(test?.command.junit, 'target/nextest/ci/junit.xml');
    assert.doesNotMatch(test?.notes.join(' ') ?? '', /\[profile\.ci\.junit\] table/);
    assert.deepEqual(d.linters[0]?.command.run, ['cargo', 'clippy', '--all-targets', '--', '-D', 'warnings']);
  });

  it('agents: Claude Code, Codex, Cursor, AGENTS.md and .mcp.json; none in a bare repository', () => {
    assert.deepEqual(detect('agents').agents, {
      claude: true,
      codex: true,
      cursor: true,
      agentsMd: true,
      mcpJson: true,
    });
    assert.deepEqual(detect('go').agents, {
      claude: false,
      codex: false,
      cursor: false,
      agentsMd: false,
      mcpJson: false,
    });
  });

  it('Codex counts when its config is in the home folder; CLAUDE.md alone counts for Claude Code', () => {
    const home = mkdtempSync(join(TMP, 'home-'));
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'config.toml'), 'model = "gpt-5"\n');
    const repo = mkdtempSync(join(TMP, 'repo-'));
    writeFileSync(join(repo, 'CLAUDE.md'), '# notes\n');
    assert.deepEqual(detectAgents(repo, home), {
      claude: true,
      codex: true,
      cursor: false,
      agentsMd: false,
      mcpJson: false,
    });
    assert.equal(detectAgents(repo, HOME).codex, false);
  });

  it('an empty repository: nothing detected, no commands', () => {
    const d = detectRepository(mkdtempSync(join(TMP, 'empty-')), { home: HOME });
    assert.deepEqual([d.languages, d.testRunners, d.linters, d.builds, d.ci, d.untestable], [[], [], [], [], [], []]);
    assert.deepEqual(detectedCommands(d), { commands: { smoke: [], ci: [] }, notes: {} });
  });

  it('the config commands: the first runner, linter and build, with notes that say what was found', () => {
    const { commands, notes } = detectedCommands(detect('node-pnpm-jest'));
    assert.equal(commands.test?.junit, 'junit.xml');
    assert.deepEqual(commands.test?.run.slice(0, 3), ['pnpm', 'exec', 'jest']);
    assert.equal(commands.build, undefined);
    assert.match(notes.test ?? '', /^detected: jest \(javascript\); check it\njest-junit/);
    const py = detectedCommands(detect('python-uv'));
    assert.match(py.notes.lint ?? '', /^detected: ruff; check it$/);
  });
});

describe('the source and test globs init writes', () => {
  it("per language: source folders where a JavaScript project has them, the test runners' layouts, none when nothing is found", () => {
    const withSrc = mkdtempSync(join(TMP, 'js-src-'));
    mkdirSync(join(withSrc, 'src'));
    mkdirSync(join(withSrc, 'lib'));
    assert.deepEqual(detectedFileGlobs(withSrc, { languages: ['javascript'] }), {
      sources: ['src/**', 'lib/**'],
      tests: ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', 'test/**', 'tests/**'],
    });
    assert.deepEqual(detectedFileGlobs(join(REPOS, 'node-npm-vitest'), detect('node-npm-vitest'))?.sources, [
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.jsx',
      '**/*.ts',
      '**/*.mts',
      '**/*.cts',
      '**/*.tsx',
    ]);
    assert.deepEqual(detectedFileGlobs(join(REPOS, 'go'), detect('go')), {
      sources: ['**/*.go'],
      tests: ['**/*_test.go', '**/testdata/**'],
    });
    assert.deepEqual(detectedFileGlobs(join(REPOS, 'python-pytest'), detect('python-pytest')), {
      sources: ['**/*.py'],
      tests: ['**/test_*.py', '**/*_test.py', '**/conftest.py', 'tests/**', 'test/**'],
    });
    assert.equal(detectedFileGlobs(TMP, { languages: [] }), undefined);
  });
});
