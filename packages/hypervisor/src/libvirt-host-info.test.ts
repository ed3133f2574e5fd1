import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildHostInfo } from './libvirt-host-info.js';

const node = { model: 'x86_64', memoryKiB: 8_000_000, cpus: 4, mhz: 2400, nodes: 1, sockets: 1, cores: 4, threads: 1 };

test('buildHostInfo uses the capabilities host UUID and cells', () => {
  const info = buildHostInfo({
    uri: 'qemu:///system',
    hostname: 'h1',
    node,
    capabilities: { hostUuid: 'abc', cells: [{ id: 0, cpus: [0, 1, 2, 3], memoryKiB: 7_900_000 }] },
    cellsFreeKiB: [1_000_000],
    freeKiB: 999,
  });
  assert.deepEqual(info, {
    hostname: 'h1',
    hostUuid: 'abc',
    cpuModel: 'x86_64',
    pcpus: 4,
    cpuMhz: 2400,
    memoryKiB: 8_000_000,
    numaCells: [{ id: 0, cpus: [0, 1, 2, 3], memoryKiB: 7_900_000, freeKiB: 1_000_000 }],
  });
});

test('without NUMA topology one cell holds every pCPU and the free memory', () => {
  const info = buildHostInfo({ uri: 'test:///x', hostname: 'h', node, capabilities: { cells: [] }, cellsFreeKiB: [], freeKiB: 4242 });
  assert.deepEqual(info.numaCells, [{ id: 0, cpus: [0, 1, 2, 3], memoryKiB: 8_000_000, freeKiB: 4242 }]);
  assert.notEqual(info.hostUuid, buildHostInfo({ uri: 'test:///y', hostname: 'h', node, capabilities: { cells: [] }, cellsFreeKiB: [], freeKiB: 0 }).hostUuid);
});
