import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../cli-error.js';
import { findVm, labStatePath, parseLabState } from './state.js';

const SAMPLE = JSON.stringify({
  version: 1,
  uri: 'qemu:///system',
  accel: 'tcg',
  domainType: 'qemu',
  stateDir: '/var/lib/ballast-lab',
  image: { kernel: 'k', initrd: 'i', cmdline: 'c', kernelPackage: 'p', hash: 'h' },
  vms: [
    { name: 'lab-vm1', uuid: 'u1', socket: '/s1', serialLog: '/l1', vcpus: 1, memoryMiB: 512, maxMemoryMiB: 2048 },
    { name: 'lab-vm2', uuid: 'u2', socket: '/s2', serialLog: '/l2', vcpus: 1, memoryMiB: 512, maxMemoryMiB: 2048 },
  ],
  updatedAt: '2026-01-01T00:00:00.000Z',
});

test('parses the state file and finds VMs by name', () => {
  const s = parseLabState(SAMPLE);
  assert.equal(findVm(s, 'lab-vm2').socket, '/s2');
});

test('an unknown VM is a one-line CliError listing the known ones', () => {
  const s = parseLabState(SAMPLE);
  assert.throws(() => findVm(s, 'lab-vm9'), (e: unknown) => e instanceof CliError && e.message === "unknown VM 'lab-vm9' (lab VMs: lab-vm1, lab-vm2)");
});

test('rejects files that are not lab state', () => {
  assert.throws(() => parseLabState('{'), CliError);
  assert.throws(() => parseLabState('{"version":2,"vms":[],"uri":"x"}'), CliError);
  assert.throws(() => parseLabState('{"version":1,"uri":"x","vms":[{"name":"a"}]}'), CliError);
});

test('the state path follows LAB_STATE_DIR', () => {
  assert.equal(labStatePath({}), '/var/lib/ballast-lab/lab.json');
  assert.equal(labStatePath({ LAB_STATE_DIR: '/tmp/x' }), '/tmp/x/lab.json');
});
