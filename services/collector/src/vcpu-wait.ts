import { cpuPercent, type VmStats } from '@ballast/domain';

interface WaitReading {
  atNs: bigint;
  delayNs: Map<number, number>;
  waitPercent: Map<number, number>;
}

/**
 * Each vCPU's wait for a pCPU (waitPercent) when the cumulative delay is read only every few cycles (the collector's
 * vcpuWaitEvery): a cycle with delay figures measures the wait since the VM's last such cycle; cycles without
 * them repeat the last measured figure, as cycles without a balloon read repeat the balloon's.
 */
export class VcpuWaitTracker {
  private readonly last = new Map<string, WaitReading>();

  /** The waitPercent of each vCPU of `s` (by vCPU id) at `atNs`; empty when not measured yet. */
  update(s: VmStats, atNs: bigint): Map<number, number> {
    const prev = this.last.get(s.uuid);
    const withDelay = s.vcpus.filter((v) => v.delayNs !== undefined);
    if (withDelay.length === 0) return prev?.waitPercent ?? new Map();
    const reading: WaitReading = { atNs, delayNs: new Map(), waitPercent: new Map() };
    const dtNs = prev ? Number(atNs - prev.atNs) : 0;
    for (const v of withDelay) {
      reading.delayNs.set(v.id, v.delayNs as number);
      const before = prev?.delayNs.get(v.id);
      if (before !== undefined) reading.waitPercent.set(v.id, cpuPercent(before, v.delayNs, dtNs));
    }
    this.last.set(s.uuid, reading);
    return reading.waitPercent;
  }

  /** Forgets VMs no longer on the host. */
  retain(live: Set<string>): void {
    for (const uuid of this.last.keys()) if (!live.has(uuid)) this.last.delete(uuid);
  }
}
