/** Checks a raw `cluster-balance` args document (zod) and fills the defaults of args.ts; every issue names its field. */
import { z } from 'zod';
import { fieldPath } from '../args-reader.js';
import type { ArgsIssue } from '../policy.js';
import { AUTOMATIONS } from '../vm-groups.js';
import { defaultClusterBalanceArgs, type ClusterBalanceArgs } from './args.js';

const D = defaultClusterBalanceArgs();
const labels = z.record(z.string(), z.string());
const match = z.strictObject({ names: z.array(z.string().min(1)).optional(), labels: labels.optional() }).refine((m) => m.names !== undefined || m.labels !== undefined, {
  message: 'must give names or labels',
});
const automation = z.enum(AUTOMATIONS as [string, ...string[]]);
const posInt = z.number().int().min(1);

const rule = z.discriminatedUnion('kind', [
  z.strictObject({ name: z.string().optional(), kind: z.enum(['affinity', 'anti-affinity']), vms: match }),
  z.strictObject({ name: z.string().optional(), kind: z.literal('vm-host'), vms: match, hostGroup: z.string().min(1), mode: z.enum(['must', 'should', 'must-not', 'should-not']) }),
]);

const schema = z.strictObject({
  level: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], { message: 'must be 1, 2, 3, 4 or 5' }).default(D.level),
  defaults: z.strictObject({ automation: automation.default(D.defaults.automation) }).default(D.defaults),
  groups: z.array(z.strictObject({ name: z.string().optional(), match, automation: automation.optional() })).default([]),
  labels: z.record(z.string(), labels).default({}),
  hostGroups: z
    .record(z.string(), z.strictObject({ hosts: z.array(z.string().min(1)).optional(), labels: labels.optional() }).refine((g) => g.hosts !== undefined || g.labels !== undefined, { message: 'must give hosts or labels' }))
    .default({}),
  rules: z.array(rule).default([]),
  cooldown: z
    .strictObject({ minMs: z.number().int().min(0).default(D.cooldown.minMs), maxMs: z.number().int().min(0).default(D.cooldown.maxMs), windowMs: z.number().int().min(1).default(D.cooldown.windowMs) })
    .default(D.cooldown),
  limits: z.strictObject({ movesPerCycle: posInt.default(D.limits.movesPerCycle), perHost: posInt.default(D.limits.perHost), cluster: posInt.default(D.limits.cluster) }).default(D.limits),
  gate: z
    .strictObject({
      horizonSec: z.number().min(0).default(D.gate.horizonSec),
      bandwidthMiBPerSec: z.number().gt(0).default(D.gate.bandwidthMiBPerSec),
      costFactor: z.number().min(0).default(D.gate.costFactor),
      maxDirtyFraction: z.number().gt(0).max(1).default(D.gate.maxDirtyFraction),
    })
    .default(D.gate),
  host: z.strictObject({ hostFreeFloorMiB: z.number().min(0).default(D.host.hostFreeFloorMiB), cpuHeadroomPercent: z.number().min(0).max(90).default(D.host.cpuHeadroomPercent) }).default(D.host),
  memory: z.strictObject({ minUnusedMiB: z.number().min(0).default(D.memory.minUnusedMiB) }).default(D.memory),
});

/** A zod issue as args issues: an unknown key is named as the field (zod puts it at the object's path). */
function issuesOf(i: z.core.$ZodIssue): ArgsIssue[] {
  const at = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: fieldPath([...at, k]), message: 'unknown field' }));
  return [{ field: fieldPath(at), message: i.message }];
}

export function validateClusterBalanceArgs(raw: unknown): { ok: true; args: ClusterBalanceArgs } | { ok: false; issues: ArgsIssue[] } {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) return { ok: false, issues: r.error.issues.flatMap(issuesOf) };
  const args = r.data as ClusterBalanceArgs;
  const issues: ArgsIssue[] = [];
  if (args.cooldown.maxMs < args.cooldown.minMs) issues.push({ field: 'cooldown.maxMs', message: `must be ≥ cooldown.minMs (${args.cooldown.minMs})` });
  args.rules.forEach((ru, i) => {
    if (ru.kind === 'vm-host' && !args.hostGroups[ru.hostGroup]) {
      issues.push({ field: `rules.${i}.hostGroup`, message: `no host group "${ru.hostGroup}" (known: ${Object.keys(args.hostGroups).join(', ') || 'none'})` });
    }
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, args };
}
