/**
 * The evidence corpus (test/fixtures/evidence-corpus/): honest evidence of eleven tasks of different kinds and
 * styles, plus the demo's and the tests' own write-ups of its change, must pass the default contract with every degenerate-evidence check on; each degenerate
 * file must be refused by the check its manifest names. The rates are in the test names and the diagnostics.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type ArtifactRule } from '../../src/core/config.ts';
import { allPhasePrompts } from '../../src/core/prompts.ts';
import { validateArtifact, type CopySource, type EvidenceContext, type Finding } from '../../src/validators/index.ts';
import * as P from '../../src/surfaces/demo/project.ts';
import { evidenceFor, SLUG_STRING_EVIDENCE, VARIANT_COUNT } from '../helpers/evidence.ts';

const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'evidence-corpus');
const ARTIFACTS = ['strategy.md', 'spec.md', 'plan.md', 'edge_cases.md'] as const;

const config = defaultConfig();
function ruleOf(name: string): ArtifactRule {
  const r = Object.values(config.evidence)
    .flat()
    .find((x) => x.name === name);
  assert.ok(r, `the default contract has ${name}`);
  return r;
}

const TEMPLATE: CopySource = { kind: 'template', label: 'the phase prompts', text: allPhasePrompts(config) };
const README: CopySource = {
  kind: 'readme',
  label: 'README.md',
  text: readFileSync(join(CORPUS, 'repo-README.md'), 'utf8'),
};
const TASKS = readdirSync(join(CORPUS, 'honest')).sort();
const honestFile = (task: string, name: string) => readFileSync(join(CORPUS, 'honest', task, name), 'utf8');

/** What the phase gate would give: the prompts, the README, and the same-named files of the other tasks. */
function context(name: string, exceptTask?: string, spec?: string): EvidenceContext {
  const earlier = TASKS.filter((t) => t !== exceptTask && existsSync(join(CORPUS, 'honest', t, name))).map(
    (t, rank): CopySource => ({ kind: 'earlier', label: `evidence/${t}/x/${name}`, text: honestFile(t, name), rank }),
  );
  return {
    sources: [TEMPLATE, README, ...earlier],
    artifacts: spec ? [{ name: 'spec.md', path: 'evidence/T-1/spec/spec.md', phase: 'SPEC', text: spec }] : [],
  };
}

function validate(name: string, text: string, ctx: EvidenceContext): Finding[] {
  return validateArtifact(ruleOf(name), Buffer.from(text), {
    path: name,
    maxBytes: config.limits.maxEvidenceBytes,
    context: ctx,
  });
}

/** A spec is judged with what grounds it: the file map of its task, and the task's diff where the corpus has one. */
function validateSpec(text: string, ctx: EvidenceContext, mapOf?: string, diffOf?: string): Finding[] {
  const findings = validate('spec.md', text, ctx);
  if (mapOf)
    findings.push(
      ...validate('file_map.json', honestFile(mapOf, 'file_map.json'), context('file_map.json', mapOf, text)),
    );
  if (diffOf)
    findings.push(
      ...validate('git_diff.patch', honestFile(diffOf, 'diff.patch'), context('git_diff.patch', diffOf, text)),
    );
  return findings;
}

interface Judged {
  readonly id: string;
  readonly findings: readonly Finding[];
}

const honest: Judged[] = [];
for (const task of TASKS)
  for (const name of ARTIFACTS) {
    const text = honestFile(task, name);
    const ctx = context(name, task);
    const hasDiff = existsSync(join(CORPUS, 'honest', task, 'diff.patch'));
    const findings =
      name === 'spec.md' ? validateSpec(text, ctx, task, hasDiff ? task : undefined) : validate(name, text, ctx);
    honest.push({ id: `honest/${task}/${name}`, findings });
  }
// The tests' evidence: the demo's (variant 0) and the other write-ups of its change that multi-task tests use, each
// compared with the others as earlier tasks, and grounded in the demo's file map and its diff.
const DEMO_DIFF = `diff --git a/src/count.js b/src/count.js\n--- /dev/null\n+++ b/src/count.js\n${P.COUNT_FIXED.split(
  '\n',
)
  .map((l) => `+${l}`)
  .join('\n')}`;
for (let v = 0; v < VARIANT_COUNT; v++)
  for (const [phase, files] of Object.entries(evidenceFor(v)))
    for (const [name, text] of files) {
      if (!name.endsWith('.md')) continue;
      const others: CopySource[] = [];
      for (let w = 0; w < VARIANT_COUNT; w++)
        for (const [other, otherText] of w === v ? [] : (evidenceFor(w)[phase] ?? []))
          if (other === name)
            others.push({ kind: 'earlier', label: `variant ${w}: ${name}`, text: otherText, rank: w });
      const ctx = context(name);
      const findings = validate(name, text, { ...ctx, sources: [...ctx.sources, ...others] });
      if (name === 'spec.md') {
        findings.push(...validate('file_map.json', P.FILE_MAP, context('file_map.json', undefined, text)));
        findings.push(...validate('git_diff.patch', DEMO_DIFF, context('git_diff.patch', undefined, text)));
      }
      honest.push({ id: `tests/variant-${v}/${name}`, findings });
    }
