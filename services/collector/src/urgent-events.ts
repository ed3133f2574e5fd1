import type { HypervisorEvent } from '@ballast/domain';

/**
 * Lifecycle events after which the collector reports at once instead of at its next interval: a VM that
 * crashed (a guest panic seen by the pvpanic device; libvirt's VIR_DOMAIN_EVENT_CRASHED), stopped or
 * started. The engine then shows the new state and its policies stop (or resume) acting on the VM without
 * waiting out an interval.
 */
const URGENT = new Set(['crashed', 'stopped', 'started']);

export function isUrgentEvent(ev: HypervisorEvent): boolean {
  return ev.kind === 'lifecycle' && URGENT.has(ev.event);
}

/** A guest crash: libvirt's crashed lifecycle event. */
export function isCrashEvent(ev: HypervisorEvent): boolean {
  return ev.kind === 'lifecycle' && ev.event === 'crashed';
}
