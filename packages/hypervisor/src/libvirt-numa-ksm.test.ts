// LibvirtHypervisor's numatune and KSM calls on libvirt's test driver (this process's own
// test:///default): numatune works there; node memory parameters do not, and KSM's run is refused
// because the test driver's host is not this machine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, LibvirtError, isNoSupport, isOperationInvalid } from '@ballast/libvirt';

import { KSM_RUN_PATH } from './ksm-run.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';

const UUID = '5a1c0de5-0000-4000-8000-00000000b001';

describe('LibvirtHypervisor numatune and KSM on test:///default', () => {
  let hv: LibvirtHypervisor;
  before(async () => {
    hv = await LibvirtHypervisor.open('test:///default', { affect: 'current' });
    await hv.connection.createXML(`<domain type='test'><name>numa-ksm-vm</name><uuid>${UUID}</uuid>
      <memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  });
  after(async () => {
    await hv.connection.destroy(UUID);
    await hv.close();
  });

  test('getKsm: no node memory parameters on the test driver, said in KSM terms', async () => {
    await assert.rejects(hv.getKsm(), (err: unknown) => {
      assert.ok(isNoSupport(err));
      assert.match(err.message, /^KSM settings are not available on test:\/\/\/default: its libvirt driver has no node memory parameters \(this function is not supported by the connection driver: virNodeGetMemoryParameters\)$/);
      return true;
    });
    await assert.rejects(hv.setKsm({ pagesToScan: 200 }), (err: unknown) => isNoSupport(err) && /KSM settings are not available/.test(err.message));
  });

  test('setKsm with run: refused before anything changes, naming the reason', async () => {
    await assert.rejects(hv.setKsm({ run: 'run', pagesToScan: 200 }), (err: unknown) => {
      assert.ok(isNoSupport(err));
      assert.ok(err.message.startsWith("KSM's run is not supported over test:///default"));
      assert.ok(err.message.includes(KSM_RUN_PATH));
      return true;
    });
  });

  test('setKsm over a read-only connection: OPERATION_DENIED before run or libvirt is touched', async () => {
    const ro = await LibvirtHypervisor.open('test:///default', { readOnly: true });
    try {
      await assert.rejects(ro.setKsm({ run: 'stop' }), (err: unknown) => err instanceof LibvirtError && err.code === ErrorCode.OPERATION_DENIED && /read-only/.test(err.message));
    } finally {
      await ro.close();
    }
  });

  test('numatune: set live, read back, repeat as a no-op', async () => {
    assert.deepEqual(await hv.getNumaTune(UUID), { mode: 'strict', nodeset: [] });
    await hv.setNumaTune(UUID, { mode: 'strict', nodeset: [1] });
    assert.deepEqual(await hv.getNumaTune(UUID), { mode: 'strict', nodeset: [1] });
    await hv.setNumaTune(UUID, { nodeset: [1] });
  });

  test('numatune: libvirt 9.0 live rules are enforced before the (more lenient) test driver is asked', async () => {
    await assert.rejects(hv.setNumaTune(UUID, { mode: 'preferred', nodeset: [1] }), (err: unknown) => isOperationInvalid(err) && /cannot change a running VM's numatune mode/.test(err.message));
    await assert.rejects(hv.setNumaTune(UUID, { nodeset: [0, 1] }), (err: unknown) => isOperationInvalid(err) && /only in restrictive mode/.test(err.message));
    assert.deepEqual(await hv.getNumaTune(UUID), { mode: 'strict', nodeset: [1] });
  });

  test('numatune of a missing VM → no domain', async () => {
    await assert.rejects(hv.getNumaTune('11111111-2222-3333-4444-555555555555'), { code: 42 });
  });
});
