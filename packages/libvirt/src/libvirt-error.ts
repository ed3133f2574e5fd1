/** virErrorNumber values the predicates and callers care about. */
export const ErrorCode = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  /** e.g. a change over a read-only connection, or KSM's sysfs run file without root. */
  OPERATION_DENIED: 29,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  SYSTEM_ERROR: 38,
  NO_DOMAIN: 42,
  OPERATION_INVALID: 55,
  /** e.g. a numatune nodeset naming a NUMA cell the host does not have. */
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  ARGUMENT_UNSUPPORTED: 74,
  /** e.g. a migration aborted with virDomainAbortJob ("canceled by client"). */
  OPERATION_ABORTED: 78,
  /** getMetadata: the domain has no such metadata (no element of that namespace, no title, …). */
  NO_DOMAIN_METADATA: 80,
  OPERATION_UNSUPPORTED: 84,
} as const;

/** virErrorDomain values (where in libvirt an error arose). */
export const ErrorDomain = {
  NONE: 0,
  RPC: 7,
  QEMU: 10,
  TEST: 12,
  REMOTE: 13,
  DOMAIN: 20,
} as const;

/**
 * A failed libvirt call: `code` and `domain` are libvirt's virError fields (virErrorNumber,
 * virErrorDomain), captured on the worker thread right after the call failed; `message` is
 * libvirt's message on one line.
 */
export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  readonly code: number;
  readonly domain: number;

  constructor(message: string, code: number, domain: number) {
    super(message);
    this.code = code;
    this.domain = domain;
  }
}

interface NativeErrorShape {
  message: string;
  code: number;
  domain: number;
}

function isNativeError(err: unknown): err is NativeErrorShape {
  return (
    err instanceof Error &&
    typeof (err as Partial<NativeErrorShape>).code === 'number' &&
    typeof (err as Partial<NativeErrorShape>).domain === 'number'
  );
}

/**
 * Turns a rejection from the addon into a LibvirtError; anything else passes through.
 * `callSite` (an Error made when the call started) supplies a useful stack.
 */
export function toLibvirtError(err: unknown, callSite?: Error): unknown {
  if (err instanceof LibvirtError || !isNativeError(err)) return err;
  const out = new LibvirtError(err.message, err.code, err.domain);
  if (callSite?.stack) out.stack = `LibvirtError: ${err.message}\n${callSite.stack.split('\n').slice(1).join('\n')}`;
  return out;
}
