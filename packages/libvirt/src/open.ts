import { Connection } from './connection.js';
import { toLibvirtError } from './libvirt-error.js';
import { loadNative } from './native.js';

export interface OpenOptions {
  /** virConnectOpenReadOnly: enough for stats and lookups. */
  readOnly?: boolean;
}

/**
 * Opens a libvirt connection, e.g. `qemu:///system`, `qemu+tcp://10.77.0.2/system`,
 * `test:///default`. Keepalive (5 s interval, 3 missed) is attempted; see
 * Connection.keepaliveSupported. Rejects with a LibvirtError on a bad or unreachable URI.
 */
export function open(uri: string, options: OpenOptions = {}): Promise<Connection> {
  const readOnly = options.readOnly ?? false;
  const callSite = new Error();
  return loadNative()
    .open(uri, readOnly)
    .then(
      (native) => new Connection(native, uri, readOnly),
      (err: unknown) => {
        throw toLibvirtError(err, callSite);
      },
    );
}

/** The libvirt library this process links, major*1e6 + minor*1e3 + release (9000000 = 9.0.0). */
export function libvirtVersion(): number | undefined {
  return loadNative().libVersion();
}
