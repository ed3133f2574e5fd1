import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineSignal, hostList, memoryBounds, type MemoryBounds, type Signal } from '@ballast/domain';
import { coveredHosts, mergeShared, ownParts, sharedSignals } from './shared-signals.js';

const split = defineSignal<{ hostId: string; x: number }[]>('split', hostList());
const whole = defineSignal<number>('whole');
const p = (name: string, reads: Signal<unknown>[] | undefined, publishes: Signal<unknown>[] | undefined) => ({ name, ...(reads ? { reads } : {}), ...(publishes ? { publishes } : {}) });
const wide = new Set(['wide']);

test('sharedSignals: what the cluster-wide policies read of the per-host ones, only when every such signal splits by host', () => {
  const other = defineSignal<{ hostId: string }[]>('other', hostList());
  assert.deepEqual(sharedSignals([p('mem', [], [split, other]), p('wide', [split], [])], wide)?.map((s) => s.name), ['split'], 'only what is read');
  assert.deepEqual(sharedSignals([p('mem', [], [split]), p('wide', [split, whole], [])], wide)?.map((s) => s.name), ['split'], 'read but published by no per-host policy: nothing to share');
  assert.equal(sharedSignals([p('mem', [], [split, whole]), p('wide', [split, whole], [])], wide), undefined, 'a signal that does not split');
  assert.equal(sharedSignals([p('mem', [], [split]), p('wide', undefined, [])], wide), undefined, 'undeclared reads');
  assert.equal(sharedSignals([p('mem', [], undefined), p('wide', [split], [])], wide), undefined, 'undeclared publishes');
  assert.deepEqual(sharedSignals([p('mem', [], [split])], wide), [], 'no cluster-wide policy enabled');
});

test('ownParts, coveredHosts, mergeShared: a replica shares each of its hosts (empty where it has nothing), the reader merges them back', () => {
  const mine = { split: [{ hostId: 'h1', x: 1 }, { hostId: 'h2', x: 2 }, { hostId: 'h1', x: 3 }], whole: 5 };
  const parts = ownParts(mine, [split], new Set(['h1', 'h3']));
  assert.deepEqual(Object.fromEntries(parts), { h1: { split: [{ hostId: 'h1', x: 1 }, { hostId: 'h1', x: 3 }] }, h3: { split: [] } }, 'its own hosts only');
  const bad = new Map([...parts, ['h4', { split: [{ hostId: 'h9', x: 0 }] }], ['h5', {}], ['h6', { split: 'no' }]]);
  assert.deepEqual([...coveredHosts(bad, [split])], ['h1', 'h3'], 'a part about another host, missing or not a list: not covered');
  const merged = mergeShared({ split: [{ hostId: 'h0', x: 0 }], whole: 1 }, ['split'], [split], parts, new Set(['h1', 'h3']));
  assert.deepEqual(merged, { split: [{ hostId: 'h0', x: 0 }, { hostId: 'h1', x: 1 }, { hostId: 'h1', x: 3 }], whole: 1 });
  assert.deepEqual(mergeShared({ whole: 1 }, ['whole'], [split], parts, new Set(['h1'])), { whole: 1 }, 'not published by this policy: left alone');
});

test('memoryBounds splits into each host\'s VMs and budget and merges back', () => {
  const b: MemoryBounds = {
    vms: [
      { vmUuid: 'a', hostId: 'h1', reservationMiB: 0, limitMiB: 1, demandMiB: 1, committedMiB: 1 },
      { vmUuid: 'b', hostId: 'h2', reservationMiB: 0, limitMiB: 1, demandMiB: 1, committedMiB: 1 },
    ],
    hosts: [{ hostId: 'h1', hostFreeFloorMiB: 512 }, { hostId: 'h3', budgetMiB: 100, hostFreeFloorMiB: 512 }],
  };
  const parts = (memoryBounds.hostParts as NonNullable<typeof memoryBounds.hostParts>);
  const byHost = parts.split(b);
  assert.deepEqual([...byHost.keys()].sort(), ['h1', 'h2', 'h3']);
  assert.deepEqual(byHost.get('h3'), { vms: [], hosts: [{ hostId: 'h3', budgetMiB: 100, hostFreeFloorMiB: 512 }] });
  for (const [h, part] of byHost) assert.equal(parts.isPartOf(part, h), true);
  assert.equal(parts.isPartOf(byHost.get('h1'), 'h2'), false);
  assert.equal(parts.isPartOf({ vms: [] }, 'h1'), false);
  const back = parts.merge([...byHost.values()]);
  assert.deepEqual(new Set(back.vms), new Set(b.vms));
  assert.deepEqual(new Set(back.hosts), new Set(b.hosts));
});
