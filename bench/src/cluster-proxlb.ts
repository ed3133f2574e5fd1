/**
 * A ProxLB-like balancer: the baseline the cluster-balance policy is compared with. Modelled on ProxLB
 * (github.com/gyptazy/ProxLB, GPL-3.0; read, not copied), proxlb/models/calculations.py:
 *   - get_balanciness: balance while max − min over the nodes of `<method>_<mode>_percent` > balanciness;
 *     defaults method "memory", mode "used", balanciness 10 (percentage points);
 *   - get_most_free_node: the destination is the non-maintenance node with the lowest `<method>_used_percent`;
 *   - relocate_guests: guests in ascending memory used (balance_larger_guests_first: false; an untagged guest
 *     is its own affinity group), balanciness re-checked before each, a guest moved only while its node is
 *     the most used one (1.1.11);
 *   - update_node_resources: the source node's used value drops, the destination's rises by the guest's used
 *     value; nothing checks the destination can hold the guest. 1.1.11 added validate_node_resources (the
 *     guest's used memory < the destination's free memory): the `guard` option.
 * Where ProxLB 1.1.11 picks the destination once per run (main.py calls get_most_free_node before
 * relocate_guests), earlier versions picked it per guest group; this picks it per guest (the kinder reading).
 *
 * Mapped onto a Ballast snapshot: a node's memory used = its memory − its free memory (what the host reports,
 * VMs' balloons included), a guest's memory used = what its guest uses (balloon − unused, as Proxmox's `mem`
 * reports for a ballooned VM); CPU used = Σ the guests' CPU, in cores, of the node's pCPUs.
 */
import type { ClusterSnapshot } from '@ballast/domain';

export interface ProxlbOptions {
  method: 'memory' | 'cpu';
  /** Percentage points of max − min usage tolerated. */
  balanciness: number;
  largerFirst: boolean;
  /** 1.1.11's check: the guest's used memory must be below the destination's free memory. */
  guard: boolean;
}

export const PROXLB_DEFAULTS: ProxlbOptions = { method: 'memory', balanciness: 10, largerFirst: false, guard: false };

interface Node {
  id: string;
  maintenance: boolean;
  memTotal: number;
  memUsed: number;
  cpuTotal: number;
  cpuUsed: number;
}

interface Guest {
  uuid: string;
  name: string;
  node: string;
  memUsed: number;
  cpuUsed: number;
}

const KIB = 1024;

function view(s: ClusterSnapshot): { nodes: Map<string, Node>; guests: Guest[] } {
  const nodes = new Map<string, Node>(
    s.hosts.map((h) => [h.hostId, { id: h.hostId, maintenance: h.maintenance === true, memTotal: h.memoryTotalKiB / KIB, memUsed: (h.memoryTotalKiB - h.memoryFreeKiB) / KIB, cpuTotal: Math.max(1, h.pcpuCount), cpuUsed: 0 }]),
  );
  const guests: Guest[] = [];
  for (const v of s.vms) {
    const node = nodes.get(v.hostId);
    if (!node || v.state !== 'running') continue;
    const memUsed = v.balloon ? (v.balloon.actualKiB - v.balloon.unusedKiB) / KIB : 0;
    const cpuUsed = v.cpuPercent / 100;
    node.cpuUsed += cpuUsed;
    guests.push({ uuid: v.uuid, name: v.name, node: v.hostId, memUsed, cpuUsed });
  }
  return { nodes, guests };
}

/** A node's used percentage by the method. */
export function usedPercent(n: Pick<Node, 'memTotal' | 'memUsed' | 'cpuTotal' | 'cpuUsed'>, method: ProxlbOptions['method']): number {
  return method === 'memory' ? (n.memUsed / n.memTotal) * 100 : (n.cpuUsed / n.cpuTotal) * 100;
}

/** max − min of the nodes' used percentage (ProxLB's balanciness measure). */
export function spreadPercent(s: ClusterSnapshot, method: ProxlbOptions['method']): number {
  const pct = [...view(s).nodes.values()].map((n) => usedPercent(n, method));
  return Math.max(...pct) - Math.min(...pct);
}

/** One ProxLB run on the snapshot: the guests it moves, in order (VM uuid → node id). */
export function proxlbRun(s: ClusterSnapshot, o: ProxlbOptions = PROXLB_DEFAULTS): { vmUuid: string; to: string }[] {
  const { nodes, guests } = view(s);
  const all = [...nodes.values()];
  const pct = (n: Node) => usedPercent(n, o.method);
  const unbalanced = () => {
    const p = all.map(pct);
    return Math.max(...p) - Math.min(...p) > o.balanciness;
  };
  const moves: { vmUuid: string; to: string }[] = [];
  if (!unbalanced()) return moves;
  const order = [...guests].sort((a, b) => (o.largerFirst ? b.memUsed - a.memUsed : a.memUsed - b.memUsed) || a.name.localeCompare(b.name));
  for (const g of order) {
    if (!unbalanced()) break;
    const most = all.reduce((a, b) => (pct(b) > pct(a) ? b : a));
    if (most.id !== g.node) continue;
    const open = all.filter((n) => !n.maintenance);
    if (open.length === 0) break;
    const least = open.reduce((a, b) => (pct(b) < pct(a) ? b : a));
    if (least.id === g.node) continue;
    if (o.guard && !(g.memUsed < least.memTotal - least.memUsed)) continue;
    const src = nodes.get(g.node) as Node;
    src.memUsed -= g.memUsed;
    src.cpuUsed -= g.cpuUsed;
    least.memUsed += g.memUsed;
    least.cpuUsed += g.cpuUsed;
    g.node = least.id;
    moves.push({ vmUuid: g.uuid, to: least.id });
  }
  return moves;
}
