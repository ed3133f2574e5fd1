/**
 * The memory coordinator's promises, judged on what MemoryWatch saw (virsh dommemstat / nodememstats /
 * ballast lab health / the engine's VM states every 2 s, libvirt's crash events) and on the engine's
 * decisions. Each violation is one line naming the VM, the time into the run and the figures.
 */
import type { CrashEvent, DecisionRec, LabSample } from './memory-watch.js';

export interface MemoryRules {
  vms: string[];
  budgetMiB: number;
  hostFreeFloorMiB: number;
  /** No guest's balloon below this (MiB). */
  minActualMiB: number;
  /** Every guest back to at least this much unused memory within `recoverWithinMs` of falling below it. */
  minUnusedMiB: number;
  recoverWithinMs: number;
  /** Largest release step (MiB) and share of the balloon (%) a release decision may take. */
  maxReleaseStepMiB: number;
  maxReleasePercent: number;
}

export const LAB_RULES: Omit<MemoryRules, 'vms'> = {
  budgetMiB: 3072,
  hostFreeFloorMiB: 200,
  minActualMiB: 200,
  minUnusedMiB: 100,
  // Two policy cycles of 2 s after the grant, which itself comes within a cycle and a stats period (2 s)
  // of the guest's report: a run of low reports may last 6 s; a low report 8 s after the first is a miss.
  recoverWithinMs: 6000,
  maxReleaseStepMiB: 100,
  maxReleasePercent: 10,
};

const r0 = (x: number): string => String(Math.round(x));

/**
 * `crashes`: libvirt's crash events seen during the run. A guest death is named by each signal that saw it:
 * the serial log or libvirt's state (lab health: 'panicked'), libvirt's crash event, the engine's API state.
 */
export function violations(samples: readonly LabSample[], decisions: readonly DecisionRec[], rules: MemoryRules, crashes: readonly CrashEvent[] = []): string[] {
  const out: string[] = crashLines(samples, crashes, rules.vms);
  const t0 = samples[0]?.atMs ?? 0;
  const at = (ms: number): string => `+${((ms - t0) / 1000).toFixed(1)} s`;
  const starvedBetween = (vm: string, fromMs: number, toMs: number): boolean =>
    decisions.some((d) => d.vm === vm && d.kind === 'starved' && d.atMs >= fromMs && d.atMs <= toMs);

  const first = samples[0];
  for (const vm of rules.vms) {
    let unreachableRun = 0;
    let oomBase = first?.health[vm]?.oomKills ?? 0;
    let lowSince: number | undefined;
    let lastStats = -1;
    let prev: LabSample | undefined;
    let prevPrev: LabSample | undefined;
    for (const s of samples) {
      const m = s.vms[vm];
      const h = s.health[vm];
      if (!m || !h) {
        out.push(`${vm}: no figures at ${at(s.atMs)}`);
        continue;
      }
      if (h.status === 'panicked') out.push(`${vm}: panicked at ${at(s.atMs)}: ${h.detail}`);
      unreachableRun = h.status === 'unreachable' ? unreachableRun + 1 : 0;
      if (unreachableRun === 5) out.push(`${vm}: agent unreachable for 5 samples up to ${at(s.atMs)}: ${h.detail}`);
      if (h.oomKills > oomBase) {
        if (!starvedBetween(vm, s.atMs - 30000, s.atMs)) {
          out.push(`${vm}: ${h.oomKills - oomBase} OOM kill(s) seen at ${at(s.atMs)} with no 'starved' decision in the 30 s before: ${h.detail}`);
        }
        oomBase = h.oomKills;
      }
      if (m.actualMiB < rules.minActualMiB) out.push(`${vm}: balloon ${r0(m.actualMiB)} MiB < ${rules.minActualMiB} MiB at ${at(s.atMs)}`);
      // unused memory, per guest report (each report once)
      if (m.unusedMiB !== null && m.statsAtSec !== lastStats) {
        lastStats = m.statsAtSec;
        const reportMs = m.statsAtSec * 1000;
        if (m.unusedMiB < rules.minUnusedMiB) {
          lowSince ??= reportMs;
          if (reportMs - lowSince > rules.recoverWithinMs && !starvedBetween(vm, lowSince - 4000, reportMs)) {
            out.push(
              `${vm}: unused ${r0(m.unusedMiB)} MiB < ${rules.minUnusedMiB} MiB for ${r0((reportMs - lowSince) / 1000)} s (report at ${at(reportMs)}) ` +
                `with no 'starved' decision`,
            );
            lowSince = reportMs; // one line per missed window
          }
        } else lowSince = undefined;
      }
      // a balloon drop between two samples: at most one step per release decision that can still be landing
      // (a TCG guest inflates its balloon over seconds, so an earlier step may finish in this interval), up to the
      // moment the sample's last read returned (a decision made while the sample was being read can be in it)
      // A grow that lands just before a release (decided while the grow was in flight, from the balloon before
      // it, as the policy and the decision check below measure a step) is measured from before that grow.
      if (prev) {
        const p = prev.vms[vm];
        const pp = prevPrev?.vms[vm];
        const top = p && pp && pp.actualMiB < p.actualMiB ? pp.actualMiB : p?.actualMiB;
        if (p && top !== undefined && top - m.actualMiB > 1) {
          const from = prev.atMs - 8000;
          const steps = Math.max(1, decisions.filter((d) => d.vm === vm && d.kind === 'release' && d.atMs > from && d.atMs <= (s.doneMs ?? s.atMs)).length);
          if (top - m.actualMiB > steps * rules.maxReleaseStepMiB + 1) {
            out.push(`${vm}: balloon fell ${r0(top - m.actualMiB)} MiB (${r0(top)} → ${r0(m.actualMiB)}) by ${at(s.atMs)} in ${steps} release step(s)`);
          }
        }
      }
      prevPrev = prev;
      prev = s;
    }
  }
  return [...out, ...budgetLines(samples, rules, at), ...releaseStepLines(decisions, rules, at)];
}

