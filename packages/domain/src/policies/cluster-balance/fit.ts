/**
 * Whether a VM fits a host after the moves planned so far: the host takes VMs (not stale, not in
 * maintenance, reachable for migration), its memory budget and its free memory above the floor have room
 * for the VM's balloon (plus what it still lacks, for a starving VM), the CPU reservations fit its pCPUs
 * less the headroom, and no mandatory or should rule breaks. Returns why not, or undefined.
 */
import type { ClusterBalanceArgs } from './args.js';
import type { HostModel, VmModel } from './model.js';
import type { PlacementState } from './placement-state.js';
import { hostRuleBroken, vmRuleBroken, type RuleBook } from './rules.js';

export function whyNotFit(st: PlacementState, book: RuleBook, args: Pick<ClusterBalanceArgs, 'host'>, v: number, to: number, extraMiB = 0): string | undefined {
  const host = st.hosts[to] as HostModel;
  const vm = st.vms[v] as VmModel;
  if (st.at[v] === to) return `already on ${host.id}`;
  if (host.stale) return `${host.id} is stale`;
  if (host.maintenance) return `${host.id} is in maintenance`;
  if (!host.migrationUri) return `${host.id} has no migration URI`;
  if (vm.vetoedHosts?.has(host.id)) return `moving ${vm.name} to ${host.id} was rejected by an operator`;
  const needMiB = vm.memSizeMiB + extraMiB;
  if (host.budgetMiB !== undefined && (st.heldMiB[to] as number) + needMiB > host.budgetMiB) {
    return `${host.id}'s budget: ${Math.round(st.heldMiB[to] as number)} + ${Math.round(needMiB)} > ${host.budgetMiB} MiB`;
  }
  if ((st.freeMiB[to] as number) - needMiB < host.floorMiB) {
    return `${host.id}'s free memory: ${Math.round(st.freeMiB[to] as number)} − ${Math.round(needMiB)} < floor ${host.floorMiB} MiB`;
  }
  const cpuRoom = host.cpuCapacity * (1 - args.host.cpuHeadroomPercent / 100);
  if (vm.cpuReserved > 0 && (st.reserved[to] as number) + vm.cpuReserved > cpuRoom) {
    return `${host.id}'s CPU reservations: ${Math.round(st.reserved[to] as number)} + ${Math.round(vm.cpuReserved)} > ${Math.round(cpuRoom)} %`;
  }
  return hostRuleBroken(book, v, host, 'must') ?? vmRuleBroken(book, st, v, to) ?? hostRuleBroken(book, v, host, 'should');
}
