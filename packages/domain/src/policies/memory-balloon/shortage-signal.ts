/**
 * The signal memory-balloon publishes for the policies after it (the cluster policy): hosts where VMs
 * needed memory this cycle that the host could not grant, and what binds there.
 */
import { defineSignal, hostList } from '../policy-signals.js';

export interface MemoryShortage {
  hostId: string;
  /** What ran out: the host budget (Σ balloons) or the host's free memory above its floor. */
  limitedBy: 'budget' | 'host-free';
  budgetMiB?: number;
  /** VMs granted less than they asked for, with how much they lack (MiB) and what they have unused now. */
  shortVms: { vmUuid: string; vmName: string; shortMiB: number; unusedMiB: number }[];
}

export const memoryShortage = defineSignal<MemoryShortage[]>('memory-balloon/shortage', hostList<MemoryShortage>());
