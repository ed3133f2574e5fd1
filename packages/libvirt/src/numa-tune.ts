import type { NumaMode, NumaTune } from '@ballast/domain';

import { AffectFlags, NumatuneMemMode } from './constants.js';
import type { Connection } from './connection.js';
import { ErrorCode, ErrorDomain, LibvirtError } from './libvirt-error.js';
import { formatNodeset, parseNodeset } from './nodeset.js';
import type { NumaParameters } from './types.js';

/** numa_mode values by name. */
const MODE_VALUES: Readonly<Record<NumaMode, number>> = {
  strict: NumatuneMemMode.STRICT,
  preferred: NumatuneMemMode.PREFERRED,
  interleave: NumatuneMemMode.INTERLEAVE,
  restrictive: NumatuneMemMode.RESTRICTIVE,
};

/** virDomainNumatuneMemMode → name; a value this binding does not know throws a LibvirtError (INTERNAL_ERROR). */
export function numaModeName(value: number): NumaMode {
  const entry = Object.entries(MODE_VALUES).find(([, v]) => v === value);
  if (!entry) throw new LibvirtError(`unknown numatune mode ${value}`, ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE);
  return entry[0] as NumaMode;
}

/**
 * A domain's numatune with names: mode and the nodeset as cell ids. A domain without numatune
 * reads as strict with an empty nodeset (as libvirt reports it). Default flags: CURRENT.
 */
export async function getNumaTune(conn: Connection, uuid: string, flags: number = AffectFlags.CURRENT): Promise<NumaTune> {
  const params = await conn.getNumaParameters(uuid, flags);
  return {
    mode: numaModeName(params.numa_mode ?? NumatuneMemMode.STRICT),
    nodeset: parseNodeset(params.numa_nodeset ?? ''),
  };
}

/**
 * Sets the given fields only (numa_mode and/or numa_nodeset). A nodeset must name at least one
 * cell; a wrong mode or nodeset throws a TypeError naming it, before any call. libvirt's rules for
 * a running domain apply (see LibvirtHypervisor.setNumaTune). Default flags: LIVE.
 */
export function setNumaTune(
  conn: Connection,
  uuid: string,
  tune: Partial<NumaTune>,
  flags: number = AffectFlags.LIVE,
): Promise<void> {
  const params: NumaParameters = {};
  if (tune.mode !== undefined) {
    if (!Object.hasOwn(MODE_VALUES, tune.mode)) {
      throw new TypeError(`mode must be one of ${Object.keys(MODE_VALUES).join(', ')} (got ${String(tune.mode)})`);
    }
    params.numa_mode = MODE_VALUES[tune.mode];
  }
  if (tune.nodeset !== undefined) {
    if (!Array.isArray(tune.nodeset) || tune.nodeset.length === 0) {
      throw new TypeError('nodeset must be a non-empty array of NUMA cell ids');
    }
    try {
      params.numa_nodeset = formatNodeset(tune.nodeset);
    } catch (err) {
      throw new TypeError(`nodeset: ${(err as Error).message}`);
    }
  }
  return conn.setNumaParameters(uuid, params, flags);
}
