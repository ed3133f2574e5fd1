/**
 * Args of the `cpu-entitlement` policy: each VM's CPU weight (cpu_shares) and cap (vcpu_quota per
 * vcpu_period) from its shares, reservation and limit (see plan.ts and entitlement.ts).
 *
 * The document has the shape memory-balloon's has (vm-groups.ts): defaults for every VM, per-group
 * overrides (groups match VM names/UUIDs or labels; later groups win), `labels`, host knobs with per-host
 * overrides, and control knobs. Every field is optional; validate.ts fills the defaults below.
 *
 *   {
 *     "defaults": { "shares": "normal" },
 *     "groups":   [ { "name": "gold", "match": { "labels": { "tier": "gold" } }, "shares": "high", "reservationPercent": 50 },
 *                   { "match": { "names": ["batch1"] }, "shares": "low", "limitPercent": 50 } ],
 *     "host":     { "headroomPercent": 10 },
 *     "hosts":    { "cgv2-host": { "maxShares": 10000, "assumedShares": 100 } }
 *   }
 *
 * Per VM (defaults, overridable per group). "% of a pCPU per vCPU": a VM with n vCPUs gets n times it.
 *
 * | knob                 | default  | unit                 | meaning                                                   |
 * |----------------------|----------|----------------------|-----------------------------------------------------------|
 * | shares               | 'normal' | shares per vCPU      | 'high' 2000, 'normal' 1000, 'low' 500 (ESX) or a number:  |
 * |                      |          |                      | cpu_shares = shares per vCPU × vCPUs                       |
 * | reservationPercent   | 0        | % of a pCPU per vCPU | held under contention by raising cpu_shares (proportional, |
 * |                      |          |                      | not a hard floor); admitted only if the host can hold it   |
 * | limitPercent         | none     | % of a pCPU per vCPU | hard cap: vcpu_quota = limit % of vcpu_period (each vCPU   |
 * |                      |          |                      | thread); none or ≥ 100: unlimited (vcpu_quota -1)          |
 * | periodUs             | 100000   | µs                   | vcpu_period used with a limit (1000..1000000)              |
 * | emulatorFollowsVcpus | true     |                      | keep the VM's emulator threads (QEMU's main loop and I/O)  |
 * |                      |          |                      | on the pCPUs its vCPUs may use (their union), as Nova does |
 * |                      |          |                      | for pinned guests: its weight then counts where its vCPUs  |
 * |                      |          |                      | compete (see docs/cpu-entitlement.md); false: left as is   |
 * | automation           | 'auto'   |                      | 'off' (unmanaged), 'recommend' (decision only), 'auto'     |
 *
 * Per host (`host`, overridable per host id in `hosts`):
 *
 * | knob                 | default  | unit                 | meaning                                                   |
 * |----------------------|----------|----------------------|-----------------------------------------------------------|
 * | headroomPercent      | 10       | % of capacity        | kept out of reservations (host processes, emulator and    |
 * |                      |          |                      | I/O threads): reservations may take (100 − it) %          |
 * | maxShares            | 262144   | cpu_shares           | the highest cpu_shares set (set-cpu-tune's bound; 10000    |
 * |                      |          |                      | where libvirt writes cgroup v2's cpu.weight)               |
 * | assumedShares        | 1024     | cpu_shares           | what a VM counts with while its cpuTune is not collected   |
 * |                      |          |                      | (libvirt's default on cgroup v1; 100 on cgroup v2)         |
 *
 * Control (`control`):
 *
 * | knob                    | default | unit             | meaning                                                    |
 * |-------------------------|---------|------------------|------------------------------------------------------------|
 * | sharesTolerancePercent  | 2       | % of the target  | collected cpu_shares this close to the target: no job      |
 * | limitTolerancePercent   | 1       | % of a pCPU      | a collected cap (quota/period) this close: no job          |
 *
 * How a reservation becomes shares, and admission: entitlement.ts and admission.ts.
 */
import type { Automation } from '../vm-groups.js';
import { defaultGroupedDocument, type GroupedDocument } from '../read-grouped-knobs.js';
import type { SharesKnob, SharesLevel } from '../shares-knob.js';

/** 'high' | 'normal' | 'low' (2000 / 1000 / 500 per vCPU) or shares per vCPU. */
export type CpuShares = SharesKnob;

export const SHARES_PER_VCPU: Readonly<Record<SharesLevel, number>> = { high: 2000, normal: 1000, low: 500 };

export interface CpuVmKnobs {
  shares: CpuShares;
  reservationPercent: number;
  /** Absent: unlimited. */
  limitPercent?: number;
  periodUs: number;
  emulatorFollowsVcpus: boolean;
  automation: Automation;
}

export interface CpuHostKnobs {
  headroomPercent: number;
  maxShares: number;
  assumedShares: number;
}

export interface CpuControlKnobs {
  sharesTolerancePercent: number;
  limitTolerancePercent: number;
}

/** The whole document: per-VM defaults, groups and labels; host knobs and per-host overrides; control knobs. */
export type CpuEntitlementArgs = GroupedDocument<CpuVmKnobs, CpuHostKnobs, CpuControlKnobs>;

export const DEFAULT_CPU_VM_KNOBS: Readonly<CpuVmKnobs> = Object.freeze({
  shares: 'normal',
  reservationPercent: 0,
  periodUs: 100_000,
  emulatorFollowsVcpus: true,
  automation: 'auto',
});

export const DEFAULT_CPU_HOST_KNOBS: Readonly<CpuHostKnobs> = Object.freeze({
  headroomPercent: 10,
  maxShares: 262_144,
  assumedShares: 1024,
});

export const DEFAULT_CPU_CONTROL_KNOBS: Readonly<CpuControlKnobs> = Object.freeze({
  sharesTolerancePercent: 2,
  limitTolerancePercent: 1,
});

export function defaultCpuEntitlementArgs(): CpuEntitlementArgs {
  return defaultGroupedDocument(DEFAULT_CPU_VM_KNOBS, DEFAULT_CPU_HOST_KNOBS, DEFAULT_CPU_CONTROL_KNOBS);
}
