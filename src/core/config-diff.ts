/** @module The keys two configs differ in, as dotted paths (`evidence.STRATEGIZE.0.required`), for CONFIG_CHANGED. */

const MAX_KEYS = 50;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The dotted keys whose values differ between `a` and `b` (parsed configs, defaults filled in), sorted, at most 50.
 * Objects and arrays of the same length are compared member by member; anything else (an array that grew, a value
 * of another type) is reported at its own key.
 */
export function configKeysDiffering(a: unknown, b: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string[]) => {
    if (out.length >= MAX_KEYS) return;
    if (isObject(x) && isObject(y)) {
      for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) walk(x[k], y[k], [...path, k]);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((v, i) => walk(v, y[i], [...path, String(i)]));
      return;
    }
    if (!sameValue(x, y)) out.push(path.join('.') || '(root)');
  };
  walk(a, b, []);
  return out;
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  return JSON.stringify(x) === JSON.stringify(y);
}
