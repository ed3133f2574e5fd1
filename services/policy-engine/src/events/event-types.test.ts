import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareEventIds, eventJson, isEventId, matchesTypes, parseEventTypes } from './event-types.js';

test('a type list parses to a set; empty means every type; an unknown name is named', () => {
  const all = parseEventTypes(undefined);
  assert.ok('types' in all);
  assert.deepEqual([...all.types].sort(), ['decision', 'job', 'recommendation']);
  const some = parseEventTypes(' job, decision ,');
  assert.ok('types' in some);
  assert.deepEqual([...some.types].sort(), ['decision', 'job']);
  assert.ok(matchesTypes(some.types, { type: 'job' }));
  assert.ok(!matchesTypes(some.types, { type: 'recommendation' }));
  const bad = parseEventTypes(['job', 'jobs']);
  assert.ok('error' in bad);
  assert.match(bad.error, /"jobs"/);
});

test('event ids order by time, then sequence, past the range of a double', () => {
  assert.ok(compareEventIds('1700000000000-2', '1700000000000-10') < 0, 'the sequence compares as a number, not text');
  assert.ok(compareEventIds('1700000000001-0', '1700000000000-99') > 0);
  assert.equal(compareEventIds('5-5', '5-5'), 0);
  assert.ok(compareEventIds('18446744073709551615-1', '18446744073709551615-0') > 0);
  assert.ok(isEventId('1700000000000-0'));
  for (const bad of ['', '17', '17-', 'a-1', '1-2-3', '$', '(1-0']) assert.ok(!isEventId(bad), bad);
});

test('the event JSON carries id, type, action, an ISO time and the subject only when known', () => {
  const j = eventJson({ id: '1-0', type: 'job', action: 'failed', atMs: 0, hostId: 'h1', data: { id: 'j' } });
  assert.deepEqual(j, { id: '1-0', type: 'job', action: 'failed', at: '1970-01-01T00:00:00.000Z', hostId: 'h1', data: { id: 'j' } });
});
