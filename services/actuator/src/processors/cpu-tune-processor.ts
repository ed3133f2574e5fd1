import type { CpuTune, JobAction } from '@ballast/domain';
import { readVm, waitFor, type Processor } from './processor-context.js';

type SetCpuTune = Extract<JobAction, { type: 'set-cpu-tune' }>;

function wanted(action: SetCpuTune): Partial<CpuTune> {
  const w: Partial<CpuTune> = {};
  if (action.shares !== undefined) w.shares = action.shares;
  if (action.quotaUs !== undefined) w.quotaUs = action.quotaUs;
  if (action.periodUs !== undefined) w.periodUs = action.periodUs;
  if (action.emulatorPcpus !== undefined) w.emulatorPcpus = [...action.emulatorPcpus].sort((a, b) => a - b);
  return w;
}

/** libvirt reports an unlimited quota as -1 or a huge number; treat any non-positive target as "unlimited". */
function matches(cur: CpuTune, w: Partial<CpuTune>): boolean {
  if (w.shares !== undefined && cur.shares !== w.shares) return false;
  if (w.periodUs !== undefined && cur.periodUs !== w.periodUs) return false;
  if (w.emulatorPcpus !== undefined && (cur.emulatorPcpus ?? []).join(',') !== w.emulatorPcpus.join(',')) return false;
  if (w.quotaUs !== undefined) {
    const unlimited = (q: number) => q <= 0 || q >= 17592186044415;
    if (unlimited(w.quotaUs) ? !unlimited(cur.quotaUs) : cur.quotaUs !== w.quotaUs) return false;
  }
  return true;
}

/** The read-back figures the job asked for (the result stays small: it is stored with every job). */
function pick(t: CpuTune, w: Partial<CpuTune>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(w) as (keyof CpuTune)[]) o[k] = t[k];
  return o;
}

function describe(t: CpuTune, w: Partial<CpuTune>): string {
  return Object.entries(pick(t, w))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}

/** Sets CPU weight (shares), bandwidth (quota/period) and/or the emulator threads' pCPUs; verifies by reading back. */
export const cpuTuneProcessor: Processor<SetCpuTune> = async (ctx, spec, action) => {
  await readVm(ctx, spec.vmUuid, false, false); // that it runs: no balloon or vCPU figures needed
  const w = wanted(action);
  const before = await ctx.hv.getCpuTune(spec.vmUuid);
  if (matches(before, w)) {
    return { message: 'already there', alreadyThere: true, observed: pick(before, w) };
  }
  await ctx.hv.setCpuTune(spec.vmUuid, w);
  const after = await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => {
      const t = await ctx.hv.getCpuTune(spec.vmUuid);
      return matches(t, w) ? t : undefined;
    },
    () => `cpu tune did not read back as ${JSON.stringify(w)}`,
  );
  return { message: `cpu tune ${describe(after, w)}`, alreadyThere: false, observed: pick(after, w) };
};
