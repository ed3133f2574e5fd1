import { z } from 'zod';
import { JobRequestError, defineJobType } from '../job-type.js';

const fields = {
  /** ksmd: 'run', 'stop' (merged pages stay merged) or 'unmerge' (stop and give every merged page its own copy). */
  run: z.enum(['stop', 'run', 'unmerge']).optional(),
  /** Pages ksmd scans per wake-up. */
  pagesToScan: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(100_000, 'must be ≤ 100000').optional(),
  /** ksmd's sleep between wake-ups, ms (below 10 it would keep a pCPU busy). */
  sleepMillisecs: z.number().int('must be an integer').min(10, 'must be ≥ 10').max(60_000, 'must be ≤ 60000').optional(),
  /** Whether pages of different NUMA cells may merge (the kernel takes it only while nothing is merged). */
  mergeAcrossNodes: z.boolean().optional(),
};

/** `set-ksm`: the host's kernel same-page merging — ksmd's run state and pace. Host-scoped. */
export const setKsmJob = defineJobType({
  type: 'set-ksm',
  scope: 'host',
  resource: 'ksm',
  action: z.object({ type: z.literal('set-ksm'), ...fields }),
  request: z.strictObject(fields),
  fill: (r) => {
    if (r.run === undefined && r.pagesToScan === undefined && r.sleepMillisecs === undefined && r.mergeAcrossNodes === undefined) {
      throw new JobRequestError('invalid', 'invalid_body', 'run', 'set-ksm needs at least one of run, pagesToScan, sleepMillisecs, mergeAcrossNodes');
    }
    return {
      type: 'set-ksm' as const,
      ...(r.run !== undefined ? { run: r.run } : {}),
      ...(r.pagesToScan !== undefined ? { pagesToScan: r.pagesToScan } : {}),
      ...(r.sleepMillisecs !== undefined ? { sleepMillisecs: r.sleepMillisecs } : {}),
      ...(r.mergeAcrossNodes !== undefined ? { mergeAcrossNodes: r.mergeAcrossNodes } : {}),
    };
  },
  describe: (a) =>
    `set KSM${a.run !== undefined ? ` run=${a.run}` : ''}${a.pagesToScan !== undefined ? ` pagesToScan=${a.pagesToScan}` : ''}` +
    `${a.sleepMillisecs !== undefined ? ` sleepMillisecs=${a.sleepMillisecs}` : ''}${a.mergeAcrossNodes !== undefined ? ` mergeAcrossNodes=${a.mergeAcrossNodes}` : ''}`,
  example: { type: 'set-ksm', run: 'run', pagesToScan: 200, sleepMillisecs: 50, mergeAcrossNodes: true },
});
