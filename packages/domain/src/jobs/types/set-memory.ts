import { z } from 'zod';
import { defineJobType } from '../job-type.js';

const memoryMiB = z.number().int('must be an integer').positive('must be > 0');

/**
 * `set-memory`: move a VM's balloon to an absolute size. Policy jobs carry the host budget: the actuator
 * grows only while the other VMs' balloons (or their grows in progress) plus this target fit it, waiting for
 * the releases that pay for the grow to land first.
 */
export const setMemoryJob = defineJobType({
  type: 'set-memory',
  scope: 'vm',
  resource: 'memory',
  action: z.object({
    type: z.literal('set-memory'),
    memoryMiB,
    /** Cap on the sum of the host's balloon sizes (a policy's host budget), MiB. */
    hostBudgetMiB: memoryMiB.optional(),
  }),
  request: z.strictObject({ memoryMiB }),
  fill: (r) => ({ type: 'set-memory' as const, memoryMiB: r.memoryMiB }),
  describe: (a) => `set memory to ${a.memoryMiB} MiB${a.hostBudgetMiB !== undefined ? ` (host budget ${a.hostBudgetMiB} MiB)` : ''}`,
  example: { type: 'set-memory', memoryMiB: 400, hostBudgetMiB: 3072 },
});
