import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { NumaTune } from '@ballast/domain';
import { isInvalidArg, isOperationInvalid } from '@ballast/libvirt';

import { numaTuneChange } from './numa-tune-change.js';

const VM = 'vm-1';
const untuned: NumaTune = { mode: 'strict', nodeset: [] };

test('nothing to send when the VM is there already (a retried job succeeds)', () => {
  assert.equal(numaTuneChange(VM, { mode: 'strict', nodeset: [0] }, { nodeset: [0] }, true), undefined);
  assert.equal(numaTuneChange(VM, { mode: 'strict', nodeset: [0, 1] }, { mode: 'strict', nodeset: [1, 0] }, true), undefined);
  assert.equal(numaTuneChange(VM, { mode: 'interleave', nodeset: [1] }, { mode: 'interleave', nodeset: [1] }, false), undefined);
});

test('a running VM without numatune: strict sends the nodeset alone, other modes send both', () => {
  assert.deepEqual(numaTuneChange(VM, untuned, { nodeset: [0] }, true), { nodeset: [0] });
  assert.deepEqual(numaTuneChange(VM, untuned, { mode: 'strict', nodeset: [0] }, true), { nodeset: [0] });
  assert.deepEqual(numaTuneChange(VM, untuned, { mode: 'restrictive', nodeset: [0] }, true), { mode: 'restrictive', nodeset: [0] });
  assert.deepEqual(numaTuneChange(VM, untuned, { mode: 'interleave', nodeset: [0, 1] }, true), { mode: 'interleave', nodeset: [0, 1] });
});

test('a running VM keeps its mode', () => {
  assert.throws(
    () => numaTuneChange(VM, { mode: 'strict', nodeset: [0] }, { mode: 'restrictive', nodeset: [0] }, true),
    (err: unknown) =>
      isOperationInvalid(err) &&
      err.message === "VM vm-1 runs with numatune strict on cells 0: libvirt cannot change a running VM's numatune mode (asked for restrictive); change its definition and restart it",
  );
});

test('a running VM changes its nodeset only in restrictive mode', () => {
  assert.deepEqual(numaTuneChange(VM, { mode: 'restrictive', nodeset: [0] }, { nodeset: [1] }, true), { nodeset: [1] });
  assert.deepEqual(numaTuneChange(VM, { mode: 'restrictive', nodeset: [0] }, { mode: 'restrictive', nodeset: [0, 1] }, true), { nodeset: [0, 1] });
  for (const mode of ['strict', 'preferred', 'interleave'] as const) {
    assert.throws(
      () => numaTuneChange(VM, { mode, nodeset: [0] }, { nodeset: [0, 1] }, true),
      (err: unknown) =>
        isOperationInvalid(err) &&
        err.message === `VM vm-1 runs with numatune ${mode} on cells 0: libvirt changes a running VM's nodeset only in restrictive mode (asked for cells 0-1)`,
    );
  }
});

test('a stopped VM takes any change (its definition)', () => {
  assert.deepEqual(numaTuneChange(VM, { mode: 'strict', nodeset: [0] }, { mode: 'interleave', nodeset: [0, 1] }, false), { mode: 'interleave', nodeset: [0, 1] });
  assert.deepEqual(numaTuneChange(VM, { mode: 'preferred', nodeset: [0] }, { nodeset: [1] }, false), { nodeset: [1] });
});

test('a nodeset must name cells', () => {
  assert.throws(() => numaTuneChange(VM, untuned, { nodeset: [] }, true), (err: unknown) => isInvalidArg(err) && /at least one NUMA cell/.test(err.message));
  assert.throws(() => numaTuneChange(VM, untuned, { nodeset: [-1] }, false), (err: unknown) => isInvalidArg(err));
});
