// Simulated failures are the binding's own LibvirtError, and using the simulator never loads the binding's
// native addon (the simulator runs where libvirt is not built). process.dlopen is how Node loads any .node
// addon, so it is watched before anything of @ballast/libvirt, @ballast/hypervisor or @ballast/sim loads.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const dlopened: string[] = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (...args: Parameters<typeof process.dlopen>): void => {
  dlopened.push(args[1]);
  dlopen(...args);
};

const { ErrorCode, ErrorDomain, LibvirtError, isNoDomain } = await import('@ballast/libvirt');
const { isVmGone } = await import('@ballast/hypervisor');
const { SimCluster, SimHypervisor, gib, simError } = await import('./index.js');

test('simError builds the binding\'s LibvirtError with libvirt\'s code and VIR_FROM_QEMU', () => {
  const err = simError(ErrorCode.OPERATION_INVALID, 'domain is not running');
  assert.ok(err instanceof LibvirtError);
  assert.equal(err.name, 'LibvirtError');
  assert.deepEqual({ code: err.code, domain: err.domain, message: err.message }, {
    code: ErrorCode.OPERATION_INVALID,
    domain: ErrorDomain.QEMU,
    message: 'domain is not running',
  });
  assert.equal(isVmGone(err), false);
});

test('a missing VM is VIR_ERR_NO_DOMAIN for isNoDomain and isVmGone, and no native addon was loaded', async () => {
  const sim = new SimCluster({ seed: 1 });
  sim.addHost({ id: 'h1', pcpus: 2, memoryKiB: gib(4) });
  const hv = new SimHypervisor(sim, 'sim://h1');
  await assert.rejects(hv.setMemory('00000000-0000-4000-8000-000000000000', gib(1)), (e: unknown) => {
    assert.ok(e instanceof LibvirtError);
    assert.equal(e.code, ErrorCode.NO_DOMAIN);
    return isNoDomain(e) && isVmGone(e);
  });
  assert.deepEqual(dlopened, []);
});
