import type { Hypervisor } from './hypervisor.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';

export interface OpenHypervisorOptions {
  /** Open read-only (the collector never mutates). */
  readOnly?: boolean;
}

/**
 * Opens the hypervisor a service manages, from its libvirt URI. libvirt's test driver rejects the LIVE
 * flag for pinning and scheduler calls, so test:/// URIs use CURRENT; everything else LIVE.
 * (SimHypervisor is in-process only: build it from a SimCluster.)
 */
export async function openHypervisor(uri: string, opts: OpenHypervisorOptions = {}): Promise<Hypervisor> {
  if (uri.startsWith('sim://')) {
    throw new Error(`${uri}: sim:// hypervisors live in-process (new SimHypervisor(cluster, uri)); a service needs a libvirt URI`);
  }
  return LibvirtHypervisor.open(uri, { readOnly: opts.readOnly ?? false, affect: uri.startsWith('test:') ? 'current' : 'live' });
}
