// vms() keeps its order (by name, then host) between ingests that change nobody's place instead of sorting
// every VM each call: after any sequence of reports (VMs added, gone, renamed, reordered, moving between
// hosts, reported by two hosts at once) it returns what the sort on every call returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HostReport, VmView } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { ClusterState } from './cluster-state.js';

interface Internals {
  hostsById: Map<string, { report: HostReport }>;
  vmHost: Map<string, string>;
  windows: Map<string, VmView['window']>;
}

/** vms() as it was before issue 11: every VM of every host, sorted on each call. */
function vmsReference(state: ClusterState, nowMs: number): VmView[] {
  const s = state as unknown as Internals;
  const out: VmView[] = [];
  for (const { report } of s.hostsById.values()) {
    for (const vm of report.vms) {
      if (s.vmHost.get(vm.uuid) !== report.hostId) continue;
      out.push({ ...vm, hostId: report.hostId, window: [...(s.windows.get(vm.uuid) ?? [])], holds: [{ resource: `r-${vm.uuid}`, untilMs: nowMs }] });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.hostId.localeCompare(b.hostId));
}

const HOSTS = ['h2', 'h1', 'h10'];
/** One report: a host and some of 4 VMs (uuid u0..u3), each with one of a few names (duplicates across hosts happen), stopped or running. */
const reportArb = fc.record({
  host: fc.constantFrom(...HOSTS),
  vms: fc.uniqueArray(
    fc.record({ n: fc.integer({ min: 0, max: 3 }), name: fc.constantFrom('web', 'Web', 'db-2', 'db-10', 'é', 'a', 'b'), running: fc.boolean() }),
    { selector: (v) => v.n, maxLength: 4 },
  ),
  stepMs: fc.constantFrom(0, 1000, 2000, 30_000),
});

test('vms() equals the sort on every call, after any sequence of reports', () => {
  fc.assert(
    fc.property(fc.array(reportArb, { maxLength: 25 }), (reports) => {
      const now = { t: 1_000_000 };
      const holds = { active: (uuid: string, nowMs: number) => [{ resource: `r-${uuid}`, untilMs: nowMs }] };
      const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => now.t }, holds);
      for (const r of reports) {
        now.t += r.stepMs;
        const vms = r.vms.map((v) => vmReport(v.name, { uuid: `u${v.n}`, state: v.running ? 'running' : 'shutoff' }));
        state.ingest(hostReport(r.host, vms, { takenAtMs: now.t }));
        assert.deepEqual(state.vms(), vmsReference(state, now.t));
        // asked twice without a report between: the kept order, same answer
        assert.deepEqual(state.vms(), vmsReference(state, now.t));
        for (const h of HOSTS) assert.deepEqual(state.vms(h), vmsReference(state, now.t).filter((v) => v.hostId === h));
      }
    }),
    { numRuns: 1500 },
  );
});

test('a VM both hosts reported takes its place on the destination when it runs there only (same reports, new host)', () => {
  const now = { t: 1_000_000 };
  const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => now.t });
  const a = (running: boolean) => vmReport('a', { state: running ? 'running' : 'paused' });
  state.ingest(hostReport('h1', [a(true), vmReport('b')]));
  state.ingest(hostReport('h2', [a(false)]));
  assert.deepEqual(state.vms().map((v) => `${v.name}@${v.hostId}`), ['a@h1', 'b@h1'], 'still runs on h1');
  now.t += 1000;
  state.ingest(hostReport('h1', [a(false), vmReport('b')]));
  state.ingest(hostReport('h2', [a(true)]));
  assert.deepEqual(state.vms().map((v) => `${v.name}@${v.hostId}`), ['a@h2', 'b@h1']);
  assert.deepEqual(state.vms(), vmsReference(state, now.t).map((v) => ({ ...v, holds: [] })));
});
