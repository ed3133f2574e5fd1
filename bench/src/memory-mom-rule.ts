/**
 * oVirt MOM's default balloon policy (doc/balloon.rules, as shipped in MOM 0.6.x: identical in v0.6.3-
 * v0.6.5) as a Ballast Policy, for the memory benchmark. Our reading of it, rule by rule:
 *
 *   host_free_percent = Host.StatAvg(mem_free) / Host.mem_available          (mem_available = MemTotal)
 *   if host_free_percent < pressure_threshold (0.20): shrink every guest, else grow every guest.
 *   shrink_guest:
 *     guest_free_percent = host_free_percent ≤ pressure_critical (0.05)
 *         ? host_free_percent − 0.05                     ("force guest to swap by making free memory negative")
 *         : min_guest_free_percent (0.20) · host_free_percent / pressure_threshold
 *     used        = StatAvg(balloon_cur) − StatAvg(mem_unused)
 *     balloon_min = max(guest.balloon_min, used + guest_free_percent · balloon_cur)
 *     size        = max(balloon_cur · (1 − max_balloon_change_percent (0.05)), balloon_min)
 *     set it when size ≤ balloon_cur and |size − balloon_cur| > min_balloon_change_percent (0.0025) · balloon_cur
 *   grow_guest (only while balloon_cur < balloon_max):
 *     balloon_min = max(guest.balloon_min, used + min_guest_free_percent · balloon_cur)
 *     size        = min(max(balloon_cur · (1 + 0.05), balloon_min), balloon_max); set it when the change is big enough
 *
 * guest.balloon_min is the domain's <memtune><min_guarantee> (0 when absent, as in the lab's domains).
 * StatAvg averages the monitor's last `sample-history-length` (10) samples; here a VM's window gives the
 * samples. Deviations, all in MOM's favour: the host's free memory is the latest sample rather than a
 * 10-sample average, and the rule runs on Ballast's 2 s loop rather than MOM's 10 s policy interval.
 */
import { kibToMib, mibToKib, type ArgsIssue, type ClusterSnapshot, type Decision, type Plan, type PlannedJob, type Policy } from '@ballast/domain';

export interface MomBalloonArgs {
  pressureThreshold: number;
  pressureCritical: number;
  minGuestFreePercent: number;
  maxBalloonChangePercent: number;
  minBalloonChangePercent: number;
  /** MOM's sample-history-length: samples StatAvg averages over. */
  sampleHistoryLength: number;
  /** guest.balloon_min (min_guarantee), MiB. */
  minGuaranteeMiB: number;
}

export const MOM_DEFAULTS: MomBalloonArgs = {
  pressureThreshold: 0.2,
  pressureCritical: 0.05,
  minGuestFreePercent: 0.2,
  maxBalloonChangePercent: 0.05,
  minBalloonChangePercent: 0.0025,
  sampleHistoryLength: 10,
  minGuaranteeMiB: 0,
};

function validate(raw: unknown): { ok: true; args: MomBalloonArgs } | { ok: false; issues: ArgsIssue[] } {
  const r = (raw ?? {}) as Record<string, unknown>;
  const args: MomBalloonArgs = { ...MOM_DEFAULTS };
  const issues: ArgsIssue[] = [];
  for (const k of Object.keys(r)) {
    const v = r[k];
    if (!(k in MOM_DEFAULTS)) issues.push({ field: k, message: 'unknown field' });
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) issues.push({ field: k, message: 'must be a number ≥ 0' });
    else (args as unknown as Record<string, number>)[k] = v;
  }
  return issues.length ? { ok: false, issues } : { ok: true, args };
}

function plan(snapshot: ClusterSnapshot, a: MomBalloonArgs): Plan {
  const jobs: PlannedJob[] = [];
  const decisions: Decision[] = [];
  for (const host of snapshot.hosts) {
    const hostFree = host.memoryTotalKiB > 0 ? host.memoryFreeKiB / host.memoryTotalKiB : 0;
    const pressure = hostFree < a.pressureThreshold;
    const guestFree = hostFree <= a.pressureCritical ? -0.05 + hostFree : a.minGuestFreePercent * (hostFree / a.pressureThreshold);
    for (const vm of snapshot.vms) {
      if (vm.hostId !== host.hostId) continue;
      const b = vm.balloon;
      // MOM's guest monitor is not ready without memory stats; it manages running domains only.
      if (vm.state !== 'running' || !b || !b.hasGuestStats) continue;
      const hist = vm.window.filter((e) => e.actualKiB !== undefined && e.unusedKiB !== undefined).slice(-a.sampleHistoryLength);
      const avg = (f: (e: (typeof hist)[number]) => number): number => (hist.length ? hist.reduce((s, e) => s + f(e), 0) / hist.length : 0);
      const cur = b.actualKiB;
      const used = avg((e) => e.actualKiB ?? 0) - avg((e) => e.unusedKiB ?? 0);
      const minGuarantee = mibToKib(a.minGuaranteeMiB);
      const bigEnough = (size: number): boolean => Math.abs(size - cur) > a.minBalloonChangePercent * cur;
      let size: number | undefined;
      if (pressure) {
        const balloonMin = Math.max(minGuarantee, used + guestFree * cur);
        let s = cur * (1 - a.maxBalloonChangePercent);
        if (s < balloonMin) s = balloonMin;
        if (s <= cur && bigEnough(s)) size = s;
      } else if (cur < b.maximumKiB) {
        const balloonMin = Math.max(minGuarantee, used + a.minGuestFreePercent * cur);
        let s = cur * (1 + a.maxBalloonChangePercent);
        if (s < balloonMin) s = balloonMin;
        if (s > b.maximumKiB) s = b.maximumKiB;
        if (bigEnough(s)) size = s;
      }
      const memoryMiB = size === undefined ? undefined : Math.round(kibToMib(size));
      const reason = `host free ${(hostFree * 100).toFixed(1)} %: ${pressure ? 'shrink' : 'grow'}`;
      if (memoryMiB === undefined || memoryMiB === Math.round(kibToMib(cur))) {
        decisions.push({ vmUuid: vm.uuid, hostId: host.hostId, kind: 'hold', reason });
        continue;
      }
      decisions.push({ vmUuid: vm.uuid, hostId: host.hostId, kind: memoryMiB > kibToMib(cur) ? 'grow' : 'release', reason, inputs: { memoryMiB } });
      jobs.push({ hostId: host.hostId, vmUuid: vm.uuid, vmName: vm.name, action: { type: 'set-memory', memoryMiB }, reason });
    }
  }
  return { jobs, decisions };
}

export const momBalloonRule: Policy<MomBalloonArgs> = { name: 'mom-balloon-rules', order: 100, defaults: MOM_DEFAULTS, validate, plan };
