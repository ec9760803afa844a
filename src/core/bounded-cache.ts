/** @module A map of at most `max` entries that drops the least recently used one first: memos of pure work by its input. */

/** A bounded least-recently-used map; `get` counts as a use. */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly max: number) {}

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit;
  }

  set(key: K, value: V): V {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as K);
    return value;
  }

  get size(): number {
    return this.#map.size;
  }
}
