// The cluster gauges (TextGauges over ClusterState.placedVms) write the same text as they did as prom-client
// Gauges over ClusterState.vms() (cluster-gauges-reference.ts, the old code kept verbatim): same names, help,
// labels, values and order, on a registry of createMetricsRegistry and on a plain prom-client Registry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ClusterState } from '@ballast/cycle';
import { createMetricsRegistry } from '@ballast/runtime';
import { hostReport, vmReport } from '@ballast/testkit';
import { registerClusterGauges } from './cluster-gauges.js';
import { registerClusterGaugesReference } from './cluster-gauges-reference.js';

/** `repeats`: a host reporting two VMs of one name (then a series is set twice: the gauges keep a map, as prom-client's). */
function cluster(repeats: boolean): ClusterState {
  let nowMs = 5_000_000;
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => nowMs });
  const ksm = { run: 'run' as const, pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3 };
  const noStats = { actualKiB: 1024, maximumKiB: 4096, hasGuestStats: false, unusedKiB: 0, availableKiB: 0, usableKiB: 0, majorFaults: 0, swapInKiB: 0, lastUpdateSec: 1 };
  state.ingest(hostReport('h-b', [vmReport('zeta'), vmReport('alpha', { state: 'crashed', vcpus: [] }), vmReport('we"ird\\name\nx', { cpuPercent: 250 })], { takenAtMs: nowMs, ksm }));
  nowMs += 10_000;
  state.ingest(hostReport('h-a', [vmReport('beta', { balloon: noStats, vcpus: [0, 1, 2].map((id) => ({ id, usagePercent: 10 * id, ...(id > 0 ? { waitPercent: id } : {}), pcpus: [id] })) }), vmReport('gamma', { balloon: undefined })], { takenAtMs: nowMs, pcpus: [{ pcpu: 0, usagePercent: 33.3 }], maintenance: true } as never));
  // the same name on two hosts, and a host with no VMs
  state.ingest(hostReport('h-c', [vmReport('zeta', { uuid: 'uuid-zeta-2' })], { takenAtMs: nowMs }));
  state.ingest(hostReport('h-d', repeats ? [vmReport('dup', { uuid: 'u1' }), vmReport('dup', { uuid: 'u2', cpuPercent: 70 })] : [], { takenAtMs: nowMs }));
  return state;
}

const targets = new Map([['uuid-beta', 700 * 1024], ['uuid-zeta-2', 900 * 1024]]);

for (const repeats of [false, true]) for (const [kind, make] of [
  ['createMetricsRegistry', () => createMetricsRegistry({ service: 'policy-engine', hostId: 'e1', processMetrics: false })],
  ['a plain prom-client Registry with default labels', () => {
    const r = new Registry();
    r.setDefaultLabels({ service: 'policy-engine', host: 'e1' });
    return r;
  }],
] as const) {
  test(`the same text as the prom-client Gauges wrote (${kind}${repeats ? ', a VM name repeated on a host' : ''})`, async () => {
    const state = cluster(repeats);
    const now = () => 5_020_000;
    const before = make();
    registerClusterGaugesReference(before, { hosts: () => state.hosts(), vms: () => state.vms(), balloonTargetKiB: (u) => targets.get(u), now });
    const after = make();
    registerClusterGauges(after, { hosts: () => state.hosts(), vms: () => state.placedVms(), balloonTargetKiB: (u) => targets.get(u), now });
    const text = await after.metrics();
    assert.equal(text, await before.metrics());
    // and it says something: every kind of series is there
    assert.match(text, /^libvirt_domain_info_memory_usage_bytes\{host="h-b",domain="we\\"ird\\\\name\\nx",service="policy-engine"\} 536870912$/m);
    assert.match(text, /^ballast_domain_vcpu_wait_ratio\{host="h-a",domain="beta",vcpu="2",service="policy-engine"\} 0.02$/m);
    assert.match(text, /^ballast_host_vms_crashed\{host="h-b",service="policy-engine"\} 1$/m);
    assert.match(text, /^ballast_hosts_stale\{service="policy-engine",host="e1"\} 1$/m);
    assert.match(text, /^ballast_domain_balloon_target_bytes\{host="h-c",domain="zeta",service="policy-engine"\} 943718400$/m);
    assert.deepEqual(await after.getMetricsAsJSON(), await before.getMetricsAsJSON());
    if (repeats) assert.match(text, /^ballast_domain_cpu_usage_ratio\{host="h-d",domain="dup",service="policy-engine"\} 0.7$/m);
  });
}
