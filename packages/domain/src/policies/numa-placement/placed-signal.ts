/**
 * The signal numa-placement publishes for the policies after it in the same cycle (vcpu-balance, order
 * 400): the VMs it placed this cycle, and those whose placement is still in flight, with their cell.
 *
 * The rule with vcpu-balance: it leaves every VM named here alone for the cycle (no pin-vcpu job: the
 * set-numa job pins its vCPUs to the whole cell, and a pin of another key would not conflict with it in the
 * cycle), and for every other VM it balances vCPUs only inside the cell its numatune binds it to (a
 * nodeset of one cell: pins only to that cell's pCPUs), so it never undoes a placement.
 */
import { defineSignal } from '../policy-signals.js';

export interface NumaPlaced {
  hostId: string;
  vmUuid: string;
  vmName: string;
  /** The NUMA cell its memory and vCPUs go to. */
  cell: number;
  /** That cell's pCPUs (what every vCPU is pinned to). */
  pcpus: number[];
  /** 'planned': a set-numa job planned this cycle (the cycle may still skip it); 'in-flight': one sent earlier, not yet seen done. */
  state: 'planned' | 'in-flight';
}

export const numaPlaced = defineSignal<NumaPlaced[]>('numa-placement/placed');
