/** @module The demo's small project: a text utility library with real tests, and the files the scripted agent writes. */

/** The project as committed before the task starts. */
export const PROJECT_FILES: Record<string, string> = {
  'package.json':
    JSON.stringify(
      { name: 'textkit', version: '1.0.0', type: 'module', private: true, scripts: { test: 'node --test test/' } },
      null,
      2,
    ) + '\n',
  '.gitignore': 'reports/*.xml\ncoverage/*.info\n',
  'reports/.keep': '',
  'coverage/.keep': '',
  'README.md': '# textkit\n\nSmall text utilities.\n',
  'src/slug.js': `/** Turns a title into a URL slug. */
export function slugify(title) {
  return title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
`,
  'test/slug.test.js': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from '../src/slug.js';

test('slugify lowers case and joins words with dashes', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
});

test('slugify trims punctuation at both ends', () => {
  assert.equal(slugify('  -- Ready, set, go! --'), 'ready-set-go');
});
`,
  'scripts/build.js': `// "Build": parse every source file, as a compiler would, and fail on a syntax error.
import { readdirSync, readFileSync } from 'node:fs';
import vm from 'node:vm';
for (const f of readdirSync('src')) {
  const code = readFileSync('src/' + f, 'utf8').replace(/^export /gm, '');
  new vm.Script(code, { filename: f });
}
console.log('build ok: ' + readdirSync('src').length + ' modules');
`,
  'scripts/lint.js': `// Lint: no console.log in library code, no lines over 120 characters.
