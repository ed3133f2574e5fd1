import type { ClusterState } from '@ballast/cycle';
import { defineRoute, type Route } from '../http/route-table.js';
import type { HostLeases } from './host-leases.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** GET /v1/engines: the engine replicas alive and the hosts each decides for (docs/replicas.md). Viewer. */
export function engineRoutes(d: { state: ClusterState; leases: HostLeases }): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/engines', operationId: 'listEngines', tag: 'cluster', summary: 'The engine replicas alive, and the hosts each decides for',
      responses: { 200: '`{engines: [{id, url, lastBeat, hostsOwned, hosts, cycleOffsetMs, self}], undecided: [hostId]}`' },
      handle: async (_i, res) => {
        const hosts = d.state.hosts().map((h) => h.hostId);
        const [engines, owners] = await Promise.all([d.leases.engines(), d.leases.owners(hosts)]);
        const byEngine = new Map<string, string[]>();
        for (const [h, id] of owners) byEngine.set(id, [...(byEngine.get(id) ?? []), h]);
        res.json({
          engines: engines.map((e) => ({ id: e.id, url: e.url ?? null, lastBeat: iso(e.lastBeatMs), hostsOwned: e.hostsOwned, hosts: (byEngine.get(e.id) ?? []).sort(), cycleOffsetMs: e.cycleOffsetMs ?? null, self: e.id === d.leases.replicaId })),
          undecided: hosts.filter((h) => !owners.has(h)),
        });
      },
    }),
  ];
}
