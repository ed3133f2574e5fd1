/** A stopwatch: each call returns the ms since the last call (or since it was made). */
export function laps(): () => number {
  let t = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };
}
