/**
 * NUMA tuning and KSM for SimHypervisor, kept as plain values: the simulator models the effect of
 * neither. They are kept per SimCluster (numatune per VM, KSM per host), so every connection to a
 * host sees the same values.
 */
import type { KsmSettings, KsmTunables, NumaTune } from '@ballast/domain';

import type { NumaTuneRequest } from '@ballast/hypervisor';
import { ErrorCode } from '@ballast/libvirt';
import type { SimCluster } from './sim-cluster.js';
import { simError } from './sim-error.js';

interface Tuning {
  numa: Map<string, NumaTune>;
  ksm: Map<string, KsmSettings>;
}

const tunings = new WeakMap<SimCluster, Tuning>();

function tuning(sim: SimCluster): Tuning {
  let t = tunings.get(sim);
  if (!t) tunings.set(sim, (t = { numa: new Map(), ksm: new Map() }));
  return t;
}

/** A VM's numatune; one never set reads as libvirt reports it: strict, empty nodeset. */
export function simNumaTune(sim: SimCluster, hostId: string, uuid: string): NumaTune {
  sim.vmOn(hostId, uuid);
  const tune = tuning(sim).numa.get(uuid) ?? { mode: 'strict', nodeset: [] };
  return { mode: tune.mode, nodeset: [...tune.nodeset] };
}

export function simSetNumaTune(sim: SimCluster, hostId: string, uuid: string, request: NumaTuneRequest): void {
  const { mode } = simNumaTune(sim, hostId, uuid);
  if (request.nodeset.length === 0) throw simError(ErrorCode.INVALID_ARG, 'nodeset must name at least one NUMA cell');
  const nodeset = [...new Set(request.nodeset)].sort((a, b) => a - b);
  tuning(sim).numa.set(uuid, { mode: request.mode ?? mode, nodeset });
}

/** A host's KSM; untouched, Linux's defaults with nothing merged. */
export function simKsm(sim: SimCluster, hostId: string): KsmSettings {
  sim.host(hostId);
  const ksm = tuning(sim).ksm.get(hostId);
  if (ksm) return { ...ksm, counters: { ...ksm.counters } };
  const counters = { pagesShared: 0, pagesSharing: 0, pagesUnshared: 0, pagesVolatile: 0, fullScans: 0 };
  return { run: 'stop', pagesToScan: 100, sleepMillisecs: 20, mergeAcrossNodes: true, counters };
}

export function simSetKsm(sim: SimCluster, hostId: string, change: Partial<KsmTunables>): void {
  const ksm = simKsm(sim, hostId);
  for (const key of ['run', 'pagesToScan', 'sleepMillisecs', 'mergeAcrossNodes'] as const) {
    if (change[key] !== undefined) Object.assign(ksm, { [key]: change[key] });
  }
  tuning(sim).ksm.set(hostId, ksm);
}
