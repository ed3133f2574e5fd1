/**
 * KSM over libvirt: the node memory parameters (shm_*) for the tunables and counters, and the
 * sysfs run control (ksm-run.ts) when the connection is local.
 */
import type { KsmRun, KsmSettings, KsmTunables } from '@ballast/domain';
import {
  type Connection,
  ErrorCode,
  ErrorDomain,
  LibvirtError,
  type NodeMemoryParameters,
  type NodeMemoryTunables,
  isNoSupport,
} from '@ballast/libvirt';

import { isKsmRun, ksmRunNotLocal, readKsmRun, writeKsmRun } from './ksm-run.js';

/** The shm_* parameters every Linux host reports, with their KsmSettings names. */
const REQUIRED = [
  ['shm_pages_to_scan', 'pagesToScan'],
  ['shm_sleep_millisecs', 'sleepMillisecs'],
  ['shm_pages_shared', 'pagesShared'],
  ['shm_pages_sharing', 'pagesSharing'],
  ['shm_pages_unshared', 'pagesUnshared'],
  ['shm_pages_volatile', 'pagesVolatile'],
  ['shm_full_scans', 'fullScans'],
] as const;

/** libvirt's node memory parameters (+ run, when read) → KsmSettings. A missing field → NO_SUPPORT. */
export function toKsmSettings(params: NodeMemoryParameters, run: KsmRun | undefined, uri: string): KsmSettings {
  const value = {} as Record<(typeof REQUIRED)[number][1], number>;
  for (const [field, name] of REQUIRED) {
    const v = params[field];
    if (v === undefined) throw new LibvirtError(`KSM: ${uri} does not report ${field}`, ErrorCode.NO_SUPPORT, ErrorDomain.NONE);
    value[name] = v;
  }
  const { pagesToScan, sleepMillisecs, ...counters } = value;
  return {
    ...(run !== undefined ? { run } : {}),
    pagesToScan,
    sleepMillisecs,
    ...(params.shm_merge_across_nodes !== undefined ? { mergeAcrossNodes: params.shm_merge_across_nodes !== 0 } : {}),
    counters,
  };
}

/** The libvirt part of a KSM change, or undefined when it has none (run only). */
export function toNodeMemoryTunables(change: Partial<KsmTunables>): NodeMemoryTunables | undefined {
  const out: NodeMemoryTunables = {};
  if (change.pagesToScan !== undefined) out.shm_pages_to_scan = change.pagesToScan;
  if (change.sleepMillisecs !== undefined) out.shm_sleep_millisecs = change.sleepMillisecs;
  if (change.mergeAcrossNodes !== undefined) out.shm_merge_across_nodes = change.mergeAcrossNodes ? 1 : 0;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** libvirt's NO_SUPPORT for node memory parameters (the test driver), said in KSM's terms. */
function explainNoSupport(err: unknown, uri: string): unknown {
  if (!isNoSupport(err)) return err;
  return new LibvirtError(
    `KSM settings are not available on ${uri}: its libvirt driver has no node memory parameters (${err.message})`,
    err.code,
    err.domain,
  );
}

/** KSM settings of the connection's host; `run` only when `local`. */
export async function getKsmSettings(conn: Connection, local: boolean): Promise<KsmSettings> {
  const [params, run] = await Promise.all([
    conn.getNodeMemoryParameters().catch((err: unknown) => Promise.reject(explainNoSupport(err, conn.uri))),
    local ? readKsmRun() : undefined,
  ]);
  return toKsmSettings(params, run, conn.uri);
}

/**
 * Applies the given KSM fields over a read-write connection. `run` needs a local one (checked before
 * anything changes).
 * 'unmerge' is written first, so that merge_across_nodes, which the kernel changes only while no
 * page is shared, can follow in the same call; 'stop' and 'run' are written last.
 */
export async function setKsmSettings(conn: Connection, local: boolean, change: Partial<KsmTunables>): Promise<void> {
  const { run } = change;
  if (conn.readOnly) {
    // libvirt refuses the shm_* part itself; run (sysfs) must not slip past a read-only connection.
    throw new LibvirtError(`KSM cannot be changed over the read-only connection to ${conn.uri}`, ErrorCode.OPERATION_DENIED, ErrorDomain.NONE);
  }
  if (run !== undefined) {
    if (!isKsmRun(run)) {
      throw new LibvirtError(`KSM run must be stop, run or unmerge (got ${String(run)})`, ErrorCode.INVALID_ARG, ErrorDomain.NONE);
    }
    if (!local) throw ksmRunNotLocal(conn.uri);
  }
  if (run === 'unmerge') await writeKsmRun(run);
  const tunables = toNodeMemoryTunables(change);
  if (tunables) await conn.setNodeMemoryParameters(tunables).catch((err: unknown) => Promise.reject(explainNoSupport(err, conn.uri)));
  if (run !== undefined && run !== 'unmerge') await writeKsmRun(run);
}
