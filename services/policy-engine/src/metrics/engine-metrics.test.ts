import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterState } from '@ballast/cycle';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import type { QueueBacklog } from '@ballast/queue';
import { createMetricsRegistry } from '@ballast/runtime';
import { hostReport, vmReport } from '@ballast/testkit';
import { EngineMetrics, type EngineMetricsDeps } from './engine-metrics.js';

function setup(backlog: (host: string) => Promise<QueueBacklog>, more: Partial<EngineMetricsDeps> = {}) {
  let nowMs = 1_000_000;
  const now = () => nowMs;
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now });
  const registry = createMetricsRegistry({ service: 'policy-engine', hostId: 'e1', processMetrics: false });
  const warnings: string[] = [];
  const metrics = new EngineMetrics(registry, {
    state,
    // per host, as the fakes give them; a host whose read throws maps to its Error
    backlogs: async (hosts) => new Map(await Promise.all(hosts.map(async (h) => [h, await backlog(h).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))] as const))),
    specOf: () => undefined,
    leaseHeld: () => false,
    now,
    log: { warn: (o) => void warnings.push(JSON.stringify(o)) },
    ...more,
  });
  return { state, registry, metrics, warnings, advance: (ms: number) => (nowMs += ms), now };
}

const idle: QueueBacklog = { waiting: 0, active: 0, delayed: 0, oldestWaitingAgeMs: 0 };

test('series of a VM that left the cluster go with it; its balloon target too', async () => {
  const { state, registry, metrics, advance, now } = setup(async () => idle);
  state.ingest(hostReport('h1', [vmReport('web'), vmReport('db')], { takenAtMs: now() }));
  const target: JobSpec = { schemaVersion: JOB_SCHEMA_VERSION, id: 'j1', hostId: 'h1', vmUuid: 'uuid-db', vmName: 'db', source: 'manual', createdAtMs: now(), action: { type: 'set-memory', memoryMiB: 700 } };
  metrics.jobSubmitted(target);
  let text = await registry.metrics();
  assert.match(text, /^libvirt_domain_info_memory_usage_bytes\{host="h1",domain="db",service="policy-engine"\} 536870912$/m);
  assert.match(text, /^ballast_domain_balloon_target_bytes\{host="h1",domain="db",service="policy-engine"\} 734003200$/m);
  advance(1000);
  state.ingest(hostReport('h1', [vmReport('web')], { takenAtMs: now() }));
  metrics.cycleDone({ decisions: [], enqueued: [], outcomes: new Map() }, 0.001);
  text = await registry.metrics();
  assert.doesNotMatch(text, /domain="db"/);
  assert.match(text, /domain="web"/);
});

test('a host that stops reporting turns stale; a queue that cannot be read is left out and said', async () => {
  const { state, registry, warnings, advance, now } = setup(async (host) => {
    if (host === 'h2') throw new Error('redis is away');
    return { waiting: 3, active: 1, delayed: 0, oldestWaitingAgeMs: 4500 };
  });
  state.ingest(hostReport('h1', [], { takenAtMs: now() }));
  state.ingest(hostReport('h2', [], { takenAtMs: now() }));
  advance(7000);
  state.ingest(hostReport('h1', [], { takenAtMs: now() }));
  const text = await registry.metrics();
  assert.match(text, /^ballast_host_stale\{host="h2",service="policy-engine"\} 1$/m);
  assert.match(text, /^ballast_host_stale\{host="h1",service="policy-engine"\} 0$/m);
  assert.match(text, /^ballast_host_last_sample_age_seconds\{host="h2",service="policy-engine"\} 7$/m);
  assert.match(text, /^ballast_hosts_stale\{service="policy-engine",host="e1"\} 1$/m);
  assert.match(text, /^ballast_queue_jobs\{host="h1",state="waiting",service="policy-engine"\} 3$/m);
  assert.match(text, /^ballast_queue_oldest_waiting_age_seconds\{host="h1",service="policy-engine"\} 4.5$/m);
  assert.doesNotMatch(text, /^ballast_queue_jobs\{host="h2"/m);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /"host":"h2".*redis is away/);
  assert.match(text, /^ballast_cluster_lease_held\{service="policy-engine",host="e1"\} 0$/m);
});

test('a guest crash: the host counts a crashed VM while it stays crashed, and the crash is counted once; running again, the gauge is back to 0', async () => {
  const { state, registry, metrics, advance, now } = setup(async () => idle);
  const report = (webState: 'running' | 'crashed' | 'shutoff') => {
    const r = hostReport('h1', [vmReport('web', { state: webState }), vmReport('db')], { takenAtMs: now() });
    state.ingest(r);
    metrics.sampleReceived(r.hostId, r.vms);
    advance(1000);
  };
  const crashes = async () => /^ballast_vm_crashes_total\{host="h1",service="policy-engine"\} (\d+)$/m.exec(await registry.metrics())?.[1];
  report('running');
  assert.match(await registry.metrics(), /^ballast_host_vms_crashed\{host="h1",service="policy-engine"\} 0$/m);
  assert.equal(await crashes(), undefined, 'no crash yet: no series');
  report('crashed');
  report('crashed');
  assert.match(await registry.metrics(), /^ballast_host_vms_crashed\{host="h1",service="policy-engine"\} 1$/m);
  assert.equal(await crashes(), '1', 'one crash, however many reports show it');
  report('shutoff');
  report('running');
  assert.match(await registry.metrics(), /^ballast_host_vms_crashed\{host="h1",service="policy-engine"\} 0$/m);
  report('crashed');
  assert.equal(await crashes(), '2', 'a second crash after it ran again');
});

