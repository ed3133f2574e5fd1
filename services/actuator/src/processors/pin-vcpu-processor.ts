import type { JobAction } from '@ballast/domain';
import { PermanentJobError, readVm, waitFor, type Processor } from './processor-context.js';
import { recordJobPins } from './pin-records.js';
import { sameSet } from './same-set.js';

type PinVcpu = Extract<JobAction, { type: 'pin-vcpu' }>;

/** Pins one vCPU to a set of pCPUs; verifies the affinity reads back, then records who pinned it (pin-records.ts). */
export const pinVcpuProcessor: Processor<PinVcpu> = async (ctx, spec, action) => {
  const vm = await readVm(ctx, spec.vmUuid, false);
  const host = await ctx.hv.hostInfo();
  if (action.vcpu >= Math.max(vm.vcpus.length, 1)) {
    throw new PermanentJobError(`vcpu ${action.vcpu} does not exist: ${spec.vmName} has ${vm.vcpus.length} vCPU(s)`);
  }
  const bad = action.pcpus.filter((p) => p >= host.pcpus);
  if (bad.length > 0) {
    throw new PermanentJobError(`pcpus ${bad.join(',')} do not exist: the host has ${host.pcpus} pCPU(s) (0-${host.pcpus - 1})`);
  }
  const before = (await ctx.hv.getVcpuPinning(spec.vmUuid))[action.vcpu] ?? [];
  if (sameSet(before, action.pcpus)) {
    return { message: `already there: vCPU ${action.vcpu} on pCPUs ${before.join(',')}`, alreadyThere: true, observed: { pcpus: before } };
  }
  await ctx.hv.pinVcpu(spec.vmUuid, action.vcpu, action.pcpus);
  const after = await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => {
      const p = (await ctx.hv.getVcpuPinning(spec.vmUuid))[action.vcpu] ?? [];
      return sameSet(p, action.pcpus) ? p : undefined;
    },
    () => `vCPU ${action.vcpu} affinity did not become ${action.pcpus.join(',')}`,
  );
  const record = await recordJobPins(ctx, spec, [action.vcpu], after);
  return {
    message: `vCPU ${action.vcpu} pinned to pCPUs ${after.join(',')}${record.note}`,
    alreadyThere: false,
    observed: { pcpus: after, previous: before, ...record.observed },
  };
};
