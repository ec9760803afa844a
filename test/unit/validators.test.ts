import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EVIDENCE, parseConfig, type ArtifactRule } from '../../src/core/config.ts';
import { AutopilotError, ErrorCode } from '../../src/core/errors.ts';
import { artifactKind, missingArtifact, validateArtifact, type Finding } from '../../src/validators/index.ts';
import { lookupPath, MAX_SCHEMA_FINDINGS, schemaProblem } from '../../src/validators/json.ts';
import { normalizeHeading, parseMarkdown, splitSections } from '../../src/validators/markdown.ts';
import { countRealWords, isPlaceholderWord } from '../../src/validators/words.ts';

const MAX = 4 * 1024 * 1024;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

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
    ...extra,
  };
}

function contract(phase: string, index: number): ArtifactRule {
  const r = DEFAULT_EVIDENCE[phase]?.[index];
  assert.ok(r, `default contract ${phase}[${index}]`);
  return r;
}

function check(
  r: ArtifactRule,
  text: string | Uint8Array,
  path = `evidence/T-1/x/${r.name}`,
  maxBytes = MAX,
): Finding[] {
  return validateArtifact(r, typeof text === 'string' ? enc(text) : text, { path, maxBytes });
}

const rules = (fs: readonly Finding[]): string[] => fs.map((f) => f.rule);

function only(fs: readonly Finding[], ruleId: string): Finding {
  assert.deepEqual(rules(fs), [ruleId], `expected exactly one ${ruleId} finding, got ${JSON.stringify(fs, null, 2)}`);
  return fs[0] as Finding;
}

const sectionRule = (heading: string, extra: Partial<{ minWords: number; list: boolean; minItems: number }> = {}) => ({
  heading,
  minWords: 8,
  list: false,
  minItems: 1,
  ...extra,
});

const STRATEGY = contract('STRATEGIZE', 0);

const REAL_STRATEGY = `# Strategy for T-1: faster CI

## Problem
The CI pipeline takes forty minutes per push, so reviewers wait and merge stale branches.

## Objectives
- Bring the median pipeline time under ten minutes.
- Keep flaky test reruns below one percent of runs.

## Scope
Only the **test** stage of the pipeline and its [cache setup](https://example.com/cache) are in scope here.

## Non-goals
We will not change the deployment stage or move to another CI vendor this quarter.

## Risks
Caching test artifacts may hide real failures when the cache key misses a changed input file.

## Strategy
Split the suite by historical timing into four shards and cache dependencies keyed on the lockfile hash.
`;

describe('validateArtifact: default STRATEGIZE contract', () => {
  it('accepts a real strategy', () => {
    assert.deepEqual(check(STRATEGY, REAL_STRATEGY), []);
  });

  it('rejects a hollow strategy whose headings are present but bodies are TBD or empty', () => {
    const hollow = [
      '# Strategy doc',
      '## Problem',
      'TBD',
      '## Objectives',
      '',
      '## Scope',
      'TODO: fill in',
      '## Non-goals',
      'N/A',
      '## Risks',
      '- TBD',
      '- ...',
      '## Strategy',
      '_Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor._',
      '',
    ].join('\n');
    const fs = check(STRATEGY, hollow);
    assert.deepEqual(rules(fs), Array(6).fill('section-content'));
    for (const [i, h] of ['Problem', 'Objectives', 'Scope', 'Non-goals', 'Risks', 'Strategy'].entries()) {
      assert.match(fs[i]?.problem ?? '', new RegExp(`^Section "${h}" has`));
      assert.match(fs[i]?.fix ?? '', new RegExp(`under "## ${h}"`));
    }
    assert.match(fs[0]?.problem ?? '', /has 0 real words; it needs at least 8/);
    // "TODO: fill in": the two words after the placeholder are real, still far from 8.
    assert.match(fs[2]?.problem ?? '', /has 2 real words/);
  });

  it('names every missing heading of an empty-bodied file', () => {
    const fs = check(
      STRATEGY,
      '# Notes\n\nSomething about the task, written in prose without any required headings.\n',
    );
    assert.deepEqual(rules(fs), Array(6).fill('section-missing'));
    assert.match(fs[3]?.problem ?? '', /Section "Non-goals" is missing/);
    assert.equal(fs[3]?.fix, 'Add a "## Non-goals" section with at least 8 words of real content.');
  });
});

