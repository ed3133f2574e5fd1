// The host's KSM and memory as seen from outside Ballast: /sys/kernel/mm/ksm, /proc/meminfo and ksmd's CPU
// time in /proc/<pid>/stat. Used by the lab's KSM tests to measure, and to put the host's KSM back.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { HostKsm } from '@ballast/domain';

const KSM_DIR = '/sys/kernel/mm/ksm';
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux/x86-64). */
const TICKS_PER_SEC = 100;

export const readKsmKnob = (knob: string): number => Number(readFileSync(`${KSM_DIR}/${knob}`, 'utf8').trim());

/** The sysfs figures under HostKsm's names; `run` as the kernel writes it (0 stop, 1 run, 2 unmerge). */
export type KsmSysfs = Omit<HostKsm, 'run' | 'ksmdCpuPercent'> & { run: number };

export function readKsmSysfs(): KsmSysfs {
  return {
    run: readKsmKnob('run'),
    pagesToScan: readKsmKnob('pages_to_scan'),
    sleepMillisecs: readKsmKnob('sleep_millisecs'),
    pagesShared: readKsmKnob('pages_shared'),
    pagesSharing: readKsmKnob('pages_sharing'),
    pagesUnshared: readKsmKnob('pages_unshared'),
    pagesVolatile: readKsmKnob('pages_volatile'),
    fullScans: readKsmKnob('full_scans'),
  };
}

/** /proc/meminfo's MemTotal and MemFree, KiB (what libvirt's node memory stats report as total and free). */
export function meminfoKiB(): { totalKiB: number; freeKiB: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { totalKiB: field('MemTotal'), freeKiB: field('MemFree') };
}

/** Host free memory, KiB: the median of `n` readings `gapMs` apart (one reading jumps with the page cache). */
export async function steadyFreeKiB(n = 5, gapMs = 200): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(meminfoKiB().freeKiB);
    if (i + 1 < n) await new Promise((r) => setTimeout(r, gapMs));
  }
  return xs.sort((a, b) => a - b)[Math.floor(n / 2)] ?? Number.NaN;
}

let ksmdPid: number | undefined;

/** ksmd's CPU time so far, seconds (utime + stime of the kernel thread). */
export function ksmdCpuSeconds(): number {
  ksmdPid ??= Number(readdirSync('/proc').find((p) => /^\d+$/.test(p) && safeRead(`/proc/${p}/comm`) === 'ksmd\n'));
  const stat = readFileSync(`/proc/${ksmdPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11 and 12 here
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** What a test must put back: ksmd's run state and pace. */
export interface KsmSaved {
  run: number;
  pagesToScan: number;
  sleepMillisecs: number;
  pagesShared: number;
}

export function saveKsm(): KsmSaved {
  const k = readKsmSysfs();
  return { run: k.run, pagesToScan: k.pagesToScan, sleepMillisecs: k.sleepMillisecs, pagesShared: k.pagesShared };
}

/**
 * Puts the host's KSM back as saved. If ksmd was stopped before with nothing merged, what was merged meanwhile
 * is unmerged first (run = 2: every merged page gets its own copy again; the write returns when done), then
 * the saved run state and pace are written.
 */
export function restoreKsm(saved: KsmSaved): void {
  const now = readKsmSysfs();
  if (saved.run !== 1 && saved.pagesShared === 0 && now.pagesShared > 0) writeFileSync(`${KSM_DIR}/run`, '2');
  if (readKsmKnob('run') !== saved.run) writeFileSync(`${KSM_DIR}/run`, String(saved.run));
  writeFileSync(`${KSM_DIR}/pages_to_scan`, String(saved.pagesToScan));
  writeFileSync(`${KSM_DIR}/sleep_millisecs`, String(saved.sleepMillisecs));
}

/** Unmerges every merged page (run = 2; the write returns when it is done): what merging saved is taken back. */
export function unmergeKsm(): void {
  writeFileSync(`${KSM_DIR}/run`, '2');
}
