import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCapabilities } from './capabilities.js';

const QEMU_LIKE = `<capabilities>
  <host>
    <uuid>4c4c4544-0042-3510-8052-b2c04f4e4b32</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Skylake-Client-IBRS</model>
      <topology sockets='1' dies='1' cores='2' threads='1'/>
    </cpu>
    <topology>
      <cells num='2'>
        <cell id='0'>
          <memory unit='KiB'>12288000</memory>
          <pages unit='KiB' size='4'>3072000</pages>
          <distances><sibling id='0' value='10'/><sibling id='1' value='21'/></distances>
          <cpus num='1'>
            <cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0'/>
          </cpus>
        </cell>
        <cell id='1'>
          <memory unit='MiB'>1024</memory>
          <cpus num='1'>
            <cpu id='1' socket_id='0' die_id='0' core_id='1' siblings='1'/>
          </cpus>
        </cell>
      </cells>
    </topology>
  </host>
  <guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/></arch></guest>
</capabilities>`;

test('parseCapabilities reads host UUID, arch and NUMA cells with their CPUs', () => {
  const caps = parseCapabilities(QEMU_LIKE);
  assert.equal(caps.hostUuid, '4c4c4544-0042-3510-8052-b2c04f4e4b32');
  assert.equal(caps.arch, 'x86_64');
  assert.deepEqual(caps.cells, [
    { id: 0, cpus: [0], memoryKiB: 12288000 },
    { id: 1, cpus: [1], memoryKiB: 1048576 },
  ]);
});

test('parseCapabilities tolerates no UUID and no cells', () => {
  const caps = parseCapabilities("<capabilities><host><cpu><arch>i686</arch></cpu><topology><cells num='0'>\n</cells></topology></host></capabilities>");
  assert.equal(caps.hostUuid, undefined);
  assert.deepEqual(caps.cells, []);
});

test('parseCapabilities ignores <uuid> outside <host>', () => {
  const caps = parseCapabilities('<capabilities><host><cpu><arch>x</arch></cpu></host><guest><uuid>nope</uuid></guest></capabilities>');
  assert.equal(caps.hostUuid, undefined);
});