describe('validateArtifact: Markdown sections', () => {
  const one = (heading: string, extra = {}) => rule('doc.md', { sections: [sectionRule(heading, extra)] });

  it('matches headings at any level, case-insensitively, ignoring a trailing colon and extra spaces', () => {
    const r = rule('doc.md', {
      sections: [sectionRule('Acceptance Criteria', { minWords: 3 }), sectionRule('KPIs', { minWords: 3 })],
    });
    const text = '#### acceptance   CRITERIA:\nThe page loads in one second.\n\nKPIs\n====\nP95 latency under 300ms.\n';
    assert.deepEqual(check(r, text), []);
  });

  it('ends a section at the next heading of the same or higher level, and keeps deeper sub-sections in it', () => {
    const r = one('Problem');
    // The sub-section's body belongs to "Problem"; the "## Other" body does not.
    const ok = '## Problem\n### Details\nBuilds on the main branch fail twice a week on flaky tests.\n## Other\nx\n';
    assert.deepEqual(check(r, ok), []);
    const cut = '### Problem\nTBD\n## Other\nBuilds on the main branch fail twice a week on flaky tests.\n';
    const f = only(check(r, cut), 'section-content');
    assert.match(f.problem, /Section "Problem" has 0 real words/);
  });

  it('does not count the words of sub-headings', () => {
    const r = one('Problem', { minWords: 3 });
    const f = only(check(r, '## Problem\n### Flaky tests slow every single merge down\nTBD\n'), 'section-content');
    assert.match(f.problem, /Section "Problem" has 0 real words; it needs at least 3/);
  });

  it('does not take a heading inside a fenced code block for a heading', () => {
    const r = one('Risks', { minWords: 1 });
    const f = only(check(r, '# Doc\n\n```md\n## Risks\nSome risk text inside the fence.\n```\n'), 'section-missing');
    assert.match(f.problem, /Section "Risks" is missing/);
    assert.equal(splitSections(parseMarkdown('```\n## Risks\n```\n')).length, 0);
  });

  it('does not take a heading inside a blockquote for a section', () => {
    const f = only(check(one('Risks', { minWords: 1 }), '> ## Risks\n> Data loss on migration.\n'), 'section-missing');
    assert.match(f.problem, /"Risks"/);
  });

  it('counts plain words only: no markup, no link URLs, no inline HTML', () => {
    const r = one('Scope', { minWords: 4 });
    // Visible words: "see", "the", "docs", "now" = 4, the URL and the tag do not add any.
    assert.deepEqual(check(r, '## Scope\n**see** `the` [docs](https://example.com/a/b/c/d/e) <span>now</span>\n'), []);
    const f = only(
      check(r, '## Scope\n[docs](https://example.com/a/b/c/d/e/f/g) <!-- x y z w -->\n'),
      'section-content',
    );
    assert.match(f.problem, /Section "Scope" has 1 real word;/);
  });

  it('discards placeholder filler, label-only lines and lorem ipsum', () => {
    const r = one('Risks', { minWords: 2 });
    for (const body of [
      'TBD TODO TBA FIXME N/A n/a ... … lorem ipsum placeholder xxx -',
      'Risk 1: TBD\nRisk 2: -\nOwner: n/a',
      'Lorem ipsum dolor sit amet consectetur',
    ]) {
      const f = only(check(r, `## Risks\n${body}\n`), 'section-content');
      assert.match(f.problem, /Section "Risks" has 0 real words; it needs at least 2/, body);
    }
    // Whole words only: "todos" and "tbd-ish" are words.
    assert.deepEqual(check(r, '## Risks\ntodos tbd-ish\n'), []);
  });

  it('lets a prose section pass with a list holding one real item', () => {
    const r = one('Risks', { minWords: 20 });
    assert.deepEqual(check(r, '## Risks\n- Data loss during the migration.\n'), []);
    const f = only(check(r, '## Risks\n- TBD\n- [ ] TODO\n'), 'section-content');
    assert.match(f.problem, /Section "Risks" has 0 real words; it needs at least 20/);
  });

  it('requires a list for list sections, counting only real items', () => {
    const r = one('Acceptance Criteria', { list: true, minItems: 3 });
    const prose = only(
      check(r, '## Acceptance Criteria\nThe feature works for every user in every browser we support.\n'),
      'section-list',
    );
    assert.match(prose.problem, /Section "Acceptance Criteria" has no list/);
    assert.match(prose.fix, /Under "## Acceptance Criteria", write a list .* at least 3 items/);
    const hollow = only(
      check(r, '## Acceptance Criteria\n- Login works\n- TBD\n- Risk: ...\n- Owner:\n'),
      'section-list',
    );
    assert.match(
      hollow.problem,
      /Section "Acceptance Criteria" has a list with 1 real item \(3 empty or placeholder\); it needs at least 3/,
    );
    assert.deepEqual(check(r, '## Acceptance Criteria\n1. Login works\n2. Logout works\n3. Reset works\n'), []);
  });

  it('counts nested list items, and items anywhere in the section range', () => {
    const r = one('Edge Cases', { list: true, minItems: 4 });
    const nested =
      '## Edge Cases\n- Inputs:\n  - empty string\n  - very long string\n    - over 1 MiB\n- TBD\n### Concurrency\n* two writers at once\n';
    assert.deepEqual(check(r, nested), []);
    const f = only(check(r, '## Edge Cases\n- Inputs:\n  - empty string\n  - TODO\n'), 'section-list');
    assert.match(f.problem, /Section "Edge Cases" has a list with 1 real item .*it needs at least 4/);
  });

  it('uses the deepest occurrence of a repeated heading, so a title does not stand in for a section', () => {
    const r = one('Strategy');
    const text = '# Strategy\nThis document describes how we will ship the faster pipeline soon.\n## Strategy\nTBD\n';
    const f = only(check(r, text), 'section-content');
    assert.match(f.problem, /Section "Strategy" has 0 real words/);
  });

  it('ignores table header cells and counts body cells', () => {
    const r = one('Risks', { minWords: 3 });
    const f = only(
      check(r, '## Risks\n| Risk | Likelihood | Mitigation |\n|---|---|---|\n| TBD | TBD | TBD |\n'),
      'section-content',
    );
    assert.match(f.problem, /Section "Risks" has 0 real words/);
    assert.deepEqual(check(r, '## Risks\n| Risk | Mitigation |\n|---|---|\n| cache miss | pin the key |\n'), []);
  });
});

