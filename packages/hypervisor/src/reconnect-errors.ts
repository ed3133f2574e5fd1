import { ErrorDomain, LibvirtError, isConnectionClosed, isConnectionLost, isNoConnect } from '@ballast/libvirt';

/**
 * True when a failed open may succeed later: the error came from libvirt's transport (the RPC or remote
 * layer: no daemon socket, connection refused or reset, EOF, a host that does not resolve yet). Checked on
 * libvirt 9 with libvirtd stopped: `qemu:///system` (and any other local URI, `bogus:///nowhere` too)
 * fails with VIR_ERR_SYSTEM_ERROR (38) from VIR_FROM_RPC (7), "Failed to connect socket to
 * '/var/run/libvirt/libvirt-sock-ro': No such file or directory".
 *
 * Anything else retrying cannot fix: with libvirtd up, an unknown scheme gives VIR_ERR_NO_CONNECT (5) from
 * VIR_FROM_NONE (0), "no connection driver available for bogus:///nowhere"; a malformed URI
 * VIR_ERR_INTERNAL_ERROR (1) from VIR_FROM_URI (45), "Unable to parse URI qemu://[bad"; a driver rejecting
 * its path (`qemu:///nosuch`) VIR_ERR_INTERNAL_ERROR from VIR_FROM_NONE; errors that are not libvirt's
 * (a sim:// URI, a missing addon) are not retried either.
 */
export function isRetryableOpenError(err: unknown): boolean {
  return err instanceof LibvirtError && (err.domain === ErrorDomain.RPC || err.domain === ErrorDomain.REMOTE);
}

/**
 * True when a call failed because the connection to the hypervisor is gone (isConnectionLost,
 * isNoConnect, isConnectionClosed) or was not there (HypervisorUnavailableError) — never for a call that
 * failed on its own, such as a VM that vanished.
 */
export function isConnectionError(err: unknown): boolean {
  return isConnectionLost(err) || isNoConnect(err) || isConnectionClosed(err) || err instanceof HypervisorUnavailableError;
}

/**
 * A call made while a ReconnectingHypervisor has no connection: it fails at once (it does not wait for
 * the reconnect). Retryable: the same call may succeed once `state` is 'connected' again.
 */
export class HypervisorUnavailableError extends Error {
  override readonly name = 'HypervisorUnavailableError';
  readonly code = 'HYPERVISOR_UNAVAILABLE';
  readonly retryable = true;

  constructor(uri: string, state: string, lastError: string | undefined) {
    super(`libvirt at ${uri} is not connected (${state}${lastError ? `; last error: ${lastError}` : ''})`);
  }
}
