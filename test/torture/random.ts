/** @module A small seeded random number generator, so that a failing torture run can be repeated with its seed. */

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

/** The run's seed: AUTOPILOT_TORTURE_SEED when set (to repeat a run), else a fresh one. */
export function tortureSeed(): number {
  const fixed = Number(process.env['AUTOPILOT_TORTURE_SEED']);
  return Number.isInteger(fixed) ? fixed : Math.floor(Math.random() * 2 ** 31);
}

/** True for the long run (`AUTOPILOT_TORTURE=long`): more rounds, more inputs. */
export const LONG = process.env['AUTOPILOT_TORTURE'] === 'long';
