/**
 * Empty an array that is refilled at once: `a.length = 0` is a runtime call even on an empty
 * array and drops the backing store, so the next push allocates a new one; pops keep it.
 */
export function empty(a: unknown[]): void {
  while (a.length !== 0) a.pop();
}
