import { knobsForVm, withOverrides, type GroupedVm } from '../shared/vm-groups.js';
import type { HostKnobs, MemoryBalloonArgs, VmKnobs } from './args.js';

/**
 * The knobs that apply to one VM: defaults, then every matching group in order (later wins). Its labels
 * are the domain's own (<metadata>, VmConfig.labels) overridden by the policy document's (by UUID, then name).
 */
export function knobsFor(args: MemoryBalloonArgs, vm: GroupedVm): { knobs: VmKnobs; groups: string[] } {
  return knobsForVm(args.defaults, args.groups, args.labels, vm);
}

export function hostKnobsFor(args: MemoryBalloonArgs, hostId: string): HostKnobs {
  return withOverrides(args.host, args.hosts[hostId]);
}
