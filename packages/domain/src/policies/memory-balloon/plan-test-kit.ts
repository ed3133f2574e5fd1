/** Shared helpers of the memory-balloon plan tests: validated args, a run that checks every invariant. */
import assert from 'node:assert/strict';
import type { ClusterSnapshot, VmView } from '../../snapshot.js';
import type { MemoryBalloonArgs } from './args.js';
import { hostKnobsFor, knobsFor } from './knobs.js';
import { targetsInFlight } from './in-flight.js';
import { planMemoryBalloon, type MemoryPlan } from './plan.js';
import { validateMemoryBalloonArgs } from './validate.js';
/** Args from a partial document (validated, so the defaults are filled as in production). */
export function args(doc: unknown = {}): MemoryBalloonArgs {
  const v = validateMemoryBalloonArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}

export function run(s: ClusterSnapshot, a: MemoryBalloonArgs = args()): MemoryPlan {
  const p = planMemoryBalloon(s, a);
  assertInvariants(s, a, p);
  return p;
}

export const target = (p: MemoryPlan, name: string): number | undefined => {
  const j = p.jobs.find((x) => x.vmName === name);
  return j?.action.type === 'set-memory' ? j.action.memoryMiB : undefined;
};
export const decision = (p: MemoryPlan, name: string) => {
  const d = p.decisions.find((x) => x.vmUuid === `uuid-${name}`);
  assert.ok(d, `no decision for ${name}`);
  return d;
};

/** What a VM is committed to: the target of its set-memory job in flight in the snapshot, else its balloon. */
export function committed(v: VmView, s: ClusterSnapshot): number {
  const actual = (v.balloon?.actualKiB ?? 0) / 1024;
  const t = targetsInFlight(s.jobs).get(v.uuid);
  return typeof t === 'number' && Number.isFinite(t) && t > 0 && Math.abs(t - actual) >= 1 ? t : actual;
}

/**
 * The invariants every plan must keep, whatever the snapshot. Without a target in flight, committed =
 * actual and these are the issue's invariants verbatim; with one, changes are measured from what is
 * committed (a job replaces the one in flight), and a job that only raises a release in flight back up
 * never squeezes the guest more than what is already under way.
 */
export function assertInvariants(s: ClusterSnapshot, a: MemoryBalloonArgs, p: MemoryPlan): void {
  const kinds = new Set(['grow', 'release', 'hold', 'starved', 'unmanaged', 'stale', 'warmup', 'protect']);
  assert.equal(p.decisions.length, s.vms.length, 'one decision per VM');
  for (const d of p.decisions) assert.ok(kinds.has(d.kind), `kind ${d.kind}`);
  const jobsByVm = new Map<string, number>();
  for (const j of p.jobs) {
    assert.ok(j.vmUuid !== undefined, 'a set-memory job names its VM');
    assert.equal(jobsByVm.has(j.vmUuid), false, 'at most one job per VM');
    assert.equal(j.action.type, 'set-memory');
    if (j.action.type !== 'set-memory') continue;
    jobsByVm.set(j.vmUuid, j.action.memoryMiB);
    const v = s.vms.find((x) => x.uuid === j.vmUuid) as VmView;
    const h = s.hosts.find((x) => x.hostId === v.hostId);
    const { knobs } = knobsFor(a, v);
    const b = v.balloon;
    const t = j.action.memoryMiB;
    assert.ok(b && b.hasGuestStats, `${v.name}: job without guest stats`);
    assert.ok(h && !h.stale, `${v.name}: job on a stale or unknown host`);
    assert.equal(knobs.automation, 'auto', `${v.name}: job while automation is ${knobs.automation}`);
    assert.ok(v.state === 'running' || v.state === 'blocked');
    assert.ok(s.nowMs - b.lastUpdateSec * 1000 <= a.control.staleAfterIntervals * h.intervalMs, `${v.name}: job on stale stats`);
    assert.ok(!v.holds.some((x) => x.resource === 'memory' && x.untilMs > s.nowMs), `${v.name}: job on held memory`);
    const actual = b.actualKiB / 1024;
    const used = actual - b.unusedKiB / 1024;
    const max = b.maximumKiB / 1024;
    const limit = Math.min(knobs.limitMiB ?? max, max);
    const c = committed(v, s);
    const from = Math.min(c, actual);
    assert.ok(Number.isInteger(t), `${v.name}: target ${t} is not an integer`);
    assert.ok(t >= knobs.reservationMiB, `${v.name}: target ${t} below reservation ${knobs.reservationMiB}`);
    assert.ok(t <= max, `${v.name}: target ${t} above maximum ${max}`);
    assert.ok(Math.abs(t - c) > knobs.hysteresisMiB, `${v.name}: change ${t - c} from ${c} within hysteresis`);
    assert.equal(j.action.hostBudgetMiB, hostKnobsFor(a, v.hostId).budgetMiB, `${v.name}: every job carries the host budget`);
    if (t > actual) {
      assert.ok(t <= limit, `${v.name}: grow to ${t} above limit ${limit}`);
      assert.ok(t - actual <= knobs.maxGrowMiBPerCycle + 1e-9, `${v.name}: grow ${t - actual} > step`);
    } else {
      assert.ok(t >= used + knobs.minUnusedMiB - 1e-9 || t > c, `${v.name}: release to ${t} below used ${used} + minUnused`);
    }
    if (t < from) {
      const step = Math.min(knobs.maxReleaseMiBPerCycle, (knobs.maxReleasePercent / 100) * actual);
      assert.ok(from - t <= step + 1e-9, `${v.name}: release ${from - t} > step ${step}`);
      const withStats = v.window.filter((e) => e.unusedKiB !== undefined && e.actualKiB !== undefined).length;
      assert.ok(withStats >= a.control.warmupSamples, `${v.name}: released during warm-up`);
    }
    const d = p.decisions.find((x) => x.vmUuid === v.uuid);
    assert.ok(d && ['grow', 'release', 'protect', 'starved'].includes(d.kind), `${v.name}: job with decision ${d?.kind}`);
  }
  for (const h of s.hosts) {
    const hk = hostKnobsFor(a, h.hostId);
    let sumActual = 0;
    let sumTarget = 0;
    let growth = 0;
    let inflight = 0;
    for (const v of s.vms.filter((x) => x.hostId === h.hostId)) {
      if (v.state === 'shutoff' || v.state === 'nostate') continue;
      const actual = (v.balloon?.actualKiB ?? 0) / 1024;
      const job = jobsByVm.get(v.uuid);
      const c = committed(v, s);
      // a job in flight lands unless this plan's job replaces it
      if (job === undefined) inflight += Math.max(0, c - actual);
      sumActual += Math.max(actual, c);
      sumTarget += job ?? c;
      growth += Math.max(0, (job ?? actual) - actual);
    }
    if (hk.budgetMiB !== undefined) {
      assert.ok(sumTarget <= Math.max(hk.budgetMiB, sumActual) + 1e-6, `${h.hostId}: Σ targets ${sumTarget} > budget ${hk.budgetMiB}`);
      if (growth > 0) assert.ok(sumTarget <= hk.budgetMiB + 1e-6, `${h.hostId}: grows while Σ targets ${sumTarget} > budget`);
    }
    const room = Math.max(0, h.memoryFreeKiB / 1024 - hk.hostFreeFloorMiB - inflight);
    assert.ok(growth <= room + 1e-6, `${h.hostId}: growth ${growth} (+${inflight} in flight) breaks the host free floor`);
  }
}

