import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { ErrorCode, LibvirtError } from '@ballast/libvirt';

import { LibvirtHypervisor } from './libvirt-hypervisor.js';
import { openHypervisor, selfMigrationUri } from './open-hypervisor.js';
import { isRetryableOpenError } from './reconnect-errors.js';

test('sim://<address>:<port>/<hostId> opens a simulator server client; a bare sim://h1 names the form', async () => {
  await assert.rejects(openHypervisor('sim://h1'), (e: unknown) => {
    assert.ok(e instanceof LibvirtError);
    assert.equal(e.code, ErrorCode.NO_CONNECT);
    assert.match(e.message, /^sim:\/\/h1: not a simulator server URI — expected sim:\/\/<address>:<port>\/<hostId>/);
    assert.match(e.message, /new SimHypervisor\(cluster, hostId\) from @ballast\/sim/);
    return true;
  });
  // nothing listens there: a transport error (VIR_FROM_RPC), which ReconnectingHypervisor waits out
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  await assert.rejects(openHypervisor(`sim://127.0.0.1:${port}/h1`), (e: unknown) => {
    assert.ok(isRetryableOpenError(e), String(e));
    assert.match((e as Error).message, new RegExp(`^Failed to connect to sim server 127\\.0\\.0\\.1:${port}: `));
    return true;
  });
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

test('a simulator server URI is its own migration URI; a libvirt URI has none by itself', () => {
  assert.equal(selfMigrationUri('sim://127.0.0.1:7070/h3'), 'sim://127.0.0.1:7070/h3');
  for (const uri of ['qemu:///system', 'qemu+tcp://10.77.0.2/system', 'test:///default', 'sim://h3']) assert.equal(selfMigrationUri(uri), undefined);
});
