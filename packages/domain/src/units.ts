/** Unit conversions, written once. libvirt speaks KiB for guest memory; the API and policies speak MiB. */

export const KIB_PER_MIB = 1024;

export function kibToMib(kib: number): number {
  return kib / KIB_PER_MIB;
}

export function mibToKib(mib: number): number {
  return mib * KIB_PER_MIB;
}
