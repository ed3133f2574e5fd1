/** Sets of pCPU ids as the balancer compares them (affinities, pin records, cells). */

/** Whether two pCPU lists hold the same ids (order and repeats aside). */
export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return isSubset(a, b) && isSubset(b, a);
}

/** Whether every id of `inner` is in `outer`. */
export function isSubset(inner: readonly number[], outer: readonly number[]): boolean {
  // the lists are a host's pCPUs at most: a scan beats building a Set
  for (const x of inner) if (!outer.includes(x)) return false;
  return true;
}
