import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LibvirtHypervisor } from './libvirt-hypervisor.js';
import { openHypervisor } from './open-hypervisor.js';

test('sim:// URIs are refused with a message that says where the simulator is', async () => {
  for (const uri of ['sim://h1', 'sim://127.0.0.1:7000/h1']) {
    await assert.rejects(openHypervisor(uri), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /^sim:\/\/\S+: no sim:\/\/ opener/);
      assert.match(e.message, /new SimHypervisor\(cluster, hostId\) from @ballast\/sim/);
      return true;
    });
  }
});

test('any other scheme is a libvirt URI', async () => {
  const hv = await openHypervisor('test:///default', { readOnly: true });
  try {
    assert.ok(hv instanceof LibvirtHypervisor);
    assert.equal(hv.uri, 'test:///default');
  } finally {
    await hv.close();
  }
});
