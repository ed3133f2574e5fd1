// The one-pass kernel-overhead walk gives what the per-entry walk it replaced gave (signals-reference.ts),
// for windows as the engine builds them (sample times in order) and for any other (times out of order,
// entries without guest stats); and it no longer grows with the square of the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { WindowEntry } from '../../snapshot.js';
import { kernelOverheadKiB, overheadsAt, usedPoints } from './signals.js';
import { kernelOverheadKiBReference, usedPointsReference } from './signals-reference.js';

const MIB = 1024;

/** A window entry: balloon sizes from a few values (so runs of equal sizes form), reports near the sample. */
const entryArb = (i: number, ordered: boolean) =>
  fc.record(
    {
      takenAtMs: ordered ? fc.constant(1_000_000 + i * 2000) : fc.integer({ min: 990_000, max: 1_100_000 }),
      cpuPercent: fc.constant(1),
      actualKiB: fc.constantFrom(512 * MIB, 512 * MIB + 300, 513 * MIB, 700 * MIB),
      availableKiB: fc.constantFrom(430 * MIB, 600 * MIB),
      unusedKiB: fc.integer({ min: 0, max: 400 * MIB }),
      statsAtSec: fc.integer({ min: -8, max: 2 }).map((d) => Math.floor((1_000_000 + i * 2000) / 1000) + d),
    },
    { requiredKeys: ['takenAtMs', 'cpuPercent'] },
  );

const windowArb = fc.boolean().chain((ordered) =>
  fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => entryArb(i, ordered))).map((w) => w as WindowEntry[])),
);

test('kernelOverheadKiB and usedPoints equal the per-entry walk they replaced, for any window', () => {
  fc.assert(
    fc.property(windowArb, fc.integer({ min: -1, max: 45 }), (w, before) => {
      assert.equal(kernelOverheadKiB(w), kernelOverheadKiBReference(w));
      assert.equal(kernelOverheadKiB(w, before), kernelOverheadKiBReference(w, before));
      assert.deepEqual(
        overheadsAt(w),
        w.map((_, i) => kernelOverheadKiBReference(w, i + 1)),
      );
      assert.deepEqual(usedPoints(w), usedPointsReference(w));
      assert.deepEqual(usedPoints(w, false), usedPointsReference(w, false));
    }),
    { numRuns: 2000 },
  );
});

test('a steady balloon over a long window: the walk reads each entry a few times (the old one read them window² times)', () => {
  const steady = (n: number): WindowEntry[] =>
    Array.from({ length: n }, (_, i) => ({ takenAtMs: i * 2000, cpuPercent: 1, actualKiB: 512 * MIB, availableKiB: 430 * MIB, unusedKiB: 300 * MIB, statsAtSec: 2 * i - 1 }));
  /** Entry reads by `f` over a window of n entries (a proxy counts the indexed reads): deterministic, unlike a timing. */
  const reads = (n: number, f: (w: WindowEntry[]) => unknown): number => {
    let count = 0;
    const w = new Proxy(steady(n), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) count++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    f(w);
    return count;
  };
  const [small, big] = [reads(64, (w) => usedPoints(w)), reads(512, (w) => usedPoints(w))];
  assert.ok(big / small < 10, `512 entries: ${big} reads, 64: ${small} (${(big / small).toFixed(1)}×; linear: 8×)`);
  assert.ok(big < 512 * 12, `${big} reads of 512 entries`);
  const old = [reads(64, (w) => usedPointsReference(w)), reads(512, (w) => usedPointsReference(w))] as [number, number];
  assert.ok(old[1] / old[0] > 40, `the old walk: ${old[1]} reads of 512 entries, ${old[0]} of 64`);
  assert.deepEqual(usedPoints(steady(512)), usedPointsReference(steady(512)));
});
