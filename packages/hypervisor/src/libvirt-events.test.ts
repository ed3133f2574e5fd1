import assert from 'node:assert/strict';
import { test } from 'node:test';

import { toHypervisorEvent } from './libvirt-events.js';

test('toHypervisorEvent maps every kind', () => {
  assert.deepEqual(toHypervisorEvent({ type: 'lifecycle', uuid: 'u', name: 'n', event: 5, detail: 1 }), {
    kind: 'lifecycle', uuid: 'u', name: 'n', event: 'stopped', detail: 1,
  });
  assert.deepEqual(toHypervisorEvent({ type: 'tunable', uuid: 'u', name: 'n', params: { 'cputune.shares': 512 } }), {
    kind: 'tunable', uuid: 'u', name: 'n', params: { 'cputune.shares': 512 },
  });
  assert.deepEqual(toHypervisorEvent({ type: 'balloon-change', uuid: 'u', name: 'n', actualKiB: 524288 }), {
    kind: 'balloon-change', uuid: 'u', name: 'n', actualKiB: 524288,
  });
  assert.deepEqual(toHypervisorEvent({ type: 'metadata-change', uuid: 'u', name: 'n', metadataType: 2, nsUri: 'https://ballast.dev/xmlns/pins/1' }), {
    kind: 'metadata-change', uuid: 'u', name: 'n', nsUri: 'https://ballast.dev/xmlns/pins/1',
  });
  assert.deepEqual(toHypervisorEvent({ type: 'metadata-change', uuid: 'u', name: 'n', metadataType: 1, nsUri: null }), {
    kind: 'metadata-change', uuid: 'u', name: 'n',
  });
  assert.deepEqual(toHypervisorEvent({ type: 'connection-lost', reason: 'eof', reasonCode: 1 }), {
    kind: 'connection-lost', reason: 'eof',
  });
});
