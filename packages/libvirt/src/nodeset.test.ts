import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatNodeset, parseNodeset } from './nodeset.js';

test('parseNodeset reads ids, ranges and exclusions; "" is no cells', () => {
  assert.deepEqual(parseNodeset(''), []);
  assert.deepEqual(parseNodeset('0'), [0]);
  assert.deepEqual(parseNodeset('0-1,3'), [0, 1, 3]);
  assert.deepEqual(parseNodeset('3, 1-2 ,1'), [1, 2, 3]);
  assert.deepEqual(parseNodeset('0-3,^2'), [0, 1, 3]);
});

test('parseNodeset rejects what libvirt would not write', () => {
  for (const bad of ['a', '1-', '-1', '3-1', '0,,1', '^0-1', '1.5']) {
    assert.throws(() => parseNodeset(bad), (err: unknown) => err instanceof RangeError && err.message.includes(`'${bad}'`), bad);
  }
});

test('formatNodeset writes libvirt\'s short form, sorted and unique', () => {
  assert.equal(formatNodeset([]), '');
  assert.equal(formatNodeset([0]), '0');
  assert.equal(formatNodeset([3, 0, 1, 1]), '0-1,3');
  assert.equal(formatNodeset([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.throws(() => formatNodeset([-1]), RangeError);
  assert.throws(() => formatNodeset([0.5]), RangeError);
});

test('format and parse round-trip', () => {
  for (const ids of [[0], [0, 1], [0, 2, 3, 4, 9], [1, 3, 5]]) assert.deepEqual(parseNodeset(formatNodeset(ids)), ids);
});