import { readdirSync, readFileSync } from 'node:fs';
let problems = 0;
for (const f of readdirSync('src')) {
  readFileSync('src/' + f, 'utf8').split('\\n').forEach((line, i) => {
    if (line.includes('console.log')) { console.log(\`src/\${f}:\${i + 1} console.log in library code\`); problems++; }
    if (line.length > 120) { console.log(\`src/\${f}:\${i + 1} line longer than 120\`); problems++; }
  });
}
console.log(problems ? problems + ' problems' : 'lint clean');
process.exit(problems ? 1 : 0);
`,
  'scripts/smoke.js': `// Smoke: load the library as a consumer would and call it once.
import { slugify } from '../src/slug.js';
import { wordCount } from '../src/count.js';
if (slugify('Smoke Test') !== 'smoke-test' || wordCount('one two') !== 2) { console.error('smoke failed'); process.exit(1); }
console.log('smoke ok');
`,
};

/** The test command: node's test runner writing JUnit and lcov reports. */
export const TEST_COMMAND = {
  run: [
    process.execPath,
    '--test',
    '--experimental-test-coverage',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=junit',
    '--test-reporter-destination=reports/junit.xml',
    '--test-reporter=lcov',
    '--test-reporter-destination=coverage/lcov.info',
    'test/slug.test.js',
    'test/count.test.js',
  ],
  junit: 'reports/junit.xml',
  lcov: 'coverage/lcov.info',
  timeoutSeconds: 120,
};

export const HOLLOW_STRATEGY = `# Strategy

## Problem
TBD

## Objectives
TODO

## Scope
...

## Non-goals
N/A

## Risks
TBD

## Strategy
TODO
`;

export const STRATEGY = `# Strategy: word count for textkit

## Problem
Editors using textkit want to show how long a text is, and today they count words with ad-hoc split calls that disagree on punctuation and white space.

## Objectives
- Offer one \`wordCount(text)\` function that every caller can trust.
- Keep the library free of dependencies.

## Scope
A new module src/count.js with wordCount, its tests, and nothing else in the public surface.

## Non-goals
Counting sentences, characters or reading time is left for later tasks, and so is any locale-specific segmentation.

## Risks
Unicode text could be split wrongly; empty and white-space-only input could return one instead of zero words.

## Strategy
Split on runs of white space after trimming, treat an empty result as zero words, and pin the behaviour with tests for each edge case found in THINK.
`;

export const SPEC = `# Spec: wordCount

## Acceptance Criteria
- \`wordCount('one two')\` returns 2.
- Empty and white-space-only strings return 0.
- Runs of spaces, tabs and newlines count as one separator.

## KPIs
All acceptance criteria pinned by tests; changed-lines coverage of at least 80 percent.
`;

export const PLAN = `# Plan

## Work Breakdown
1. Add src/count.js exporting wordCount.
2. Add test/count.test.js covering every acceptance criterion.
3. Run the whole suite and the smoke script.
`;

export const FILE_MAP = JSON.stringify(
  {
    files: [
      { path: 'src/count.js', change: 'add', why: 'the new wordCount function' },
      { path: 'test/count.test.js', change: 'add', why: 'tests for every acceptance criterion' },
    ],
  },
  null,
  2,
);

export const EDGE_CASES = `# Edge cases

## Edge Cases
- Empty string.
- Only white space, including tabs and newlines.
- Leading and trailing white space around words.

## Mitigations
- Trim before splitting, and return 0 when nothing is left.
- Split on the white-space class with a + quantifier so runs count once.
`;

/** First attempt: forgets to trim, so leading white space counts an empty word. */
export const COUNT_BUGGY = `/** Counts the words of a text: runs of non-space characters. */
export function wordCount(text) {
  if (text.length === 0) {
    return 0;
  }
  return text.split(/\\s+/).length;
}
`;

export const COUNT_FIXED = `/** Counts the words of a text: runs of non-space characters. */
export function wordCount(text) {
  const trimmed = text.trim();
  if (trimmed.length === 0) {
    return 0;
  }
  return trimmed.split(/\\s+/).length;
}
`;

export const COUNT_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wordCount } from '../src/count.js';

test('counts words separated by single spaces', () => {
  assert.equal(wordCount('one two'), 2);
});

test('empty and white-space-only text has no words', () => {
  assert.equal(wordCount(''), 0);
  assert.equal(wordCount(' \\t\\n '), 0);
});

test('runs of white space and surrounding space count once', () => {
  assert.equal(wordCount('  one \\t two\\n\\nthree  '), 3);
});
`;

export const RUBRIC = JSON.stringify(
  {
    dimensions: {
      readability: { pass: true, notes: 'One small function with a doc comment and an early return.' },
      maintainability: { pass: true, notes: 'No dependencies; behaviour pinned by three focused tests.' },
      performance: { pass: true, notes: 'Linear in the input; one trim and one split.' },
      security: { pass: true, notes: 'Pure function on strings; no I/O, no regular expression backtracking risk.' },
      governance: { pass: true, notes: 'Every phase passed with evidence; the file map matches the diff.' },
    },
  },
  null,
  2,
);

/** The tests once a person asked for one more: hyphenated words and apostrophes count once. */
export const COUNT_TEST_MORE = `${COUNT_TEST}
test('hyphenated words and apostrophes count as one word', () => {
  assert.equal(wordCount("don't stop-here"), 2);
});
`;

/** The rubric of the second review, after the change the person asked for. */
export const RUBRIC_AGAIN = JSON.stringify(
  {
    dimensions: {
      readability: { pass: true, notes: 'Unchanged code; the added test names the case it pins in its title.' },
      maintainability: { pass: true, notes: 'Four focused tests now, hyphens and apostrophes among them.' },
      performance: { pass: true, notes: 'Still linear in the input; the change adds a test only.' },
      security: { pass: true, notes: 'Pure function on strings; the new test reads no input from outside.' },
      governance: { pass: true, notes: "The person's requested change was made after the backtrack they ordered." },
    },
  },
  null,
  2,
);

export const PR_TEMPLATE = `# Add wordCount

## Summary
Adds \`wordCount(text)\` in src/count.js with tests for empty input, white-space runs and surrounding space.

## Risks
Callers that relied on their own counting may see different numbers for text with leading white space.

## Rollback
Revert the merge commit; nothing else depends on the new module yet.
`;

/** The agent's evidence of the demo task, phase by phase, as [file name, content] (REVIEW and PR: the agent's part only). */
export const AGENT_EVIDENCE: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  STRATEGIZE: [['strategy.md', STRATEGY]],
  SPEC: [['spec.md', SPEC]],
  PLAN: [
    ['plan.md', PLAN],
    ['file_map.json', FILE_MAP],
  ],
  THINK: [['edge_cases.md', EDGE_CASES]],
  REVIEW: [['review_rubric.json', RUBRIC]],
  PR: [
    ['pr_template_filled.md', PR_TEMPLATE],
    ['pr_url.txt', 'https://git.example.com/textkit/pull/1\n'],
  ],
};
