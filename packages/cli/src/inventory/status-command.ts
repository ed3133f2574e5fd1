/** `ballast status`: the engine's health and the cluster in a few lines; exit 1 when the engine is unhealthy. */
import type { ApiCommandDef } from '../api/api-command.js';
import type { HostJson, RecommendationJson, VmJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { renderRecord } from '../api/output.js';

export interface StatusSummary {
  engine: { url: string; healthy: boolean; details: Record<string, unknown>; error?: string };
  hosts: { total: number; stale: string[]; maintenance: string[] };
  vms: { total: number; byState: Record<string, number> };
  recommendations: { pending: number };
}

export function summarize(
  url: string,
  health: { status: number; body: unknown },
  hosts: HostJson[],
  vms: VmJson[],
  pending: RecommendationJson[],
): StatusSummary {
  const h = (health.body ?? {}) as { ok?: unknown; details?: Record<string, unknown>; error?: unknown };
  const byState: Record<string, number> = {};
  for (const v of vms) byState[v.state] = (byState[v.state] ?? 0) + 1;
  return {
    engine: {
      url,
      healthy: health.status === 200 && h.ok === true,
      details: h.details ?? {},
      ...(typeof h.error === 'string' ? { error: h.error } : health.status !== 200 && h.ok === undefined ? { error: `GET /healthz answered ${health.status}` } : {}),
    },
    hosts: { total: hosts.length, stale: hosts.filter((x) => x.stale).map((x) => x.hostId), maintenance: hosts.filter((x) => x.maintenance).map((x) => x.hostId) },
    vms: { total: vms.length, byState },
    recommendations: { pending: pending.length },
  };
}

export function statusText(s: StatusSummary): string {
  const details = Object.entries(s.engine.details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const list = (names: string[]) => (names.length === 0 ? '0' : `${names.length} (${names.join(', ')})`);
  const states = Object.entries(s.vms.byState).map(([k, n]) => `${n} ${k}`);
  return renderRecord([
    ['engine', `${s.engine.url} ${s.engine.healthy ? 'healthy' : 'UNHEALTHY'}${s.engine.error ? `: ${s.engine.error}` : ''}${details.length ? ` (${details.join(', ')})` : ''}`],
    ['hosts', s.hosts.total],
    ['stale hosts', list(s.hosts.stale)],
    ['in maintenance', list(s.hosts.maintenance)],
    ['vms', `${s.vms.total}${states.length ? ` (${states.join(', ')})` : ''}`],
    ['pending recommendations', s.recommendations.pending],
  ]);
}

export const statusCommand: ApiCommandDef = {
  name: 'status',
  summary: "the engine's health, hosts (stale, in maintenance), VMs and pending recommendations; exit 1 when unhealthy",
  synopsis: '',
  async run(ctx) {
    const c = ctx.client;
    const [health, hosts, vms, recs] = await Promise.all([
      c.raw('/healthz'),
      c.get<{ hosts: HostJson[] }>('/v1/hosts'),
      c.get<{ vms: VmJson[] }>('/v1/vms'),
      c.get<{ recommendations: RecommendationJson[] }>('/v1/recommendations', { state: 'pending' }),
    ]);
    const s = summarize(c.config.apiUrl, health, hosts.hosts, vms.vms, recs.recommendations);
    ctx.print(s, () => statusText(s));
    return s.engine.healthy ? EXIT.ok : EXIT.failed;
  },
};
