/**
 * E2E: VERIFY's mutants made by the real StrykerJS, in the sandbox, in small projects set up by the real
 * `autopilot init`, one per test runner Stryker has a plugin for (vitest, jest, mocha under c8). Each task changes two
 * lines: one its tests check at the boundary (every Stryker mutant of it is killed) and one a test runs without
 * checking anything (its mutants survive, each a VERIFY finding that needs a person). Then the fallbacks: a runner
 * Stryker has no plugin for, with `engine: stryker` asked, runs Autopilot's own mutations and says why.
 */
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { advance } from '../../src/engine/task/advance.ts';
import { putEvidence } from '../../src/engine/task/evidence.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../src/surfaces/demo/passkey.ts';
import { serve } from './dashboard-fixture.ts';
import { P, ROOT, Repo, git, tempDir, writeFile } from './helpers.ts';

/** Node first, then Debian's own folders. */
const PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
const ENV = () => ({ HOME: tempDir('home'), AUTOPILOT_HOOK_DAEMON: '0', PATH });

interface Finding {
  kind: string;
  file: string;
  line?: number;
  detail: string;
}

interface MutationDoc {
  engine: string;
  engineReason?: string;
  stryker?: { version: string; source: string; runner: string };
  mutants: { file: string; line: number; operator: string; status: string; replacement: string; detail: string }[];
  killed: number;
  survived: number;
  score: number | null;
  skipped?: string;
}

const must = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, what: string) => {
  if (!r.ok) throw new Error(`${what}: ${r.error.code} ${r.error.message}`);
  return r.value;
};

/**
 * A committed project with this repository's node_modules linked in, Autopilot set up by `autopilot init` (its
 * config edited by `config` before it is committed), and task T-1 in IMPLEMENT.
 */
async function project(
  name: string,
  files: Record<string, string>,
  config?: (c: Record<string, unknown>) => void,
): Promise<Repo> {
  const dir = tempDir(name);
  for (const [rel, text] of Object.entries(files)) writeFile(dir, rel, text);
  writeFile(dir, '.gitignore', 'node_modules\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${name}: two functions and their tests`]);
  const repo = new Repo(dir);
  await repo.ok(['init'], { env: ENV() });
  if (config) repo.editConfig(config);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'Set up Autopilot']);
  await repo.ok(['task', 'start', 'T-1', '--title', 'age limits one below'], { env: ENV() });
  await repo.fixture('T-1', async (engine, actor) => {
    for (const phase of ['STRATEGIZE', 'SPEC', 'PLAN', 'THINK']) {
      for (const [n, text] of P.AGENT_EVIDENCE[phase] ?? []) {
        const content = Buffer.from(OWN_EVIDENCE[n] ?? text);
        must(await putEvidence(engine, actor, { taskId: 'T-1', phase, name: n, content }), n);
      }
      must(await advance(engine, actor, { taskId: 'T-1' }), `advance from ${phase}`);
    }
  });
  return repo;
}

/** The task's spec and file map: they name the functions and the file the change touches. */
const OWN_EVIDENCE: Record<string, string> = {
  'file_map.json': JSON.stringify({
    files: [{ path: 'src/age.js', change: 'modify', why: 'isAdult and isSenior compare with the age one below' }],
  }),
  'spec.md': `# Spec: age limits written one below

## Acceptance Criteria
- In src/age.js, \`isAdult\` compares with 17 and \`isSenior\` with 64, strictly: the same ages pass as before.
- \`isAdult(18)\` is still true and \`isAdult(17)\` still false.

## KPIs
No caller of isAdult or isSenior sees a different result; the existing tests keep passing.
`,
};

const ESM_AGE = `export function isAdult(age) {
  return age >= 18;
}

export function isSenior(age) {
  return age >= 65;
}
`;
const CJS_AGE = ESM_AGE.replace(/export function/g, 'function') + 'module.exports = { isAdult, isSenior };\n';

/** The task's change: both comparisons written the other way round, each line a changed line the tests run. */
const changed = (text: string) => text.replace('age >= 18', 'age > 17').replace('age >= 65', 'age > 64');

/** isAdult is pinned at its boundary; isSenior is called and nothing it returns is looked at. */
const TESTS = (header: string) => `${header}
describe('age', () => {
  it('adults from 18', () => {
    if (isAdult(17) || !isAdult(18) || !isAdult(40) || isAdult(3)) throw new Error('isAdult');
  });
  it('seniors', () => {
    isSenior(70);
  });
});
`;

const pkg = (extra: Record<string, unknown>) =>
  JSON.stringify({ name: 'ages', version: '1.0.0', private: true, ...extra }, null, 2);

