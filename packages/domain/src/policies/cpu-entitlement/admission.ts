/**
 * Admission of reservations. CFS has no reservation: a VM's share under contention follows from the
 * weights (entitlement.ts), and weights can only divide what exists. So before any reservation is turned
 * into cpu_shares, the reservations must fit: on every set of pCPUs that is checked, the reservations of
 * the VMs confined to it (every pCPU they may run on is in the set) may take at most
 * (100 − headroomPercent) % of its capacity (100 % per pCPU). The sets checked: the whole host, each
 * NUMA cell (on hosts with more than one), and each distinct set of pCPUs a reserving VM may run on.
 *
 * VMs are admitted one by one, and one that does not fit is refused (the others go on): first the VMs
 * whose reservation the current weights already hold (incumbents, so a newcomer never displaces them),
 * then by reservation, smallest first, then by name. Stateless: incumbency is read from the collected
 * cpu_shares.
 */
import type { NumaCell } from '../../model.js';
import { r1 } from '../format.js';

/** A set of pCPUs whose reservations are summed, with its capacity after the headroom. */
export interface CapacitySet {
  /** In words, for decisions: "the host's 8 pCPUs", "NUMA cell 1 (pCPUs 4-7)", "pCPUs 0,1". */
  label: string;
  pcpus: ReadonlySet<number>;
  /** % of a pCPU: pCPUs × 100 × (1 − headroom). */
  capacityPercent: number;
  /** Σ reservations admitted so far of the VMs confined to it, % of a pCPU. */
  reservedPercent: number;
}

export interface AdmissionCandidate {
  uuid: string;
  name: string;
  pcpus: readonly number[];
  reservedPercent: number;
  /** Its reservation holds under the weights as collected. */
  incumbent: boolean;
}

export interface Admission {
  /** UUIDs, in the order admitted. */
  admitted: string[];
  /** UUID → why its reservation was refused. */
  refused: Map<string, string>;
  sets: CapacitySet[];
}

/** The sets checked on a host (see the file comment), each once; `headroomPercent` is kept out of each. */
export function capacitySets(pcpus: readonly number[], cells: readonly NumaCell[], candidates: readonly AdmissionCandidate[], headroomPercent: number): CapacitySet[] {
  const out = new Map<string, CapacitySet>();
  const add = (label: string, ids: readonly number[]): void => {
    const sorted = [...new Set(ids)].sort((a, b) => a - b);
    const key = sorted.join(',');
    if (sorted.length === 0 || out.has(key)) return;
    out.set(key, { label, pcpus: new Set(sorted), capacityPercent: sorted.length * (100 - headroomPercent), reservedPercent: 0 });
  };
  add(`the host's ${pcpus.length} pCPU(s)`, pcpus);
  if (cells.length > 1) for (const c of cells) add(`NUMA cell ${c.id} (pCPUs ${c.cpus.join(',')})`, c.cpus);
  for (const c of candidates) add(`pCPUs ${c.pcpus.join(',')} (where ${c.name} may run)`, c.pcpus);
  return [...out.values()];
}

/** Incumbents first, then the smallest reservation, then name and UUID. */
export function admissionOrder<C extends AdmissionCandidate>(candidates: readonly C[]): C[] {
  return [...candidates].sort(
    (a, b) =>
      Number(b.incumbent) - Number(a.incumbent) ||
      a.reservedPercent - b.reservedPercent ||
      a.name.localeCompare(b.name) ||
      a.uuid.localeCompare(b.uuid),
  );
}

/** Admits the candidates in admissionOrder while every set that confines them has room; refuses the rest. */
export function admitReservations(candidates: readonly AdmissionCandidate[], sets: CapacitySet[]): Admission {
  const admitted: string[] = [];
  const refused = new Map<string, string>();
  for (const c of admissionOrder(candidates)) {
    const confining = sets.filter((s) => c.pcpus.every((p) => s.pcpus.has(p)));
    const full = confining.find((s) => s.reservedPercent + c.reservedPercent > s.capacityPercent + 1e-9);
    if (full) {
      refused.set(
        c.uuid,
        `reservation ${r1(c.reservedPercent)} % of a pCPU does not fit ${full.label}: ${r1(full.reservedPercent)} % of its ` +
          `${r1(full.capacityPercent)} % (after the headroom) is reserved already`,
      );
      continue;
    }
    for (const s of confining) s.reservedPercent += c.reservedPercent;
    admitted.push(c.uuid);
  }
  return { admitted, refused, sets };
}
