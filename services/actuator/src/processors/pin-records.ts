import type { PinRecord } from '@ballast/domain';
import type { ProcessorContext, VmJobSpec } from './processor-context.js';

/** What recording a job's pins adds to its result: a note for the message (empty when recorded) and what to show in `observed`. */
export interface PinRecordOutcome {
  note: string;
  observed: { pinRecord?: { by: string; atMs: number }; pinRecordError?: string };
}

/** Whom a job's pins are recorded as set by: `policy:<name>` for a policy's job, `manual` for one made by hand. */
export function pinOwner(spec: VmJobSpec): string {
  return spec.source === 'policy' ? `policy:${spec.policy ?? 'unknown'}` : 'manual';
}

/**
 * Records the pins a job applied and verified (`vcpus` now on `pcpus`) in the VM's <metadata>: the VM's
 * existing records, with those vCPUs' records replaced (by = pinOwner, at = now). Jobs of one VM run one at
 * a time, so this read-then-write sees no other job's records half written.
 *
 * A record that cannot be written does not fail the job: the pin is in place and verified, and failing would
 * only have the job retried, find the pin "already there" and still not record it. The failure is reported
 * in the job's result instead (a note in its message, `observed.pinRecordError`).
 */
export async function recordJobPins(ctx: ProcessorContext, spec: VmJobSpec, vcpus: readonly number[], pcpus: readonly number[]): Promise<PinRecordOutcome> {
  if (vcpus.length === 0) return { note: '', observed: {} };
  const by = pinOwner(spec);
  const atMs = ctx.now();
  try {
    const kept = (await ctx.hv.vmConfig(spec.vmUuid)).pins.filter((r) => !vcpus.includes(r.vcpu));
    const records: PinRecord[] = [...kept, ...vcpus.map((vcpu) => ({ vcpu, pcpus: [...pcpus], by, atMs }))];
    await ctx.hv.recordPins(spec.vmUuid, records.sort((a, b) => a.vcpu - b.vcpu));
    return { note: '', observed: { pinRecord: { by, atMs } } };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { note: `; the pin is in place but was not recorded as set by ${by}: ${why}`, observed: { pinRecordError: why } };
  }
}