describe('validateArtifact: text checks', () => {
  it('fires size over opts.maxBytes, and rule.maxBytes wins over it', () => {
    const big = 'word '.repeat(300);
    const f = only(check(rule('notes.txt'), big, 'e/notes.txt', 1000), 'size');
    assert.match(f.problem, /1500 bytes \(1\.5 KiB\), over the limit of 1000 bytes/);
    assert.equal(f.file, 'e/notes.txt');
    assert.match(
      only(check(rule('notes.txt', { maxBytes: 100 }), big, 'e/notes.txt', MAX), 'size').problem,
      /limit of 100 bytes/,
    );
    assert.deepEqual(check(rule('notes.txt', { maxBytes: 2000 }), big, 'e/notes.txt', 1000), []);
  });

  it('fires binary on a NUL byte and stops there', () => {
    const bytes = enc('## Problem\n\0rest');
    const f = only(check(rule('strategy.md', { sections: STRATEGY.sections }), bytes), 'binary');
    assert.match(f.problem, /NUL byte at offset 11/);
  });

  it('fires utf8 on invalid UTF-8 and names the offset', () => {
    const bytes = new Uint8Array([...enc('caf'), 0xe9, ...enc(' au lait')]); // Latin-1 "café"
    const f = only(check(rule('notes.txt', { minWords: 1 }), bytes), 'utf8');
    assert.match(f.problem, /not valid UTF-8 \(first invalid byte at offset 3\)/);
    assert.match(only(check(rule('x.txt'), new Uint8Array([0x61, 0xed, 0xa0, 0x80])), 'utf8').problem, /offset 1/); // surrogate
  });

  it('accepts UTF-8 with a byte-order mark', () => {
    assert.deepEqual(check(rule('file_map.json'), new Uint8Array([0xef, 0xbb, 0xbf, ...enc('{"a":1}')])), []);
  });

  it('fires empty on an empty or whitespace-only file', () => {
    assert.match(only(check(rule('notes.txt'), ''), 'empty').problem, /The file is empty/);
    assert.match(only(check(rule('notes.txt'), ' \n\t\n'), 'empty').problem, /only whitespace/);
    // JSON: empty says it all, no parse error on top.
    assert.deepEqual(rules(check(rule('x.json', { assert: [{ path: 'a', op: 'eq', value: 1 }] }), '\n')), ['empty']);
    // Markdown: the missing sections still say what to write.
    assert.deepEqual(rules(check(STRATEGY, '')), ['empty', ...Array(6).fill('section-missing')]);
  });

  it('fires min-words on text and on the Markdown body, not counting headings or placeholders', () => {
    const patch = rule('git_diff.patch', { minWords: 1 });
    assert.match(only(check(patch, 'TODO\n...\n'), 'min-words').problem, /0 real words; it needs at least 1/);
    assert.deepEqual(check(contract('IMPLEMENT', 0), 'diff --git a/x b/x\n+hello\n'), []);
    const md = rule('notes.md', { minWords: 5 });
    const f = only(check(md, '# One two three four five six\nTBD\n'), 'min-words');
    assert.match(f.problem, /0 real words; it needs at least 5/);
    assert.match(f.fix, /headings do not count/);
    assert.deepEqual(check(md, '# T\nOne two three four five.\n'), []);
  });

  it('fires must-match on the default pr_url.txt rule', () => {
    const pr = contract('PR', 1);
    assert.equal(pr.name, 'pr_url.txt');
    assert.deepEqual(check(pr, 'https://github.com/acme/app/pull/42\n'), []);
    for (const text of ['PR: TBD\n', 'see https://github.com/acme/app/pull/42 later\n']) {
      const f = only(check(pr, text), 'must-match');
      assert.ok(f.problem.includes(`/${pr.mustMatch[0]}/`), f.problem);
      assert.match(f.fix, /^Rewrite pr_url\.txt so that it matches/);
    }
  });

  it('fires must-not-match naming the first matching line', () => {
    const r = rule('notes.txt', { mustNotMatch: ['^\\s*-\\s*\\[ \\]'] });
    const f = only(check(r, 'Done:\n- [x] a\n- [ ] b\n- [ ] c\n'), 'must-not-match');
    assert.match(f.problem, /^Line 3 matches the forbidden pattern \/\^\\s\*-\\s\*\\\[ \\\]\/: "- \[ \]"/);
    assert.match(f.fix, /line 3 of notes\.txt/);
  });

  it('never gets an invalid regex from a parsed config; a hand-made one throws CONFIG_INVALID', () => {
    const parsed = parseConfig({ evidence: { PR: [{ name: 'pr_url.txt', mustMatch: ['(unclosed'] }] } });
    assert.equal(parsed.ok, false);
    if (!parsed.ok) {
      assert.equal(parsed.error.code, ErrorCode.CONFIG_INVALID);
      assert.equal(parsed.error.details['key'], 'evidence.PR.0.mustMatch.0');
    }
    assert.throws(
      () => check(rule('pr_url.txt', { mustMatch: ['(unclosed'] }), 'x'),
      (e: unknown) =>
        e instanceof AutopilotError && e.code === ErrorCode.CONFIG_INVALID && /mustMatch\.0/.test(e.message),
    );
  });
});

