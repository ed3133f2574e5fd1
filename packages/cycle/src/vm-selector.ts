/**
 * A policy entry's `selector`: which VMs the policy acts on, by their labels (the domain's <metadata>
 * labels, VmConfig.labels). The policy still plans from every VM (host load, memory and balance stay
 * whole); the cycle keeps only its jobs and decisions about selected VMs, and those about no VM. `{"matchLabels": {"tier": "gold"}}` selects the VMs carrying every listed
 * label with that value; no selector (or an empty one) selects every VM. A VM whose configuration the
 * collector has not read yet carries no labels, so a selector with labels does not select it.
 */
export interface VmSelector {
  matchLabels?: Record<string, string>;
}

const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?$/;

/** Every problem of a raw selector, as `<field>: <message>` lines under `prefix` (e.g. `policies.ksm.selector`). */
export function selectorIssues(raw: unknown, prefix: string): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [`${prefix}: must be an object such as {"matchLabels": {"tier": "gold"}}`];
  const issues: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'matchLabels') {
      issues.push(`${prefix}.${k}: unknown field (known: matchLabels)`);
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      issues.push(`${prefix}.matchLabels: must be an object of label → value`);
      continue;
    }
    for (const [label, value] of Object.entries(v)) {
      if (!LABEL_KEY.test(label)) issues.push(`${prefix}.matchLabels.${label}: not a label name (letters, digits, . _ / -; at most 128)`);
      if (typeof value !== 'string') issues.push(`${prefix}.matchLabels.${label}: must be a string`);
    }
  }
  return issues;
}

/** True when the VM carries every label of the selector (always, without a selector). */
export function selects(selector: VmSelector | undefined, vm: { config?: { labels: Record<string, string> } }): boolean {
  const want = selector?.matchLabels;
  if (want === undefined) return true;
  const labels = vm.config?.labels ?? {};
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}