/** VERIFY of the change: Stryker's mutants in mutation_report.json, the checked line's killed, the other's survivors. */
async function verifyWithStryker(repo: Repo, file: string, runner: string): Promise<void> {
  repo.write(file, changed(readFileSync(repo.path(file), 'utf8')));
  await repo.ok(['advance', 'T-1'], { env: ENV() });
  const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1'], { env: ENV() });
  const doc = JSON.parse(
    readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'mutation_report.json'), 'utf8'),
  ) as MutationDoc;
  assert.equal(doc.engine, 'stryker', `Stryker made the mutants: ${JSON.stringify(doc)}`);
  assert.equal(doc.stryker?.runner, runner);
  assert.equal(doc.stryker?.source, 'repository', 'the linked node_modules has Stryker: the repository copy is used');
  assert.match(doc.engineReason ?? '', new RegExp(`JavaScript/TypeScript tested by ${runner}`));
  assert.deepEqual([...new Set(doc.mutants.map((m) => m.file))], [file], 'only the changed file is mutated');
  assert.deepEqual([...new Set(doc.mutants.map((m) => m.line))].sort(), [2, 6], 'only the changed lines are mutated');
  const adult = doc.mutants.filter((m) => m.line === 2);
  const senior = doc.mutants.filter((m) => m.line === 6);
  assert.ok(adult.length > 0 && senior.length > 0);
  assert.deepEqual(
    adult.map((m) => m.status),
    adult.map(() => 'killed'),
    `the boundary tests kill every mutant of line 2: ${JSON.stringify(adult)}`,
  );
  assert.ok(adult.some((m) => m.operator === 'EqualityOperator' && /age >= 17/.test(m.replacement)));
  assert.match(adult[0]!.detail, /test failed: .*adults from 18/);
  assert.deepEqual(
    senior.map((m) => m.status),
    senior.map(() => 'survived'),
    `a test that checks nothing kills no mutant of line 6: ${JSON.stringify(senior)}`,
  );
  assert.equal(doc.killed, adult.length);
  assert.equal(doc.survived, senior.length);
  assert.equal(doc.score, Math.round((adult.length * 1000) / doc.mutants.length) / 10);
  // Survivors are findings: VERIFY passes (no threshold), and the move out of VERIFY needs a person.
  assert.equal(verified.passed, true);
  const survivors = verified.findings.filter((f) => f.kind === 'mutant-survived');
  assert.equal(survivors.length, senior.length);
  assert.ok(survivors.every((f) => f.file === file && f.line === 6));
  assert.match(survivors[0]!.detail, /age > 64;" became .*: they run the line but check nothing it does/);
  const refused = await repo.refused(['advance', 'T-1'], 'APPROVAL_REQUIRED', 2, { env: ENV() });
  assert.match(
    refused.message,
    new RegExp(`mutant-survived: the tests pass with ${file.replace('.', '\\.')}:6 mutated`),
  );
}