describe('validateArtifact: JSON', () => {
  const FILE_MAP = contract('PLAN', 1);
  const RUBRIC = contract('REVIEW', 0);

  it('fires json-parse on malformed JSON and runs nothing else', () => {
    const f = only(check(FILE_MAP, '{"files": [ {"path": "a",} ]}'), 'json-parse');
    assert.match(f.problem, /^The file is not valid JSON: /);
    assert.match(f.fix, /file_map\.json as one valid JSON document/);
  });

  it('accepts a valid file_map.json', () => {
    const doc = { files: [{ path: 'src/a.ts', change: 'modify', why: 'adds the cache key' }] };
    assert.deepEqual(check(FILE_MAP, JSON.stringify(doc)), []);
  });

  it('rejects an invalid file_map.json with one json-schema finding per error, naming the instancePath', () => {
    const doc = { files: [{ path: 'src/a.ts', change: 'rewrite', why: 'x' }, { path: '' }] };
    const fs = check(FILE_MAP, JSON.stringify(doc));
    assert.ok(fs.every((f) => f.rule === 'json-schema'));
    const problems = fs.map((f) => f.problem);
    assert.ok(
      problems.some((p) => p.startsWith('At /files/0/change: must be equal to one of the allowed values: "add"')),
      problems.join('\n'),
    );
    assert.ok(problems.includes('At /files/0/why: must NOT have fewer than 3 characters.'), problems.join('\n'));
    assert.ok(problems.includes("At /files/1: must have required property 'change'."), problems.join('\n'));
    assert.ok(problems.includes('At /files/1/path: must NOT have fewer than 1 characters.'), problems.join('\n'));
    assert.ok(fs.some((f) => f.fix === 'Add the property "why" to the object at /files/1.'));
    const empty = only(check(FILE_MAP, '{"files": []}'), 'json-schema');
    assert.equal(empty.problem, 'At /files: must NOT have fewer than 1 items.');
    assert.equal(only(check(FILE_MAP, '[]'), 'json-schema').problem, 'At (root): must be object.');
  });

  it('caps json-schema findings at 20 per file', () => {
    const files = Array.from({ length: 30 }, () => ({ path: 'a', change: 'nope', why: 'long enough' }));
    const fs = check(FILE_MAP, JSON.stringify({ files }));
    assert.equal(fs.length, MAX_SCHEMA_FINDINGS);
    assert.match(fs[19]?.problem ?? '', /\(10 more schema errors not shown\.\)$/);
  });

  it('rejects a review rubric with a dimension that does not pass', () => {
    const dim = (pass: boolean) => ({ pass, notes: 'looked at every changed file' });
    const dimensions = Object.fromEntries(
      ['readability', 'maintainability', 'performance', 'security', 'governance'].map((d) => [d, dim(true)]),
    );
    assert.deepEqual(check(RUBRIC, JSON.stringify({ dimensions })), []);
    const f = only(
      check(RUBRIC, JSON.stringify({ dimensions: { ...dimensions, security: dim(false) } })),
      'json-schema',
    );
    assert.equal(f.problem, 'At /dimensions/security/pass: must be equal to constant true.');
    assert.match(f.fix, /Resolve what \/dimensions\/security\/pass reports .* do not change the value alone/);
  });

  it('fires json-assert with the hint as the fix, on a failing value and on a missing path', () => {
    const tests = contract('VERIFY', 2);
    assert.deepEqual(check(tests, '{"totals": {"total": 12, "failed": 0, "errors": 0}}'), []);
    const failing = only(check(tests, '{"totals": {"total": 12, "failed": 3, "errors": 0}}'), 'json-assert');
    assert.equal(failing.problem, 'totals.failed is 3; it must equal 0.');
    assert.equal(failing.fix, 'fix the failing tests, then run `autopilot verify`');
    const missing = check(tests, '{"totals": {"total": 12}}');
    assert.deepEqual(rules(missing), ['json-assert', 'json-assert']);
    assert.equal(missing[0]?.problem, 'totals.failed is missing (totals has no property "failed"); it must equal 0.');
    assert.equal(missing[1]?.fix, 'fix the erroring tests, then run `autopilot verify`');
    const noRoot = check(tests, '{}');
    assert.match(noRoot[0]?.problem ?? '', /^totals\.total is missing \(\(root\) has no property "totals"\)/);
  });

  it('supports .length of arrays and strings, and numeric segments', () => {
    const modified = contract('IMPLEMENT', 1);
    assert.deepEqual(check(modified, '{"files": ["src/a.ts"]}'), []);
    const f = only(check(modified, '{"files": []}'), 'json-assert');
    assert.equal(f.problem, 'files.length is 0; it must be greater than 0.');
    assert.equal(f.fix, 'change the source: the diff from the base commit is empty');
    const r = rule('x.json', {
      assert: [
        { path: 'name.length', op: 'gte', value: 3 },
        { path: 'items.1.id', op: 'eq', value: 'b' },
        { path: 'items.5.id', op: 'eq', value: 'z' },
        { path: 'count', op: 'lt', value: 10 },
      ],
    });
    const fs = check(r, '{"name": "ab", "items": [{"id": "a"}, {"id": "b"}], "count": "5"}');
    assert.deepEqual(
      fs.map((x) => x.problem),
      [
        'name.length is 2; it must be at least 3.',
        'items.5.id is missing (items is an array of 2 with no element "5"); it must equal "z".',
        'count is "5"; it must be less than 10.',
      ],
    );
    assert.match(fs[0]?.fix ?? '', /Change the work so that name\.length would be at least 3/);
    assert.deepEqual(lookupPath({ s: 'abc' }, 's.length'), { found: true, value: 3 });
    assert.deepEqual(lookupPath({ s: 'abc' }, 's.0'), { found: false, reason: 's is a string, which has no "0"' });
    assert.deepEqual(lookupPath({ a: null }, 'a.b'), { found: false, reason: 'a is null, not an object or array' });
  });

  it('supports 2020-12 schemas and formats, and throws CONFIG_INVALID on an unusable schema', () => {
    const r = rule('d.json', {
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { url: { type: 'string', format: 'uri' } },
      },
    });
    assert.deepEqual(check(r, '{"url": "https://example.com"}'), []);
    assert.equal(only(check(r, '{"url": "not a uri"}'), 'json-schema').problem, 'At /url: must match format "uri".');
    const bad = rule('d.json', { schema: { type: 'no-such-type' } });
    assert.ok(schemaProblem({ type: 'no-such-type' }));
    assert.equal(schemaProblem({ type: 'object' }), undefined);
    assert.throws(
      () => check(bad, '{}'),
      (e: unknown) => e instanceof AutopilotError && e.code === ErrorCode.CONFIG_INVALID,
    );
  });
});

