/**
 * E2E: grounding of the planning phases on the demo project. Leaving PLAN, Autopilot resolves the files and symbols
 * the spec and the plan cite against the atlas, writes grounding.json, and refuses the move while a cited file exists
 * nowhere (naming it, changing no phase); a file the file map adds is no missing citation; the plan's files are checked
 * for reachability from the spec's cited entry points; leaving THINK grounds the edge cases too.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRepo, P, sourceFile } from './helpers.ts';
import type { GroundingReport } from '../../src/core/grounding.ts';
import { phasePromptFor } from '../../src/engine/drift/persona.ts';

const SPEC = `${P.SPEC}
## Entry points
The smoke script \`scripts/smoke.js\` is what a consumer runs; it calls \`src/slug.js#slugify\` today.
`;

const PLAN_WITH = (cited: string) => `# Plan

## Work Breakdown
1. Add \`src/count.js\` exporting wordCount, next to \`${cited}\`.
2. Add \`test/count.test.js\` covering every acceptance criterion.
3. Call it from the smoke script, \`scripts/smoke.js:main\` (\`file_map.json\` lists each file).
`;

const FILE_MAP = JSON.stringify({
  files: [
    { path: 'src/count.js', change: 'add', why: 'the new wordCount function' },
    { path: 'test/count.test.js', change: 'add', why: 'tests for every acceptance criterion' },
    { path: 'src/slug.js', change: 'modify', why: 'shares the white-space rule with wordCount' },
  ],
});

const EVIDENCE = {
  ...P.AGENT_EVIDENCE,
  SPEC: [['spec.md', SPEC]] as const,
};

function grounding(dir: string): GroundingReport & { atlas: { manifest: string } } {
  return JSON.parse(readFileSync(join(dir, 'grounding.json'), 'utf8')) as GroundingReport & {
    atlas: { manifest: string };
  };
}

describe('grounding of the plan', { concurrency: true }, () => {
  it('refuses a plan that cites a file that is nowhere, then passes and records the citations once it is fixed', async () => {
    const repo = await makeRepo();
    await repo.driveTo('T-1', 'PLAN', { evidence: EVIDENCE });
    await repo.put('T-1', 'PLAN', 'plan.md', PLAN_WITH('src/sluggify.js'));
    await repo.put('T-1', 'PLAN', 'file_map.json', FILE_MAP);
    // Refused, and nothing changes: the phase, the recorded artifacts, the files (no record of the failed check stays).
    const refused = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, {
      taskId: 'T-1',
      violation: true,
    });
    assert.match(refused.message, /`src\/sluggify\.js`, cited in plan\.md, is no file of the repository/);
    assert.match(refused.message, /list it in file_map\.json with change "add"/);
    assert.ok(!existsSync(join(repo.phaseDir('T-1', 'PLAN'), 'grounding.json')));
    const found = (refused.details['findings'] as { rule: string; problem: string }[]).filter(
      (f) => f.rule === 'grounding',
    );
    assert.equal(found.length, 1, JSON.stringify(refused.details));
    assert.match(found[0]!.problem, /src\/sluggify\.js/);

    // The refused move took the CLI's lease: the fix goes through the CLI too.
    await repo.ok(['evidence', 'add', 'T-1', 'PLAN', sourceFile('plan.md', PLAN_WITH('src/slug.js'))]);
    // While the plan is written, PLAN's prompt names the tests that reach its file map, from the cached atlas.
    const planning = await repo.withEngine(async (engine) =>
      phasePromptFor(engine, 'PLAN', (await engine.store.getTask('T-1')) ?? undefined),
    );
    assert.match(planning.compiled.text, /These tests exercise what the plan changes: test\/slug\.test\.js\./);
    await repo.ok(['advance', 'T-1']);
    assert.equal(repo.task('T-1')?.phase, 'THINK');
    const doc = grounding(repo.phaseDir('T-1', 'PLAN'));
    assert.equal(doc.passed, true);
    assert.deepEqual(doc.missing, []);
    const byText = new Map(doc.citations.map((c) => [`${c.source} ${c.text}`, c]));
    assert.deepEqual(byText.get('spec.md src/slug.js#slugify'), {
      text: 'src/slug.js#slugify',
      kind: 'symbol',
      path: 'src/slug.js',
      symbol: 'slugify',
      resolved: true,
      source: 'spec.md',
      inAtlas: true,
    });
    // `main` is no export of the smoke script: an unresolved symbol lowers the score but does not hold the move.
    assert.equal(byText.get('plan.md scripts/smoke.js:main')?.resolved, false);
    assert.equal(byText.get('file_map.json src/count.js')?.new, true);
    assert.equal(byText.get('file_map.json src/count.js')?.resolved, true);
    assert.ok(!byText.has('plan.md file_map.json'), "an artifact's own name is no citation");
    const resolved = doc.citations.filter((c) => c.resolved).length;
    assert.equal(doc.score, Math.round((resolved / doc.citations.length) * 10000) / 10000);
    assert.ok(doc.score !== null && doc.score < 1 && doc.score > 0.5);
    // The spec's entry points reach the plan's existing file: scripts/smoke.js imports src/slug.js.
    assert.deepEqual(doc.entryPoints, ['scripts/smoke.js', 'src/slug.js']);
    assert.deepEqual(doc.planFiles, ['src/slug.js']);
    assert.equal(doc.reachable, true);
    assert.deepEqual(doc.impactedTests, ['test/slug.test.js']);
    assert.match(doc.atlas.manifest, /^[0-9a-f]{64}$/);
    // THINK's prompt names them beside the file map: the tests that exercise what the plan changes.
    const think = await repo.withEngine(async (engine) =>
      phasePromptFor(engine, 'THINK', (await engine.store.getTask('T-1')) ?? undefined),
    );
    assert.match(think.compiled.text, /These tests exercise what the plan changes: test\/slug\.test\.js\./);
    // And the evidence of the earlier phases, the nearest first, for the agent to read rather than guess.
    const earlier = think.compiled.text.slice(
      think.compiled.text.indexOf('## Context: Evidence of the earlier phases'),
    );
    assert.match(earlier, /^## Context: Evidence of the earlier phases\n/);
    const plan = earlier.indexOf('- evidence/T-1/plan/file_map.json (PLAN)');
    const spec = earlier.indexOf('- evidence/T-1/spec/spec.md (SPEC)');
    assert.ok(plan > 0 && spec > plan, earlier);
    assert.ok(!earlier.includes('/think/'), 'nothing of the phase itself');
    // The score is recorded with the transition, and the groundedness SLO is the task's score.
    const slo = await repo.ok<{ groundedness: { value: number; tasks: number; belowGoal: string[] } }>(['slo']);
    assert.deepEqual(slo.groundedness, { ...slo.groundedness, value: doc.score, tasks: 1, belowGoal: ['T-1'] });
    // The file is Autopilot's, recorded with the transition.
    const moved = repo
      .ledger('T-1')
      .filter((e) => e.kind === 'transition')
      .at(-1)!;
    assert.ok(
      moved.artifacts.some((a) => a.path === 'evidence/T-1/plan/grounding.json' && a.producer === 'autopilot'),
      JSON.stringify(moved.artifacts),
    );
  });

  it('leaving THINK grounds the edge cases too, and a plan file no entry point reaches is reported', async () => {
    const repo = await makeRepo();
    const spec = `${P.SPEC}\n## Entry points\nThe test \`test/slug.test.js\` is where a reader starts.\n`;
    const map = JSON.stringify({
      files: [
        { path: 'scripts/lint.js', change: 'modify', why: 'lints the new file too' },
        { path: 'src/count.js', change: 'add', why: 'the new wordCount function' },
      ],
    });
    await repo.driveTo('T-1', 'THINK', {
      evidence: {
        ...P.AGENT_EVIDENCE,
        SPEC: [['spec.md', spec]],
        PLAN: [
          ['plan.md', P.PLAN],
          ['file_map.json', map],
        ],
      },
    });
    const plan = grounding(repo.phaseDir('T-1', 'PLAN'));
    assert.equal(plan.reachable, false);
    assert.deepEqual(plan.unreachable, ['scripts/lint.js']);
    const edges = `${P.EDGE_CASES}\n- A title in \`src/missing-helper.ts\` style.\n`;
    await repo.put('T-1', 'THINK', 'edge_cases.md', edges);
    const refused = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    assert.match(refused.message, /`src\/missing-helper\.ts`, cited in edge_cases\.md/);
    await repo.ok(['evidence', 'add', 'T-1', 'THINK', sourceFile('edge_cases.md', P.EDGE_CASES)]);
    await repo.ok(['advance', 'T-1']);
    const think = grounding(repo.phaseDir('T-1', 'THINK'));
    assert.equal(think.passed, true);
  });
});
