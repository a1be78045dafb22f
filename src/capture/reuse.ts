/**
 * Empty an array that is refilled at once: `a.length = 0` is a runtime call even on an empty
 * array and drops the backing store, so the next push allocates a new one; pops keep it.
 */
export function empty(a: unknown[]): void {
  while (a.length !== 0) a.pop();
}

/** Deletes between two swaps of a {@link ChurnMap}'s table. */
const SWAP_AFTER_DELETES = 512;

/**
 * A Map for a table that entries churn through and that often empties: requests open until
 * their answer, flows until their FIN. Once a Map's table is in the old generation, V8 allocates
 * every resized table there too (a small table shrinks or grows every few deletes), so such a
 * table filled the old generation with dead tables and page faults. Swapped for a new Map when
 * it empties (at most once per 512 deletes), the table resizes in the young generation.
 */
export class ChurnMap<K, V> implements Iterable<[K, V]> {
  private m = new Map<K, V>();
  private deletes = 0;

  get size(): number {
    return this.m.size;
  }

  get(key: K): V | undefined {
    return this.m.get(key);
  }

  has(key: K): boolean {
    return this.m.has(key);
  }

  set(key: K, value: V): this {
    this.m.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.m.delete(key)) return false;
    if (++this.deletes >= SWAP_AFTER_DELETES && this.m.size === 0) {
      this.m = new Map();
      this.deletes = 0;
    }
    return true;
  }

  clear(): void {
    this.m = new Map();
    this.deletes = 0;
  }

  entries(): IterableIterator<[K, V]> {
    return this.m.entries();
  }

  keys(): IterableIterator<K> {
    return this.m.keys();
  }

  values(): IterableIterator<V> {
    return this.m.values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.m.entries();
  }
}
