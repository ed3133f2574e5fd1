/**
 * What counts as a set-numa job in flight for this policy (its InFlightRule): while queued or active (it
 * pins every vCPU and may migrate memory: up to 60 s), then until the VM's collected numatune and vCPU
 * affinity show the cell (the collector reads numatune with the domain's configuration: up to a minute at
 * the defaults), for up to 70 s.
 */
import type { InFlightRule } from '../policy.js';
import { vmJobRule } from '../vm-job-rule.js';
import { placedCellOf } from './vm-facts.js';

export const numaInFlightRule: InFlightRule = vmJobRule('set-numa', { pendingMs: 60_000, settleMs: 70_000 }, (action, vm, snapshot) => {
  const host = snapshot.hosts.find((h) => h.hostId === vm.hostId);
  return host === undefined || placedCellOf(vm, host.numaCells, action.pinVcpus !== false) === action.cell;
});
