import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../cli-error.js';
import { age, cellText, labelsText, outputFormat, renderRecord, renderTable } from './output.js';

test('renderTable: a header and aligned columns, no borders, no trailing spaces, no blank lines', () => {
  const text = renderTable(['HOST', 'VMS', 'STALE'], [['h0', 3, false], ['host-long', 12, true]]);
  assert.deepEqual(text.split('\n'), ['HOST        VMS   STALE', 'h0          3     no', 'host-long   12    yes']);
});

test('renderTable with no rows is the header alone', () => {
  assert.equal(renderTable(['A', 'B'], []), 'A   B');
});

test('cells: empty is -, decimals to one place, booleans yes/no', () => {
  assert.deepEqual([null, undefined, '', 3, 2.345, true, false, 'x'].map(cellText), ['-', '-', '-', '3', '2.3', 'yes', 'no', 'x']);
});

test('renderRecord aligns names', () => {
  assert.equal(renderRecord([['id', 'j1'], ['state', 'active'], ['error', null]]), 'id:    j1\nstate: active\nerror: -');
});

test('labels and ages', () => {
  assert.equal(labelsText({ rack: 'a', zone: '1' }), 'rack=a,zone=1');
  assert.equal(labelsText({}), '-');
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.equal(age('2026-01-01T11:59:55Z', now), '5s');
  assert.equal(age('2026-01-01T11:50:00Z', now), '10m');
  assert.equal(age('2026-01-01T06:00:00Z', now), '6h');
  assert.equal(age('2025-12-25T12:00:00Z', now), '7d');
  assert.equal(age(null, now), '-');
});

test('-o takes table, json or yaml only', () => {
  assert.equal(outputFormat(undefined), 'table');
  assert.equal(outputFormat('json'), 'json');
  assert.equal(outputFormat('yaml'), 'yaml');
  assert.throws(() => outputFormat('xml'), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /-o\/--output must be table, json or yaml/.test(e.message));
});
