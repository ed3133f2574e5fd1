// The sampler on libvirt's test driver (this file owns its process's test:///default): a driver without KSM
// and cpu_shares leaves them out, saying so once; recorded pins come back through the domain XML.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HypervisorEvent } from '@ballast/domain';
import { LibvirtHypervisor } from '@ballast/hypervisor';
import { HostSampler } from './host-sampler.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
let hv: LibvirtHypervisor;

before(async () => {
  hv = await LibvirtHypervisor.open('test:///default', { affect: 'current' });
});
after(() => hv.close());

test('no KSM and no cpu_shares: left out of every report, logged once each; numatune and NUMA cells are there', async () => {
  const lines: { obj: object; msg?: string }[] = [];
  const log = { info: (obj: object, msg?: string) => void lines.push({ obj, msg }) };
  const sampler = new HostSampler(hv, { hostId: 'h', intervalMs: 500, balloonEvery: 1, hostInfoEvery: 1, configEvery: 1, now: () => Date.now(), log });
  for (let i = 0; i < 3; i++) {
    const r = await sampler.sample();
    assert.equal(r.ksm, undefined);
    const vm = r.vms.find((v) => v.uuid === TEST_UUID);
    assert.equal(vm?.cpuTune, undefined);
    assert.deepEqual(vm?.numaTune, { mode: 'strict', nodeset: [] });
    assert.deepEqual(r.numaCells.map((c) => c.id), [0, 1]);
  }
  assert.deepEqual(lines.map((l) => l.msg).sort(), [
    'collector: CPU tune (cpu_shares) is not available from test:///default; reports go without it',
    'collector: KSM is not available from test:///default; reports go without it',
  ]);
  assert.match(JSON.stringify(lines[0]?.obj), /"uri":"test:\/\/\/default","err":".+"/);
});

test('pins recorded in <metadata> reach the report through the domain XML once the metadata-change event comes', async () => {
  const sampler = new HostSampler(hv, { hostId: 'h', intervalMs: 500, balloonEvery: 1, hostInfoEvery: 5, configEvery: 1000, now: () => Date.now() });
  const events: HypervisorEvent[] = [];
  const off = hv.onEvent((ev) => {
    events.push(ev);
    sampler.handleEvent(ev);
  });
  await hv.connection.eventsReady();
  const pins = async () => (await sampler.sample()).vms.find((v) => v.uuid === TEST_UUID)?.config?.pins;
  try {
    assert.deepEqual(await pins(), []);
    const record = { vcpu: 1, pcpus: [2, 3], by: 'policy:vcpu-balance', atMs: 1700000000000 };
    await hv.recordPins(TEST_UUID, [record]);
    for (let i = 0; i < 100 && !events.some((e) => e.kind === 'metadata-change'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await pins(), [record]);
  } finally {
    off();
    await hv.recordPins(TEST_UUID, []);
  }
});
