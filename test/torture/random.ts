/**
 * @module Seeds and a small seeded random number generator for the random suites
 * (torture and fuzz), so that every run can be repeated: `npm test` runs the fixed
 * seeds of test/torture/seeds.ts, `npm run torture` (AUTOPILOT_TORTURE=long) adds
 * fresh ones and prints them, and AUTOPILOT_TORTURE_SEED runs one seed alone.
 */
import { SEEDS, type Suite } from './seeds.ts';

export type { Suite };

/** mulberry32: a fast 32-bit generator; returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True for the long run (`AUTOPILOT_TORTURE=long`): more rounds, more inputs, fresh seeds. */
export const LONG = process.env['AUTOPILOT_TORTURE'] === 'long';

/** How many fresh seeds the long run adds to each suite's fixed list. */
const FRESH = 2;

/**
 * The seeds a suite runs: AUTOPILOT_TORTURE_SEED alone when it is set (to repeat a run);
 * else the suite's fixed list, and in the long run fresh seeds after it, printed.
 */
export function seedsFor(suite: Suite): number[] {
  const fixed = Number(process.env['AUTOPILOT_TORTURE_SEED']);
  if (process.env['AUTOPILOT_TORTURE_SEED'] && Number.isInteger(fixed)) return [fixed];
  const seeds = [...SEEDS[suite]];
  if (LONG) {
    for (let i = 0; i < FRESH; i++) {
      const seed = Math.floor(Math.random() * 2 ** 31);
      process.stdout.write(`# ${suite}: fresh seed ${seed}\n`);
      seeds.push(seed);
    }
  }
  return seeds;
}

/** How to repeat a run of `seed`, for messages. */
export function repeatHint(seed: number, testFile: string): string {
  return `seed ${seed}: repeat it with AUTOPILOT_TORTURE_SEED=${seed} TEST_FILTER=${testFile} npm test, and add it to test/torture/seeds.ts once fixed`;
}

/**
 * Runs one seed's body; when it fails, prints the seed and how to repeat it, and adds
 * the same to the error's message, so that the report of a failed run carries it.
 */
export async function withSeed<T>(seed: number, testFile: string, body: (seed: number) => Promise<T>): Promise<T> {
  try {
    return await body(seed);
  } catch (err) {
    const hint = repeatHint(seed, testFile);
    process.stdout.write(`# FAILED with ${hint}\n`);
    if (err instanceof Error) {
      try {
        err.message = `${err.message}\n(${hint})`;
      } catch {
        // a message that cannot be changed: the printed line says it
      }
    }
    throw err;
  }
}
