/**
 * `ballast policy replay -f <doc.json|yaml> [--since 60m | --from <time> [--to <time>]] [--host h …]`: what a
 * candidate policy document would have decided over the recorded samples (POST /v1/policies/replay;
 * docs/replay.md). Prints the metrics and the first jobs; `-o json` the API's answer.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { intFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import { ApiClient } from '../api/api-client.js';
import type { ApiCommandDef } from '../api/api-command.js';
import { EXIT } from '../api/exit-codes.js';
import { renderTable } from '../api/output.js';

export interface ReplayJson {
  fromMs: number;
  toMs: number;
  cycleMs: number;
  truncated: boolean;
  model: string;
  metrics: {
    cycles: number;
    samples: number;
    hosts: number;
    vms: number;
    jobs: { total: number; targets: number; byType: Record<string, number>; byPolicy: Record<string, number> };
    decisions: { total: number; byKind: Record<string, number>; byPolicy: Record<string, number> };
    memory: { setMemoryJobs: number; growMiB: number; shrinkMiB: number; netMiB: number };
    cluster: { imbalanceFirst: number; imbalanceLast: number; imbalanceMax: number; predictedImbalanceLast: number | null } | null;
  };
  jobs: { at: string; policy: string; type: string; hostId: string; vm: string | null; description: string }[];
}

/** A replay waits for the engine this long (the engine stops a replay after 120 s). */
const REPLAY_TIMEOUT_MS = 150_000;
const UNITS: Record<string, number> = { s: 1 / 60, m: 1, h: 60, d: 24 * 60 };

/** `90m`, `2h`, `1d`, `120s`, or a bare number of minutes → minutes (at least 1). */
export function sinceMinutes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(raw.trim());
  const minutes = m ? Number(m[1]) * (UNITS[m[2] || 'm'] as number) : NaN;
  if (!(minutes >= 1)) throw new CliError(`--since must be a duration of at least 1 minute such as 30m, 2h or 1d, got '${raw}'`);
  return minutes;
}

function timeFlag(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(String(raw)) ? Number(raw) : Date.parse(String(raw));
  if (!Number.isFinite(ms)) throw new CliError(`--${name} must be a time (ISO 8601, or ms since the epoch), got '${String(raw)}'`);
  return ms;
}

/** The candidate document from a JSON or YAML file. */
export function readDocument(file: string, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): unknown {
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    throw new CliError(`-f ${file}: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new CliError(`-f ${file}: not JSON or YAML (${(e as Error).message})`);
  }
}

const counts = (title: string, m: Record<string, number>) =>
  renderTable([title, 'COUNT'], Object.entries(m).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => [k, n]));

/** The summary, the counts and the first jobs, as text. */
export function replayText(r: ReplayJson, jobsShown = 20): string {
  const m = r.metrics;
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines = [
    `replayed ${iso(r.fromMs)} → ${iso(r.toMs)}: ${m.cycles} cycles of ${r.cycleMs} ms over ${m.samples} reports (${m.hosts} hosts, ${m.vms} VMs)${r.truncated ? ' — TRUNCATED (cycle or time bound)' : ''}`,
    `model: ${r.model}`,
    '',
    `jobs it would have made: ${m.jobs.total} (for ${m.jobs.targets} distinct targets)`,
  ];
  if (m.jobs.total > 0) lines.push(counts('POLICY', m.jobs.byPolicy), counts('JOB TYPE', m.jobs.byType));
  lines.push('', `decisions: ${m.decisions.total}`);
  if (m.decisions.total > 0) lines.push(counts('DECISION KIND', m.decisions.byKind));
  if (m.memory.setMemoryJobs > 0) {
    lines.push('', `memory: ${m.memory.setMemoryJobs} set-memory jobs proposing +${m.memory.growMiB} MiB grown, -${m.memory.shrinkMiB} MiB released (net ${m.memory.netMiB >= 0 ? '+' : ''}${m.memory.netMiB} MiB)`);
  }
  if (m.cluster) {
    const c = m.cluster;
    lines.push('', `cluster imbalance (observed): first ${c.imbalanceFirst}, last ${c.imbalanceLast}, max ${c.imbalanceMax}; predicted after its last plan: ${c.predictedImbalanceLast ?? '-'}`);
  }
  if (r.jobs.length > 0) {
    lines.push('', `first ${Math.min(jobsShown, r.jobs.length)} jobs:`);
    lines.push(renderTable(['AT', 'POLICY', 'HOST', 'VM', 'JOB'], r.jobs.slice(0, jobsShown).map((j) => [j.at, j.policy, j.hostId, j.vm ?? '-', j.description])));
  }
  return lines.join('\n');
}

export const policyReplayCommand: ApiCommandDef = {
  name: 'policy replay',
  summary: 'what a candidate policy document would have decided over the recorded samples (default the last 60 minutes), touching no host',
  synopsis: '-f <doc.json|doc.yaml> [--since <60m|2h|1d> | --from <time> [--to <time>]] [--host <id> …] [--cycle-ms <ms>] [--limit <n>] [--all-decisions]',
  flags: {
    file: { type: 'string', short: 'f' },
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    host: { type: 'string', multiple: true },
    'cycle-ms': { type: 'string' },
    limit: { type: 'string' },
    'all-decisions': { type: 'boolean' },
  },
  async run(ctx) {
    const file = ctx.flags.file;
    if (typeof file !== 'string') throw new CliError('policy replay: missing -f <document file>');
    if (ctx.flags.since !== undefined && ctx.flags.from !== undefined) throw new CliError('policy replay: give --since or --from, not both');
    const fromMs = timeFlag(ctx.flags.from, 'from');
    const toMs = timeFlag(ctx.flags.to, 'to');
    const hosts = ctx.flags.host === undefined ? undefined : ([] as string[]).concat(ctx.flags.host as string | string[]);
    const cycleMs = intFlag(ctx.flags, 'cycle-ms', 100, 3_600_000);
    const limit = intFlag(ctx.flags, 'limit', 1, 1000);
    const body = {
      document: readDocument(file),
      ...(ctx.flags.since !== undefined ? { sinceMinutes: sinceMinutes(String(ctx.flags.since)) } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
      ...(hosts ? { hosts } : {}),
      ...(cycleMs !== undefined ? { cycleMs } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(ctx.flags['all-decisions'] ? { allDecisions: true } : {}),
    };
    const client = new ApiClient(ctx.client.config, { timeoutMs: REPLAY_TIMEOUT_MS, ...(ctx.io.fetch ? { fetch: ctx.io.fetch } : {}) });
    const r = await client.post<ReplayJson>('/v1/policies/replay', body);
    ctx.print(r, () => replayText(r));
    return EXIT.ok;
  },
};
