/** `ballast placement --vcpus N --memory-mib M [--label k=v …]`: every host ranked for a new VM. */
import { intFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import type { ApiCommandDef } from '../api/api-command.js';
import type { PlacementJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { renderTable } from '../api/output.js';

/** `--label rack=a --label zone=1` → {rack: 'a', zone: '1'}. */
export function labelFlags(raw: string | boolean | string[] | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [String(raw)];
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new CliError(`--label must be key=value, got '${item}'`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

function percentFlag(flags: Record<string, unknown>, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw.trim())) throw new CliError(`--${name} must be a number ≥ 0, got '${String(raw)}'`);
  return Number(raw);
}

export function placementRows(p: PlacementJson): string {
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x * 1000) / 10}`);
  const table = renderTable(
    ['RANK', 'HOST', 'FITS', 'IMBALANCE AFTER', 'CPU LOAD% AFTER', 'MEM LOAD% AFTER', 'REASON'],
    p.hosts.map((h) => [h.rank, h.hostId, h.fits, h.imbalanceAfter === undefined ? '-' : h.imbalanceAfter.toFixed(3), pct(h.cpuLoadAfter), pct(h.memoryLoadAfter), h.reason]),
  );
  return `imbalance now: ${p.imbalance.toFixed(3)}\n${table}`;
}

export const placementCommand: ApiCommandDef = {
  name: 'placement',
  summary: 'rank every host for a new VM of this size (fit, rules, the imbalance it would leave)',
  synopsis: '--vcpus <n> --memory-mib <MiB> [--label <key=value> …] [--name <vm>] [--cpu-percent <p>] [--cpu-reserved-percent <p>]',
  flags: {
    vcpus: { type: 'string' },
    'memory-mib': { type: 'string' },
    label: { type: 'string', multiple: true },
    name: { type: 'string' },
    'cpu-percent': { type: 'string' },
    'cpu-reserved-percent': { type: 'string' },
  },
  async run(ctx) {
    const vcpus = intFlag(ctx.flags, 'vcpus', 1, 1024);
    const memoryMiB = intFlag(ctx.flags, 'memory-mib', 1, 1 << 30);
    if (vcpus === undefined) throw new CliError('placement: missing --vcpus');
    if (memoryMiB === undefined) throw new CliError('placement: missing --memory-mib');
    const labels = labelFlags(ctx.flags.label);
    const cpuPercent = percentFlag(ctx.flags, 'cpu-percent');
    const cpuReservedPercent = percentFlag(ctx.flags, 'cpu-reserved-percent');
    const name = ctx.flags.name as string | undefined;
    const body = await ctx.client.post<PlacementJson>('/v1/placements', {
      vcpus,
      memoryMiB,
      ...(labels ? { labels } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(cpuPercent !== undefined ? { cpuPercent } : {}),
      ...(cpuReservedPercent !== undefined ? { cpuReservedPercent } : {}),
    });
    ctx.print(body, () => placementRows(body));
    return EXIT.ok;
  },
};
