/**
 * @module Honest evidence of the demo's change (wordCount in textkit) as different tasks would write it: a test that
 * takes several tasks through one repository gives each its own write-up, since the gate refuses a file that copies
 * an earlier task's (copied-text). Variant 0 is the demo's own evidence.
 */
import * as P from '../../src/surfaces/demo/project.ts';

/** A task's evidence, phase by phase, as [file name, content]. */
export type Evidence = Readonly<Record<string, readonly (readonly [string, string])[]>>;

function variant(v: {
  strategy: string;
  spec: string;
  plan: string;
  edgeCases: string;
  pr: string;
  n: number;
}): Evidence {
  return {
    STRATEGIZE: [['strategy.md', v.strategy]],
    SPEC: [['spec.md', v.spec]],
    PLAN: [
      ['plan.md', v.plan],
      ['file_map.json', P.FILE_MAP],
    ],
    THINK: [['edge_cases.md', v.edgeCases]],
    REVIEW: [['review_rubric.json', P.RUBRIC]],
    PR: [
      ['pr_template_filled.md', v.pr],
      ['pr_url.txt', `https://git.example.com/textkit/pull/${v.n}\n`],
    ],
  };
}

const VARIANTS: readonly Evidence[] = [
  P.AGENT_EVIDENCE,
  variant({
    n: 2,
    strategy: `# Strategy: a shared word counter

## Problem
The blog editor and the newsletter tool both show a word count, and for the same draft they disagree by a few words
because each one splits text its own way. Writers have noticed and stopped trusting either number.

## Objectives
- One counting function in textkit that both tools import.
- Numbers that match what a person counts on ordinary prose.

## Scope
Only the counting function in textkit and the tests that pin its behaviour; the two tools switch over later.

## Non-goals
Changing the editors themselves, and counting anything other than words, such as characters or paragraphs.

## Risks
Text pasted from word processors carries tabs and non-breaking spaces that a naive split treats as part of a word.

## Strategy
Trim the input, split on any run of white space, and write a test for every kind of spacing the two tools disagree on.
`,
    spec: `# Spec: word counter

## Acceptance Criteria
- \`wordCount\` gives 3 for "red green blue".
- A string holding only spaces, tabs or newlines gives 0, and so does the empty string.
- Several spaces or tabs between two words still separate just those two words.

## KPIs
The blog editor and the newsletter tool show equal counts for every draft in the sample set.
`,
    plan: `# Plan: word counter

## Work Breakdown
- Write src/count.js with the wordCount export.
- Cover the criteria in test/count.test.js, one test each.
- Check the whole library's tests still pass together.
`,
    edgeCases: `# Edge cases: word counter

## Edge Cases
- Nothing at all: the empty string.
- Tabs and line breaks between words instead of spaces.
- A draft that starts or ends with blank lines.

## Mitigations
- Return zero when the trimmed text is empty.
- Use a white-space class in the split so every kind of gap counts the same.
`,
    pr: `# Shared wordCount

## Summary
A single \`wordCount\` in textkit so the blog editor and the newsletter tool stop disagreeing.

## Risks
A tool that counted leading blank lines as a word will now show one word fewer.

## Rollback
Revert this pull request; neither tool imports the function yet.
`,
  }),
  variant({
    n: 3,
    strategy: `# Strategy: reading-time estimates need a word count

## Problem
Product wants a "5 min read" label on articles, and the estimate needs a reliable number of words first; textkit has
slug helpers but nothing that counts.

## Objectives
- A dependable count of words for any article body.
- Zero third-party packages, like the rest of textkit.

## Scope
Add a counting module to textkit with its tests; the reading-time label is a separate task that builds on it.

## Non-goals
The reading-time formula itself, right-to-left scripts, and languages written without spaces between words.

## Risks
Article bodies often end with trailing newlines, which would add a phantom word if they are split without trimming.

## Strategy
Keep it to one small pure function over a trimmed string, so the later reading-time work can rely on it blindly.
`,
    spec: `# Spec: counting words for reading time

## Acceptance Criteria
- The count module's wordCount returns 4 for "a quick brown fox".
- wordCount of "" or of white space alone is zero.
- Leading and trailing blank lines never add a word to the count.

## KPIs
Every criterion has a passing test, and coverage of the changed lines is 80 percent or more.
`,
    plan: `# Plan: counting words

## Work Breakdown
1. Create the count module (src/count.js) exporting wordCount.
2. Add test/count.test.js with a case per criterion.
3. Run the library's test script before asking for review.
`,
    edgeCases: `# Edge cases: counting words

## Edge Cases
- An article body that is empty.
- Trailing newlines at the end of every article.
- Two spaces after each full stop, as some authors type.

## Mitigations
- Trim first and answer zero for what is left empty.
- Split on one or more white-space characters, never on a single space.
`,
    pr: `# Count words for reading time

## Summary
Adds the count module with \`wordCount\`, the first step towards a reading-time label on articles.

## Risks
None for existing callers: the module is new and nothing imports it yet.

## Rollback
Revert the commit; the reading-time task has not started.
`,
  }),
  variant({
    n: 4,
    strategy: `# Strategy: word limits in the comment form

## Problem
Comments are limited to 300 words, but the form counts by splitting on single spaces, so a comment with double
spaces is rejected although it is well under the limit. Support receives a complaint about this every week.

## Objectives
- Count words the way a reader would, whatever spacing the writer used.
- Put the counting in textkit, where the form and the server can share it.

## Scope
The counting function and its tests in textkit; wiring it into the comment form follows in another change.

## Non-goals
Raising the limit, and counting emoji or URLs differently from other words.

## Risks
If server and form keep separate counters after this, a comment can pass one check and fail the other.

## Strategy
Provide one implementation in textkit that treats any run of white space as a single gap, and test the spacing cases
from the support tickets.
`,
    spec: `# Spec: comment word counting

## Acceptance Criteria
- wordCount counts "too  many   spaces" as 3 words.
- A comment made only of blanks counts as 0 words, as does an empty one.
- Newlines and tabs separate words exactly like spaces do.

## KPIs
No more weekly support complaints about rejected comments under the word limit.
`,
    plan: `# Plan: comment word counting

## Work Breakdown
- Implement wordCount in src/count.js.
- Put the support-ticket examples into test/count.test.js.
- Run all of textkit's tests.
`,
    edgeCases: `# Edge cases: comment counting

## Edge Cases
- Double and triple spaces between words.
- A comment of only blanks submitted by mistake.
- Text copied from an email with tab characters.

## Mitigations
- The split pattern matches any amount of white space between words.
- The function trims the text and reports zero when nothing remains.
`,
    pr: `# Word counting for comments

## Summary
\`wordCount\` in src/count.js treats any run of white space as one gap, fixing the double-space rejections.

## Risks
Comments that relied on the old miscount to squeeze in extra words will now hit the limit.

## Rollback
Revert the merge; the comment form still has its own counter until the follow-up change.
`,
  }),
  variant({
    n: 5,
    strategy: `# Strategy: word statistics for the docs linter

## Problem
Our docs linter warns about overly long pages, but it measures length in characters, which penalises code samples
and long URLs. Writers asked for a limit in words, and textkit is where shared text helpers live.

## Objectives
- A word count the linter can call on the prose of a page.
- Predictable results on Markdown source, including indented lines.

## Scope
A new module in textkit and its unit tests; changing the linter's rule comes afterwards.

## Non-goals
Parsing Markdown to skip code blocks, and any limit or warning logic; the linter keeps those.

## Risks
Indented Markdown lines begin with spaces, and a split without trimming would report an extra empty word per line.

## Strategy
A single exported function that trims, splits on white-space runs and returns the length, pinned by focused tests.
`,
    spec: `# Spec: word statistics

## Acceptance Criteria
- \`wordCount("  indented line")\` is 2.
- An empty page and a page of blank lines both have a word count of 0.
- Mixed tabs, spaces and line breaks between words count as one break each time.

## KPIs
The linter's length warnings drop for pages with long code samples once it switches to words.
`,
    plan: `# Plan: word statistics

## Work Breakdown
- Add the wordCount function as src/count.js.
- Add test/count.test.js with the indented, empty and mixed-spacing cases.
- Run textkit's suite and the smoke script.
`,
    edgeCases: `# Edge cases: word statistics

## Edge Cases
- Indented lines from Markdown lists and code.
- Pages that are empty or contain only blank lines.
- Mixed tabs and spaces between the same two words.

## Mitigations
- Trimming the whole text before splitting removes the indentation of the first line.
- A white-space run in the split pattern handles any mix of tabs and spaces as one break.
`,
    pr: `# wordCount for the docs linter

## Summary
New \`wordCount\` helper in textkit so the docs linter can measure pages in words.

## Risks
The linter is unchanged for now; the risk is only in the new function's edge cases, which the tests cover.

## Rollback
Revert the pull request; nothing calls the helper yet.
`,
  }),
];

