import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isNoSupport } from '@ballast/libvirt';

import { toKsmSettings, toNodeMemoryTunables } from './libvirt-ksm.js';

const params = {
  shm_pages_to_scan: 100,
  shm_sleep_millisecs: 20,
  shm_pages_shared: 3,
  shm_pages_sharing: 40,
  shm_pages_unshared: 500,
  shm_pages_volatile: 7,
  shm_full_scans: 2,
  shm_merge_across_nodes: 1,
};

test('node memory parameters + run → KsmSettings', () => {
  assert.deepEqual(toKsmSettings(params, 'run', 'qemu:///system'), {
    run: 'run',
    pagesToScan: 100,
    sleepMillisecs: 20,
    mergeAcrossNodes: true,
    counters: { pagesShared: 3, pagesSharing: 40, pagesUnshared: 500, pagesVolatile: 7, fullScans: 2 },
  });
  const { shm_merge_across_nodes: _merge, ...noMerge } = params;
  const remote = toKsmSettings(noMerge, undefined, 'qemu+tcp://h2/system');
  assert.equal('run' in remote, false);
  assert.equal('mergeAcrossNodes' in remote, false);
  const { shm_full_scans: _scans, ...partial } = params;
  assert.throws(() => toKsmSettings(partial, 'stop', 'x:///'), (err: unknown) => isNoSupport(err) && /does not report shm_full_scans/.test(err.message));
});

test('a KSM change → the node memory tunables libvirt sets (none for run alone)', () => {
  assert.deepEqual(toNodeMemoryTunables({ pagesToScan: 200, sleepMillisecs: 50, mergeAcrossNodes: false, run: 'run' }), {
    shm_pages_to_scan: 200,
    shm_sleep_millisecs: 50,
    shm_merge_across_nodes: 0,
  });
  assert.equal(toNodeMemoryTunables({ run: 'stop' }), undefined);
  assert.equal(toNodeMemoryTunables({}), undefined);
});
