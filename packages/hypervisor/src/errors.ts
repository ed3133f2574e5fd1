import { isNoDomain, isNoSupport } from '@ballast/libvirt';

/**
 * True when an error from any Hypervisor says the VM does not exist (any more): the binding's
 * LibvirtError with VIR_ERR_NO_DOMAIN. LibvirtHypervisor raises it from libvirt; @ballast/sim's
 * SimHypervisor raises the same LibvirtError, so this is the binding's isNoDomain, one predicate for both.
 */
export const isVmGone = isNoDomain;

/**
 * True when a hypervisor cannot make a call at all (its driver lacks it: libvirt's test driver has no KSM
 * parameters, no cpu_shares): the binding's isNoSupport. Callers leave what that call reads out.
 */
export const isUnsupported = isNoSupport;
