// getNumaTune / setNumaTune against libvirt's test driver (its own test:///default in this process).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AffectFlags, NumatuneMemMode } from './constants.js';
import type { Connection } from './connection.js';
import { isOperationInvalid } from './error-predicates.js';
import { LibvirtError } from './libvirt-error.js';
import { getNumaTune, numaModeName, setNumaTune } from './numa-tune.js';
import { open } from './open.js';

const UUID = '5a1c0de5-0000-4000-8000-00000000a001';

describe('numatune with names on test:///default', () => {
  let conn: Connection;
  before(async () => {
    conn = await open('test:///default');
    await conn.createXML(`<domain type='test'><name>numa-vm</name><uuid>${UUID}</uuid>
      <memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  });
  after(async () => {
    await conn.destroy(UUID);
    await conn.close();
  });

  test('a domain without numatune reads as strict with no cells', async () => {
    assert.deepEqual(await getNumaTune(conn, UUID), { mode: 'strict', nodeset: [] });
  });

  test('setNumaTune writes the nodeset in libvirt form and reads back as ids', async () => {
    await setNumaTune(conn, UUID, { nodeset: [1, 0] });
    assert.deepEqual(await conn.getNumaParameters(UUID), { numa_mode: NumatuneMemMode.STRICT, numa_nodeset: '0-1' });
    assert.deepEqual(await getNumaTune(conn, UUID, AffectFlags.LIVE), { mode: 'strict', nodeset: [0, 1] });
  });

  test('the test driver also refuses a mode change of a running domain', async () => {
    await assert.rejects(setNumaTune(conn, UUID, { mode: 'interleave' }), (err: unknown) => {
      assert.ok(isOperationInvalid(err));
      assert.match(err.message, /can't change numatune mode for running domain/);
      return true;
    });
  });

  test('bad arguments throw a TypeError before any call', () => {
    assert.throws(() => setNumaTune(conn, UUID, { nodeset: [] }), /nodeset must be a non-empty array/);
    assert.throws(() => setNumaTune(conn, UUID, { nodeset: [-1] }), /nodeset: invalid nodeset: -1/);
    assert.throws(() => setNumaTune(conn, UUID, { mode: 'loose' as never }), /mode must be one of strict, preferred, interleave, restrictive/);
  });

  test('numaModeName maps libvirt values and rejects unknown ones', () => {
    assert.deepEqual([0, 1, 2, 3].map(numaModeName), ['strict', 'preferred', 'interleave', 'restrictive']);
    assert.throws(() => numaModeName(9), (err: unknown) => err instanceof LibvirtError && /unknown numatune mode 9/.test(err.message));
  });
});
