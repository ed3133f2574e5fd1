/**
 * Per-VM knobs of a policy document as defaults, groups and labels (the shape memory-balloon introduced and
 * the CPU policies share), and per-host knobs with per-host overrides:
 *
 *   { "defaults": {…}, "groups": [ { "name": "gold", "match": { "labels": { "tier": "gold" } }, …overrides } ],
 *     "labels": { "db1": { "tier": "gold" } }, "host": {…}, "hosts": { "h2": {…overrides} } }
 *
 * Groups apply in document order; a later matching group overrides an earlier one. A group matches a VM
 * when every given criterion holds: its name or UUID is in `names`, and it carries every label in `labels`.
 * A VM's labels are its domain's own (<metadata>, VmConfig.labels) overridden by the document's `labels`
 * (by UUID, then by name).
 */

/** 'off': the VM is left alone (unmanaged); 'recommend': decisions only; 'auto': decisions and jobs. */
export type Automation = 'off' | 'recommend' | 'auto';

export const AUTOMATIONS: readonly Automation[] = ['off', 'recommend', 'auto'];

export interface GroupMatch {
  /** VM names or UUIDs. */
  names?: string[];
  /** Labels the VM must all carry (its domain <metadata> labels, overridden by the document's `labels`). */
  labels?: Record<string, string>;
}

/** A group: which VMs it matches, and the knobs it overrides for them. */
export type VmGroup<K> = Partial<K> & {
  /** For messages only. */
  name?: string;
  match: GroupMatch;
};

export interface GroupedKnobs<K> {
  defaults: K;
  groups: VmGroup<K>[];
  /** VM name or UUID → its labels. */
  labels: Record<string, Record<string, string>>;
}

/** What matching needs of a VM. */
export interface VmIdentity {
  uuid: string;
  name: string;
  config?: { labels: Record<string, string> };
}

/** The knobs that apply to one VM: defaults, then every matching group in order (later wins); and the groups' names. */
export function knobsForVm<K extends object>(args: GroupedKnobs<K>, vm: VmIdentity): { knobs: K; groups: string[] } {
  if (args.groups.length === 0) return { knobs: { ...args.defaults }, groups: [] }; // the common case, on every VM of every cycle
  const labels = { ...(vm.config?.labels ?? {}), ...(args.labels[vm.uuid] ?? {}), ...(args.labels[vm.name] ?? {}) };
  let knobs: K = { ...args.defaults };
  const groups: string[] = [];
  args.groups.forEach((g, i) => {
    if (!matches(g.match, vm, labels)) return;
    groups.push(g.name ?? `groups[${i}]`);
    const { name: _n, match: _m, ...over } = g;
    knobs = withOverrides(knobs, over as Partial<K>);
  });
  return { knobs, groups };
}

function matches(m: GroupMatch, vm: VmIdentity, labels: Record<string, string>): boolean {
  const { names, labels: want } = m;
  if (names === undefined && want === undefined) return false;
  if (names !== undefined && !names.includes(vm.name) && !names.includes(vm.uuid)) return false;
  if (want !== undefined) for (const [k, v] of Object.entries(want)) if (labels[k] !== v) return false;
  return true;
}

/** `base` with every field `over` gives (undefined fields leave the base's). */
export function withOverrides<K extends object>(base: K, over: Partial<K> | undefined): K {
  const out: K = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