describe('VERIFY mutants by StrykerJS on the changed lines, one project per runner', { concurrency: 2 }, () => {
  it('vitest: the checked line is killed, the unchecked one survives and needs a person', async () => {
    const repo = await project('stryker-vitest', {
      'package.json': pkg({
        type: 'module',
        scripts: { test: 'vitest run' },
        devDependencies: { vitest: '4.1.12', '@vitest/coverage-v8': '4.1.12' },
      }),
      'src/age.js': ESM_AGE,
      'test/age.test.js': TESTS(
        "import { describe, it } from 'vitest';\nimport { isAdult, isSenior } from '../src/age.js';",
      ),
    });
    const config = parse(readFileSync(repo.configFile, 'utf8')) as { commands: { test: { run: string[] } } };
    assert.deepEqual(config.commands.test.run.slice(0, 2), ['npx', 'vitest']);
    await verifyWithStryker(repo, 'src/age.js', 'vitest');

    // The dashboard names the engine and lists Stryker's mutants on the task's VERIFY evidence, in a real browser.
    const served = await serve(repo);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${served.port}/evidence/T-1`);
      const section = page.locator('#verify-findings');
      assert.match(
        await section.innerText(),
        /Mutants by Stryker 9\.6\.1 \(vitest\): JavaScript\/TypeScript tested by vitest/,
      );
      const rows = await section.locator('tbody tr').allInnerTexts();
      assert.ok(
        rows.some((r) => /src\/age\.js:6 · EqualityOperator/.test(r) && /survived/.test(r)),
        rows.join('\n'),
      );
      assert.ok(
        rows.some((r) => /src\/age\.js:2 · EqualityOperator/.test(r) && /killed/.test(r)),
        rows.join('\n'),
      );
    } finally {
      await browser.close();
      await served.stop();
    }
  });

  it('jest: the checked line is killed, the unchecked one survives and needs a person', async () => {
    const repo = await project('stryker-jest', {
      'package.json': pkg({ scripts: { test: 'jest' }, devDependencies: { jest: '30.5.2', 'jest-junit': '17.0.0' } }),
      'src/age.js': CJS_AGE,
      'test/age.test.js': TESTS("const { isAdult, isSenior } = require('../src/age.js');"),
    });
    await verifyWithStryker(repo, 'src/age.js', 'jest');
  });

  it('mocha under c8: the checked line is killed, the unchecked one survives and needs a person', async () => {
    const repo = await project('stryker-mocha', {
      'package.json': pkg({
        scripts: { test: 'mocha' },
        devDependencies: { mocha: '11.8.0', 'mocha-junit-reporter': '2.2.1', c8: '12.0.0' },
      }),
      'src/age.js': CJS_AGE,
      'test/age.test.js': TESTS("const { isAdult, isSenior } = require('../src/age.js');"),
    });
    await verifyWithStryker(repo, 'src/age.js', 'mocha');
  });
});

describe('VERIFY mutants: when Stryker cannot run, Autopilot makes them and says why', { concurrency: 2 }, () => {
  it('Stryker fails (its first test run fails in its own sandbox): Autopilot’s own mutants, with what went wrong', async () => {
    // A test that fails only where Stryker copies the project (under .autopilot-stryker/): the tests pass for VERIFY
    // and for Autopilot's mutants, and Stryker stops on its initial test run.
    const repo = await project('stryker-crash', {
      'package.json': pkg({
        scripts: { test: 'mocha' },
        devDependencies: { mocha: '11.8.0', 'mocha-junit-reporter': '2.2.1', c8: '12.0.0' },
      }),
      'src/age.js': CJS_AGE,
      'test/age.test.js': TESTS(
        "const { isAdult, isSenior } = require('../src/age.js');\n" +
          "it('runs where it was written', () => { if (__dirname.includes('.autopilot-stryker')) throw new Error('moved'); });",
      ),
    });
    repo.write('src/age.js', changed(CJS_AGE));
    await repo.ok(['advance', 'T-1'], { env: ENV() });
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1'], { env: ENV() });
    const doc = JSON.parse(
      readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'mutation_report.json'), 'utf8'),
    ) as MutationDoc;
    assert.equal(doc.engine, 'autopilot', JSON.stringify(doc));
    assert.match(
      doc.engineReason ?? '',
      /^Stryker failed \(exit 1\): One or more tests failed in the initial test run: .*There were failed tests in the initial test run\.; Autopilot's own mutations instead$/,
    );
    const byLine = new Map(doc.mutants.map((m) => [m.line, m]));
    assert.equal(byLine.get(2)?.status, 'killed', JSON.stringify(doc.mutants));
    assert.equal(byLine.get(6)?.status, 'survived');
    assert.ok(verified.findings.some((f) => f.kind === 'mutant-survived' && f.line === 6));
  });

  it('engine: stryker with node:test (no Stryker plugin): Autopilot’s own mutants, the reason recorded', async () => {
    const repo = await project(
      'stryker-node-test',
      {
        'package.json': pkg({ type: 'module', scripts: { test: 'node --test test/' } }),
        'src/age.js': ESM_AGE,
        'test/age.test.js': TESTS(
          "import { describe, it } from 'node:test';\nimport { isAdult, isSenior } from '../src/age.js';",
        ),
      },
      (c) => void ((c['verify'] as { mutation?: Record<string, unknown> }).mutation = { engine: 'stryker' }),
    );
    repo.write('src/age.js', changed(ESM_AGE));
    await repo.ok(['advance', 'T-1'], { env: ENV() });
    const verified = await repo.ok<{ passed: boolean; findings: Finding[] }>(['verify', 'T-1'], { env: ENV() });
    const doc = JSON.parse(
      readFileSync(join(repo.phaseDir('T-1', 'VERIFY'), 'mutation_report.json'), 'utf8'),
    ) as MutationDoc;
    assert.equal(doc.engine, 'autopilot');
    assert.match(
      doc.engineReason ?? '',
      /verify\.mutation\.engine is stryker, but the test command runs no test runner Stryker has a plugin for \(vitest, jest, mocha\): Autopilot's own mutations instead/,
    );
    const byLine = new Map(doc.mutants.map((m) => [m.line, m]));
    assert.equal(
      byLine.get(2)?.status,
      'killed',
      `Autopilot's mutant of the checked line: ${JSON.stringify(doc.mutants)}`,
    );
    assert.equal(byLine.get(6)?.status, 'survived');
    assert.ok(verified.findings.some((f) => f.kind === 'mutant-survived' && f.line === 6));
  });
});
