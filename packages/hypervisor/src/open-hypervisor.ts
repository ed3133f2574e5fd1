import type { Hypervisor } from './hypervisor.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';
import { SimRemoteHypervisor } from './sim-remote-hypervisor.js';
import { parseSimServerUri } from './sim-wire.js';

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
 * sim://<address>:<port>/<hostId>: one host of a simulator server (`node packages/sim/dist/server/main.js`),
 * reached over the network like a remote libvirtd. (An in-process simulator is no URI: tests and the bench
 * build `new SimHypervisor(cluster, hostId)` from @ballast/sim, which production code never imports.)
 */
const openSim: HypervisorOpener = (uri, opts) => SimRemoteHypervisor.open(uri, { readOnly: opts.readOnly ?? false });

/**
 * URI scheme → opener; a scheme not listed is a libvirt URI. The seam for hypervisors that are not libvirt:
 * collectors and actuators reach simulated hosts by URI like real ones.
 */
const OPENERS: ReadonlyMap<string, HypervisorOpener> = new Map([['sim', openSim]]);

/**
 * The URI other hosts reach this hypervisor by, when its own URI says it: a simulator server's
 * sim://<address>:<port>/<hostId> is the same from every host, so it is its own migration URI. Undefined for a
 * libvirt URI (qemu:///system is local to the host; its migration URI, e.g. qemu+tcp://10.77.0.2/system, is
 * configured: BALLAST_MIGRATION_URI).
 */
export function selfMigrationUri(uri: string): string | undefined {
  return parseSimServerUri(uri) ? uri : undefined;
}

/** Opens the hypervisor a service manages, from its URI (see OPENERS). */
export async function openHypervisor(uri: string, opts: OpenHypervisorOptions = {}): Promise<Hypervisor> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
  return (OPENERS.get(scheme) ?? openLibvirt)(uri, opts);
}