/** The budget of the balloons and the host's free-memory floor, at every sample. */
function budgetLines(samples: readonly LabSample[], rules: MemoryRules, at: (ms: number) => string): string[] {
  const out: string[] = [];
  for (const s of samples) {
    const sum = rules.vms.reduce((acc, vm) => acc + (s.vms[vm]?.actualMiB ?? 0), 0);
    if (sum > rules.budgetMiB + 1) out.push(`Σ balloons ${r0(sum)} MiB > budget ${rules.budgetMiB} MiB at ${at(s.atMs)}`);
    if (s.hostFreeMiB < rules.hostFreeFloorMiB) out.push(`host free ${r0(s.hostFreeMiB)} MiB < floor ${rules.hostFreeFloorMiB} MiB at ${at(s.atMs)}`);
  }
  return out;
}

/** Each release decision's step (from what is committed, or the balloon when lower) within the step limits. */
function releaseStepLines(decisions: readonly DecisionRec[], rules: MemoryRules, at: (ms: number) => string): string[] {
  const out: string[] = [];
  for (const d of decisions) {
    if (d.kind !== 'release' || !rules.vms.includes(d.vm)) continue;
    const actual = Number(d.inputs['actualMiB']);
    const committed = Number(d.inputs['committedMiB']);
    const target = Number(d.inputs['targetMiB']);
    const from = Math.min(actual, Number.isFinite(committed) ? committed : actual);
    const step = from - target;
    const most = Math.min(rules.maxReleaseStepMiB, (rules.maxReleasePercent / 100) * actual) + 1;
    if (step > most) out.push(`${d.vm}: release decision at ${at(d.atMs)} steps ${r0(step)} MiB (${r0(from)} → ${r0(target)}) > ${r0(most - 1)} MiB`);
  }
  return out;
}

/**
 * Guest deaths from libvirt's crash event and from the engine's API, beside the serial log: a line per crash
 * event, and one per VM the API showed crashed (its first sample so) where lab health did not already say
 * it panicked at that sample.
 */
function crashLines(samples: readonly LabSample[], crashes: readonly CrashEvent[], vms: readonly string[]): string[] {
  const t0 = samples[0]?.atMs ?? 0;
  const at = (ms: number): string => `+${((ms - t0) / 1000).toFixed(1)} s`;
  const out = crashes.filter((c) => vms.includes(c.vm)).map((c) => `${c.vm}: libvirt's crash event at ${at(c.atMs)} (${c.detail === 0 ? 'panicked' : `detail ${c.detail}`})`);
  for (const vm of vms) {
    const first = samples.find((s) => s.apiStates?.[vm] === 'crashed');
    if (first && first.health[vm]?.status !== 'panicked') out.push(`${vm}: crashed on the engine's API at ${at(first.atMs)}`);
  }
  return out;
}

/** The largest balloon each VM had between two times (ms), MiB. */
export function peakActual(samples: readonly LabSample[], vm: string, fromMs = 0, toMs = Infinity): number {
  return Math.max(0, ...samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.vms[vm]?.actualMiB ?? 0));
}

/** The balloon of a VM in the last sample at or before `atMs`, MiB. */
export function actualAt(samples: readonly LabSample[], vm: string, atMs: number): number {
  let v = NaN;
  for (const s of samples) if (s.atMs <= atMs) v = s.vms[vm]?.actualMiB ?? NaN;
  return v;
}

/** A VM's unused memory in the last sample at or before `atMs`, MiB. */
export function unusedAt(samples: readonly LabSample[], vm: string, atMs: number): number {
  let v = NaN;
  for (const s of samples) if (s.atMs <= atMs) v = s.vms[vm]?.unusedMiB ?? NaN;
  return v;
}

/** A table of the run (one row per sample) for failure messages and the log. */
export function runTable(samples: readonly LabSample[], vms: readonly string[], verbose = false): string {
  const t0 = samples[0]?.atMs ?? 0;
  const head = ['t(s)', ...vms.map((v) => `${v} act/unused${verbose ? '/avail@report-second' : ''}`), 'Σ', 'host free'].join('  ');
  const rows = samples.map((s) => {
    const sum = vms.reduce((a, v) => a + (s.vms[v]?.actualMiB ?? 0), 0);
    const cells = vms.map((v) => {
      const m = s.vms[v];
      const h = s.health[v];
      const flag = h && h.status !== 'alive' ? `!${h.status}` : '';
      const avail = verbose && m?.availableMiB != null ? `/${r0(m.availableMiB)}@${m.statsAtSec % 100}` : '';
      return m ? `${r0(m.actualMiB)}/${m.unusedMiB === null ? '-' : r0(m.unusedMiB)}${avail}${flag}` : '?';
    });
    return [`${((s.atMs - t0) / 1000).toFixed(1)}${verbose ? `@${Math.floor(s.atMs / 1000) % 100}` : ''}`, ...cells, r0(sum), r0(s.hostFreeMiB)].join('  ');
  });
  return [head, ...rows].join('\n');
}
