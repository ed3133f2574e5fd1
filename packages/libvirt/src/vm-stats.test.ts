import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lifecycleEventName, toVmState } from './domain-state.js';
import { toJobProgress } from './job-progress.js';
import { toVmStats } from './vm-stats.js';

test('toVmStats maps state, cpu.time, vcpus and balloon', () => {
  const stats = toVmStats({
    uuid: 'u1',
    name: 'vm1',
    params: {
      'state.state': 1,
      'state.reason': 1,
      'cpu.time': 123456789,
      'cpu.user': 1000,
      'vcpu.current': 2,
      'vcpu.maximum': 3,
      'vcpu.0.state': 1,
      'vcpu.0.time': 5000,
      'vcpu.0.wait': 7,
      'vcpu.1.state': 2,
      'vcpu.1.time': 6000,
      'vcpu.2.state': 0,
      'balloon.current': 524288,
      'balloon.maximum': 1048576,
      'balloon.unused': 100000,
      'balloon.available': 500000,
      'balloon.usable': 200000,
      'balloon.major_fault': 3,
      'balloon.minor_fault': 40,
      'balloon.swap_in': 0,
      'balloon.swap_out': 8,
      'balloon.rss': 600000,
      'balloon.disk_caches': 9000,
      'balloon.last-update': 1700000000,
    },
  });
  assert.deepEqual(stats, {
    uuid: 'u1',
    name: 'vm1',
    state: 'running',
    cpuTimeNs: 123456789,
    vcpus: [
      { id: 0, timeNs: 5000, online: true },
      { id: 1, timeNs: 6000, online: true },
      { id: 2, timeNs: 0, online: false },
    ],
    balloon: {
      currentKiB: 524288,
      maximumKiB: 1048576,
      unusedKiB: 100000,
      availableKiB: 500000,
      usableKiB: 200000,
      majorFaults: 3,
      minorFaults: 40,
      swapInKiB: 0,
      swapOutKiB: 8,
      rssKiB: 600000,
      diskCachesKiB: 9000,
      lastUpdateSec: 1700000000,
    },
  });
});

test('toVmStats leaves out groups that were not reported (test driver, NOWAIT)', () => {
  const stats = toVmStats({ uuid: 'u', name: 'n', params: { 'state.state': 5, 'state.reason': 0 } });
  assert.deepEqual(stats, { uuid: 'u', name: 'n', state: 'shutoff', vcpus: [] });
  assert.equal(toVmStats({ uuid: 'u', name: 'n', params: {} }).state, 'nostate');
});

test('balloon with only current/maximum (no guest driver stats yet)', () => {
  const stats = toVmStats({ uuid: 'u', name: 'n', params: { 'state.state': 1, 'balloon.current': 1024, 'balloon.maximum': 2048 } });
  assert.deepEqual(stats.balloon, { currentKiB: 1024, maximumKiB: 2048 });
});

test('toVmState and lifecycleEventName', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 99].map(toVmState), [
    'nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended', 'nostate',
  ]);
  assert.equal(lifecycleEventName(2), 'started');
  assert.equal(lifecycleEventName(5), 'stopped');
  assert.equal(lifecycleEventName(42), 'unknown');
});

test('toJobProgress names and units', () => {
  assert.deepEqual(
    toJobProgress({ type: 1, params: { time_elapsed: 1500, data_total: 400, data_processed: 100, data_remaining: 300, memory_bps: 9 } }),
    { type: 1, timeElapsedMs: 1500, dataTotalBytes: 400, dataProcessedBytes: 100, dataRemainingBytes: 300, memoryBytesPerSec: 9 },
  );
});
