import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { VmStats } from '@ballast/domain';

import { VcpuWaitTracker } from './vcpu-wait.js';

const S = 1_000_000_000n;

function vm(delays: (number | undefined)[]): VmStats {
  return { uuid: 'u', name: 'vm', state: 'running', vcpus: delays.map((d, id) => ({ id, timeNs: 0, online: true, ...(d !== undefined ? { delayNs: d } : {}) })) };
}

test('wait measured between the cycles that read it, repeated in the cycles between', () => {
  const t = new VcpuWaitTracker();
  assert.deepEqual([...t.update(vm([0, 0]), 0n)], []); // first reading: nothing to compare with
  assert.deepEqual([...t.update(vm([undefined, undefined]), 2n * S)], []);
  // 5 s after the first reading: vCPU 0 waited 1 s (20 %), vCPU 1 0.5 s (10 %)
  assert.deepEqual([...t.update(vm([1e9, 5e8]), 5n * S)], [[0, 20], [1, 10]]);
  assert.deepEqual([...t.update(vm([undefined, undefined]), 7n * S)], [[0, 20], [1, 10]]);
  // over the 3 s since the last reading (5 s), not since the cycle before
  assert.deepEqual([...t.update(vm([1.6e9, 5e8]), 8n * S)], [[0, 20], [1, 0]]);
  // read in consecutive cycles (vcpuWaitEvery 1): over the 1 s between them
  assert.deepEqual([...t.update(vm([2.1e9, 5e8]), 9n * S)], [[0, 50], [1, 0]]);
});

test('VMs gone are forgotten; a counter that went back (restart) reads 0', () => {
  const t = new VcpuWaitTracker();
  t.update(vm([5e9]), 0n);
  assert.deepEqual([...t.update(vm([1e8]), S)], [[0, 0]]);
  t.retain(new Set());
  assert.deepEqual([...t.update(vm([undefined]), 2n * S)], []);
});
