// Which hosts a replica's policies plan on and act for: its own (host leases), every host for the cluster-wide
// policies and the per-host policies whose signals those read.
import type { ClusterSnapshot, Policy } from '@ballast/domain';

/** The snapshot of every host, that of the owned ones, and the policies planned on every host. */
export interface PlanViews {
  full: ClusterSnapshot;
  own: ClusterSnapshot;
  everyHost: ReadonlySet<string>;
  /**
   * With signals shared by the other replicas (shared-signals.ts): the hosts owned here and those no shared part
   * covers, where the per-host policies of `everyHost` are planned instead of every host; and what merges the
   * covered hosts' parts into the signals a policy just published (its declared ones).
   */
  shared?: { view: ClusterSnapshot; merge(signals: Record<string, unknown>, published: readonly string[]): Record<string, unknown> };
}

/**
 * The policies (of those running, in run order) to plan on every host: the cluster-wide ones (`wide`), and back
 * from them every policy publishing a signal one of those reads (undeclared publishes: maybe; undeclared reads:
 * every signal).
 */
export function everyHostPolicies(running: readonly Pick<Policy<unknown>, 'name' | 'reads' | 'publishes'>[], wide: ReadonlySet<string> | undefined): Set<string> {
  const every = new Set(running.filter((p) => wide?.has(p.name)).map((p) => p.name));
  if (every.size === 0) return every;
  const read = new Set<string>();
  let readsAll = false;
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of running) {
      if (!every.has(p.name)) {
        if (!readsAll && p.publishes !== undefined && !p.publishes.some((sig) => read.has(sig.name))) continue;
        every.add(p.name);
        grew = true;
      }
      if (p.reads === undefined) {
        grew ||= !readsAll;
        readsAll = true;
      } else {
        for (const sig of p.reads) {
          if (read.has(sig.name)) continue;
          read.add(sig.name);
          grew = true;
        }
      }
    }
  }
  return every;
}

/** The hosts an engine replica decides for (its host leases), and the policies that act beyond them. */
export interface OwnedHosts {
  hosts: ReadonlySet<string>;
  /** Policies whose jobs and decisions are kept whatever host they name (cluster-wide ones, on the cluster lease holder). */
  except?: ReadonlySet<string>;
}

/** Whether a job or decision is about an owned host (its own hostId, or its VM's host); one about no host is kept. */
export function ownedBy(hosts: ReadonlySet<string>, hostOf: ReadonlyMap<string, string>): (x: { vmUuid?: string; hostId?: string }) => boolean {
  return (x) => {
    const h = x.hostId ?? (x.vmUuid !== undefined ? hostOf.get(x.vmUuid) : undefined);
    return h === undefined || hosts.has(h);
  };
}
