import type { ClusterSnapshot } from '../../snapshot.js';
import type { ClusterBalanceArgs } from './args.js';
import { buildModel } from './model.js';
import { PlacementState } from './placement-state.js';

/** The cluster's imbalance now (placement-state.ts), e.g. to record what a recommendation achieved once applied. */
export function clusterImbalance(s: ClusterSnapshot, args: ClusterBalanceArgs): { imbalance: number; hosts: number } {
  const st = new PlacementState(buildModel(s, args));
  return { imbalance: st.imbalance(), hosts: st.countedHosts };
}
