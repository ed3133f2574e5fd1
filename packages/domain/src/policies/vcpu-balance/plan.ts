/**
 * The vcpu-balance policy's plan: vCPU pins that even out each host's pCPU usage, as the GT CS6210 vCPU
 * scheduler does, made safe to run on production hosts. Pure and stateless: usage is smoothed over the
 * VMs' windows, pins in flight and lately set come from the snapshot's jobs (in-flight.ts).
 *
 * Per host (host-plan.ts): every VM assessed — its group knobs, its NUMA cell, each vCPU's smoothed usage
 * and where it is, whose pin it is (ownership.ts) and whether the VM may be moved (assess-vm.ts); the
 * pCPUs' load and its spread (spread.ts); nothing when the host is idle or its spread is within the
 * threshold; else improving moves and swaps within cells, best first, each gaining at least minGainPercent
 * of the spread, within maxPinChangesPerCycle (search.ts); then decisions and pin-vcpu jobs (emit.ts).
 * VMs numa-placement (order 300) names in its `numa-placement/placed` signal this cycle are left alone
 * (held): it pins their vCPUs to their new cell itself.
 */
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import { numaPlaced, type NumaPlaced } from '../numa-placement/placed-signal.js';
import { readSignal } from '../policy-signals.js';
import type { VcpuBalanceArgs } from './args.js';
import type { VcpuBalancePlan } from './decision.js';
import { emitHost } from './emit.js';
import { planHost } from './host-plan.js';
import { pinJobsByVcpu } from './in-flight.js';

export type { HostBalanceKind, VcpuBalanceDecision, VcpuBalancePlan, VmBalanceKind } from './decision.js';

/** VMs by name, then UUID, in code-unit order (deterministic, and cheaper than a locale's collation). */
function byNameThenUuid(a: VmView, b: VmView): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

export function planVcpuBalance(snapshot: ClusterSnapshot, args: VcpuBalanceArgs): VcpuBalancePlan {
  const out: VcpuBalancePlan = { jobs: [], decisions: [] };
  const { pins, numaInFlight } = pinJobsByVcpu(snapshot.jobs);
  const hosts = new Map<string, HostView>(snapshot.hosts.map((h) => [h.hostId, h]));
  const byHost = new Map<string, VmView[]>([...hosts.keys()].map((id) => [id, []]));
  for (const vm of snapshot.vms) {
    const list = byHost.get(vm.hostId);
    if (list) list.push(vm);
    else byHost.set(vm.hostId, [vm]);
  }
  const placed = new Map<string, NumaPlaced>((readSignal(snapshot, numaPlaced) ?? []).map((p) => [p.vmUuid, p]));
  const ctx = { args, nowMs: snapshot.nowMs, pins, numaInFlight, numaPlaced: placed };
  for (const hostId of [...byHost.keys()].sort()) {
    const vms = [...(byHost.get(hostId) ?? [])].sort(byNameThenUuid);
    emitHost(planHost(hostId, hosts.get(hostId), vms, ctx), out);
  }
  return out;
}