describe('missingArtifact', () => {
  it('says what to write for an agent artifact', () => {
    const f = missingArtifact(STRATEGY, 'evidence/T-1/strategize/strategy.md');
    assert.equal(f.rule, 'missing');
    assert.equal(f.file, 'evidence/T-1/strategize/strategy.md');
    assert.match(f.problem, /strategy\.md does not exist at evidence\/T-1\/strategize\/strategy\.md/);
    assert.match(
      f.fix,
      /^Create evidence\/T-1\/strategize\/strategy\.md with the sections "## Problem", "## Objectives", .*"## Strategy"/,
    );
    assert.match(
      missingArtifact(contract('PLAN', 1), 'e/file_map.json').fix,
      /as JSON satisfying its schema \(top-level keys: files\)/,
    );
    assert.match(missingArtifact(contract('PR', 1), 'e/pr_url.txt').fix, /matching \/\^\\s\*https\?/);
  });

  it('points autopilot-produced artifacts at autopilot, and prefers the hint', () => {
    assert.match(
      missingArtifact(contract('VERIFY', 2), 'e/test_results.json').fix,
      /Run the autopilot step that produces test_results\.json/,
    );
    assert.equal(
      missingArtifact(contract('VERIFY', 2), 'e/test_results.json', 'run `autopilot verify`').fix,
      'run `autopilot verify`',
    );
  });
});

describe('helpers', () => {
  it('picks the validator kind by extension', () => {
    assert.deepEqual(['a.md', 'b.MARKDOWN', 'c.json', 'd.patch', 'e.log', 'Makefile'].map(artifactKind), [
      'markdown',
      'markdown',
      'json',
      'text',
      'text',
      'text',
    ]);
  });

  it('normalizes headings and recognizes placeholders as whole words', () => {
    assert.equal(normalizeHeading('  Non-goals :: '), 'non-goals');
    assert.equal(normalizeHeading('Acceptance\t  Criteria:'), 'acceptance criteria');
    assert.deepEqual(['TBD.', '(N/A)', 'XXXX', '…', '-', 'TODO/TBD', 'todos', 'a'].map(isPlaceholderWord), [
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    assert.equal(countRealWords('Risk: TBD'), 0);
    assert.equal(countRealWords('See https://example.com for details'), 4);
  });
});
