/**
 * Memoizes a value the gauges of one scrape share (the cluster state, the queues): prom-client calls every
 * metric's collect() of a scrape in one go, in the same turn of the event loop, so the value is dropped at the
 * next turn (setImmediate), and in any case once it is older than maxAgeMs by `now`.
 *
 *   const view = onePerScrape((nowMs) => ({ nowMs, hosts: state.hosts() }), Date.now);
 */
export function onePerScrape<T>(compute: (nowMs: number) => T, now: () => number, maxAgeMs = 250): () => T {
  let cached: { atMs: number; value: T } | undefined;
  return () => {
    const nowMs = now();
    if (!cached || nowMs - cached.atMs > maxAgeMs) {
      const entry = { atMs: nowMs, value: compute(nowMs) };
      cached = entry;
      setImmediate(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}
