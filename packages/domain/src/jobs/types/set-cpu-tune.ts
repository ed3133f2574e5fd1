import { z } from 'zod';
import { JobRequestError, defineJobType } from '../job-type.js';

const int = () => z.number().int('must be an integer');
const fields = {
  /** cpu_shares: relative weight under contention. */
  shares: int().min(2, 'must be ≥ 2').max(262144, 'must be ≤ 262144').optional(),
  /** vcpu_quota, µs per period; -1 = unlimited. */
  quotaUs: int().min(-1, 'must be ≥ -1 (-1 = unlimited)').optional(),
  /** vcpu_period, µs. */
  periodUs: int().min(1000, 'must be ≥ 1000').max(1000000, 'must be ≤ 1000000').optional(),
  /** Where the VM's emulator threads may run (libvirt's emulatorpin): pCPU ids. */
  emulatorPcpus: z
    .array(int().min(0, 'must be ≥ 0').max(65535, 'must be ≤ 65535'))
    .min(1, 'must name at least one pCPU')
    .max(4096, 'must name at most 4096 pCPUs')
    .refine((a) => new Set(a).size === a.length, 'must not repeat a pCPU')
    .optional(),
};

/** `set-cpu-tune`: a VM's CPU weight (shares), bandwidth (quota per period) and where its emulator threads run. */
export const setCpuTuneJob = defineJobType({
  type: 'set-cpu-tune',
  scope: 'vm',
  resource: 'cpu-tune',
  action: z.object({ type: z.literal('set-cpu-tune'), ...fields }),
  request: z.strictObject(fields),
  fill: (r) => {
    if (r.shares === undefined && r.quotaUs === undefined && r.periodUs === undefined && r.emulatorPcpus === undefined) {
      throw new JobRequestError('invalid', 'invalid_body', 'shares', 'set-cpu-tune needs at least one of shares, quotaUs, periodUs, emulatorPcpus');
    }
    return {
      type: 'set-cpu-tune' as const,
      ...(r.shares !== undefined ? { shares: r.shares } : {}),
      ...(r.quotaUs !== undefined ? { quotaUs: r.quotaUs } : {}),
      ...(r.periodUs !== undefined ? { periodUs: r.periodUs } : {}),
      ...(r.emulatorPcpus !== undefined ? { emulatorPcpus: [...r.emulatorPcpus].sort((a, b) => a - b) } : {}),
    };
  },
  describe: (a) =>
    `set cpu tune${a.shares !== undefined ? ` shares=${a.shares}` : ''}${a.quotaUs !== undefined ? ` quotaUs=${a.quotaUs}` : ''}${a.periodUs !== undefined ? ` periodUs=${a.periodUs}` : ''}` +
    `${a.emulatorPcpus !== undefined ? ` emulatorPcpus=${a.emulatorPcpus.join(',')}` : ''}`,
  example: { type: 'set-cpu-tune', shares: 2048, quotaUs: 50000, periodUs: 100000, emulatorPcpus: [0, 1] },
});
