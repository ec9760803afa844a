/**
 * Unit: the contract's pure parts. The keys two configs differ in; which checks a config leaves unconfigured and
 * which it waives; the `waive:` and `approvals.waivers` keys, validated and without defaults (so that older configs
 * keep their digest); the task state following a person's adoption of a contract; and the CI steps init wires.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { configKeysDiffering } from '../../src/core/config-diff.ts';
import { phaseWaivers, waivedCheckOf, waiversNeedPerson, isUnconfigured } from '../../src/core/waivers.ts';
import { applyEntry } from '../../src/core/task.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { detectCiSteps } from '../../src/engine/setup/detect.ts';

function config(raw: unknown): Config {
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const ALL = {
  commands: {
    build: { run: ['make'] },
    test: { run: ['npm', 'test'], junit: 'junit.xml', lcov: 'lcov.info' },
    lint: { run: ['eslint', '.'] },
    ci: [{ name: 'test', run: ['npm', 'test'] }],
    smoke: [{ name: 'smoke', run: ['node', 'smoke.js'] }],
  },
};

describe('configKeysDiffering', () => {
  it('names the dotted key of a weakened evidence rule, and nothing else', () => {
    const strong = config({});
    const weak = structuredClone(strong) as unknown as { evidence: Record<string, { required: boolean }[]> };
    weak.evidence['STRATEGIZE']![0]!.required = false;
    assert.deepEqual(configKeysDiffering(strong, weak), ['evidence.STRATEGIZE.0.required']);
  });

  it('reports an array that changed length at its own key, and added or removed keys', () => {
    assert.deepEqual(configKeysDiffering({ a: [1, 2], b: { c: 1 } }, { a: [1], b: { c: 1, d: 2 } }), ['a', 'b.d']);
    assert.deepEqual(configKeysDiffering({ a: 1 }, { a: 1 }), []);
  });
});

describe('unconfigured checks and waivers', () => {
  it('a config with no commands leaves build, lint, CI and smoke unconfigured, each in its phase', () => {
    const c = config({});
    assert.deepEqual(phaseWaivers(c, 'VERIFY'), { waived: [], missing: ['build'] });
    assert.deepEqual(phaseWaivers(c, 'REVIEW'), { waived: [], missing: ['lint'] });
    assert.deepEqual(phaseWaivers(c, 'PR'), { waived: [], missing: ['ci'] });
    assert.deepEqual(phaseWaivers(c, 'MONITOR'), { waived: [], missing: ['smoke'] });
    assert.deepEqual(phaseWaivers(c, 'SPEC'), { waived: [], missing: [] });
    assert.deepEqual(phaseWaivers(config(ALL), 'REVIEW'), { waived: [], missing: [] });
  });

  it('counts CI as configured in github mode, where the forge checks of the PR are CI, and in no other mode', () => {
    assert.deepEqual(phaseWaivers(config({ pr: { mode: 'github' } }), 'PR'), { waived: [], missing: [] });
    assert.deepEqual(phaseWaivers(config({ pr: { mode: 'git' } }), 'PR'), { waived: [], missing: ['ci'] });
  });

  it('coverage counts as unconfigured only with a test command, no report and a threshold above 0', () => {
    const test = { run: ['npm', 'test'], junit: 'junit.xml' };
    assert.equal(isUnconfigured(config({ commands: { test } }), 'coverage'), true);
    assert.equal(isUnconfigured(config({ commands: { test }, verify: { coverageThreshold: 0 } }), 'coverage'), false);
    assert.equal(isUnconfigured(config({ commands: { test: { ...test, lcov: 'lcov.info' } } }), 'coverage'), false);
  });

  it('a waiver names the check and its reason; the gate reads the waived file instead of its assertions', () => {
    const c = config({ waive: { lint: 'no linter in this repo', build: 'nothing to build' } });
    assert.deepEqual(phaseWaivers(c, 'REVIEW'), {
      waived: [{ check: 'lint', reason: 'no linter in this repo' }],
      missing: [],
    });
    assert.deepEqual(waivedCheckOf(c, 'VERIFY', 'verify_run.json'), {
      check: 'build',
      reason: 'nothing to build',
      field: 'build',
    });
    assert.equal(waivedCheckOf(c, 'VERIFY', 'test_results.json'), undefined);
    // A waiver of a check that is configured waives nothing.
    assert.equal(
      waivedCheckOf(config({ ...ALL, waive: { lint: 'no linter' } }), 'REVIEW', 'code_quality_score.json'),
      undefined,
    );
  });

  it('a move relying on a waiver needs a person unless approvals.waivers is none', () => {
    assert.equal(waiversNeedPerson(config({})), true);
    assert.equal(waiversNeedPerson(config({ approvals: { waivers: 'person' } })), true);
    assert.equal(waiversNeedPerson(config({ approvals: { waivers: 'none' } })), false);
  });

  it('waive: takes known checks with a reason; anything else is CONFIG_INVALID naming the key', () => {
    for (const [raw, key] of [
      [{ waive: { lint: '' } }, 'waive.lint'],
      [{ waive: { lint: 'x' } }, 'waive.lint'],
      [{ waive: { tests: 'no tests' } }, 'waive.tests'],
      [{ approvals: { waivers: 'nobody' } }, 'approvals.waivers'],
    ] as const) {
      const r = parseConfig(raw);
      assert.equal(r.ok, false, JSON.stringify(raw));
      if (!r.ok) assert.equal(r.error.details['key'], key);
    }
  });

  it('adds no default for waive or approvals.waivers, so configs written before them keep their digest', () => {
    const c = config({}) as unknown as Record<string, unknown>;
    assert.equal('waive' in c, false);
    assert.equal('waivers' in (c['approvals'] as Record<string, unknown>), false);
  });
});

describe('the contract in the task state', () => {
  const entry = (seq: number, kind: string, data: Record<string, unknown>, path?: string): LedgerEntry => ({
    seq,
    prevHash: '0'.repeat(64),
    hash: String(seq).padStart(64, '0'),
    signature: '',
    keyId: 'k',
    ts: `2026-01-01T00:00:0${seq}.000Z`,
    taskId: 'T-1',
    kind: kind as LedgerEntry['kind'],
    fromPhase: kind === 'task_started' ? null : 'SPEC',
    toPhase: kind === 'task_started' ? 'STRATEGIZE' : null,
    actor: kind === 'task_started' ? 'agent' : 'person:dana',
    artifacts: path ? [{ path, sha256: 'a'.repeat(64), producer: 'autopilot' }] : [],
    data,
  });

  it('starts with the digest task_started recorded; an adoption replaces it and records its file', () => {
    let s = applyEntry(undefined, entry(1, 'task_started', { configDigest: 'd1' }, 'evidence/T-1/contract.yaml'));
    assert.deepEqual(s?.contract, { digest: 'd1', path: 'evidence/T-1/contract.yaml', version: 1 });
    s = applyEntry(s, entry(2, 'contract_adopted', { configDigest: 'd2' }, 'evidence/T-1/contract.2.yaml'));
    assert.deepEqual(s?.contract, { digest: 'd2', path: 'evidence/T-1/contract.2.yaml', version: 2 });
    assert.equal(s?.artifacts['evidence/T-1/contract.2.yaml']?.seq, 2);
    assert.equal(s?.artifacts['evidence/T-1/contract.yaml']?.seq, 1, 'the first contract stays evidence');
  });
});

describe('the CI steps init wires', () => {
  it('takes the plain test and lint steps of GitHub Actions and GitLab, names the shell ones, skips setup', () => {
    const root = mkdtempSync(join(tmpdir(), 'ci-steps-'));
    mkdirSync(join(root, '.github', 'workflows'), { recursive: true });
    writeFileSync(
      join(root, '.github', 'workflows', 'ci.yml'),
      `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - name: Unit tests
        run: npm test
      - run: npm run lint
      - run: npm test -- --coverage | tee out.log
      - run: |
          npm run typecheck
          npm run build
      - run: npm publish
`,
    );
    writeFileSync(
      join(root, '.github', 'workflows', 'autopilot-gate.yml'),
      'jobs:\n  gate:\n    steps:\n      - run: npx --no-install autopilot gate --base main\n      - run: npm run check\n',
    );
    writeFileSync(
      join(root, '.gitlab-ci.yml'),
      'stages: [test]\nvariables:\n  A: b\nlint:\n  script:\n    - pip install ruff\n    - ruff check .\n.hidden:\n  script: make test\n',
    );
    const found = detectCiSteps(root);
    assert.deepEqual(
      found.steps.map((s) => [s.file, s.name, s.run]),
      [
        ['.github/workflows/ci.yml', 'Unit tests', ['npm', 'test']],
        ['.github/workflows/ci.yml', 'test: npm run lint', ['npm', 'run', 'lint']],
        ['.gitlab-ci.yml', 'lint: ruff check .', ['ruff', 'check', '.']],
      ],
    );
    assert.deepEqual(
      found.skipped.map((s) => s.command),
      ['npm test -- --coverage | tee out.log', 'npm run typecheck'],
    );
  });
});
