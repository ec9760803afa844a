/**
 * @module Prompt variants of a persona: the draw is a pure function of the task id (the same task always gets the same
 * variant, and the shares follow the weights), a variant changes only what it names, the config refuses bad variants
 * naming the key, and the outcomes per variant are counted from ledger entries run by run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type Config } from '../../src/core/config.ts';
import { applyVariant, personaVariantSchema, pickVariant } from '../../src/core/persona.ts';
import { SHIPPED_PERSONAS } from '../../src/core/persona-library.ts';
import type { LedgerEntry } from '../../src/core/ledger.ts';
import { promptDigest, variantDigest, variantFor } from '../../src/engine/drift/persona.ts';
import { variantOutcomes } from '../../src/engine/telemetry/variants.ts';

const planner = SHIPPED_PERSONAS.get('planner')!;
const variants = [
  { id: 'control', weight: 70 },
  { id: 'terse', weight: 30, instructions: 'Say what must change in as few words as it takes.' },
].map((v) => personaVariantSchema.parse(v));

function configWith(v: unknown): Config {
  const r = parseConfig({ personas: { variants: v } });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return r.value;
}

describe('prompt variants', () => {
  it('draw by weight, laid end to end in the order written', () => {
    assert.equal(pickVariant(variants, 0)?.id, 'control');
    assert.equal(pickVariant(variants, 69)?.id, 'control');
    assert.equal(pickVariant(variants, 70)?.id, 'terse');
    assert.equal(pickVariant(variants, 99)?.id, 'terse');
    assert.equal(pickVariant(variants, 100)?.id, 'control');
    assert.equal(pickVariant([{ id: 'off', weight: 0 }], 5), undefined);
    assert.equal(pickVariant([], 5), undefined);
  });

  it('give a task the same variant on every draw, and tasks the shares of the weights', () => {
    const config = configWith({ planner: variants });
    const ids = Array.from({ length: 2000 }, (_, i) => `T-${i}`);
    const drawn = ids.map((id) => variantFor(config, planner, id)?.id);
    assert.deepEqual(
      ids.map((id) => variantFor(config, planner, id)?.id),
      drawn,
    );
    const terse = drawn.filter((d) => d === 'terse').length / ids.length;
    assert.ok(terse > 0.26 && terse < 0.34, `terse share ${terse}`);
    // Pinned, so that a change of the draw (which would move running tasks to another arm) is seen.
    assert.deepEqual(drawn.slice(0, 4), ['terse', 'control', 'control', 'control']);
    // A persona without variants draws none.
    assert.equal(variantFor(config, SHIPPED_PERSONAS.get('implementer')!, 'T-1'), undefined);
  });

  it('change only what they name, and are named by a digest that leaves the weight out', () => {
    const told = applyVariant(planner, variants[1]);
    assert.equal(told.instructions, variants[1]!.instructions);
    assert.deepEqual({ ...told, instructions: planner.instructions }, planner);
    assert.deepEqual(applyVariant(planner, variants[0]), planner);
    assert.equal(variantDigest('planner', variants[1]!), variantDigest('planner', { ...variants[1]!, weight: 1 }));
    assert.notEqual(variantDigest('planner', variants[0]!), variantDigest('planner', variants[1]!));
    // The prompt's digest covers the variant: the same text under two variants gives two digests.
    const text = 'a'.repeat(64);
    assert.equal(promptDigest(text), text);
    assert.notEqual(promptDigest(text, { sha256: 'b'.repeat(64) }), promptDigest(text, { sha256: 'c'.repeat(64) }));
  });

  it('are refused by the config when they name an unknown persona or skill, repeat an id, or weigh nothing', () => {
    const key = (v: unknown) => {
      const r = parseConfig({ personas: { variants: v } });
      return !r.ok && r.error.code === 'CONFIG_INVALID' ? r.error.details['key'] : 'accepted';
    };
    assert.equal(key({ wizard: variants }), 'personas.variants.wizard');
    assert.equal(key({ planner: [variants[0], variants[0]] }), 'personas.variants.planner');
    assert.equal(key({ planner: [{ id: 'a', weight: 0 }] }), 'personas.variants.planner');
    assert.equal(key({ planner: [{ id: 'a', weight: 1, skills: ['nope'] }] }), 'personas.variants.planner.0.skills');
    assert.equal(key({ planner: [{ id: 'a', weight: -1 }] }), 'personas.variants.planner.0.weight');
    assert.equal(key({ planner: variants }), 'accepted');
  });
});

let seq = 0;
function entry(taskId: string, kind: string, minute: number, data: Record<string, unknown> = {}): LedgerEntry {
  seq += 1;
  return {
    seq,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
    ts: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    taskId,
    kind,
    fromPhase: null,
    toPhase: null,
    actor: 'test',
    artifacts: [],
    data,
    keyId: 'k',
    signature: '',
  } as LedgerEntry;
}
const entered = (variant: string | null) => ({
  prompt: { persona: { id: 'planner' }, ...(variant ? { variant: { id: variant } } : {}) },
});

describe('outcomes per variant', () => {
  it('count runs, first passes, backtracks, refusals and time in phase run by run', () => {
    const entries = [
      entry('A', 'task_started', 0, entered('control')),
      entry('A', 'violation', 1, { action: 'advance', code: 'EVIDENCE_MISSING' }),
      entry('A', 'transition', 4, entered('control')), // control run 1 ends: passed, not first time
      entry('B', 'task_started', 5, entered('terse')),
      entry('B', 'violation', 6, { action: 'tool', code: 'TOOL_NOT_ALLOWED_FOR_PERSONA' }),
      entry('B', 'transition', 7, entered('terse')), // terse run 1: passed first time, a refusal that was no move
      entry('A', 'backtrack', 10, entered(null)), // control run 2 ends in a backtrack; A's next run has no variant
      entry('A', 'violation', 11, { action: 'advance', code: 'EVIDENCE_MISSING' }), // counted for nobody
      entry('B', 'task_aborted', 13),
    ];
    assert.deepEqual(variantOutcomes(entries), [
      {
        persona: 'planner',
        variant: 'control',
        runs: 2,
        passed: 1,
        firstPass: 0,
        firstPassRate: 0,
        backtracks: 1,
        refusals: 1,
        timeInPhaseMs: 10 * 60_000,
        meanTimeInPhaseMs: 5 * 60_000,
      },
      {
        persona: 'planner',
        variant: 'terse',
        runs: 2,
        passed: 1,
        firstPass: 1,
        firstPassRate: 1,
        backtracks: 0,
        refusals: 1,
        timeInPhaseMs: 8 * 60_000,
        meanTimeInPhaseMs: 4 * 60_000,
      },
    ]);
    assert.deepEqual(variantOutcomes([entry('C', 'task_started', 0, entered(null))]), []);
  });
});
