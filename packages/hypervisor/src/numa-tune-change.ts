import type { NumaTune } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError, formatNodeset } from '@ballast/libvirt';

import type { NumaTuneRequest } from './hypervisor.js';

function refuse(message: string): LibvirtError {
  return new LibvirtError(message, ErrorCode.OPERATION_INVALID, ErrorDomain.NONE);
}

/**
 * The numa parameters that move a VM from `current` to `wanted`, or undefined when it is there
 * already (so a repeated request succeeds). For a running VM this encodes libvirt 9.0's live rules,
 * as checked on the lab's QEMU driver:
 *
 * - A VM without numatune (read back as strict with an empty nodeset) takes a nodeset with any mode,
 *   once. libvirt refuses an explicit 'strict' there ("can't change nodeset for strict mode for
 *   running domain") but applies a nodeset alone as strict, so 'strict' sends the nodeset alone.
 * - After that its mode stays ("can't change numatune mode for running domain"), and its nodeset
 *   changes only in restrictive mode, even to the same cells ("change of nodeset for running domain
 *   requires restrictive numa mode"). These two throw OPERATION_INVALID here, before libvirt is asked.
 * - Live numatune cannot be removed; only a restart with a changed definition does that.
 */
export function numaTuneChange(uuid: string, current: NumaTune, wanted: NumaTuneRequest, running: boolean): Partial<NumaTune> | undefined {
  if (!Array.isArray(wanted.nodeset) || wanted.nodeset.length === 0) {
    throw new LibvirtError('nodeset must name at least one NUMA cell', ErrorCode.INVALID_ARG, ErrorDomain.NONE);
  }
  let cells: string;
  try {
    cells = formatNodeset(wanted.nodeset);
  } catch (err) {
    throw new LibvirtError((err as Error).message, ErrorCode.INVALID_ARG, ErrorDomain.NONE);
  }
  const nodeset = wanted.nodeset;
  const sameCells = cells === formatNodeset(current.nodeset);
  const modeChange = wanted.mode !== undefined && wanted.mode !== current.mode;
  if (!modeChange && sameCells) return undefined;
  if (!running) return wanted.mode !== undefined ? { mode: wanted.mode, nodeset } : { nodeset };

  const tuned = current.nodeset.length > 0;
  if (!tuned) return wanted.mode === undefined || wanted.mode === 'strict' ? { nodeset } : { mode: wanted.mode, nodeset };
  const now = `${current.mode} on cells ${formatNodeset(current.nodeset)}`;
  if (modeChange) {
    throw refuse(
      `VM ${uuid} runs with numatune ${now}: libvirt cannot change a running VM's numatune mode (asked for ${String(wanted.mode)}); ` +
        'change its definition and restart it',
    );
  }
  if (current.mode !== 'restrictive') {
    throw refuse(
      `VM ${uuid} runs with numatune ${now}: libvirt changes a running VM's nodeset only in restrictive mode (asked for cells ${cells})`,
    );
  }
  return { nodeset };
}
