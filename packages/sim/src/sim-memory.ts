/**
 * The guest memory model of a simulated VM, advanced one cycle at a time.
 *
 * Quantities (KiB): current = balloon size (what the guest has), kernel = guest kernel overhead,
 * fit = current − kernel (room for used pages), swapCap = zram-like swap capacity.
 *
 * - used follows the VM's memory script, minus what the OOM killer freed (see oomOffsetKiB below).
 * - used beyond fit goes to swap (up to swapCap); the guest touches swapTouchPerSec of its swapped pages
 *   each second, so swap-in and major faults grow in proportion to the swapped amount (the pressure).
 * - used beyond fit + swapCap (the script outgrew the guest): the OOM killer kills the consumer; used
 *   drops to baseMemoryKiB and `oomKills` rises. The script keeps running: its later growth counts again.
 *   If the consumer's memory is tmpfs (SimVmSpec.tmpfs), killing it frees nothing and the guest panics.
 * - the balloon moves toward its target at a finite rate; if inflating it would leave the guest less than
 *   used − swapCap + kernel, the guest panics ("System is deadlocked on memory"): state 'crashed',
 *   `deaths` rises, and the balloon stays where the guest died.
 */
import { HOLD_MARGIN_MS } from './sim-cpu.js';
import type { GuestMemSnapshot, SimVm } from './sim-vm.js';
import { holdUntil } from './sim-workload.js';

/** Outcome flags of one memory step. */
export const MEM_SETTLED = 1;
export const MEM_OOM = 2;
export const MEM_DIED = 4;

const PAGE_KIB = 4;

/** Advances vm's memory over [t1Ms − dtMs, t1Ms]; returns MEM_* flags. The VM must be running. */
export function stepVmMemory(vm: SimVm, t1Ms: number, dtMs: number, balloonRateKiBPerSec: number): number {
  const dtSec = dtMs / 1000;
  let flags = 0;

  // 1. demand: the script, less what the OOM killer freed (forgiven as the script comes back down)
  let raw: number;
  if (t1Ms < vm.memHoldUntil) {
    raw = vm.memHoldValue;
  } else {
    raw = Math.max(0, vm.memSignal(t1Ms));
    vm.memHoldValue = raw;
    vm.memHoldUntil = holdUntil(vm.memSignal, t1Ms) - HOLD_MARGIN_MS;
  }
  const floor = raw < vm.baseKiB ? raw : vm.baseKiB;
  if (raw - vm.oomOffsetKiB < floor) vm.oomOffsetKiB = raw - floor;
  let used = raw - vm.oomOffsetKiB;

  // 2. balloon movement (tentative)
  const cur0 = vm.currentKiB;
  const target = vm.targetKiB;
  let cur1 = cur0;
  if (cur0 !== target) {
    const stepKiB = balloonRateKiBPerSec * dtSec;
    cur1 = target > cur0 ? Math.min(target, cur0 + stepKiB) : Math.max(target, cur0 - stepKiB);
  }

  // 3. demand beyond RAM + swap: the OOM killer kills the consumer
  const capKiB = Math.max(cur0, cur1) - vm.kernelKiB + vm.swapCapKiB;
  if (used > capKiB) {
    vm.oomKills++;
    flags |= MEM_OOM;
    if (vm.tmpfs) return die(vm, cur0, used, flags);
    vm.oomOffsetKiB = raw - floor;
    used = floor;
    if (used > capKiB) return die(vm, cur0, used, flags);
  }

  // 4. inflating the balloon below what the guest cannot give up: kernel panic
  if (cur1 < cur0) {
    const minCurKiB = used + vm.kernelKiB - vm.swapCapKiB;
    if (cur1 < minCurKiB) return die(vm, Math.min(cur0, minCurKiB), used, flags);
  }

  // 5. swap and fault counters
  const fit = cur1 - vm.kernelKiB;
  let swapped = used - fit;
  if (swapped < 0) swapped = 0;
  else if (swapped > vm.swapCapKiB) swapped = vm.swapCapKiB;
  const delta = swapped - vm.swappedKiB;
  const churn = swapped * vm.swapTouchPerSec * dtSec;
  const swapIn = churn + (delta < 0 ? -delta : 0);
  vm.swapInKiB += swapIn;
  vm.swapOutKiB += churn + (delta > 0 ? delta : 0);
  vm.majorFaults += swapIn / PAGE_KIB;
  if (used > vm.usedKiB) vm.minorFaults += (used - vm.usedKiB) / PAGE_KIB;

  const room = fit - (used - swapped);
  const wantCache = vm.cacheSignal ? vm.cacheSignal(t1Ms) : 0;
  vm.cacheKiB = wantCache <= 0 || room <= 0 ? 0 : wantCache < room ? wantCache : room;
  vm.usedKiB = used;
  vm.swappedKiB = swapped;
  vm.currentKiB = cur1;
  if (cur1 === target && cur0 !== target) flags |= MEM_SETTLED;
  return flags;
}

function die(vm: SimVm, currentKiB: number, used: number, flags: number): number {
  vm.currentKiB = currentKiB;
  vm.targetKiB = currentKiB;
  vm.usedKiB = used;
  vm.state = 'crashed';
  vm.deaths++;
  return flags | MEM_DIED;
}

/** What the guest's virtio-balloon driver would report now. */
export function guestSnapshot(vm: SimVm, lastUpdateSec: number): GuestMemSnapshot {
  const available = Math.max(0, vm.currentKiB - vm.kernelKiB);
  const resident = vm.usedKiB - vm.swappedKiB;
  const usable = Math.max(0, available - resident);
  return {
    unusedKiB: Math.max(0, Math.round(usable - vm.cacheKiB)),
    availableKiB: Math.round(available),
    usableKiB: Math.round(usable),
    diskCachesKiB: Math.round(vm.cacheKiB),
    majorFaults: Math.floor(vm.majorFaults),
    minorFaults: Math.floor(vm.minorFaults),
    swapInKiB: Math.floor(vm.swapInKiB),
    swapOutKiB: Math.floor(vm.swapOutKiB),
    lastUpdateSec,
  };
}

/** Host-side RSS of the VM's QEMU process: the guest memory it has touched. */
export function rssKiB(vm: SimVm): number {
  if (!vm.holdsMemory) return 0;
  const touched = vm.usedKiB - vm.swappedKiB + vm.kernelKiB + vm.cacheKiB;
  return Math.round(Math.min(vm.currentKiB, touched));
}
