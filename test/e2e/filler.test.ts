/**
 * E2E: degenerate evidence refused end to end, through the CLI (`evidence add`, then `advance` refused) and over
 * MCP stdio (`evidence_put`, then `phase_advance` refused): one word over and over, one sentence pasted under every
 * heading, text copied from the phase prompts, from the README and from an earlier task's evidence, and a spec whose
 * acceptance criteria name nothing that the file map (PLAN) or the diff (IMPLEMENT) touches. Each refusal is
 * EVIDENCE_INVALID with the check's finding, recorded in the ledger, and the honest evidence after it passes.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { git, makeRepo, P, sourceFile, type Repo } from './helpers.ts';
import { callOk, callRefused, connectStdio, type McpSession } from './mcp-helpers.ts';
import { evidenceFor } from '../helpers/evidence.ts';

interface Finding {
  file: string;
  rule: string;
  problem: string;
  fix: string;
}

const HEADINGS = ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'];
const strategy = (body: (heading: string, i: number) => string) =>
  ['# Strategy', ...HEADINGS.map((h, i) => `\n## ${h}\n${body(h, i)}\n`)].join('\n');

const README = `# textkit

Small text utilities for the newsroom's editing tools: slugs for article URLs today, and more helpers as the tools
need them. Every helper is a pure function without dependencies, tested with the test runner that ships with Node.

## Development

Run the tests with npm test and the build check with node scripts/build.js before you open a pull request. Keep
each helper in a module of its own under src/, with its tests under test/, and describe it in this file.

## Releases

Releases are cut from main every second Tuesday; a helper that changes its output needs a note in the changelog so
that the editing tools can adapt before they upgrade.
`;

const README_SENTENCES = [
  'Small text utilities for the newsroom editing tools: slugs for article URLs today, and more helpers as the tools need them.',
  'Every helper is a pure function without dependencies, tested with the test runner that ships with Node.',
  'Run the tests with npm test and the build check with node scripts/build.js before you open a pull request.',
  'Keep each helper in a module of its own under src/, with its tests under test/, and describe it in this file.',
  'Releases are cut from main every second Tuesday.',
  'A helper that changes its output needs a note in the changelog so that the editing tools can adapt before they upgrade.',
];

const PROMPT_SENTENCES = [
  'Decide what problem is worth solving and how: the problem, objectives, scope, non-goals, risks and the strategy.',
  'Turn the strategy into a specification that can be checked: acceptance criteria as a list, and the KPIs that show success.',
  'Break the work down, and name every file the change will touch and why.',
  'Think before coding: list the edge cases and how each is mitigated.',
  'If an earlier phase turns out wrong, call phase_backtrack with the phase and a reason; every later phase is then passed again.',
  'When the evidence meets the contract, call phase_advance to enter SPEC. Skipping phases is refused and recorded.',
];

/** The degenerate strategies, each with the check that refuses it and what its finding says. */
const DEGENERATE_STRATEGIES: readonly { what: string; text: string; rule: string; problem: RegExp }[] = [
  {
    what: '"blah" twelve times under each heading',
    text: strategy(() => 'blah '.repeat(12).trim()),
    rule: 'distinct-words',
    problem: /^Section "Problem" has 12 content words but only 1 distinct \("blah"\)/,
  },
  {
    what: 'one sentence pasted under all six headings',
    text: strategy(() => 'We will make textkit better for its users by doing the work described in the ticket.'),
    rule: 'repeated-section',
    problem: /^Section "Objectives" repeats section "Problem"/,
  },
  {
    what: "the README's sentences under the headings",
    text: strategy((_, i) => README_SENTENCES[i]!),
    rule: 'copied-text',
    problem: /^Section "Problem" copies the repository's README\.md: \d+% of its 5-word runs occur there/,
  },
  {
    what: "the phase prompts' sentences under the headings",
    text: strategy((_, i) => PROMPT_SENTENCES[i]!),
    rule: 'copied-text',
    problem: /^Section "Problem" copies Autopilot's own instructions \(the phase prompts\)/,
  },
  {
    what: "the earlier task T-0's strategy",
    text: P.STRATEGY,
    rule: 'copied-text',
    problem: /^Section "Problem" copies an earlier task's evidence, evidence\/T-0\/strategize\/strategy\.md: 100%/,
  },
];

