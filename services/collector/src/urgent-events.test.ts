import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HypervisorEvent } from '@ballast/domain';
import { isCrashEvent, isUrgentEvent } from './urgent-events.js';

// the names LibvirtHypervisor gives virDomainEventType numbers (packages/libvirt/src/domain-state.ts)
const lifecycle = (event: string, detail = 0): HypervisorEvent => ({ kind: 'lifecycle', uuid: 'u', name: 'vm', event, detail });

test("libvirt's crashed event (a guest panic) is a crash and makes an immediate report; so do stopped and started", () => {
  assert.equal(isCrashEvent(lifecycle('crashed')), true);
  assert.equal(isUrgentEvent(lifecycle('crashed')), true);
  assert.equal(isUrgentEvent(lifecycle('stopped', 2)), true);
  assert.equal(isUrgentEvent(lifecycle('started')), true);
  assert.equal(isCrashEvent(lifecycle('stopped')), false);
});

test('other events wait for the next interval', () => {
  assert.equal(isUrgentEvent(lifecycle('defined')), false);
  assert.equal(isUrgentEvent(lifecycle('suspended')), false);
  assert.equal(isUrgentEvent({ kind: 'balloon-change', uuid: 'u', name: 'vm', actualKiB: 1 }), false);
  assert.equal(isUrgentEvent({ kind: 'connection-lost', reason: 'eof' }), false);
});
