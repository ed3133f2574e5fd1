import { ErrorCode, ErrorDomain, LibvirtError } from './libvirt-error.js';

function hasCode(err: unknown, ...codes: number[]): err is LibvirtError {
  return err instanceof LibvirtError && codes.includes(err.code);
}

/** The domain does not exist (any more): VIR_ERR_NO_DOMAIN. */
export function isNoDomain(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.NO_DOMAIN);
}

/** Could not connect to the hypervisor: VIR_ERR_NO_CONNECT. */
export function isNoConnect(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.NO_CONNECT);
}

/** An argument libvirt (or this binding, inside the worker) rejected: VIR_ERR_INVALID_ARG. */
export function isInvalidArg(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.INVALID_ARG);
}

/** Not applicable in the domain's current state (e.g. live change of a stopped VM): VIR_ERR_OPERATION_INVALID. */
export function isOperationInvalid(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.OPERATION_INVALID);
}

/**
 * The driver cannot do this: VIR_ERR_NO_SUPPORT ("not supported by the connection driver"),
 * VIR_ERR_OPERATION_UNSUPPORTED or VIR_ERR_ARGUMENT_UNSUPPORTED (e.g. p2p migration on the test
 * driver).
 */
export function isNoSupport(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.NO_SUPPORT, ErrorCode.OPERATION_UNSUPPORTED, ErrorCode.ARGUMENT_UNSUPPORTED);
}

/** getMetadata found nothing of that type (or namespace): VIR_ERR_NO_DOMAIN_METADATA. */
export function isNoMetadata(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.NO_DOMAIN_METADATA);
}

/** A timeout, e.g. waiting for a domain job: VIR_ERR_OPERATION_TIMEOUT. */
export function isOperationTimeout(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.OPERATION_TIMEOUT);
}

/**
 * The connection to libvirtd broke: VIR_ERR_SYSTEM_ERROR (EOF/socket error) or VIR_ERR_INTERNAL_ERROR
 * ("client socket is closed") raised by the RPC or remote layer — the test OpenStack Nova uses.
 * Reconnect with a new open().
 */
export function isConnectionLost(err: unknown): err is LibvirtError {
  return (
    hasCode(err, ErrorCode.SYSTEM_ERROR, ErrorCode.INTERNAL_ERROR) &&
    (err.domain === ErrorDomain.RPC || err.domain === ErrorDomain.REMOTE)
  );
}

/** A call on a Connection after close(): VIR_ERR_INVALID_CONN. */
export function isConnectionClosed(err: unknown): err is LibvirtError {
  return hasCode(err, ErrorCode.INVALID_CONN);
}