/** A file map for a change the spec's criteria say nothing about. */
const UNRELATED_MAP = JSON.stringify({
  files: [{ path: 'src/slug.js', change: 'modify', why: 'cap the slug length at 80 characters' }],
});
/** A change the spec's criteria say nothing about. */
const UNRELATED_CHANGE = P.PROJECT_FILES['src/slug.js']!.replace(
  '/** Turns a title',
  'export const MAX_SLUG_LENGTH = 80;\n\n/** Turns a title',
);

/** The repository: the demo project with a README worth copying, and T-0, an earlier task, past STRATEGIZE. */
async function setUp(): Promise<Repo> {
  const repo = await makeRepo();
  repo.write('README.md', README);
  git(repo.dir, ['add', 'README.md']);
  git(repo.dir, ['commit', '-q', '-m', 'README: what textkit is and how to work on it']);
  await repo.driveTo('T-0', 'SPEC');
  return repo;
}

const rulesOf = (findings: readonly Finding[]) => findings.map((f) => f.rule);

function finding(findings: readonly Finding[], rule: string, problem: RegExp, what: string): Finding {
  const f = findings.find((x) => x.rule === rule && problem.test(x.problem));
  assert.ok(f, `${what}: a ${rule} finding matching ${problem}, got ${JSON.stringify(findings, null, 2)}`);
  assert.ok(f.fix.length > 0, `${what}: the finding says what to do`);
  return f;
}

const sessions: McpSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

