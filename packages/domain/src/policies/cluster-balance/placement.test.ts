import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish } from '../policy-signals.js';
import { memoryBounds } from '../entitlement-signals.js';
import { placeVm } from './placement.js';
import { validateClusterBalanceArgs } from './validate.js';
import { args, host, snap, vm } from './test-kit.js';

test('placement advice ranks the fitting hosts by the imbalance they leave, the others last with why', () => {
  const s = snap([host('h1', { pcpus: 2 }), host('h2', { pcpus: 2 }), host('h3', { pcpus: 2, maintenance: true })], [vm('a', 'h1', { cpu: 150 }), vm('b', 'h2', { cpu: 20 })]);
  const r = placeVm(s, args(), { vcpus: 2, memoryMiB: 1024 });
  assert.deepEqual(r.hosts.map((h) => [h.hostId, h.rank, h.fits]), [['h2', 1, true], ['h1', 2, true], ['h3', 3, false]]);
  assert.match(r.hosts[0]?.reason ?? '', /fits; cluster imbalance .* → /);
  assert.match(r.hosts[2]?.reason ?? '', /h3 is in maintenance/);
});

test('placement advice honours budgets and the rules the new VM falls under', () => {
  const bounds = publish(memoryBounds, { vms: [], hosts: [{ hostId: 'h1', hostFreeFloorMiB: 200, budgetMiB: 900 }, { hostId: 'h2', hostFreeFloorMiB: 200 }] });
  const s = snap([host('h1'), host('h2')], [vm('w1', 'h2', { labels: { app: 'web' } })], { signals: [bounds] });
  const a = args({ rules: [{ kind: 'anti-affinity', vms: { labels: { app: 'web' } } }] });
  const r = placeVm(s, a, { vcpus: 1, memoryMiB: 1024, labels: { app: 'web' } });
  assert.ok(r.hosts.every((h) => !h.fits), JSON.stringify(r.hosts));
  assert.match(r.hosts.find((h) => h.hostId === 'h1')?.reason ?? '', /h1's budget: 0 \+ 1024 > 900 MiB/);
  assert.match(r.hosts.find((h) => h.hostId === 'h2')?.reason ?? '', /anti-affinity with w1/);
  assert.equal(placeVm(s, a, { vcpus: 1, memoryMiB: 1024 }).hosts[0]?.fits, true);
});

test('bad args are refused naming the field', () => {
  const bad = (raw: unknown) => {
    const r = validateClusterBalanceArgs(raw);
    return r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}`);
  };
  assert.match(bad({ level: 7 }).join(), /^level: /);
  assert.match(bad({ limits: { perHost: 0 } }).join(), /limits\.perHost/);
  assert.match(bad({ rules: [{ kind: 'vm-host', vms: { names: ['x'] }, hostGroup: 'nope', mode: 'must' }] }).join(), /rules\.0\.hostGroup: no host group "nope"/);
  assert.match(bad({ rules: [{ kind: 'affinity', vms: {} }] }).join(), /rules\.0\.vms: must give names or labels/);
  assert.match(bad({ cooldown: { minMs: 10, maxMs: 5 } }).join(), /cooldown\.maxMs/);
  assert.match(bad({ levl: 3 }).join(), /levl|Unrecognized/);
  assert.deepEqual(bad({}), []);
});
