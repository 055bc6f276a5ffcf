/** Ordering that keeps output deterministic whatever the locale. */

/** Compares two strings by UTF-16 code units, as `<` does, never by locale. */
export function compareCodeUnits(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/** Orders output files by path. */
export function byPath(a: { path: string }, b: { path: string }): number {
  return compareCodeUnits(a.path, b.path);
}
