// allowedPcpus (one marking pass) gives what the Set-and-sort it replaced gave, for random affinities: pCPUs out of
// range, duplicates, unsorted lists, vCPUs with none, every pCPU, none at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { allowedPcpus } from './contenders.js';

/** The code it replaced, verbatim but for the names. */
function reference(vcpus: readonly { pcpus: readonly number[] }[], all: number[]): number[] {
  const allowed = new Set(vcpus.flatMap((c) => c.pcpus).filter((p) => p >= 0 && p < all.length));
  return allowed.size > 0 ? [...allowed].sort((a, b) => a - b) : all;
}

test('the same pCPUs as the Set-and-sort it replaced, for 5,000 random hosts and affinities', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 80 }), fc.array(fc.array(fc.integer({ min: -3, max: 90 }), { maxLength: 100 }), { maxLength: 8 }), (n, lists) => {
      const all = Array.from({ length: n }, (_, i) => i);
      const vcpus = lists.map((pcpus) => ({ pcpus }));
      assert.deepEqual(allowedPcpus(vcpus, all), reference(vcpus, all));
    }),
    { numRuns: 5000 },
  );
});

test('every pCPU or none named: the host list itself, not a copy', () => {
  const all = [0, 1, 2, 3];
  assert.equal(allowedPcpus([{ pcpus: [3, 2] }, { pcpus: [1, 0, 9] }], all), all);
  assert.equal(allowedPcpus([{ pcpus: [] }, { pcpus: [-1, 4] }], all), all);
  assert.equal(allowedPcpus([], all), all);
  assert.deepEqual(allowedPcpus([{ pcpus: [2, 0, 2] }], all), [0, 2]);
});
