import type { ActionOf, JobTypeName } from '../jobs/index.js';
import type { JobRecord } from '../snapshot.js';

/** VM UUID → the action of its newest job of `type` in flight (any source), from snapshot.jobs. */
export function newestInFlight<T extends JobTypeName>(jobs: readonly JobRecord[], type: T): Map<string, ActionOf<T>> {
  const out = new Map<string, { atMs: number; action: ActionOf<T> }>();
  for (const j of jobs) {
    if (!j.inFlight || j.action.type !== type || j.vmUuid === undefined) continue;
    const cur = out.get(j.vmUuid);
    if (!cur || j.enqueuedAtMs >= cur.atMs) out.set(j.vmUuid, { atMs: j.enqueuedAtMs, action: j.action as ActionOf<T> });
  }
  return new Map([...out].map(([uuid, v]) => [uuid, v.action]));
}
