/**
 * Unit tests of the degenerate-evidence checks, one describe a check: distinct words per section, sections that
 * repeat each other, text copied from the phase prompts, the README or an earlier task, and spec grounding.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONTENT_CHECKS, DEFAULT_GROUNDING, type ArtifactRule } from '../../src/core/config.ts';
import { validateArtifact, type CopySource, type EvidenceContext, type Finding } from '../../src/validators/index.ts';
import { stem, wordsOf } from '../../src/validators/tokens.ts';
import { termsOf } from '../../src/validators/grounding.ts';

const MAX = 4 * 1024 * 1024;

function rule(name: string, extra: Partial<ArtifactRule> = {}): ArtifactRule {
  return {
    name,
    producer: 'agent',
    required: true,
    sections: [],
    minWords: 0,
    assert: [],
    mustMatch: [],
    mustNotMatch: [],
    ...(name.endsWith('.md') ? DEFAULT_CONTENT_CHECKS : {}),
    ...extra,
  };
}

const NO_CONTEXT: EvidenceContext = { sources: [], artifacts: [] };

function check(r: ArtifactRule, text: string, context?: EvidenceContext): Finding[] {
  return validateArtifact(r, new TextEncoder().encode(text), {
    path: `evidence/T-9/x/${r.name}`,
    maxBytes: MAX,
    ...(context ? { context } : {}),
  });
}

const of = (fs: readonly Finding[], id: string) => fs.filter((f) => f.rule === id);

function doc(sections: Record<string, string>): string {
  return ['# Doc', ...Object.entries(sections).map(([h, body]) => `\n## ${h}\n${body}\n`)].join('\n');
}

const HONEST = doc({
  Problem: 'Checkout times out for carts with more than 200 items because prices are fetched one query per line item.',
  Objectives: '- Price a 500-item cart in under 300 ms.\n- Keep the per-item query for single-product pages.',
  Scope: 'The cart pricing service and its repository; the product page stays as it is.',
  Risks: 'A batched query could return rows in another order than the cart lines, mixing up prices.',
});

describe('distinct-words', () => {
  const md = rule('doc.md');

  it('passes honest sections of every length', () => {
    assert.deepEqual(check(md, HONEST), []);
    assert.deepEqual(check(md, doc({ KPIs: 'p95 under 300 ms.' })), [], 'a short section is judged leniently');
  });

  it('flags one word repeated, naming the section, its count and its distinct words', () => {
    const [f, ...rest] = of(check(md, doc({ Problem: 'blah '.repeat(12) })), 'distinct-words');
    assert.equal(rest.length, 0);
    assert.equal(
      f?.problem,
      'Section "Problem" has 12 content words but only 1 distinct ("blah"); it needs at least 4.',
    );
    assert.match(f?.fix ?? '', /^Rewrite "## Problem" with what is true of this task/);
  });

  it('flags a section that leans on one word, inflections included', () => {
    const text = doc({
      Risks: 'Mitigate risk, reduce risky risks, track risk owners, review the risk register and risk levels.',
    });
    const [f] = of(check(md, text), 'distinct-words');
    assert.equal(f?.problem, 'Section "Risks" leans on one word: "risk" is 6 of its 13 content words.');
  });

  it('flags a long section that says little for its length', () => {
    const loop = 'cache expiry memory latency price pod '.repeat(6);
    const [f] = of(check(md, doc({ Strategy: loop })), 'distinct-words');
    assert.equal(f?.problem, 'Section "Strategy" says little for its length: 36 content words, only 6 distinct.');
  });

  it('flags a sentence or list item written twice in one section', () => {
    const twice = 'Stream the rows into the response. Stream the rows into the response.';
    assert.match(
      of(check(md, doc({ Strategy: twice })), 'distinct-words')[0]?.problem ?? '',
      /says the same thing twice/,
    );
    const items =
      '- Add the reminder job to the worker.\n- Add the e-mail template.\n- Add the reminder job to the worker.';
    assert.equal(of(check(md, doc({ Plan: items })), 'distinct-words').length, 1);
  });

  it('judges every section, the text before the first heading included, and leaves code blocks out', () => {
    const [f] = of(check(md, `stuff stuff stuff stuff stuff stuff\n\n${HONEST}`), 'distinct-words');
    assert.match(f?.problem ?? '', /^The text before the first heading has 6 content words/);
    const yaml = '```yaml\n- name: a\n- name: a\n- name: a\n- name: a\n- name: a\n```';
    assert.deepEqual(check(md, doc({ Config: `The job list, one entry a job:\n\n${yaml}` })), []);
  });

  it('follows its settings and is off with false', () => {
    const text = doc({ Risks: 'risk risk risk risk risk risk data loss' });
    assert.equal(of(check(md, text), 'distinct-words').length, 1);
    assert.deepEqual(check(rule('doc.md', { distinctWords: false }), text), []);
    const lenient = rule('doc.md', { distinctWords: { minDistinct: 2, maxShare: 1, minRichness: 0 } });
    assert.deepEqual(check(lenient, text), []);
  });
});

describe('repeated-section', () => {
  const md = rule('doc.md');

  it('flags one sentence pasted under several headings, each later section once', () => {
    const s = 'We will make the product better for our users by fixing the issue in the ticket.';
    const fs = of(check(md, doc({ Problem: s, Objectives: s, Scope: s })), 'repeated-section');
    assert.deepEqual(
      fs.map((f) => f.problem),
      [
        'Section "Objectives" repeats section "Problem": 100% of the 3-word runs of the shorter one occur in the other.',
        'Section "Scope" repeats section "Problem": 100% of the 3-word runs of the shorter one occur in the other.',
      ],
    );
    assert.equal(
      fs[0]?.fix,
      'Write "## Objectives" for what that section asks of this task, not the text of "## Problem" again.',
    );
  });

  it("sees through the heading's own word swapped into the sentence", () => {
    const body = (h: string) => `The ${h} of this task is handled carefully by the team during this release cycle.`;
    const fs = of(check(md, doc({ Problem: body('problem'), Risks: body('risks') })), 'repeated-section');
    assert.equal(fs.length, 1);
  });

  it('passes sections on one subject that say different things, and does not compare very short ones', () => {
    assert.deepEqual(check(md, HONEST), []);
    const short = doc({ KPIs: 'Latency under 300 ms.', Targets: 'Latency under 300 ms.' });
    assert.equal(of(check(md, short), 'repeated-section').length, 0);
  });

  it('compares own text only: a parent section is not its sub-section', () => {
    const nested =
      '## Problem\nCheckout times out for carts with more than 200 items.\n### Why now\nThe spring sale doubles the size of the average cart.\n';
    assert.deepEqual(check(md, nested), []);
  });

  it('follows maxOverlap and is off with false', () => {
    const a = 'Price every line of the cart in one query and cache the result for a minute.';
    const b = 'Price every line of the cart in one query and cache the result for an hour.';
    const text = doc({ Strategy: a, Plan: b });
    assert.equal(of(check(md, text), 'repeated-section').length, 1);
    assert.deepEqual(check(rule('doc.md', { repeatedSections: { maxOverlap: 0.9 } }), text), []);
    assert.deepEqual(check(rule('doc.md', { repeatedSections: false }), text), []);
  });
});

describe('copied-text', () => {
  const md = rule('doc.md');
  const readme: CopySource = {
    kind: 'readme',
    label: 'README.md',
    text: '# Shop\n\nThe cart service prices carts and applies discounts. Run `make dev` to start it with a local database.\n',
  };
  const template: CopySource = {
    kind: 'template',
    label: 'the phase prompts',
    text: 'Decide what problem is worth solving and how: the problem, objectives, scope, non-goals, risks and the strategy.',
  };
  const earlier = (rank: number): CopySource => ({
    kind: 'earlier',
    label: `evidence/T-${rank + 1}/strategize/strategy.md`,
    text: doc({ Problem: 'Refunds for cancelled orders take nine days because finance approves each one by hand.' }),
    rank,
  });
  const ctx = (...sources: CopySource[]): EvidenceContext => ({ sources, artifacts: [] });

  it('flags a section copied from the README, the phase prompts or an earlier task, naming the source', () => {
    const fromReadme = doc({ Problem: 'The cart service prices carts and applies discounts, run make dev to start.' });
    assert.deepEqual(
      of(check(md, fromReadme, ctx(readme)), 'copied-text').map((f) => f.problem),
      ['Section "Problem" copies the repository\'s README.md: 100% of its 5-word runs occur there.'],
    );
    const fromPrompt = doc({ Problem: template.text });
    assert.match(
      of(check(md, fromPrompt, ctx(template)), 'copied-text')[0]?.problem ?? '',
      /copies Autopilot's own instructions \(the phase prompts\): 100%/,
    );
    const fromEarlier = doc({
      Problem: 'Refunds for cancelled orders take nine days because finance approves each one by hand.',
    });
    const [f] = of(check(md, fromEarlier, ctx(earlier(0))), 'copied-text');
    assert.equal(
      f?.problem,
      'Section "Problem" copies an earlier task\'s evidence, evidence/T-1/strategize/strategy.md: 100% of its 5-word runs occur there.',
    );
    assert.equal(
      f?.fix,
      'Write "## Problem" in your own words about this task; quote at most a phrase of evidence/T-1/strategize/strategy.md.',
    );
  });

  it('lets a quoted phrase through and does not judge sections under eight words', () => {
    const quoting = doc({
      Problem:
        'New contributors read that the cart service prices carts and applies discounts, but nothing says which discounts stack.',
    });
    assert.deepEqual(check(md, quoting, ctx(readme)), []);
    assert.deepEqual(check(md, doc({ Scope: 'The cart service prices carts.' }), ctx(readme)), []);
  });

  it('compares only the sources and the number of earlier tasks the rule names, and needs the context', () => {
    const copy = doc({
      Problem: 'Refunds for cancelled orders take nine days because finance approves each one by hand.',
    });
    const only = (c: Partial<NonNullable<Exclude<ArtifactRule['copiedText'], false>>>) =>
      rule('doc.md', { copiedText: { ...DEFAULT_CONTENT_CHECKS.copiedText, ...c } as ArtifactRule['copiedText'] });
    assert.deepEqual(check(only({ sources: ['readme', 'template'] }), copy, ctx(earlier(0))), []);
    assert.deepEqual(check(only({ earlierTasks: 3 }), copy, ctx(earlier(3))), [], 'the fourth task back is not read');
    assert.equal(of(check(only({ earlierTasks: 3 }), copy, ctx(earlier(2))), 'copied-text').length, 1);
    assert.deepEqual(check(rule('doc.md', { copiedText: false }), copy, ctx(earlier(0))), []);
    assert.deepEqual(check(md, copy), [], 'without a context there is nothing to compare with');
  });

  it('names the source with the largest share, also once its text left the cache of runs', () => {
    const text = 'Refunds for cancelled orders take nine days because finance approves each one by hand today.';
    const copy = doc({ Problem: text });
    const many = rule('doc.md', {
      copiedText: { ...DEFAULT_CONTENT_CHECKS.copiedText, earlierTasks: 5000 } as ArtifactRule['copiedText'],
    });
    const source = (rank: number, body: string): CopySource => ({
      kind: 'earlier',
      label: `evidence/T-${rank}/strategize/strategy.md`,
      text: body,
      rank,
    });
    // Two thirds of the section's runs in one source, all of them in the other, and none in the rest.
    const half = source(1, 'Refunds for cancelled orders take nine days because finance approves nothing else here.');
    const full = source(2, text);
    const expect = (sources: CopySource[]) =>
      assert.deepEqual(
        of(check(many, copy, ctx(...sources)), 'copied-text').map((f) => f.problem),
        [`Section "Problem" copies an earlier task's evidence, ${full.label}: 100% of its 5-word runs occur there.`],
      );
    expect([half, full]);
    // More texts than the cache keeps: the first two leave it, and are compared run by run from then on.
    const others = Array.from({ length: 1100 }, (_, i) =>
      source(10 + i, `Unrelated note ${i} about invoices, ${i} shipping labels and warehouse ${i} shelves.`),
    );
    expect([half, ...others, full]);
    expect([half, full]);
    expect([source(1, half.text), source(2, full.text)]);
  });
});

describe('spec-grounding', () => {
  const map = rule('file_map.json', { groundedIn: DEFAULT_GROUNDING });
  const diff = rule('git_diff.patch', { groundedIn: DEFAULT_GROUNDING });
  const spec = (criteria: string) => `# Spec\n\n## Acceptance Criteria\n${criteria}\n\n## KPIs\nFewer refunds.\n`;
  const ctx = (text: string): EvidenceContext => ({
    sources: [],
    artifacts: [{ name: 'spec.md', path: 'evidence/T-9/spec/spec.md', phase: 'SPEC', text }],
  });
  const fileMap = (...files: [string, string][]) =>
    JSON.stringify({ files: files.map(([path, why]) => ({ path, change: 'modify', why })) });
  const MAP = fileMap(
    ['src/cart/pricing.ts', 'price all cart lines in one query'],
    ['src/cart/pricing.test.ts', 'tests for batched pricing'],
  );

  it('passes criteria that name a path, a file name, a word of an identifier or a code-shaped name', () => {
    for (const criteria of [
      '- `src/cart/pricing.ts` prices a 500-item cart in one query.',
      '- The pricing of a cart with 500 items takes under 300 ms.',
      '- `priceCart(cart)` returns one price per line.',
    ])
      assert.deepEqual(check(map, MAP, ctx(spec(criteria))), [], criteria);
    const health = fileMap(['src/server.js', 'serve the /health route']);
    assert.deepEqual(check(map, health, ctx(spec('- GET /health answers 200.'))), []);
  });

  it('flags criteria that any task could claim, or that belong to another change', () => {
    for (const criteria of [
      '- The feature works as expected.\n- All tests pass.\n- No regressions are introduced.',
      '- Invoices render on A4 with 20 mm margins.\n- The logo keeps its aspect ratio.',
    ]) {
      const [f, ...rest] = check(map, MAP, ctx(spec(criteria)));
      assert.equal(rest.length, 0, criteria);
      assert.equal(f?.rule, 'spec-grounding');
      assert.equal(
        f?.problem,
        'The "Acceptance Criteria" of evidence/T-9/spec/spec.md name nothing that file_map.json touches: no path, file name or identifier of its entries and no word of their "why" occurs in them.',
      );
      assert.match(f?.fix ?? '', /list in file_map\.json the files the criteria are about, or backtrack to SPEC/);
    }
  });

  it("takes three shared words of the file map's why as grounding, two not", () => {
    const plain = fileMap(['src/a.ts', 'the header row of the export table']);
    assert.equal(check(map, plain, ctx(spec('- The export table has a header row.'))).length, 0);
    assert.equal(check(map, plain, ctx(spec('- The table has a header.'))).length, 1);
  });

  it("reads a diff's paths and changed lines, not its context lines", () => {
    const patch = [
      'diff --git a/src/cart/pricing.ts b/src/cart/pricing.ts',
      '--- a/src/cart/pricing.ts',
      '+++ b/src/cart/pricing.ts',
      '@@ -1,3 +1,3 @@',
      ' const discountTable = load();',
      '-export const perLine = true;',
      '+export const batchedQuery = true;',
    ].join('\n');
    assert.deepEqual(check(diff, patch, ctx(spec('- Prices come from a batched query.'))), []);
    assert.deepEqual(check(diff, patch, ctx(spec('- The file pricing.ts is rewritten.'))), []);
    const [f] = check(diff, patch, ctx(spec('- The discount table is reloaded hourly.')));
    assert.equal(f?.rule, 'spec-grounding');
    assert.match(f?.problem ?? '', /no path it changes and no identifier or word of its changed lines/);
  });

  it('fails closed when the spec or its section is missing, and leaves broken JSON to the JSON checks', () => {
    assert.match(
      check(map, MAP, NO_CONTEXT)[0]?.problem ?? '',
      /The task has no spec\.md to check file_map\.json against/,
    );
    assert.match(
      check(map, MAP, ctx('# Spec\n\n## Goals\nFaster carts.\n'))[0]?.problem ?? '',
      /has no "Acceptance Criteria" section/,
    );
    assert.deepEqual(
      check(map, '{"files": [', ctx(spec('- anything'))).map((f) => f.rule),
      ['json-parse'],
    );
    assert.deepEqual(check(map, MAP), [], 'without a context the check does not run');
    assert.deepEqual(check(rule('file_map.json', { groundedIn: false }), MAP, NO_CONTEXT), []);
  });

  it('splits identifiers into their words and stems them', () => {
    assert.deepEqual([...termsOf('`wordCount` in src/count.js')].sort(), [
      'count',
      'src/count.js',
      'word',
      'wordcount',
    ]);
    assert.deepEqual([...termsOf('invoices_for(request) and next_cursor')].sort(), [
      'cursor',
      'invoic',
      'invoices_for',
      'next',
      'next_cursor',
      'request',
    ]);
  });
});

describe('tokens', () => {
  it('merges inflections and keeps names', () => {
    const same = (...words: string[]) => assert.equal(new Set(words.map(stem)).size, 1, words.join(', '));
    same('risk', 'risks', 'risky');
    same('test', 'tests', 'testing', 'tested');
    same('retry', 'retries');
    assert.equal(stem('status'), 'status');
    assert.equal(stem('src/count.js'), 'src/count.js');
    assert.deepEqual(wordsOf('Use `wordCount()`, TBD... and src/count.js!'), [
      'use',
      'wordcount',
      'and',
      'src/count.js',
    ]);
  });
});
