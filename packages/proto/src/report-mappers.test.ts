import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostReport } from '@ballast/domain';
import { HostSample } from './gen/ballast/v1/sample.js';
import { hostReportFromProto, hostSampleFromReport } from './report-mappers.js';

const report: HostReport = {
  hostId: 'h1',
  hostname: 'h1.example',
  hostUuid: 'u-h1',
  takenAtMs: 1_700_000_000_000,
  collectMs: 12.5,
  intervalMs: 2000,
  pcpuCount: 2,
  memoryTotalKiB: 1024 * 1024,
  memoryFreeKiB: 512 * 1024,
  pcpus: [{ pcpu: 0, usagePercent: 40 }, { pcpu: 1, usagePercent: 60 }],
  numaCells: [{ id: 0, cpus: [0, 1], memoryKiB: 1024 * 1024, freeKiB: 512 * 1024 }],
  ksm: { run: 'run', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3, ksmdCpuPercent: 1.5 },
  vms: [
    {
      uuid: 'u1',
      name: 'v1',
      state: 'running',
      cpuPercent: 50,
      vcpus: [{ id: 0, usagePercent: 50, pcpus: [1], currentPcpu: 1 }],
      config: { labels: { tier: 'gold' }, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [{ vcpu: 0, pcpus: [1], by: 'policy:vcpu-balance', atMs: 5 }] },
      cpuTune: { shares: 1024, quotaUs: -1, periodUs: 100000 },
      numaTune: { mode: 'strict', nodeset: [0] },
    },
  ],
};

test('HostReport round-trips through the wire: KSM, CPU tune, numatune and recorded pins included', () => {
  const wire = HostSample.encode(hostSampleFromReport(report)).finish();
  assert.deepEqual(hostReportFromProto(HostSample.decode(wire)), report);
});

test('a host without KSM figures and a VM not read yet stay without them', () => {
  const { ksm: _k, ...bare } = report;
  const vm = { uuid: 'u2', name: 'v2', state: 'running' as const, cpuPercent: 0, vcpus: [] };
  const back = hostReportFromProto(HostSample.decode(HostSample.encode(hostSampleFromReport({ ...bare, vms: [vm] })).finish()));
  assert.equal(back.ksm, undefined);
  assert.deepEqual(back.vms[0], vm);
});
