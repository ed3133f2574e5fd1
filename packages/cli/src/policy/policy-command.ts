/** `ballast decisions [--vm v] [--kind k] [--latest] [--limit n]`, and the policy table of `ballast policy get` (policy-doc-command.ts). */
import { intFlag } from '../args.js';
import type { ApiCommandDef } from '../api/api-command.js';
import type { DecisionJson, PolicyJson, VmJson } from '../api/api-types.js';
import { EXIT } from '../api/exit-codes.js';
import { age, renderTable } from '../api/output.js';

function jobsText(d: DecisionJson): string {
  return (d.jobs ?? []).map((j) => (j.id ? `${j.description} [${j.state ?? 'queued'}${j.error ? `: ${j.error}` : ''}] ${j.id}` : `${j.description} [${j.skipped ? `skipped: ${j.skipped}` : 'not sent'}]`)).join('; ');
}

/** Decisions with the VM's name where the engine still reports it (decisions carry the UUID). */
export function decisionRows(decisions: DecisionJson[], vmNames: Map<string, string>, nowMs = Date.now()): string {
  return renderTable(
    ['AGE', 'POLICY', 'KIND', 'TARGET', 'REASON', 'JOBS'],
    decisions.map((d) => [
      age(d.at, nowMs),
      d.policy,
      d.kind,
      d.vmUuid !== undefined ? (vmNames.get(d.vmUuid) ?? d.vmUuid) : d.hostId !== undefined ? `host ${d.hostId}` : '-',
      d.reason,
      jobsText(d),
    ]),
  );
}

export const decisionsCommand: ApiCommandDef = {
  name: 'decisions',
  summary: "what the policies decided and why, newest first (--latest: each VM's newest per policy; default limit 100)",
  synopsis: '[--vm <vm>] [--kind <kind>] [--latest] [--limit <n>]',
  flags: { vm: { type: 'string' }, kind: { type: 'string' }, latest: { type: 'boolean' }, limit: { type: 'string' } },
  async run(ctx) {
    const limit = intFlag(ctx.flags, 'limit', 1, 10000);
    const query = {
      vm: ctx.flags.vm as string | undefined,
      kind: ctx.flags.kind as string | undefined,
      latest: ctx.flags.latest ? 'true' : undefined,
      limit: limit !== undefined ? String(limit) : undefined,
    };
    const body = await ctx.client.get<{ decisions: DecisionJson[] }>('/v1/decisions', query);
    if (ctx.format === 'json') {
      ctx.print(body, () => '');
      return EXIT.ok;
    }
    const vms = await ctx.client.get<{ vms: VmJson[] }>('/v1/vms');
    ctx.print(body, () => decisionRows(body.decisions, new Map(vms.vms.map((v) => [v.uuid, v.name]))));
    return EXIT.ok;
  },
};

const ARGS_WIDTH = 100;

/** One row per policy; its args as JSON, cut at ARGS_WIDTH characters (`-o json` has them whole). */
export function policyRows(policies: PolicyJson[]): string {
  const args = (a: unknown) => {
    if (a === undefined || a === null || (typeof a === 'object' && Object.keys(a).length === 0)) return '-';
    const text = JSON.stringify(a);
    return text.length > ARGS_WIDTH ? `${text.slice(0, ARGS_WIDTH - 1)}…` : text;
  };
  return renderTable(['POLICY', 'AUTOMATION', 'ARGS'], policies.map((p) => [p.name, p.automation, args(p.args)]));
}
