import type { Hypervisor } from './hypervisor.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';

export interface OpenHypervisorOptions {
  /** Open read-only (the collector never mutates). */
  readOnly?: boolean;
}

/** Opens a hypervisor of one URI scheme. */
type HypervisorOpener = (uri: string, opts: OpenHypervisorOptions) => Promise<Hypervisor>;

/**
 * A libvirt URI (qemu:///system, qemu+tcp://…, test:///default, …). libvirt's test driver rejects the LIVE
 * flag for pinning and scheduler calls, so test:/// URIs use CURRENT; everything else LIVE.
 */
const openLibvirt: HypervisorOpener = (uri, opts) =>
  LibvirtHypervisor.open(uri, { readOnly: opts.readOnly ?? false, affect: uri.startsWith('test:') ? 'current' : 'live' });

/**
 * sim:// has no opener yet: the simulator (@ballast/sim) runs in-process only, built from a SimCluster as
 * `new SimHypervisor(cluster, hostId)`, and production code never imports it.
 */
const openSim: HypervisorOpener = async (uri) => {
  throw new Error(
    `${uri}: no sim:// opener — the simulator runs in-process only: new SimHypervisor(cluster, hostId) from ` +
      '@ballast/sim (tests, bench); a service needs a libvirt URI such as qemu:///system',
  );
};

/**
 * URI scheme → opener; a scheme not listed is a libvirt URI. The seam for hypervisors that are not libvirt:
 * the network client of a simulator server replaces `openSim` here and opens `sim://host:port/<hostId>`,
 * so collectors and actuators reach simulated hosts by URI like real ones.
 */
const OPENERS: ReadonlyMap<string, HypervisorOpener> = new Map([['sim', openSim]]);

/** Opens the hypervisor a service manages, from its URI (see OPENERS). */
export async function openHypervisor(uri: string, opts: OpenHypervisorOptions = {}): Promise<Hypervisor> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  return (OPENERS.get(scheme) ?? openLibvirt)(uri, opts);
}
