/**
 * Unit: the typed contracts. For each type a valid document passes as it is, a repairable one is normalised with every
 * repair listed, and an invalid one is refused naming the field; the published JSON Schemas are the zod ones, and ajv
 * reads them the same way; the plan↔diff mapping; the config keys that turn contracts on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { repairContract, type ContractContext } from '../../src/core/contracts/repair.ts';
import {
  CONTRACT_TYPES,
  contractJsonSchema,
  contractSchemaFile,
  type ContractType,
} from '../../src/core/contracts/schemas.ts';
import { planCoverage } from '../../src/core/contracts/plan-diff.ts';
import { parseConfig } from '../../src/core/config.ts';
import { validateArtifact } from '../../src/validators/index.ts';
import { ROOT } from '../e2e/helpers.ts';

const BASE = 'a'.repeat(40);

const CTX: ContractContext = {
  base: BASE,
  changedFiles: [
    { path: 'src/count.js', status: 'modified' },
    { path: 'test/count.test.js', status: 'added' },
  ],
  plan: {
    version: 1,
    workItems: [{ id: 'W1', title: 'Count words by whitespace runs' }],
    fileMap: [{ path: 'src/count.js', change: 'modify', why: 'split on runs of whitespace', item: 'W1' }],
    testsToAdd: [{ name: 'counts runs', path: 'test/count.test.js', item: 'W1', covers: 'double spaces' }],
  },
  fileMap: [{ path: './src/count.js', change: 'modify', why: 'split on runs of whitespace', item: 'W1' }],
};

/** A valid document of each type, in its normal form. */
const VALID: Record<ContractType, Record<string, unknown>> = {
  ProblemSpec: {
    version: 1,
    problem: 'wordCount counts two words for "a  b" because it splits on single spaces.',
    objectives: ['Runs of whitespace separate words once'],
    scope: ['src/count.js'],
    nonGoals: [],
    acceptanceCriteria: [{ id: 'AC-1', criterion: 'wordCount("a  b") returns 2' }],
  },
  Plan: CTX.plan as unknown as Record<string, unknown>,
  ChangeSet: {
    version: 1,
    base: BASE,
    files: [
      { path: 'src/count.js', status: 'modified', planItem: 'W1', summary: 'split on /\\s+/ after trimming' },
      { path: 'test/count.test.js', status: 'added', planItem: 'W1', summary: 'double and leading spaces' },
    ],
  },
  PRSummary: {
    version: 1,
    title: 'wordCount: runs of whitespace are one separator',
    summary: 'Splits on runs of whitespace.',
    changedFiles: ['src/count.js', 'test/count.test.js'],
    testing: 'node --test, two new cases',
    risks: ['A caller relied on empty words'],
    rollback: 'Revert the merge commit.',
  },
  RiskReport: {
    version: 1,
    risks: [{ id: 'R1', risk: 'Callers counting empty words get smaller counts', likelihood: 'low', impact: 'medium' }],
    mitigations: [{ risk: 'R1', action: 'Search the callers; none relies on it' }],
    rollback: { plan: 'Revert the commit', steps: ['git revert the merge', 'release a patch'] },
  },
};

const normal = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

/** The same document written carelessly: keys reversed, blanks around strings, CRLF, one-line layout. */
function careless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(careless);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, careless(v)]),
    );
  return typeof value === 'string' && !/^[0-9a-f]{40}$/.test(value) ? `  ${value}\r\n` : value;
}

/** An invalid document of each type and the field its refusal must name. */
const INVALID: Record<ContractType, [Record<string, unknown>, string]> = {
  ProblemSpec: [{ ...VALID.ProblemSpec, objectives: [] }, 'objectives'],
  Plan: [
    {
      ...VALID.Plan,
      fileMap: [{ path: 'src/count.js', change: 'modify', why: 'split on runs', item: 'W7' }],
    },
    'fileMap.0.item',
  ],
  ChangeSet: [
    { ...VALID.ChangeSet, files: [(VALID.ChangeSet['files'] as unknown[])[0]] },
    'files', // test/count.test.js is in the diff and not described
  ],
  PRSummary: [{ ...VALID.PRSummary, rollback: '   ' }, 'rollback'],
  RiskReport: [{ ...VALID.RiskReport, mitigations: [{ risk: 'R9', action: 'hope' }] }, 'mitigations.0.risk'],
};

