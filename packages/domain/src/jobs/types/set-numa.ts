import { z } from 'zod';
import { JobRequestError, defineJobType } from '../job-type.js';

const fields = {
  /** The NUMA cell the VM's memory and vCPUs go to. */
  cell: z.number().int('must be an integer').min(0, 'must be ≥ 0'),
  /** numatune memory mode; absent: keep the VM's mode (libvirt refuses to change it on a running VM). */
  memoryMode: z.enum(['strict', 'preferred', 'interleave', 'restrictive']).optional(),
  /** Pin every vCPU to the cell's pCPUs too (default true); false moves only the memory placement. */
  pinVcpus: z.boolean().optional(),
};

/**
 * `set-numa`: place a VM on one NUMA cell — its numatune nodeset (memory) and, unless told otherwise, the
 * affinity of every vCPU to that cell's pCPUs.
 */
export const setNumaJob = defineJobType({
  type: 'set-numa',
  scope: 'vm',
  resource: 'numa-placement',
  action: z.object({ type: z.literal('set-numa'), ...fields }),
  request: z.strictObject(fields),
  fill: (r, ctx) => {
    const cells = ctx.host(ctx.hostId)?.numaCells ?? [];
    if (cells.length > 0 && !cells.some((c) => c.id === r.cell)) {
      throw new JobRequestError('unprocessable', 'invalid_cell', 'cell', `NUMA cell ${r.cell} does not exist on ${ctx.hostId} (cells: ${cells.map((c) => c.id).join(', ')})`);
    }
    return {
      type: 'set-numa' as const,
      cell: r.cell,
      ...(r.memoryMode !== undefined ? { memoryMode: r.memoryMode } : {}),
      ...(r.pinVcpus !== undefined ? { pinVcpus: r.pinVcpus } : {}),
    };
  },
  describe: (a) =>
    `place on NUMA cell ${a.cell}${a.memoryMode !== undefined ? ` (${a.memoryMode})` : ''}${a.pinVcpus === false ? ', memory only' : ', memory and vCPUs'}`,
  example: { type: 'set-numa', cell: 0, memoryMode: 'strict', pinVcpus: true },
});
