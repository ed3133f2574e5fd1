import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostView, VmView } from '@ballast/domain';
import { vmReport } from '@ballast/testkit';
import { hostJson, vmJson } from './api-views.js';

const GIB_KIB = 1024 * 1024;

test('a VM shows its CPU tune, numatune, each vCPU\'s current pCPU and the pins Ballast recorded', () => {
  const view: VmView = {
    ...vmReport('web', {
      vcpus: [{ id: 0, usagePercent: 51.26, pcpus: [1], currentPcpu: 1 }, { id: 1, usagePercent: 3, pcpus: [0, 1] }],
      cpuTune: { shares: 1024, quotaUs: -1, periodUs: 100000 },
      numaTune: { mode: 'strict', nodeset: [0] },
      config: { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [{ vcpu: 0, pcpus: [1], by: 'manual', atMs: Date.UTC(2026, 0, 2) }] },
    }),
    hostId: 'h1',
    window: [],
    holds: [],
  };
  const j = vmJson(view);
  assert.deepEqual(j.vcpus, [{ id: 0, pcpus: [1], usagePercent: 51.3, currentPcpu: 1 }, { id: 1, pcpus: [0, 1], usagePercent: 3 }]);
  assert.deepEqual(j.cpuTune, { shares: 1024, quotaUs: -1, periodUs: 100000 });
  assert.deepEqual(j.numaTune, { mode: 'strict', nodeset: [0] });
  assert.deepEqual(j.pins, [{ vcpu: 0, pcpus: [1], by: 'manual', at: '2026-01-02T00:00:00.000Z' }]);
  const unread = vmJson({ ...vmReport('new'), hostId: 'h1', window: [], holds: [] });
  assert.deepEqual([unread.cpuTune, unread.numaTune, unread.pins], [null, null, []]);
});

test('a host shows its NUMA cells (MiB) and KSM (null where the collector cannot read it)', () => {
  const host: HostView = {
    hostId: 'h1',
    hostname: 'h1.example',
    pcpuCount: 4,
    memoryTotalKiB: 8 * GIB_KIB,
    memoryFreeKiB: 6 * GIB_KIB,
    pcpus: [],
    numaCells: [
      { id: 0, cpus: [0, 1], memoryKiB: 4 * GIB_KIB, freeKiB: 3 * GIB_KIB },
      { id: 1, cpus: [2, 3], memoryKiB: 4 * GIB_KIB, freeKiB: 3 * GIB_KIB },
    ],
    ksm: { run: 'run', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3, ksmdCpuPercent: 1.26 },
    lastSampleMs: 0,
    intervalMs: 2000,
    stale: false,
  };
  const j = hostJson({ ...host, vmCount: 0 });
  assert.deepEqual(j.numaCells, [
    { id: 0, cpus: [0, 1], memoryMiB: 4096, freeMiB: 3072 },
    { id: 1, cpus: [2, 3], memoryMiB: 4096, freeMiB: 3072 },
  ]);
  assert.deepEqual(j.ksm, { run: 'run', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3, ksmdCpuPercent: 1.3 });
  const { ksm: _k, ...remote } = host;
  assert.equal(hostJson({ ...remote, vmCount: 0 }).ksm, null);
  const { ksmdCpuPercent: _c, run: _r, ...noProc } = host.ksm!;
  assert.deepEqual([hostJson({ ...host, ksm: noProc, vmCount: 0 }).ksm?.run, hostJson({ ...host, ksm: noProc, vmCount: 0 }).ksm?.ksmdCpuPercent], [null, null]);
});
