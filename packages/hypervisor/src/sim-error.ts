/**
 * Errors of the simulated hypervisor.
 *
 * A SimError carries the same numeric fields as the real binding's LibvirtError ({code, domain, message}):
 * `code` is libvirt's virErrorNumber and `domain` its virErrorDomain, so a predicate that looks at `code`
 * (e.g. code 42 = VIR_ERR_NO_DOMAIN) works for both. `reason` is a readable name of the same code.
 */

/** libvirt virErrorNumber values the simulator uses (libvirt/virterror.h). */
export const SIM_ERR = {
  INTERNAL_ERROR: 1,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  NO_DOMAIN: 42,
  OPERATION_INVALID: 55,
} as const;

/** virErrorDomain of every SimError: VIR_FROM_QEMU, as the qemu driver reports these errors. */
export const SIM_ERR_DOMAIN = 10;

export type SimErrorReason =
  | 'internal-error'
  | 'no-connect'
  | 'invalid-conn'
  | 'invalid-arg'
  | 'operation-failed'
  | 'no-domain'
  | 'operation-invalid';

const CODE_OF: Record<SimErrorReason, number> = {
  'internal-error': SIM_ERR.INTERNAL_ERROR,
  'no-connect': SIM_ERR.NO_CONNECT,
  'invalid-conn': SIM_ERR.INVALID_CONN,
  'invalid-arg': SIM_ERR.INVALID_ARG,
  'operation-failed': SIM_ERR.OPERATION_FAILED,
  'no-domain': SIM_ERR.NO_DOMAIN,
  'operation-invalid': SIM_ERR.OPERATION_INVALID,
};

export class SimError extends Error {
  /** libvirt virErrorNumber, e.g. 42 for a missing domain. */
  readonly code: number;
  /** libvirt virErrorDomain (always VIR_FROM_QEMU = 10). */
  readonly domain: number;
  readonly reason: SimErrorReason;

  constructor(reason: SimErrorReason, message: string) {
    super(message);
    this.name = 'SimError';
    this.reason = reason;
    this.code = CODE_OF[reason];
    this.domain = SIM_ERR_DOMAIN;
  }
}

export function isSimError(err: unknown): err is SimError {
  return err instanceof SimError;
}

/**
 * True for "domain not found" from the simulator or from the libvirt binding:
 * any error object whose numeric `code` is VIR_ERR_NO_DOMAIN (42).
 */
export function isNoDomainError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === SIM_ERR.NO_DOMAIN;
}

export function noDomain(uuid: string, hostId: string): SimError {
  return new SimError('no-domain', `Domain not found: no domain with matching uuid '${uuid}' on sim://${hostId}`);
}
