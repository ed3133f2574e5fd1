/**
 * The policy engine's view of one simulated host, built the way the collector and the engine build it:
 * one bulk stats read + node memory each interval → VmReport/HostView, plus a window of the last samples
 * per VM (as services/policy-engine's ClusterState keeps it). Only what the memory policies read is filled.
 */
import { balloonReport, windowEntryFor, type ClusterSnapshot, type HostView, type VmReport, type VmView, type WindowEntry } from '@ballast/domain';
import type { Hypervisor } from '@ballast/hypervisor';


export class SimMemoryView {
  private readonly windows = new Map<string, WindowEntry[]>();

  constructor(
    private readonly hv: Hypervisor,
    private readonly hostId: string,
    private readonly intervalMs: number,
    private readonly windowSize = 30,
  ) {}

  /** Reads the host now (`nowMs` on the guests' wall clock) and returns the snapshot a cycle would see. */
  async snapshot(nowMs: number): Promise<ClusterSnapshot> {
    const [stats, mem] = await Promise.all([this.hv.collectStats({ balloon: true, vcpu: false }), this.hv.nodeMemory()]);
    const vms: VmView[] = [];
    const live = new Set<string>();
    for (const s of stats) {
      live.add(s.uuid);
      const report: VmReport = { uuid: s.uuid, name: s.name, state: s.state, cpuPercent: 0, vcpus: [] };
      if (s.balloon) report.balloon = balloonReport(s.balloon);
      const w = this.windows.get(s.uuid) ?? [];
      const e = windowEntryFor(report, nowMs);
      w.push(e);
      while (w.length > this.windowSize) w.shift();
      this.windows.set(s.uuid, w);
      vms.push({ ...report, hostId: this.hostId, window: [...w], holds: [] });
    }
    for (const uuid of this.windows.keys()) if (!live.has(uuid)) this.windows.delete(uuid);
    const host: HostView = {
      hostId: this.hostId,
      hostname: this.hostId,
      pcpuCount: 0,
      memoryTotalKiB: mem.totalKiB,
      memoryFreeKiB: mem.freeKiB,
      pcpus: [],
      lastSampleMs: nowMs,
      intervalMs: this.intervalMs,
      stale: false,
    };
    return { nowMs, hosts: [host], vms };
  }
}
