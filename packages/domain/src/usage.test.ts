import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuPercent, pcpuUsage, vcpuUsage } from './usage.js';
import type { VmStats } from './model.js';

test('cpuPercent: half a second of CPU over one second is 50 %', () => {
  assert.equal(cpuPercent(1e9, 1.5e9, 1e9), 50);
});

test('cpuPercent: counter reset or missing reading gives 0, never negative', () => {
  assert.equal(cpuPercent(2e9, 1e9, 1e9), 0);
  assert.equal(cpuPercent(undefined, 1e9, 1e9), 0);
  assert.equal(cpuPercent(0, 1e9, 0), 0);
});

test('cpuPercent: clamps to 100 per CPU', () => {
  assert.equal(cpuPercent(0, 3e9, 1e9), 100);
  assert.equal(cpuPercent(0, 3e9, 1e9, 4), 300);
});

test('vcpuUsage matches vCPUs by id and keeps the current pCPU', () => {
  const vm = (t0: number, t1: number): VmStats => ({
    uuid: 'u',
    name: 'n',
    state: 'running',
    vcpus: [
      { id: 0, timeNs: t0, pcpu: 1, online: true },
      { id: 1, timeNs: t1, online: true },
    ],
  });
  const u = vcpuUsage(vm(0, 0), vm(2.5e8, 1e9), 1e9);
  assert.deepEqual(u, [
    { id: 0, usagePercent: 25, currentPcpu: 1 },
    { id: 1, usagePercent: 100 },
  ]);
});

test('pcpuUsage: busy share from idle delta', () => {
  const prev = [{ pcpu: 0, userNs: 0, systemNs: 0, idleNs: 0, iowaitNs: 0 }];
  const cur = [{ pcpu: 0, userNs: 6e8, systemNs: 1e8, idleNs: 3e8, iowaitNs: 0 }];
  const [p] = pcpuUsage(prev, cur);
  assert.ok(p);
  assert.ok(Math.abs(p.usagePercent - 70) < 1e-9);
});
