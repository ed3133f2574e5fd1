// pin-vcpu and set-numa record who pinned each vCPU in the VM's <metadata>: on libvirt's test driver (this file
// owns its process's test:///default) the records come back through the domain XML. (On the simulator:
// host-placement.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobSpec } from '@ballast/domain';
import { LibvirtHypervisor, parsePins } from '@ballast/hypervisor';
import { JobRouter } from '../job-router.js';
import { TEST_PROCESSOR_CONFIG } from './test-config.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
let hv: LibvirtHypervisor;
let router: JobRouter;

before(async () => {
  hv = await LibvirtHypervisor.open('test:///default', { affect: 'current' });
  router = new JobRouter({ hv, config: TEST_PROCESSOR_CONFIG, now: () => Date.now(), sleep: (ms) => sleep(ms) }, 'h1');
});
after(() => hv.close());

const spec = (action: JobSpec['action'], policy?: string): JobSpec =>
  ({ schemaVersion: 1, id: randomUUID(), hostId: 'h1', vmUuid: TEST_UUID, vmName: 'test', source: policy ? 'policy' : 'manual', ...(policy ? { policy } : {}), createdAtMs: Date.now(), action });

test('pin-vcpu and set-numa write records that the domain XML carries', async () => {
  const before0 = Date.now();
  await router.handle(spec({ type: 'pin-vcpu', vcpu: 1, pcpus: [3] }));
  const pins = parsePins(await hv.connection.getXMLDesc(TEST_UUID));
  assert.deepEqual(pins.map((p) => [p.vcpu, p.pcpus, p.by]), [[1, [3], 'manual']]);
  assert.ok(pins[0]!.atMs >= before0 && pins[0]!.atMs <= Date.now());
  // vCPU 0 is on the test driver's 8 usable pCPUs (cell 0's) already: set-numa moves vCPU 1 only
  await router.handle(spec({ type: 'set-numa', cell: 0 }, 'numa-place'));
  assert.deepEqual((await hv.vmConfig(TEST_UUID)).pins.map((p) => [p.vcpu, p.pcpus, p.by]), [[1, [0, 1, 2, 3, 4, 5, 6, 7], 'policy:numa-place']]);
});
