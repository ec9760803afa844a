/**
 * @module The prompt compiler and the shipped personas: golden prompts for each persona in each phase it serves
 * (UPDATE_GOLDEN=1 rewrites them after a reviewed change), digests pinned, routing by path, the token budget, and the
 * config's persona settings.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig, parseConfig } from '../../src/core/config.ts';
import { canonicalForm, outsideAllowlist, overlaySchema, parsePersona } from '../../src/core/persona.ts';
import {
  defaultPersonaFor,
  SHIPPED_OVERLAYS,
  SHIPPED_PERSONAS,
  SHIPPED_SKILLS,
} from '../../src/core/persona-library.ts';
import {
  compilePrompt,
  estimateTokens,
  overlaysForLabels,
  routeOverlays,
  type Anchor,
} from '../../src/core/prompt-compiler.ts';
import { phasePrompt } from '../../src/core/prompts.ts';
import { compareInstructions } from '../../src/core/drift.ts';
import { allowedCapabilities } from '../../src/core/policy/tool-policy.ts';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'prompts');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const ANCHORS: Anchor[] = [
  { kind: 'instruction-files', title: "The repository's instructions for agents", text: 'Read and follow: AGENTS.md.' },
  { kind: 'file-map', title: 'Files the plan changes', text: '- src/count.js (modify): trim before splitting' },
  {
    kind: 'acceptance-criteria',
    title: 'Acceptance criteria',
    text: '- wordCount("") is 0\n- wordCount(" a  b ") is 2',
  },
];

function compiled(personaId: string, phase: string, budgetTokens = 6000) {
  const config = defaultConfig();
  const persona = SHIPPED_PERSONAS.get(personaId)!;
  return compilePrompt({
    header: phasePrompt(config, phase, allowedCapabilities(config, phase)),
    persona,
    overlays: routeOverlays(SHIPPED_OVERLAYS, persona, ['src/auth/login.ts']),
    skills: persona.skills.map((s) => SHIPPED_SKILLS.get(s)!),
    anchors: ANCHORS,
    budgetTokens,
  });
}

describe('the shipped personas', () => {
  it('compile to the golden prompt of each persona in each phase it serves', () => {
    const phases = defaultConfig().phases;
    let count = 0;
    for (const persona of SHIPPED_PERSONAS.values())
      for (const phase of persona.phases.length ? persona.phases : phases) {
        const text = compiled(persona.id, phase).text;
        const file = join(GOLDEN, `${persona.id}.${phase.toLowerCase()}.md`);
        if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
        assert.equal(text, readFileSync(file, 'utf8'), `${file} (UPDATE_GOLDEN=1 rewrites it after a reviewed change)`);
        assert.equal(compiled(persona.id, phase).text, text, 'the same inputs give the same bytes');
        count++;
      }
    assert.equal(count, 19, 'four personas in the phases they serve, the generalist in all nine');
  });

  it('have the pinned digests of their canonical form', () => {
    const digests = Object.fromEntries(
      [...SHIPPED_PERSONAS.values(), ...SHIPPED_OVERLAYS.values(), ...SHIPPED_SKILLS.values()].map((d) => [
        `${d.id}@${d.version}`,
        sha256(canonicalForm(d)),
      ]),
    );
    const file = join(GOLDEN, 'digests.json');
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${JSON.stringify(digests, null, 2)}\n`);
    assert.deepEqual(digests, JSON.parse(readFileSync(file, 'utf8')), 'a changed text needs a new version');
  });

  it('give each default phase a persona, the generalist where no other serves', () => {
    assert.equal(defaultPersonaFor('STRATEGIZE').id, 'planner');
    assert.equal(defaultPersonaFor('IMPLEMENT').id, 'implementer');
    assert.equal(defaultPersonaFor('REVIEW').id, 'reviewer');
    assert.equal(defaultPersonaFor('CUSTOM_PHASE').id, 'generalist');
  });
});

describe('the prompt compiler', () => {
  it('puts the parts in a fixed order: instructions, role, overlays, skills, rubric, anchors', () => {
    const c = compiled('security-reviewer', 'REVIEW');
    assert.deepEqual(
      c.parts.map((p) => `${p.kind}:${p.id}`),
      [
        'header:phase',
        'persona:security-reviewer@1.2.0',
        'overlay:security@1.0.0',
        'skill:review-checklist@1.0.0',
        'rubric:security-reviewer',
        'anchor:acceptance-criteria',
        'anchor:file-map',
      ],
      'the security reviewer takes no instruction files anchor',
    );
    const text = c.text;
    assert.ok(text.indexOf('## Your role: security reviewer') < text.indexOf('## Domain: Security-sensitive code'));
    assert.ok(text.indexOf('## How your work is judged') < text.indexOf('## Context: Acceptance criteria'));
    assert.ok(text.indexOf('## Context: Acceptance criteria') < text.indexOf('## Context: Files the plan changes'));
  });

  it('routes overlays by the paths a task touches, and keeps the persona’s own', () => {
    const planner = SHIPPED_PERSONAS.get('planner')!;
    const ids = (paths: string[]) => routeOverlays(SHIPPED_OVERLAYS, planner, paths).map((o) => o.id);
    assert.deepEqual(ids(['db/migrations/0003_add_index.sql', 'web/components/Button.tsx']), [
      'data-migrations',
      'web',
    ]);
    assert.deepEqual(ids(['README.md']), []);
    assert.deepEqual(
      routeOverlays(SHIPPED_OVERLAYS, SHIPPED_PERSONAS.get('security-reviewer')!, []).map((o) => o.id),
      ['security'],
    );
  });

  it('keeps within the budget: optional parts are cut at a line or left out, the contract never', () => {
    const whole = compiled('planner', 'SPEC');
    assert.deepEqual(whole.omitted, []);
    const tight = compiled('planner', 'SPEC', whole.tokens - 20);
    assert.ok(tight.tokens <= whole.tokens - 20, `${tight.tokens} tokens`);
    assert.ok(tight.parts.some((p) => p.cut) || tight.omitted.length > 0);
    const tiny = compiled('planner', 'SPEC', 500);
    assert.ok(tiny.parts.some((p) => p.kind === 'header') && tiny.parts.some((p) => p.kind === 'rubric'));
    assert.ok(tiny.omitted.length > 0);
    for (const o of tiny.omitted) assert.ok(['overlay', 'skill', 'anchor'].includes(o.kind), `${o.kind} left out`);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
  });
});

describe('persona settings in the config', () => {
  it('take a shipped or custom persona per phase, and refuse unknown ones naming the key', () => {
    const ok = parseConfig({
      personas: {
        byPhase: { REVIEW: 'security-reviewer', PLAN: 'architect' },
        custom: [
          {
            id: 'architect',
            version: '1.0.0',
            role: 'architect',
            instructions: 'You shape the change so that it fits the system.',
            phases: ['PLAN'],
            overlays: ['api'],
          },
        ],
      },
    });
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.error));
    const bad = parseConfig({ personas: { byPhase: { REVIEW: 'nobody' } } });
    assert.equal(!bad.ok && bad.error.details['key'], 'personas.byPhase.REVIEW');
    const phase = parseConfig({ personas: { byPhase: { NOPE: 'planner' } } });
    assert.equal(!phase.ok && phase.error.details['key'], 'personas.byPhase.NOPE');
    const overlay = parseConfig({
      personas: { custom: [{ id: 'x', version: '1.0.0', role: 'x', instructions: 'x', overlays: ['none'] }] },
    });
    assert.equal(!overlay.ok && overlay.error.details['key'], 'personas.custom.0.overlays');
    // A repository's own skill pack is known to its personas; one that nobody defines is not.
    const own = { id: 'x', version: '1.0.0', role: 'x', instructions: 'x', skills: ['bisect'] };
    const skill = { id: 'bisect', version: '1.0.0', title: 'Bisecting', text: 'Find the commit with git bisect.' };
    assert.ok(parseConfig({ personas: { custom: [own], skills: [skill] } }).ok);
    const unknown = parseConfig({ personas: { custom: [own] } });
    assert.equal(!unknown.ok && unknown.error.details['key'], 'personas.custom.0.skills');
  });

  it('compare skill packs with a baseline only when it attested them', () => {
    const current = { headers: {}, files: {}, personas: { 'persona:planner': 'a', 'skill:tests-first': 'b' } };
    // A baseline from before skill packs were attested: their digests are not drift.
    assert.deepEqual(
      compareInstructions({ headers: {}, files: {}, personas: { 'persona:planner': 'a' } }, current),
      [],
    );
    const attested = { headers: {}, files: {}, personas: { 'persona:planner': 'a', 'skill:tests-first': 'c' } };
    assert.deepEqual(compareInstructions(attested, current), [
      { input: 'skill:tests-first', change: 'changed', old: 'c', new: 'b' },
    ]);
  });

  it('validate a PersonaSpec document and name the fields that are wrong', () => {
    const r = parsePersona({ id: 'Bad Id', version: '1', role: '', instructions: 'x', tools: { allow: ['fly'] } });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.issues.map((i) => i.path).sort(), ['id', 'role', 'tools.allow.0', 'version']);
  });

  it("narrow a call's capabilities by the persona's allowlist, and leave them to the phase without one", () => {
    const reviewer = SHIPPED_PERSONAS.get('reviewer')!;
    assert.deepEqual(outsideAllowlist(reviewer, ['read', 'exec:test', 'write:source', 'vcs:push']), [
      'write:source',
      'vcs:push',
    ]);
    assert.deepEqual(outsideAllowlist(reviewer, ['read', 'write:evidence']), []);
    assert.deepEqual(outsideAllowlist(SHIPPED_PERSONAS.get('implementer')!, ['write:source', 'deploy']), []);
  });

  it("route labels to the overlays whose id or labels they name, and keep the shipped overlays' digests", () => {
    const library = new Map(SHIPPED_OVERLAYS);
    const own = overlaySchema.parse({
      id: 'payments',
      version: '1.0.0',
      title: 'Payments',
      labels: ['Billing', 'pci'],
      text: 'Money moves once.',
    });
    library.set(own.id, own);
    assert.deepEqual(overlaysForLabels(library, ['SECURITY', 'billing', 'unrelated']).sort(), ['payments', 'security']);
    assert.deepEqual(overlaysForLabels(library, []), []);
    // An overlay written without labels has none in its canonical form: the digests pinned above stay.
    assert.equal('labels' in SHIPPED_OVERLAYS.get('web')!, false);
  });
});
