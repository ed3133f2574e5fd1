import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveJobApplies, liveMove } from './live-move.js';

test("live moves follow libvirt 9's numatune rules for a running VM", () => {
  // no numatune: any cell, once, with the placement's mode
  assert.deepEqual(liveMove({ mode: 'strict', nodeset: [] }, 1, 'preferred'), { ok: true, memoryMode: 'preferred' });
  // memory already on the cell: no numatune change (only vCPUs are pinned)
  assert.deepEqual(liveMove({ mode: 'strict', nodeset: [1] }, 1, 'preferred'), { ok: true });
  // restrictive: the nodeset may change, the mode stays
  assert.deepEqual(liveMove({ mode: 'restrictive', nodeset: [0, 1] }, 1, 'strict'), { ok: true });
  // strict / preferred / interleave elsewhere: never live
  for (const mode of ['strict', 'preferred', 'interleave'] as const) {
    const m = liveMove({ mode, nodeset: [0] }, 1, 'preferred');
    assert.ok(!m.ok && /only in restrictive mode/.test(m.why), mode);
  }
  // a job naming another mode than the VM's fails on a tuned VM
  assert.equal(liveJobApplies({ mode: 'preferred', nodeset: [1] }, { cell: 1, memoryMode: 'strict' }), false);
  assert.equal(liveJobApplies({ mode: 'preferred', nodeset: [1] }, { cell: 1 }), true);
  assert.equal(liveJobApplies({ mode: 'strict', nodeset: [] }, { cell: 3, memoryMode: 'interleave' }), true);
  assert.equal(liveJobApplies({ mode: 'restrictive', nodeset: [0] }, { cell: 2 }), true);
});