test('many queues read at once: only the hosts asked for (a replica\'s own), a host not readable is left out and said', async () => {
  const asked: string[][] = [];
  const { state, registry, warnings, now } = setup(async () => assert.fail('backlogs is given: no per-host read'), {
    backlogs: async (hosts) => {
      asked.push([...hosts]);
      return new Map(hosts.map((h) => [h, h === 'h3' ? new Error('WRONGTYPE') : { waiting: 2, active: 0, delayed: 1, oldestWaitingAgeMs: 1500 }]));
    },
    queueHosts: () => ['h3', 'h1'],
  });
  for (const h of ['h1', 'h2', 'h3']) state.ingest(hostReport(h, [], { takenAtMs: now() }));
  const text = await registry.metrics();
  assert.deepEqual(asked, [['h3', 'h1']], 'one read a scrape, of the hosts asked for');
  assert.match(text, /^ballast_queue_jobs\{host="h1",state="delayed",service="policy-engine"\} 1$/m);
  assert.match(text, /^ballast_queue_oldest_waiting_age_seconds\{host="h1",service="policy-engine"\} 1.5$/m);
  assert.doesNotMatch(text, /^ballast_queue_jobs\{host="h[23]"/m);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /"host":"h3".*WRONGTYPE/);
});

test("a cycle's phases land in ballast_policy_cycle_phase_seconds by phase, beside the cycle's own time", async () => {
  const { registry, metrics } = setup(async () => idle);
  metrics.cycleDone({ decisions: [], enqueued: [], outcomes: new Map() }, 0.7, { outcomes: 30, plan: 600, enqueue: 0.5 });
  metrics.phaseDone('after', 1200);
  const text = await registry.metrics();
  assert.match(text, /^ballast_policy_cycle_seconds_count\{[^}]*\} 1$/m);
  assert.match(text, /^ballast_policy_cycle_phase_seconds_bucket\{le="0.5",[^}]*phase="plan"\} 0$/m);
  assert.match(text, /^ballast_policy_cycle_phase_seconds_bucket\{le="0.6",[^}]*phase="plan"\} 1$/m);
  assert.match(text, /^ballast_policy_cycle_phase_seconds_sum\{[^}]*phase="outcomes"\} 0.03$/m);
  assert.match(text, /^ballast_policy_cycle_phase_seconds_bucket\{le="1",[^}]*phase="after"\} 0$/m);
  assert.match(text, /^ballast_policy_cycle_phase_seconds_bucket\{le="1.25",[^}]*phase="after"\} 1$/m);
  assert.doesNotMatch(text, /phase="refresh"/); // no phase that was not timed
});

test('host leases: held now, and lost so far as a counter that only rises', async () => {
  let lost = 0;
  const { registry } = setup(async () => idle, { hostsOwned: () => 4, hostLeasesLost: () => lost });
  assert.match(await registry.metrics(), /^ballast_host_leases_lost_total\{service="policy-engine",host="e1"\} 0$/m);
  lost = 3;
  let text = await registry.metrics();
  assert.match(text, /^ballast_host_leases_lost_total\{service="policy-engine",host="e1"\} 3$/m);
  assert.match(text, /^# TYPE ballast_host_leases_lost_total counter$/m);
  assert.match(text, /^ballast_hosts_owned\{service="policy-engine",host="e1"\} 4$/m);
  lost = 5;
  text = await registry.metrics();
  assert.match(text, /^ballast_host_leases_lost_total\{service="policy-engine",host="e1"\} 5$/m);
});

test('signal parts: the hosts shared or merged in the last cycle; 0 for a cycle that shared nothing', async () => {
  const { registry, metrics } = setup(async () => idle);
  metrics.cycleDone({ decisions: [], enqueued: [], outcomes: new Map(), signalParts: { shared: 0, merged: 7 } }, 0.1);
  let text = await registry.metrics();
  assert.match(text, /^ballast_signal_parts_hosts\{role="merged",[^}]*\} 7$/m);
  assert.match(text, /^ballast_signal_parts_hosts\{role="shared",[^}]*\} 0$/m);
  metrics.cycleDone({ decisions: [], enqueued: [], outcomes: new Map() }, 0.1);
  text = await registry.metrics();
  assert.match(text, /^ballast_signal_parts_hosts\{role="merged",[^}]*\} 0$/m);
});
