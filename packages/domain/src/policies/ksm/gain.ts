/**
 * Whether merging pays: memory merged (pages_sharing gained × 4 KiB) per second of ksmd's CPU, over the span
 * since the newest set-ksm job of the host (its observed counters are the window's start: HostView carries one
 * KSM sample, no history). ksmd's CPU over the span is its CPU of the last interval times the span: ksmd's
 * cost follows its pace, which no job has changed since the window's start.
 */
import type { HostKsm } from '../../host-report.js';
import { KIB_PER_MIB } from '../../units.js';
import { KSM_PAGE_KIB, type KsmKnobs } from './args.js';
import type { Checkpoint } from './host-jobs.js';

export type Gain =
  | {
      known: true;
      spanMs: number;
      fullScans: number;
      gainMiB: number;
      cpuSeconds: number;
      /** null when ksmd used no CPU over the span (merging cost nothing). */
      miBPerCpuSecond: number | null;
    }
  | { known: false; why: string };

export function measureGain(ksm: HostKsm, sampleMs: number, from: Checkpoint | undefined, k: KsmKnobs): Gain {
  if (!from) {
    return { known: false, why: 'no finished set-ksm job of this host in the snapshot to measure from (they stay 10 min)' };
  }
  if (from.run !== 'run') return { known: false, why: `the newest set-ksm job (${from.jobId}) left ksmd stopped: it was started outside it` };
  if (ksm.ksmdCpuPercent === undefined) return { known: false, why: "ksmd's CPU is not known on this host" };
  const spanMs = sampleMs - from.atMs;
  const fullScans = ksm.fullScans - from.fullScans;
  if (spanMs < k.gainWindowMs || fullScans < k.gainWindowFullScans) {
    return {
      known: false,
      why: `measuring since job ${from.jobId}: ${Math.max(0, Math.round(spanMs / 1000))} of ${k.gainWindowMs / 1000} s, ${fullScans} of ${k.gainWindowFullScans} full scans`,
    };
  }
  const gainMiB = ((ksm.pagesSharing - from.pagesSharing) * KSM_PAGE_KIB) / KIB_PER_MIB;
  const cpuSeconds = (ksm.ksmdCpuPercent / 100) * (spanMs / 1000);
  return { known: true, spanMs, fullScans, gainMiB, cpuSeconds, miBPerCpuSecond: cpuSeconds > 0 ? gainMiB / cpuSeconds : null };
}

/** Merging does not pay: the gain is known and below the knob (never when the knob is 0). */
export function notPaying(g: Gain, k: KsmKnobs): g is Extract<Gain, { known: true }> {
  return k.minGainMiBPerCpuSecond > 0 && g.known && g.miBPerCpuSecond !== null && g.miBPerCpuSecond < k.minGainMiBPerCpuSecond;
}
