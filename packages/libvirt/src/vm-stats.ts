import type { BalloonStats, VcpuStats, VmStats } from '@ballast/domain';

import { VcpuState } from './constants.js';
import { toVmState } from './domain-state.js';
import type { DomainStatsRecord, TypedParams } from './types.js';

function num(params: TypedParams, key: string): number | undefined {
  const value = params[key];
  return typeof value === 'number' ? value : undefined;
}

/** balloon.<key> → BalloonStats field (all KiB except faults and the timestamp). */
const BALLOON_FIELDS: ReadonlyArray<[string, keyof BalloonStats]> = [
  ['unused', 'unusedKiB'],
  ['available', 'availableKiB'],
  ['usable', 'usableKiB'],
  ['disk_caches', 'diskCachesKiB'],
  ['major_fault', 'majorFaults'],
  ['minor_fault', 'minorFaults'],
  ['swap_in', 'swapInKiB'],
  ['swap_out', 'swapOutKiB'],
  ['rss', 'rssKiB'],
  ['last-update', 'lastUpdateSec'],
];

function vcpus(params: TypedParams): VcpuStats[] {
  const byId = new Map<number, VcpuStats>();
  for (const key of Object.keys(params)) {
    const m = /^vcpu\.(\d+)\.(state|time)$/.exec(key);
    if (!m) continue;
    const id = Number(m[1]);
    if (!byId.has(id)) {
      const state = num(params, `vcpu.${id}.state`);
      const delayNs = num(params, `vcpu.${id}.delay`);
      byId.set(id, {
        id,
        timeNs: num(params, `vcpu.${id}.time`) ?? 0,
        ...(delayNs !== undefined ? { delayNs } : {}),
        online: state === undefined || state !== VcpuState.OFFLINE,
      });
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function balloon(params: TypedParams): BalloonStats | undefined {
  const currentKiB = num(params, 'balloon.current');
  if (currentKiB === undefined) return undefined;
  const out: BalloonStats = { currentKiB, maximumKiB: num(params, 'balloon.maximum') ?? 0 };
  for (const [key, field] of BALLOON_FIELDS) {
    const value = num(params, `balloon.${key}`);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Maps one raw getAllDomainStats record to the model's VmStats: state.state, cpu.time,
 * vcpu.N.{state,time} and balloon.*. Groups that were not requested (or not reported, e.g. under
 * NOWAIT while the domain is busy) are left out. Bulk stats do not say which pCPU a vCPU runs on,
 * so `pcpu` stays undefined.
 */
export function toVmStats(record: DomainStatsRecord): VmStats {
  const { params } = record;
  const out: VmStats = {
    uuid: record.uuid,
    name: record.name,
    state: toVmState(num(params, 'state.state')),
    vcpus: vcpus(params),
  };
  const cpuTimeNs = num(params, 'cpu.time');
  if (cpuTimeNs !== undefined) out.cpuTimeNs = cpuTimeNs;
  const b = balloon(params);
  if (b) out.balloon = b;
  // calc_status 2: measured (0 never started, 1 measuring); the rate stays until the next measurement
  const dirty = num(params, 'dirtyrate.megabytes_per_second');
  if (num(params, 'dirtyrate.calc_status') === 2 && dirty !== undefined) out.dirtyRateMiBPerSec = dirty;
  return out;
}
