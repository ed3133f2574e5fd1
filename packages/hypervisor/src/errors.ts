/** libvirt's VIR_ERR_NO_DOMAIN; SimHypervisor uses the same code for a missing VM. */
export const ERR_NO_DOMAIN = 42;

/** True when an error from any Hypervisor says the VM does not exist (any more). */
export function isVmGone(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ERR_NO_DOMAIN;
}
