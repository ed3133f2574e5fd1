/**
 * The ksm policy's rules for one host, in order, as one pure function of what it planned against (the
 * collected settings with a job in flight laid over them), the pressure, the gain and the last stop:
 *
 *   ksmd running:  merging does not pay        → stop      (not-paying)
 *                  memory plentiful (off line) → stop      (stop)
 *                  otherwise                   → run at the pace of the pressure depth (run)
 *   ksmd stopped:  pressure (on line), but the policy stopped it < minOffMs ago → stays stopped (cooldown)
 *                  pressure                    → run at the pace of the pressure depth (start)
 *                  otherwise                   → stays stopped (idle)
 *
 * Between the on and the off line (the hysteresis band) nothing changes state. 'stop' keeps merged pages
 * merged; the policy never unmerges (that would take host memory back when it is short).
 */
import type { KsmKnobs } from './args.js';
import type { KsmDecisionKind } from './decision.js';
import { notPaying, type Gain } from './gain.js';
import type { KsmState } from './host-jobs.js';
import { choosePace } from './pace.js';
import type { Pressure } from './pressure.js';

export interface Verdict {
  kind: KsmDecisionKind;
  /** The settings wanted; absent: whatever they are (ksmd stays stopped). */
  target?: KsmState;
  reason: string;
}

const secs = (ms: number): number => Math.round(ms / 1000);

/** `msSinceStop`: since the policy's own stop succeeded (undefined: the newest set-ksm job is no such stop). */
export function verdictFor(planned: KsmState, p: Pressure, gain: Gain, k: KsmKnobs, msSinceStop: number | undefined): Verdict {
  if (planned.run === 'run') {
    if (notPaying(gain, k)) {
      return {
        kind: 'not-paying',
        target: { ...planned, run: 'stop' },
        reason:
          `merging does not pay: ${round1(gain.miBPerCpuSecond ?? 0)} MiB per ksmd CPU-second over ${secs(gain.spanMs)} s ` +
          `(below ${k.minGainMiBPerCpuSecond}): stop ksmd (merged pages stay merged)`,
      };
    }
    if (p.want === 'off') return { kind: 'stop', target: { ...planned, run: 'stop' }, reason: `${p.why}: stop ksmd (merged pages stay merged)` };
    return running('run', planned, p, k);
  }
  if (p.want !== 'on') return { kind: 'idle', reason: `${p.why}: ksmd stays ${planned.run === 'unmerge' ? 'unmerged' : 'stopped'}` };
  if (msSinceStop !== undefined && msSinceStop < k.minOffMs) {
    return {
      kind: 'cooldown',
      reason: `${p.why}, but this policy stopped ksmd ${secs(msSinceStop)} s ago: it stays stopped for minOffMs (${secs(k.minOffMs)} s)`,
    };
  }
  return running('start', planned, p, k);
}

function running(kind: 'run' | 'start', planned: KsmState, p: Pressure, k: KsmKnobs): Verdict {
  const { pace, kept } = choosePace(planned, p.depth, k);
  const how = kept ? 'within the deadband of its target' : `for pressure depth ${round1(p.depth)}`;
  const verb = kind === 'start' ? 'start ksmd' : 'ksmd runs';
  return { kind, target: { run: 'run', pagesToScan: pace.pagesToScan, sleepMillisecs: pace.sleepMillisecs }, reason: `${p.why}: ${verb} at ${pace.pagesToScan} pages every ${pace.sleepMillisecs} ms (${how})` };
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
