/** Sets of pCPU ids as the balancer compares them (affinities, pin records, cells). */

/** Whether two pCPU lists hold the same ids (order and repeats aside). */
export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

/** Whether every id of `inner` is in `outer`. */
export function isSubset(inner: readonly number[], outer: readonly number[]): boolean {
  const o = new Set(outer);
  return inner.every((x) => o.has(x));
}
