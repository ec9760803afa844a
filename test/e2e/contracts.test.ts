/**
 * E2E (the CLI on a real repository, git and SQLite store): typed contracts listed in the config. `evidence add`
 * stores a contract document in its normal form with each repair in its ledger entry, refuses an invalid one naming
 * the field and stores nothing; IMPLEMENT's ChangeSet is checked against the real diff and the task's Plan; the
 * plan↔diff check lists unplanned files in modified_files.json and, with `unplannedFiles: refuse`, fails the gate.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { P, git, makeRepo, sourceFile, type Repo } from './helpers.ts';

const careless = (doc: unknown) => JSON.stringify(doc).replace(/"([^"]+)":/g, '"$1" :  ') + '\r\n';

const PLAN = {
  version: 1,
  workItems: [{ id: 'W1', title: 'Count words separated by runs of whitespace' }],
  fileMap: [{ path: 'src/count.js', change: 'modify', why: 'split on runs of whitespace', item: 'W1' }],
  // test/count.test.js is left out on purpose: the change adds it, and the plan↔diff check must say so.
  testsToAdd: [],
};

describe('typed contracts through the CLI', () => {
  let repo: Repo;
  const T = 'T-1';
  // A stored CLI write takes the task's lease (a refused one does not); the in-process fixture needs it free.
  const release = async () => {
    if (repo.ledger(T).some((e) => e.kind === 'lease')) await repo.run(['lease', 'release', T]);
  };
  before(async () => {
    repo = await makeRepo({
      config: (c) => {
        const evidence = c['evidence'] as Record<string, Record<string, unknown>[]>;
        evidence['SPEC']?.push({ name: 'problem_spec.json', contract: 'ProblemSpec', required: false });
        evidence['PLAN']?.push({ name: 'plan.json', contract: 'Plan', unplannedFiles: 'refuse' });
        evidence['THINK']?.push({ name: 'risk_report.json', contract: 'RiskReport' });
        evidence['IMPLEMENT']?.push({ name: 'change_set.json', contract: 'ChangeSet' });
      },
    });
    git(repo.dir, ['add', '-A']);
    git(repo.dir, ['commit', '-qm', 'contracts in the config']);
  });

  it('init wrote the published JSON Schemas into .autopilot/schemas/', () => {
    for (const f of ['problem_spec', 'plan', 'change_set', 'pr_summary', 'risk_report']) {
      const schema = JSON.parse(readFileSync(repo.path('.autopilot', 'schemas', `${f}.schema.json`), 'utf8'));
      assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(typeof schema['description'], 'string');
    }
  });

  it('SPEC ProblemSpec: invalid is refused naming the field and nothing is stored; repairable is stored normalised', async () => {
    await repo.driveTo(T, 'SPEC');
    const spec = {
      problem: 'wordCount counts "a  b" as three words because it splits on single spaces.',
      objectives: ['A run of whitespace separates two words once'],
      scope: ['src/count.js and its test'],
      nonGoals: [],
      acceptanceCriteria: [{ id: 'AC-1', criterion: 'wordCount("a  b") returns 2' }],
    };
    const bad = sourceFile('problem_spec.json', JSON.stringify({ ...spec, objectives: [], mood: 'fine' }));
    const error = await repo.refusedUnchanged(['evidence', 'add', T, 'SPEC', bad], 'EVIDENCE_INVALID', 2, {
      taskId: T,
      violation: true,
    });
    assert.deepEqual(error.details['fields'], ['objectives', 'mood']);
    assert.equal(error.details['schema'], 'problem_spec.schema.json');
    assert.match(
      error.message,
      /problem_spec\.json does not meet the ProblemSpec contract and is not stored: objectives/,
    );
    assert.equal(existsSync(join(repo.phaseDir(T, 'SPEC'), 'problem_spec.json')), false);

    const body = await repo.ok<{ repairs: { field: string; kind: string }[]; seq: number }>([
      'evidence',
      'add',
      T,
      'SPEC',
      sourceFile('problem_spec.json', careless({ ...spec, problem: `  ${spec.problem}  ` })),
    ]);
    assert.deepEqual(
      body.repairs.map((r) => `${r.kind}:${r.field}`),
      ['whitespace:problem', 'derived:version', 'layout:(root)'],
    );
    const stored = readFileSync(join(repo.phaseDir(T, 'SPEC'), 'problem_spec.json'), 'utf8');
    assert.equal(stored, `${JSON.stringify({ version: 1, ...spec }, null, 2)}\n`);
    const entry = repo.ledger(T).find((e) => e.seq === body.seq);
    assert.equal(entry?.kind, 'evidence');
    assert.deepEqual(entry?.data['repairs'], body.repairs);
    assert.equal(entry?.data['contract'], 'ProblemSpec');
  });

  it('PLAN Plan: a work item that does not exist is refused by field; the fileMap is derived from file_map.json', async () => {
    await release();
    await repo.driveTo(T, 'PLAN');
    const bad = { ...PLAN, testsToAdd: [{ name: 'x', path: 'test/count.test.js', item: 'W9', covers: 'runs' }] };
    const error = await repo.refusedUnchanged(
      ['evidence', 'add', T, 'PLAN', sourceFile('plan.json', JSON.stringify(bad))],
      'EVIDENCE_INVALID',
      2,
      { taskId: T, violation: true },
    );
    assert.deepEqual(error.details['fields'], ['testsToAdd.0.item']);
    // Without fileMap, and a file_map.json that names no item: refused, nothing invented.
    await release();
    await repo.put(T, 'PLAN', 'file_map.json', P.FILE_MAP);
    const { fileMap: _f, ...withoutMap } = PLAN;
    const noMap = await repo.refused(
      ['evidence', 'add', T, 'PLAN', sourceFile('plan.json', JSON.stringify(withoutMap))],
      'EVIDENCE_INVALID',
      2,
    );
    assert.deepEqual(noMap.details['fields'], ['fileMap']);
    const body = await repo.ok<{ repairs: { field: string }[] }>([
      'evidence',
      'add',
      T,
      'PLAN',
      sourceFile('plan.json', JSON.stringify(PLAN)),
    ]);
    assert.deepEqual(
      body.repairs.map((r) => r.field),
      ['(root)'],
    );
  });

  it('THINK RiskReport: a risk without a mitigation is refused; the valid report meets the gate', async () => {
    await release();
    await repo.driveTo(T, 'THINK');
    const report = {
      version: 1,
      risks: [{ id: 'R1', risk: 'Callers counting empty words get smaller counts', likelihood: 'low', impact: 'low' }],
      mitigations: [{ risk: 'R1', action: 'Search the callers of wordCount; none counts empty words' }],
      rollback: { plan: 'Revert the commit', steps: ['git revert the merge commit'] },
    };
    const bad = await repo.refused(
      ['evidence', 'add', T, 'THINK', sourceFile('risk_report.json', JSON.stringify({ ...report, mitigations: [] }))],
      'EVIDENCE_INVALID',
      2,
    );
    assert.deepEqual(bad.details['fields'], ['mitigations', 'risks.0']);
    await repo.ok(['evidence', 'add', T, 'THINK', sourceFile('risk_report.json', JSON.stringify(report))]);
  });

  it('IMPLEMENT ChangeSet against the real diff; an unplanned file fails the gate and is listed in modified_files.json', async () => {
    await release();
    await repo.driveTo(T, 'IMPLEMENT');
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    const count = { path: 'src/count.js', planItem: 'W1', summary: 'splits on runs of whitespace after trimming' };
    const test = { path: './test/count.test.js', planItem: 'W1', summary: 'double, leading and trailing spaces' };
    const short = await repo.refused(
      ['evidence', 'add', T, 'IMPLEMENT', sourceFile('change_set.json', JSON.stringify({ files: [count] }))],
      'EVIDENCE_INVALID',
      2,
    );
    assert.deepEqual(short.details['fields'], ['files']);
    assert.match(short.message, /does not describe test\/count\.test\.js/);
    const unknownItem = await repo.refused(
      [
        'evidence',
        'add',
        T,
        'IMPLEMENT',
        sourceFile('change_set.json', JSON.stringify({ files: [count, { ...test, planItem: 'W2' }] })),
      ],
      'EVIDENCE_INVALID',
      2,
    );
    assert.deepEqual(unknownItem.details['fields'], ['files.1.planItem']);
    const body = await repo.ok<{ repairs: { field: string; kind: string }[] }>([
      'evidence',
      'add',
      T,
      'IMPLEMENT',
      sourceFile('change_set.json', JSON.stringify({ files: [count, test] })),
    ]);
    assert.deepEqual(
      body.repairs.map((r) => `${r.kind}:${r.field}`),
      [
        'derived:version',
        'derived:base',
        'path:files.1.path',
        'derived:files.0.status',
        'derived:files.1.status',
        'layout:(root)',
      ],
    );
    const stored = JSON.parse(readFileSync(join(repo.phaseDir(T, 'IMPLEMENT'), 'change_set.json'), 'utf8'));
    assert.equal(stored.base, git(repo.dir, ['rev-parse', 'HEAD']).trim());
    assert.deepEqual(
      stored.files.map((f: { status: string }) => f.status),
      ['added', 'added'], // the demo project has no src/count.js before the task,
    );

    const gate = await repo.refused(['advance', T], 'EVIDENCE_INVALID', 2);
    const findings = gate.details['findings'] as { rule: string; field?: string }[];
    assert.deepEqual(
      findings.map((f) => [f.rule, f.field]),
      [['unplanned-change', 'test/count.test.js']],
    );
    const modified = JSON.parse(readFileSync(join(repo.phaseDir(T, 'IMPLEMENT'), 'modified_files.json'), 'utf8'));
    assert.deepEqual(modified.plan.unplanned, ['test/count.test.js']);
    assert.deepEqual(modified.plan.files, [
      { path: 'src/count.js', planItems: ['W1'] },
      { path: 'test/count.test.js', planItems: [] },
    ]);
    assert.equal(modified.plan.unplannedFiles, 'refuse');
  });
});
