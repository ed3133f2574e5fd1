// The per-plan index of placements (placementJobTimes) and the per-snapshot VM index (findVm) give what the scans
// they replaced gave: random jobs and VMs, against the old code kept here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { findVm, type JobRecord, type VmView } from '../../snapshot.js';
import type { JobState } from '../../jobs/index.js';
import { PLACEMENT_PIN_BY, lastPlacedAtMs, placementJobTimes } from './cooldown.js';

const UUIDS = ['u1', 'u2', 'u3'];

/** The scan lastPlacedAtMs was before the index, kept verbatim. */
function reference(vm: VmView, jobs: readonly JobRecord[]): number | undefined {
  const times = [
    ...jobs.filter((j) => j.vmUuid === vm.uuid && j.action.type === 'set-numa' && j.state !== 'failed').map((j) => j.enqueuedAtMs),
    ...(vm.config?.pins ?? []).filter((p) => p.by === PLACEMENT_PIN_BY).map((p) => p.atMs),
  ];
  return times.length > 0 ? Math.max(...times) : undefined;
}

const job = fc.record({
  vmUuid: fc.option(fc.constantFrom(...UUIDS), { nil: undefined }),
  numa: fc.boolean(),
  state: fc.constantFrom<JobState>('queued', 'active', 'succeeded', 'failed'),
  at: fc.integer({ min: 0, max: 1000 }),
});

function vmOf(uuid: string, hostId: string, pins: { by: string; atMs: number }[]): VmView {
  return { uuid, name: uuid, hostId, config: { pins: pins.map((p) => ({ ...p, vcpu: 0, pcpus: [0] })) } } as unknown as VmView;
}

test('lastPlacedAtMs through placementJobTimes equals the scan of every job, with pins of any author', () => {
  fc.assert(
    fc.property(
      fc.array(job, { maxLength: 30 }),
      fc.constantFrom(...UUIDS),
      fc.array(fc.record({ by: fc.constantFrom(PLACEMENT_PIN_BY, 'manual', 'policy:vcpu-balance'), atMs: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 4 }),
      (js, uuid, pins) => {
        const jobs = js.map((j, i): JobRecord => ({
          id: `j${i}`,
          source: 'policy',
          hostId: 'h1',
          ...(j.vmUuid !== undefined ? { vmUuid: j.vmUuid } : {}),
          key: `${j.vmUuid}/x`,
          action: j.numa ? { type: 'set-numa', cell: 0, pinVcpus: true } : { type: 'set-memory', memoryMiB: 512 },
          enqueuedAtMs: j.at,
          inFlight: false,
          state: j.state,
          attempts: 0,
        }));
        const vm = vmOf(uuid, 'h1', pins);
        const want = reference(vm, jobs);
        assert.equal(lastPlacedAtMs(vm, placementJobTimes(jobs)), want);
        assert.equal(lastPlacedAtMs(vm, jobs), want);
      },
    ),
    { numRuns: 2000 },
  );
});

test('findVm: the VM as the named host reports it (a migrating VM reported by both), none for another host or no UUID', () => {
  const a = vmOf('u1', 'h1', []);
  const b = vmOf('u1', 'h2', []);
  const c = vmOf('u2', 'h1', []);
  const vms = [a, c, b];
  assert.equal(findVm(vms, 'u1', 'h2'), b);
  assert.equal(findVm(vms, 'u1', 'h1'), a);
  assert.equal(findVm(vms, 'u2', 'h1'), c);
  assert.equal(findVm(vms, 'u2', 'h2'), undefined);
  assert.equal(findVm(vms, undefined, 'h1'), undefined);
  // another list (the next snapshot) has its own index
  assert.equal(findVm([c], 'u1', 'h1'), undefined);
});