describe('typed contracts', () => {
  for (const type of CONTRACT_TYPES) {
    describe(type, () => {
      it('a valid document in its normal form passes unchanged, with no repair', () => {
        const r = repairContract(type, normal(VALID[type]), CTX);
        assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
        assert.deepEqual(r.repairs, []);
        assert.equal(r.text, normal(VALID[type]));
      });

      it('a carelessly written one is normalised to the same bytes, each repair recorded with its field', () => {
        const r = repairContract(type, JSON.stringify(careless(VALID[type])), CTX);
        assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
        assert.equal(r.text, normal(VALID[type]));
        const kinds = new Set(r.repairs.map((x) => x.kind));
        assert.ok(kinds.has('key-order') && kinds.has('whitespace') && kinds.has('layout'), [...kinds].join());
        assert.ok(r.repairs.some((x) => x.kind === 'key-order' && x.field === '(root)'));
        assert.ok(r.repairs.some((x) => x.kind === 'whitespace' && x.field !== '(root)'));
      });

      it('an invalid one is refused naming the field, and nothing is invented', () => {
        const [doc, field] = INVALID[type];
        const r = repairContract(type, normal(doc), CTX);
        assert.equal(r.ok, false);
        assert.ok(!r.ok && r.issues.some((i) => i.field === field), JSON.stringify(!r.ok && r.issues));
      });

      it('a field it does not know is refused by name, not dropped', () => {
        const r = repairContract(type, normal({ ...VALID[type], notes: 'kept?' }), CTX);
        assert.ok(!r.ok && r.issues.some((i) => i.field === 'notes'));
      });

      it('its published schema (schemas/) is the one generated from zod, and ajv agrees with the check', () => {
        const file = join(ROOT, 'schemas', contractSchemaFile(type));
        const published = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        assert.deepEqual(published, contractJsonSchema(type), `run npm run schemas: ${file} is stale`);
        assert.equal(typeof published['description'], 'string');
        const validate = new Ajv2020({ strict: false }).compile(published);
        assert.equal(validate(VALID[type]), true, JSON.stringify(validate.errors));
        assert.equal(validate({ ...VALID[type], notes: 'x' }), false);
      });
    });
  }

  it('derivable fields are filled from the repository and recorded; the author-only ones are refused', () => {
    const { version: _v, base: _b, ...changeSet } = VALID.ChangeSet as { version: 1; base: string; files: object[] };
    const files = (changeSet.files as Record<string, unknown>[]).map(({ status: _s, ...f }) => f);
    const cs = repairContract('ChangeSet', JSON.stringify({ files }), CTX);
    assert.ok(cs.ok, JSON.stringify(!cs.ok && cs.issues));
    assert.equal(cs.text, normal(VALID.ChangeSet));
    assert.deepEqual(
      cs.repairs.filter((r) => r.kind === 'derived').map((r) => r.field),
      ['version', 'base', 'files.0.status', 'files.1.status'],
    );
    // The summary is the author's: never filled in.
    const noSummary = repairContract(
      'ChangeSet',
      JSON.stringify({ files: [{ path: 'src/count.js', planItem: 'W1' }] }),
      CTX,
    );
    assert.ok(!noSummary.ok && noSummary.issues.some((i) => i.field === 'files.0.summary'));

    const { changedFiles: _c, ...pr } = VALID.PRSummary;
    const prs = repairContract('PRSummary', normal(pr), CTX);
    assert.ok(prs.ok && prs.repairs.some((r) => r.field === 'changedFiles' && r.kind === 'derived'));
    assert.equal(prs.ok && prs.text, normal(VALID.PRSummary));
    const wrong = repairContract('PRSummary', normal({ ...VALID.PRSummary, changedFiles: ['src/other.js'] }), CTX);
    assert.ok(!wrong.ok && wrong.issues[0]?.field === 'changedFiles');
    assert.match(
      !wrong.ok ? (wrong.issues[0]?.problem ?? '') : '',
      /leaves out src\/count\.js.*does not change src\/other\.js/,
    );

    // Plan: fileMap from the phase's file_map.json when each entry names its item; its ./ path tidied.
    const { fileMap: _f, ...plan } = VALID.Plan;
    const p = repairContract('Plan', normal(plan), CTX);
    assert.ok(p.ok, JSON.stringify(!p.ok && p.issues));
    assert.deepEqual((p.doc as { fileMap: { path: string }[] }).fileMap[0]?.path, 'src/count.js');
    assert.ok(p.repairs.some((r) => r.field === 'fileMap' && r.kind === 'derived'));
    const noItems = repairContract('Plan', normal(plan), {
      fileMap: [{ path: 'src/count.js', change: 'modify', why: 'x y z' }],
    });
    assert.ok(!noItems.ok && noItems.issues[0]?.field === 'fileMap');
  });

  it('a ChangeSet is checked against the diff and the plan: files, statuses and plan items', () => {
    const files = VALID.ChangeSet['files'] as Record<string, unknown>[];
    const r = repairContract(
      'ChangeSet',
      normal({
        ...VALID.ChangeSet,
        files: [{ ...files[0], status: 'added', planItem: 'W2' }, files[1], { ...files[1], path: 'src/ghost.js' }],
      }),
      CTX,
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.field),
      ['files.0.status', 'files.0.planItem', 'files.2.path'],
    );
    const noDiff = repairContract('ChangeSet', normal(VALID.ChangeSet), { base: BASE });
    assert.ok(!noDiff.ok && noDiff.issues[0]?.field === 'files');
  });

  it('not JSON, or not an object: refused at the root', () => {
    for (const text of ['{"version": 1,', '[1, 2]']) {
      const r = repairContract('Plan', text, CTX);
      assert.ok(!r.ok && r.issues[0]?.field === '(root)');
    }
  });

  it('the plan↔diff mapping names each changed file’s work items, and the unplanned ones', () => {
    const c = planCoverage(CTX.plan!, ['src/count.js', 'test/count.test.js', 'README.md']);
    assert.deepEqual(c.files, [
      { path: 'src/count.js', planItems: ['W1'] },
      { path: 'test/count.test.js', planItems: ['W1'] },
      { path: 'README.md', planItems: [] },
    ]);
    assert.deepEqual(c.unplanned, ['README.md']);
  });

  it('the gate takes only the normal form: a repairable file on disk is a contract-form finding', () => {
    const rule = { ...parseRule({ name: 'risk_report.json', contract: 'RiskReport' }) };
    const path = 'evidence/T-1/think/risk_report.json';
    const opts = { path, maxBytes: 1 << 20, context: { sources: [], artifacts: [], contracts: CTX } };
    assert.deepEqual(validateArtifact(rule, Buffer.from(normal(VALID.RiskReport)), opts), []);
    const form = validateArtifact(rule, Buffer.from(JSON.stringify(VALID.RiskReport)), opts);
    assert.deepEqual(
      form.map((f) => f.rule),
      ['contract-form'],
    );
    const bad = validateArtifact(rule, Buffer.from(normal(INVALID.RiskReport[0])), opts);
    assert.deepEqual(
      bad.map((f) => [f.rule, f.field]),
      [
        ['contract', 'mitigations.0.risk'],
        ['contract', 'risks.0'],
      ],
    );
  });

  it('the config: contract on a JSON artifact; not on Markdown, not beside a schema; unplannedFiles only on a Plan', () => {
    const bad = (rule: Record<string, unknown>, key: string) => {
      const r = parseConfig({ evidence: { PLAN: [rule] } });
      assert.ok(!r.ok, JSON.stringify(rule));
      assert.equal(r.error.details['key'], key, r.error.message);
    };
    bad({ name: 'plan.md', contract: 'Plan' }, 'evidence.PLAN.0.contract');
    bad({ name: 'plan.json', contract: 'Plan', schema: { type: 'object' } }, 'evidence.PLAN.0.schema');
    bad({ name: 'spec.json', contract: 'ProblemSpec', unplannedFiles: 'refuse' }, 'evidence.PLAN.0.unplannedFiles');
    bad({ name: 'plan.json', contract: 'Roadmap' }, 'evidence.PLAN.0.contract');
    assert.ok(
      parseConfig({ evidence: { PLAN: [{ name: 'plan.json', contract: 'Plan', unplannedFiles: 'refuse' }] } }).ok,
    );
    // The default contract requires none of them.
    const d = parseConfig({});
    assert.ok(
      d.ok &&
        Object.values(d.value.evidence)
          .flat()
          .every((r) => r.contract === undefined),
    );
  });
});

function parseRule(rule: Record<string, unknown>) {
  const r = parseConfig({ evidence: { THINK: [rule] } });
  assert.ok(r.ok);
  const parsed = r.value.evidence['THINK']?.[0];
  assert.ok(parsed);
  return parsed;
}
