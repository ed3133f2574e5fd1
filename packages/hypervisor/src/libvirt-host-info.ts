import { createHash } from 'node:crypto';

import type { HostInfo, NumaCell } from '@ballast/domain';
import type { HostCapabilities, NodeInfo } from '@ballast/libvirt';

export interface HostInfoParts {
  uri: string;
  hostname: string;
  node: NodeInfo;
  capabilities: HostCapabilities;
  /** virNodeGetCellsFreeMemory, KiB, indexed by cell id (may be empty). */
  cellsFreeKiB: number[];
  /** virNodeGetFreeMemory, KiB (used when the host has no NUMA topology). */
  freeKiB: number;
}

/** Stand-in host UUID for drivers without one (libvirt's test driver): stable per URI + hostname. */
function derivedUuid(uri: string, hostname: string): string {
  const h = createHash('sha1').update(`${uri}|${hostname}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Merges node info, capabilities (host UUID, NUMA cells with their pCPUs) and per-cell free
 * memory into the model's HostInfo. Without a NUMA topology in the capabilities, one cell holds
 * every pCPU.
 */
export function buildHostInfo(parts: HostInfoParts): HostInfo {
  const { node, capabilities, cellsFreeKiB } = parts;
  let numaCells: NumaCell[] = capabilities.cells.map((cell) => ({
    id: cell.id,
    cpus: cell.cpus,
    memoryKiB: cell.memoryKiB,
    freeKiB: cellsFreeKiB[cell.id] ?? 0,
  }));
  if (numaCells.length === 0) {
    numaCells = [
      {
        id: 0,
        cpus: Array.from({ length: node.cpus }, (_, i) => i),
        memoryKiB: node.memoryKiB,
        freeKiB: cellsFreeKiB[0] ?? parts.freeKiB,
      },
    ];
  }
  return {
    hostname: parts.hostname,
    hostUuid: capabilities.hostUuid ?? derivedUuid(parts.uri, parts.hostname),
    cpuModel: node.model,
    pcpus: node.cpus,
    cpuMhz: node.mhz,
    memoryKiB: node.memoryKiB,
    numaCells,
  };
}
