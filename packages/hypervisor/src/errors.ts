import { isNoDomain } from '@ballast/libvirt';

/**
 * True when an error from any Hypervisor says the VM does not exist (any more): the binding's
 * LibvirtError with VIR_ERR_NO_DOMAIN. LibvirtHypervisor raises it from libvirt; @ballast/sim's
 * SimHypervisor raises the same LibvirtError, so this is the binding's isNoDomain, one predicate for both.
 */
export const isVmGone = isNoDomain;
