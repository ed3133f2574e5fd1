/**
 * Whether the memory-balloon policy may manage a VM this cycle, or why it leaves it as it is (unmanaged,
 * stale or held, each with its reason). Such a VM still counts against its host's budget (assess.ts).
 */
import type { HostView, VmView } from '../../snapshot.js';
import type { ControlKnobs, VmKnobs } from './args.js';
import type { Untouched } from './assessment.js';

type Entry = VmView['window'][number];
type Balloon = NonNullable<VmView['balloon']>;

/** Why the VM is left as it is. */
export interface LeftAlone {
  kind: Untouched['kind'];
  reason: string;
}

/** A VM the policy may manage, with what that needs: its host and its balloon figures. */
export interface Eligible {
  host: HostView;
  balloon: Balloon;
}

const unmanaged = (reason: string): LeftAlone => ({ kind: 'unmanaged', reason });
const stale = (reason: string): LeftAlone => ({ kind: 'stale', reason });

/** The first reason, in this order, to leave the VM alone; else its host and balloon. `entries`: its guest entries. */
export function eligibility(
  vm: VmView,
  host: HostView | undefined,
  knobs: VmKnobs,
  c: ControlKnobs,
  nowMs: number,
  entries: readonly Entry[],
): LeftAlone | Eligible {
  if (knobs.automation === 'off') return unmanaged('automation is off for this VM');
  if (vm.state !== 'running' && vm.state !== 'blocked') return unmanaged(`VM is ${vm.state}`);
  const unsafe = whyBalloonUnsafe(vm.config);
  if (unsafe !== undefined) return unmanaged(unsafe);
  const b = vm.balloon;
  if (!b) return unmanaged('no balloon figures: no balloon device, or none read yet');
  if (!host) return stale(`host ${vm.hostId} is not in the snapshot`);
  if (host.stale) return stale(`host ${host.hostId} is stale (no sample since ${host.lastSampleMs})`);
  if (!b.hasGuestStats) {
    return entries.length > 0
      ? stale('the guest stopped reporting balloon stats')
      : unmanaged('no guest balloon stats (no virtio-balloon driver, or no memory stats period set): cannot balloon safely');
  }
  const intervalMs = Math.max(host.intervalMs, 1);
  const ageMs = nowMs - b.lastUpdateSec * 1000;
  if (ageMs > c.staleAfterIntervals * intervalMs) {
    return stale(`guest balloon stats are ${Math.round(ageMs / 1000)} s old (> ${c.staleAfterIntervals} intervals of ${intervalMs} ms)`);
  }
  const held = vm.holds.find((h) => h.resource === 'memory' && h.untilMs > nowMs);
  if (held) return { kind: 'hold', reason: `memory is held by a manual job until ${held.untilMs}` };
  return { host, balloon: b };
}

/** Why the domain's configuration makes ballooning useless or unsafe; undefined when it does not (or is not read yet). */
function whyBalloonUnsafe(cfg: VmView['config']): string | undefined {
  if (cfg?.memoryLocked) return 'guest memory is locked (<memoryBacking><locked/>): a balloon cannot return it to the host';
  if (cfg?.hugepages) return 'guest memory is backed by huge pages (<memoryBacking><hugepages/>): ballooning frees no host memory';
  if (cfg && cfg.hostdevCount > 0) {
    return `${cfg.hostdevCount} passed-through device(s) (<hostdev>): guest memory is pinned for their DMA, ballooning is unsafe`;
  }
  if (cfg && cfg.balloonModel !== 'virtio' && cfg.balloonModel !== 'virtio-transitional' && cfg.balloonModel !== 'virtio-non-transitional') {
    return cfg.balloonModel ? `balloon device model '${cfg.balloonModel}': no virtio balloon` : 'no balloon device (<memballoon>)';
  }
  return undefined;
}
