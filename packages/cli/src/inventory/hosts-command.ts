/** `ballast hosts`, `ballast vms [--host h]`, `ballast maintenance <host> on|off [--reason …]`. */
import { CliError } from '../cli-error.js';
import { readCommand, type ApiCommandDef } from '../api/api-command.js';
import type { HostJson, VmJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { age, labelsText, renderRecord, renderTable } from '../api/output.js';

export function hostRows(hosts: HostJson[], nowMs = Date.now()): string {
  const avg = (h: HostJson) => (h.pcpus.length === 0 ? null : h.pcpus.reduce((s, p) => s + p.usagePercent, 0) / h.pcpus.length);
  return renderTable(
    ['HOST', 'VMS', 'PCPUS', 'CPU%', 'MEM FREE MiB', 'MEM TOTAL MiB', 'STALE', 'MAINTENANCE', 'LABELS', 'LAST SAMPLE'],
    hosts.map((h) => [h.hostId, h.vmCount, h.pcpuCount, avg(h), h.memoryFreeMiB, h.memoryTotalMiB, h.stale, h.maintenance, labelsText(h.labels), age(h.lastSampleAt, nowMs)]),
  );
}

export function vmRows(vms: VmJson[]): string {
  return renderTable(
    ['NAME', 'HOST', 'STATE', 'VCPUS', 'CPU%', 'MEMORY MiB', 'UNUSED MiB', 'HOLDS'],
    vms.map((v) => [v.name, v.host, v.state, v.vcpus.length, v.cpuPercent, v.balloon?.actualMiB, v.balloon?.unusedMiB, v.holds.map((h) => h.resource).join(',')]),
  );
}

export const hostsCommand = readCommand<{ hosts: HostJson[] }>({
  name: 'hosts',
  summary: 'the hosts that report to the engine: VMs, pCPU load, memory, staleness, maintenance',
  synopsis: '',
  path: () => '/v1/hosts',
  table: (body) => hostRows(body.hosts),
});

export const vmsCommand = readCommand<{ vms: VmJson[] }>({
  name: 'vms',
  summary: 'the VMs the hosts report (on one host with --host): state, CPU, balloon, holds',
  synopsis: '[--host <host>]',
  flags: { host: { type: 'string' } },
  path: () => '/v1/vms',
  query: (ctx) => ({ host: ctx.flags.host as string | undefined }),
  table: (body) => vmRows(body.vms),
});

export const maintenanceCommand: ApiCommandDef = {
  name: 'maintenance',
  summary: 'put a host in maintenance (cluster-balance evacuates it and places nothing on it) or take it out',
  synopsis: '<host> on|off [--reason <text>]',
  args: ['<host>', 'on|off'],
  flags: { reason: { type: 'string' } },
  async run(ctx) {
    const [host, mode] = ctx.positionals as [string, string];
    if (mode !== 'on' && mode !== 'off') throw new CliError(`maintenance: the second argument must be on or off, got '${mode}'`);
    const reason = ctx.flags.reason as string | undefined;
    if (reason !== undefined && mode === 'off') throw new CliError('maintenance: --reason goes with on');
    const body = await ctx.client.post<{ hostId: string; maintenance: boolean; since: string | null; reason: string | null }>(
      `/v1/hosts/${encodeURIComponent(host)}/maintenance`,
      { enabled: mode === 'on', ...(reason !== undefined ? { reason } : {}) },
    );
    ctx.print(body, () => renderRecord([['host', body.hostId], ['maintenance', body.maintenance], ['since', body.since], ['reason', body.reason]]));
    return EXIT.ok;
  },
};

interface EnginesJson {
  engines: { id: string; url: string | null; lastBeat: string; hostsOwned: number; hosts: string[]; cycleOffsetMs?: number | null; self: boolean }[];
  undecided: string[];
}

export function engineRows(body: EnginesJson, nowMs = Date.now()): string {
  const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : `+${ms}ms`);
  const rows = body.engines.map((e) => [e.self ? `${e.id} *` : e.id, e.url, e.hostsOwned, e.hosts.join(','), at(e.cycleOffsetMs), age(e.lastBeat, nowMs)]);
  if (body.undecided.length > 0) rows.push(['(nobody)', null, body.undecided.length, body.undecided.join(','), null, null]);
  return renderTable(['ENGINE', 'URL', 'HOSTS', 'HOST IDS', 'CYCLE AT', 'LAST BEAT'], rows);
}

export const enginesCommand = readCommand<EnginesJson>({
  name: 'engines',
  summary: 'the policy-engine replicas alive, the hosts each decides for (* the one asked) and where in the cycle interval each runs; hosts nobody decides for',
  synopsis: '',
  path: () => '/v1/engines',
  table: (body) => engineRows(body),
});
