/**
 * Errors of the simulated hypervisor are the binding's own LibvirtError: `code` is the virErrorNumber libvirt
 * reports for the same failure and `domain` is VIR_FROM_QEMU, as the qemu driver reports these errors. So the
 * binding's predicates (isNoDomain, isInvalidArg, isOperationInvalid, isNoConnect, isConnectionClosed) and
 * @ballast/hypervisor's isVmGone hold for simulated and real hosts alike. @ballast/libvirt's TS layer loads
 * its native addon only when a connection is opened, so the simulator runs where libvirt is not built.
 */
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';

/** The virErrorNumber values the simulator raises. */
export type SimErrorCode =
  | typeof ErrorCode.NO_CONNECT
  | typeof ErrorCode.INVALID_CONN
  | typeof ErrorCode.INVALID_ARG
  | typeof ErrorCode.OPERATION_FAILED
  | typeof ErrorCode.NO_DOMAIN
  | typeof ErrorCode.OPERATION_INVALID
  | typeof ErrorCode.OPERATION_ABORTED;

/** A failed simulated call, as libvirt's qemu driver would report it. */
export function simError(code: SimErrorCode, message: string): LibvirtError {
  return new LibvirtError(message, code, ErrorDomain.QEMU);
}

export function noDomain(uuid: string, hostId: string): LibvirtError {
  return simError(ErrorCode.NO_DOMAIN, `Domain not found: no domain with matching uuid '${uuid}' on sim://${hostId}`);
}
