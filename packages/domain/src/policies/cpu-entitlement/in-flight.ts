/**
 * What counts as a set-cpu-tune job in flight for this policy (its InFlightRule), and the tune each VM is
 * committed to because of one. The cycle applies the rule; the plan reads the result from snapshot.jobs,
 * so a tune in flight is not sent again.
 */
import type { InFlightRule } from '../policy.js';
import type { JobRecord } from '../../snapshot.js';
import type { CpuTune } from '../../model.js';
import type { ActionOf } from '../../jobs/index.js';
import { isUnlimitedQuota } from './tune-bounds.js';
import { samePcpus } from './tune-target.js';
import { newestInFlight } from '../newest-in-flight.js';
import { vmJobRule } from '../vm-job-rule.js';

type SetCpuTune = ActionOf<'set-cpu-tune'>;

/** The collected tune shows every field the job set (an unlimited quota in any of libvirt's spellings). */
export function tuneApplied(collected: CpuTune, a: Pick<SetCpuTune, 'shares' | 'quotaUs' | 'periodUs' | 'emulatorPcpus'>): boolean {
  if (a.shares !== undefined && collected.shares !== a.shares) return false;
  if (a.emulatorPcpus !== undefined && collected.emulatorPcpus !== undefined && !samePcpus(collected.emulatorPcpus, a.emulatorPcpus)) return false;
  if (a.periodUs !== undefined && collected.periodUs !== a.periodUs) return false;
  if (a.quotaUs === undefined) return true;
  return isUnlimitedQuota(a.quotaUs) ? isUnlimitedQuota(collected.quotaUs) : collected.quotaUs === a.quotaUs;
}

/**
 * Queued or active: in flight for up to 30 s. Done: in flight until the VM's collected cpu tune shows it,
 * for up to 70 s (the collector reads a domain's tune with its configuration, every BALLAST_CONFIG_EVERY
 * cycles: a minute at the defaults, plus an interval).
 */
export const cpuTuneInFlightRule: InFlightRule = vmJobRule('set-cpu-tune', { pendingMs: 30_000, settleMs: 70_000 }, (action, vm) =>
  vm.cpuTune !== undefined && tuneApplied(vm.cpuTune, action),
);

/** VM UUID → the action of its newest set-cpu-tune job in flight (any source). */
export function tunesInFlight(jobs: readonly JobRecord[]): Map<string, SetCpuTune> {
  return newestInFlight(jobs, 'set-cpu-tune');
}
