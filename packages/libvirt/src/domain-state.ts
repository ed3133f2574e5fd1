import type { VmState } from '@ballast/domain';

const STATES: readonly VmState[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

/** virDomainState number → the model's VmState ('nostate' for unknown values). */
export function toVmState(state: number | undefined): VmState {
  return (state !== undefined && STATES[state]) || 'nostate';
}

const EVENTS = ['defined', 'undefined', 'started', 'suspended', 'resumed', 'stopped', 'shutdown', 'pmsuspended', 'crashed'] as const;

export type LifecycleEventName = (typeof EVENTS)[number] | 'unknown';

/** virDomainEventType number → name ('started', 'stopped', ...). */
export function lifecycleEventName(event: number): LifecycleEventName {
  return EVENTS[event] ?? 'unknown';
}
