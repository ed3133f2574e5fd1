import { z } from 'zod';
import { JobRequestError, defineJobType } from '../job-type.js';

const index = z.number().int('must be an integer').min(0, 'must be ≥ 0');
const fields = {
  vcpu: index,
  pcpus: z.array(index).min(1, 'must list at least one pCPU'),
};

/** `pin-vcpu`: pin one vCPU of a VM to a set of pCPUs. Pins of different vCPUs do not compete. */
export const pinVcpuJob = defineJobType({
  type: 'pin-vcpu',
  scope: 'vm',
  resource: 'vcpu-pinning',
  action: z.object({ type: z.literal('pin-vcpu'), ...fields }),
  request: z.strictObject(fields),
  fill: (r, ctx) => {
    const host = ctx.host(ctx.hostId);
    const bad = host ? r.pcpus.find((p) => p >= host.pcpuCount) : undefined;
    if (host && bad !== undefined) {
      throw new JobRequestError('unprocessable', 'invalid_pcpu', 'pcpus', `pCPU ${bad} does not exist on ${ctx.hostId} (0-${host.pcpuCount - 1})`);
    }
    return { type: 'pin-vcpu' as const, vcpu: r.vcpu, pcpus: [...new Set(r.pcpus)].sort((a, b) => a - b) };
  },
  part: (a) => `vcpu${a.vcpu}`,
  describe: (a) => `pin vCPU ${a.vcpu} to pCPUs ${a.pcpus.join(',')}`,
  example: { type: 'pin-vcpu', vcpu: 1, pcpus: [0, 2] },
});
