/**
 * A host's memory pressure as the ksm policy reads it: its lines (on, off = on + hysteresis, full pressure),
 * where free memory and the guests' balloons stand against them, and the pressure depth that sets the pace.
 */
import type { HostView, VmView } from '../../snapshot.js';
import { kibToMib } from '../../units.js';
import type { KsmKnobs } from './args.js';

/** 'on': pressure (ksmd should run); 'off': plenty (it may stop); 'band': between the lines (no change). */
export type Want = 'on' | 'off' | 'band';

export interface Pressure {
  totalMiB: number;
  freeMiB: number;
  onLineMiB: number;
  offLineMiB: number;
  fullLineMiB: number;
  /** The running guests' balloons summed (MOM's ksm_shareable: memory the guests hold). */
  committedMiB: number;
  onCommittedMiB: number | null;
  offCommittedMiB: number | null;
  want: Want;
  /** 0 at the on line (or above it), 1 at the full-pressure line (or below it). */
  depth: number;
  /** One clause: what puts the host where it is. */
  why: string;
}

const pct = (percent: number, totalMiB: number): number => (percent / 100) * totalMiB;
const mib = (x: number): string => String(Math.round(x));

export function assessPressure(host: HostView, vms: readonly VmView[], k: KsmKnobs): Pressure {
  const totalMiB = kibToMib(host.memoryTotalKiB);
  const freeMiB = kibToMib(host.memoryFreeKiB);
  const onLineMiB = Math.max(pct(k.onFreePercent, totalMiB), k.onFreeMiB ?? 0);
  const offLineMiB = onLineMiB + pct(k.hysteresisPercent, totalMiB);
  const fullLineMiB = pct(k.fullPressureFreePercent, totalMiB);
  const committedMiB = vms
    .filter((v) => v.hostId === host.hostId && v.state === 'running')
    .reduce((sum, v) => sum + kibToMib(v.balloon?.actualKiB ?? 0), 0);
  const onCommittedMiB = k.onCommittedPercent === null ? null : pct(k.onCommittedPercent, totalMiB);
  const offCommittedMiB = k.onCommittedPercent === null ? null : pct(k.onCommittedPercent - k.hysteresisPercent, totalMiB);
  const lowFree = freeMiB < onLineMiB;
  const highCommit = onCommittedMiB !== null && committedMiB > onCommittedMiB;
  const plenty = freeMiB > offLineMiB && (offCommittedMiB === null || committedMiB < offCommittedMiB);
  const want: Want = lowFree || highCommit ? 'on' : plenty ? 'off' : 'band';
  const depth = !lowFree ? 0 : onLineMiB > fullLineMiB ? Math.min(1, (onLineMiB - freeMiB) / (onLineMiB - fullLineMiB)) : 1;
  const why = explain({ freeMiB, onLineMiB, offLineMiB, committedMiB, onCommittedMiB, offCommittedMiB }, lowFree, highCommit, plenty);
  return { totalMiB, freeMiB, onLineMiB, offLineMiB, fullLineMiB, committedMiB, onCommittedMiB, offCommittedMiB, want, depth, why };
}

type Lines = Pick<Pressure, 'freeMiB' | 'onLineMiB' | 'offLineMiB' | 'committedMiB' | 'onCommittedMiB' | 'offCommittedMiB'>;

function explain(p: Lines, lowFree: boolean, highCommit: boolean, plenty: boolean): string {
  const free = `free ${mib(p.freeMiB)} MiB`;
  const held = `the guests hold ${mib(p.committedMiB)} MiB`;
  if (lowFree) return `${free} is below the on line ${mib(p.onLineMiB)} MiB`;
  if (highCommit) return `${held}, above ${mib(p.onCommittedMiB ?? 0)} MiB`;
  if (plenty) return `${free} is above the off line ${mib(p.offLineMiB)} MiB${p.offCommittedMiB !== null ? ` and ${held}, below ${mib(p.offCommittedMiB)} MiB` : ''}`;
  if (p.freeMiB <= p.offLineMiB) return `${free} is in the hysteresis band ${mib(p.onLineMiB)}..${mib(p.offLineMiB)} MiB`;
  return `${held}, in the hysteresis band ${mib(p.offCommittedMiB ?? 0)}..${mib(p.onCommittedMiB ?? 0)} MiB`;
}
