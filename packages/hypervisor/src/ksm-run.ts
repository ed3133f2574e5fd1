/**
 * KSM's run control, the one KSM knob libvirt's node memory parameters do not cover. It is a sysfs
 * file, so it can be read and written only on the machine libvirtd runs on: LibvirtHypervisor uses
 * it for local URIs only.
 */
import { readFile, writeFile } from 'node:fs/promises';

import type { KsmRun } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';

/** The kernel's KSM run control: 0 stop, 1 run, 2 stop and unmerge every page. */
export const KSM_RUN_PATH = '/sys/kernel/mm/ksm/run';

const RUN_VALUES: Readonly<Record<KsmRun, string>> = { stop: '0', run: '1', unmerge: '2' };

/** Whether `run` names a KsmRun. */
export function isKsmRun(run: unknown): run is KsmRun {
  return typeof run === 'string' && Object.hasOwn(RUN_VALUES, run);
}

/**
 * Whether a libvirt URI reaches a daemon on this machine: no host, and no transport or the unix one
 * (qemu:///system, qemu:///session, qemu+unix:///system?socket=…). The test driver simulates its
 * host, so test:/// URIs are not local.
 */
export function isLocalUri(uri: string): boolean {
  const m = /^([a-z][a-z0-9-]*)(?:\+([a-z0-9]+))?:\/\/([^/?#]*)/i.exec(uri);
  if (!m) return false;
  const driver = m[1]?.toLowerCase();
  const transport = m[2]?.toLowerCase();
  return driver !== 'test' && m[3] === '' && (transport === undefined || transport === 'unix');
}

/** The NO_SUPPORT error for KSM's run over a URI that is not local. */
export function ksmRunNotLocal(uri: string): LibvirtError {
  return new LibvirtError(
    `KSM's run is not supported over ${uri}: libvirt does not expose it, and ${KSM_RUN_PATH} can be read and ` +
      'written only on the host itself (a local URI: qemu:///system, qemu:///session or qemu+unix:///…)',
    ErrorCode.NO_SUPPORT,
    ErrorDomain.NONE,
  );
}

function sysfsError(err: unknown, action: string): LibvirtError {
  const code = (err as NodeJS.ErrnoException).code;
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT') {
    return new LibvirtError(`cannot ${action}: this kernel has no KSM (${detail})`, ErrorCode.NO_SUPPORT, ErrorDomain.NONE);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new LibvirtError(`cannot ${action}: ${detail} (changing KSM needs root)`, ErrorCode.OPERATION_DENIED, ErrorDomain.NONE);
  }
  return new LibvirtError(`cannot ${action}: ${detail}`, ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE);
}

/** Reads KSM's run control of this machine. */
export async function readKsmRun(path: string = KSM_RUN_PATH): Promise<KsmRun> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw sysfsError(err, `read ${path}`);
  }
  const run = (Object.keys(RUN_VALUES) as KsmRun[]).find((name) => RUN_VALUES[name] === text);
  if (!run) throw new LibvirtError(`unexpected KSM run value '${text}' in ${path}`, ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE);
  return run;
}

/** Writes KSM's run control of this machine ('unmerge' returns once every page is unmerged). */
export async function writeKsmRun(run: KsmRun, path: string = KSM_RUN_PATH): Promise<void> {
  if (!isKsmRun(run)) {
    throw new LibvirtError(`KSM run must be one of ${Object.keys(RUN_VALUES).join(', ')} (got ${String(run)})`, ErrorCode.INVALID_ARG, ErrorDomain.NONE);
  }
  try {
    await writeFile(path, RUN_VALUES[run]);
  } catch (err) {
    throw sysfsError(err, `write ${RUN_VALUES[run]} to ${path}`);
  }
}
