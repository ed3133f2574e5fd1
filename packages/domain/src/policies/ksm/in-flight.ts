/** What counts as a set-ksm job in flight for the ksm policy (its InFlightRule; the cycle applies it). */
import type { InFlightRule } from '../policy.js';

/**
 * Queued or active: in flight for up to 30 s (the actuator verifies within its verify timeout). Done: in flight
 * until the host's collected KSM shows every field the job set, for up to 6 s (three 2 s samples: the loop's
 * lag). A host that reports no KSM shows nothing to wait for.
 */
export const ksmInFlightRule: InFlightRule = {
  pendingMs: 30_000,
  settleMs: 6_000,
  settled(job, snapshot) {
    const a = job.action;
    if (a.type !== 'set-ksm') return true;
    const ksm = snapshot.hosts.find((h) => h.hostId === job.hostId)?.ksm;
    if (!ksm) return true;
    return (
      (a.run === undefined || ksm.run === undefined || a.run === ksm.run) &&
      (a.pagesToScan === undefined || a.pagesToScan === ksm.pagesToScan) &&
      (a.sleepMillisecs === undefined || a.sleepMillisecs === ksm.sleepMillisecs)
    );
  },
};