describe('degenerate evidence', { concurrency: true }, () => {
  it('through the CLI: evidence add reports each check, advance refuses it and records the refusal', async () => {
    const repo = await setUp();
    await repo.ok(['task', 'start', 'T-1', '--title', 'A shared word counter']);
    const mine = evidenceFor(1);
    const add = async (phase: string, name: string, content: string) =>
      (await repo.ok<{ findings: Finding[] }>(['evidence', 'add', 'T-1', phase, sourceFile(name, content)])).findings;
    const refusedAdvance = async () => {
      const err = await repo.refusedUnchanged(['advance', 'T-1'], 'EVIDENCE_INVALID', 2, {
        taskId: 'T-1',
        violation: true,
      });
      return err.details['findings'] as Finding[];
    };

    for (const d of DEGENERATE_STRATEGIES) {
      finding(await add('STRATEGIZE', 'strategy.md', d.text), d.rule, d.problem, `evidence add: ${d.what}`);
      const refused = await refusedAdvance();
      const f = finding(refused, d.rule, d.problem, `advance: ${d.what}`);
      assert.equal(f.file, 'evidence/T-1/strategize/strategy.md');
    }
    for (const phase of ['STRATEGIZE', 'SPEC']) {
      for (const [name, content] of mine[phase] ?? []) assert.deepEqual(await add(phase, name, content), []);
      await repo.ok(['advance', 'T-1']);
    }

    // PLAN: a file map the criteria say nothing about, then the one they do.
    for (const [name, content] of mine['PLAN'] ?? []) await add('PLAN', name, content);
    const [grounding] = await add('PLAN', 'file_map.json', UNRELATED_MAP);
    assert.equal(grounding?.rule, 'spec-grounding');
    const plan = finding(
      await refusedAdvance(),
      'spec-grounding',
      /^The "Acceptance Criteria" of evidence\/T-1\/spec\/spec\.md name nothing that file_map\.json touches/,
      'PLAN',
    );
    assert.match(plan.fix, /backtrack to SPEC/);
    assert.deepEqual(await add('PLAN', 'file_map.json', P.FILE_MAP), []);
    await repo.ok(['advance', 'T-1']);
    for (const [name, content] of mine['THINK'] ?? []) await add('THINK', name, content);
    await repo.ok(['advance', 'T-1']);

    // IMPLEMENT: a change the criteria say nothing about is refused; the change they describe passes.
    repo.write('src/slug.js', UNRELATED_CHANGE);
    const implement = await repo.refused(['advance', 'T-1'], 'EVIDENCE_INVALID', 2);
    finding(
      implement.details['findings'] as Finding[],
      'spec-grounding',
      /name nothing that git_diff\.patch touches: no path it changes and no identifier or word of its changed lines/,
      'IMPLEMENT',
    );
    assert.equal(repo.task('T-1')?.phase, 'IMPLEMENT');
    git(repo.dir, ['checkout', '--', 'src/slug.js']);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    const moved = await repo.ok<{ to: string }>(['advance', 'T-1']);
    assert.equal(moved.to, 'VERIFY');

    const refusals = repo.ledger('T-1').filter((e) => e.kind === 'violation' && e.data['code'] === 'EVIDENCE_INVALID');
    assert.equal(refusals.length, DEGENERATE_STRATEGIES.length + 2, 'every refused advance is in the ledger');
  });

  it('over MCP: evidence_put reports each check, phase_advance refuses it with the finding', async () => {
    const repo = await setUp();
    const session = await connectStdio(repo.dir, 'filler-agent');
    sessions.push(session);
    const { client } = session;
    const taskId = 'T-1';
    await callOk(client, 'task_start', { taskId, title: 'A shared word counter' });
    const mine = evidenceFor(1);
    const put = async (phase: string, name: string, content: string) =>
      (await callOk<{ findings: Finding[] }>(client, 'evidence_put', { taskId, phase, name, content })).findings;
    const refusedAdvance = async () => {
      const r = await callRefused(client, 'phase_advance', { taskId }, 'EVIDENCE_INVALID');
      const seq = r.details['seq'];
      assert.equal(repo.ledger().find((e) => e.seq === seq)?.kind, 'violation', 'the refusal is in the ledger');
      return r.details['findings'] as Finding[];
    };

    for (const d of DEGENERATE_STRATEGIES) {
      finding(await put('STRATEGIZE', 'strategy.md', d.text), d.rule, d.problem, `evidence_put: ${d.what}`);
      finding(await refusedAdvance(), d.rule, d.problem, `phase_advance: ${d.what}`);
      assert.equal(repo.task(taskId)?.phase, 'STRATEGIZE');
    }
    for (const phase of ['STRATEGIZE', 'SPEC']) {
      for (const [name, content] of mine[phase] ?? []) assert.deepEqual(await put(phase, name, content), []);
      await callOk(client, 'phase_advance', { taskId });
    }

    for (const [name, content] of mine['PLAN'] ?? []) await put('PLAN', name, content);
    assert.deepEqual(rulesOf(await put('PLAN', 'file_map.json', UNRELATED_MAP)), ['spec-grounding']);
    finding(await refusedAdvance(), 'spec-grounding', /name nothing that file_map\.json touches/, 'PLAN');
    await put('PLAN', 'file_map.json', P.FILE_MAP);
    await callOk(client, 'phase_advance', { taskId });
    for (const [name, content] of mine['THINK'] ?? []) await put('THINK', name, content);
    await callOk(client, 'phase_advance', { taskId });

    repo.write('src/slug.js', UNRELATED_CHANGE);
    finding(await refusedAdvance(), 'spec-grounding', /name nothing that git_diff\.patch touches/, 'IMPLEMENT');
    git(repo.dir, ['checkout', '--', 'src/slug.js']);
    repo.write('src/count.js', P.COUNT_FIXED);
    repo.write('test/count.test.js', P.COUNT_TEST);
    assert.equal((await callOk<{ to: string }>(client, 'phase_advance', { taskId })).to, 'VERIFY');
  });
});