/** The agent's evidence for the `index`-th task of a repository (0 for the first), phase by phase, as [name, content]. */
export function evidenceFor(index: number): Evidence {
  return VARIANTS[index % VARIANTS.length]!;
}

/** How many write-ups there are: a repository with more tasks than this repeats one, which the gate refuses. */
export const VARIANT_COUNT = VARIANTS.length;

/**
 * The evidence of a different change to textkit: slugify accepts a title that is not a string (a number, a date
 * object) by turning it into text first, instead of throwing on `toLowerCase`. For a test whose later task changes
 * src/slug.js, since the gate refuses a spec that names nothing the diff touches (spec-grounding).
 */
export const SLUG_STRING_EVIDENCE: Evidence = {
  STRATEGIZE: [
    [
      'strategy.md',
      `# Strategy: slugs for titles that are not strings

## Problem
The CMS import passes numeric titles such as 2024 straight to slugify, which then throws "toLowerCase is not a
function" and stops the whole import at the first such post.

## Objectives
- slugify returns a slug for any title it is given, whatever its type.
- The existing slugs of string titles stay exactly as they are.

## Scope
The first line of slugify in src/slug.js, where the title is read.

## Non-goals
Cleaning up the importer's data, and validating titles for length or emptiness.

## Risks
An object title would become "[object Object]" and slug to "object-object", which hides bad input instead of failing.

## Strategy
Convert the title with String() before lowering its case; every later step already works on any text.
`,
    ],
  ],
  SPEC: [
    [
      'spec.md',
      `# Spec: slugify converts its title to text

## Acceptance Criteria
- \`slugify(2024)\` in src/slug.js returns "2024" instead of throwing.
- String titles give the same slugs as before: the tests in test/slug.test.js pass unchanged.

## KPIs
The next CMS import finishes without a slug error.
`,
    ],
  ],
  PLAN: [
    [
      'plan.md',
      `# Plan: text before slugging

## Work Breakdown
- In src/slug.js, read the title through String() into a local before the chain of replacements.
- Run the existing slug tests and the smoke script to show string titles are unaffected.
`,
    ],
    [
      'file_map.json',
      JSON.stringify(
        { files: [{ path: 'src/slug.js', change: 'modify', why: 'slugify converts its title with String() first' }] },
        null,
        2,
      ),
    ],
  ],
  THINK: [
    [
      'edge_cases.md',
      `# Edge cases: non-string titles

## Edge Cases
- A title of null or undefined from a post with no title at all.
- A number with a decimal point, like 3.5.

## Mitigations
- String(null) is "null", a visible slug that makes the missing title easy to spot in the import log.
- The dot is not a letter or digit, so 3.5 becomes "3-5", which is still a valid and readable slug.
`,
    ],
  ],
  REVIEW: [
    [
      'review_rubric.json',
      JSON.stringify(
        {
          dimensions: {
            readability: { pass: true, notes: 'One added line that names the converted title.' },
            maintainability: { pass: true, notes: 'The replacement chain is untouched; the old tests still pin it.' },
            performance: { pass: true, notes: 'One String() call per slug.' },
            security: { pass: true, notes: 'No new input paths; the same character class strips everything else.' },
            governance: { pass: true, notes: 'The diff changes only src/slug.js, as the file map says.' },
          },
        },
        null,
        2,
      ),
    ],
  ],
  PR: [
    [
      'pr_template_filled.md',
      `# slugify accepts numeric titles

## Summary
slugify turns its title into text with String() first, so the CMS import no longer stops at a numeric title.

## Risks
An object passed by mistake now gets the slug "object-object" instead of an exception.

## Rollback
Revert the commit; the importer goes back to failing on numeric titles.
`,
    ],
    ['pr_url.txt', 'https://git.example.com/textkit/pull/7\n'],
  ],
};