// The later task of a test that changes src/slug.js: the variants are its earlier tasks; its spec is grounded in its
// own file map and in the diff that test makes.
const SLUG_DIFF = [
  'diff --git a/src/slug.js b/src/slug.js',
  '--- a/src/slug.js',
  '+++ b/src/slug.js',
  '@@ -1,6 +1,7 @@',
  ' /** Turns a title into a URL slug. */',
  ' export function slugify(title) {',
  '-  return title',
  '+  const text = String(title);',
  '+  return text',
  '     .toLowerCase()',
].join('\n');
for (const [phase, files] of Object.entries(SLUG_STRING_EVIDENCE))
  for (const [name, text] of files) {
    if (!name.endsWith('.md')) continue;
    const others = [...Array(VARIANT_COUNT).keys()].flatMap((w) =>
      (evidenceFor(w)[phase] ?? [])
        .filter(([other]) => other === name)
        .map(([, otherText]): CopySource => ({
          kind: 'earlier',
          label: `variant ${w}: ${name}`,
          text: otherText,
          rank: w,
        })),
    );
    const ctx = context(name);
    const findings = validate(name, text, { ...ctx, sources: [...ctx.sources, ...others] });
    if (name === 'spec.md') {
      const map = SLUG_STRING_EVIDENCE['PLAN']!.find(([n]) => n === 'file_map.json')![1];
      findings.push(...validate('file_map.json', map, context('file_map.json', undefined, text)));
      findings.push(...validate('git_diff.patch', SLUG_DIFF, context('git_diff.patch', undefined, text)));
    }
    honest.push({ id: `tests/slug-string/${name}`, findings });
  }

interface Degenerate {
  readonly file: string;
  readonly artifact: string;
  readonly expect: string;
  readonly why: string;
  readonly fileMapOf?: string;
  readonly diffOf?: string;
}
const MANIFEST = JSON.parse(readFileSync(join(CORPUS, 'degenerate', 'manifest.json'), 'utf8')) as Degenerate[];
const degenerate = MANIFEST.map((d) => {
  const text = readFileSync(join(CORPUS, 'degenerate', d.file), 'utf8');
  const ctx = context(d.artifact);
  const findings =
    d.artifact === 'spec.md' ? validateSpec(text, ctx, d.fileMapOf, d.diffOf) : validate(d.artifact, text, ctx);
  return { ...d, id: `degenerate/${d.file}`, findings };
});

const falsePositives = honest.filter((h) => h.findings.length > 0);
const caught = degenerate.filter((d) => d.findings.some((f) => f.rule === d.expect));
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;

describe('evidence corpus', () => {
  it('holds at least 40 honest and 40 degenerate files, every degenerate file listed once in the manifest', () => {
    const honestFiles = TASKS.length * ARTIFACTS.length;
    assert.ok(honestFiles >= 40, `${honestFiles} honest files in the corpus`);
    assert.ok(MANIFEST.length >= 40, `${MANIFEST.length} degenerate files`);
    const onDisk = readdirSync(join(CORPUS, 'degenerate')).filter((f) => f.endsWith('.md'));
    assert.deepEqual(MANIFEST.map((d) => d.file).sort(), onDisk.sort());
    for (const d of MANIFEST)
      assert.ok(d.why.length > 0 && (ARTIFACTS as readonly string[]).includes(d.artifact), d.file);
  });

  it(`passes every honest file: false-positive rate ${pct(falsePositives.length, honest.length)} (${falsePositives.length} of ${honest.length})`, (t) => {
    t.diagnostic(`false positives: ${falsePositives.length} of ${honest.length} honest files`);
    assert.deepEqual(
      falsePositives.map((h) => `${h.id}: ${h.findings.map((f) => `${f.rule}: ${f.problem}`).join(' | ')}`),
      [],
    );
  });

  it(`refuses every degenerate file by the check its manifest names: ${caught.length} of ${degenerate.length} (${pct(caught.length, degenerate.length)})`, (t) => {
    t.diagnostic(`degenerate files refused as expected: ${caught.length} of ${degenerate.length}`);
    const missed = degenerate
      .filter((d) => !caught.includes(d))
      .map((d) => `${d.id} (${d.why}): expected ${d.expect}, got [${d.findings.map((f) => f.rule).join(', ')}]`);
    assert.deepEqual(missed, []);
  });

  it('exercises every new check with at least three degenerate files', () => {
    for (const rule of ['distinct-words', 'repeated-section', 'copied-text', 'spec-grounding']) {
      const n = degenerate.filter((d) => d.expect === rule).length;
      assert.ok(n >= 3, `${rule}: ${n} degenerate files`);
    }
  });
});
