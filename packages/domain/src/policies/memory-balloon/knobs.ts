import type { GroupArgs, HostKnobs, MemoryBalloonArgs, VmKnobs } from './args.js';

/**
 * The knobs that apply to one VM: defaults, then every matching group in order (later wins). Its labels
 * are the domain's own (<metadata>, VmConfig.labels) overridden by the policy document's (by UUID, then name).
 */
export function knobsFor(
  args: MemoryBalloonArgs,
  vm: { uuid: string; name: string; config?: { labels: Record<string, string> } },
): { knobs: VmKnobs; groups: string[] } {
  const labels = { ...(vm.config?.labels ?? {}), ...(args.labels[vm.uuid] ?? {}), ...(args.labels[vm.name] ?? {}) };
  const knobs: VmKnobs = { ...args.defaults };
  const groups: string[] = [];
  args.groups.forEach((g, i) => {
    if (!matches(g, vm, labels)) return;
    groups.push(g.name ?? `groups[${i}]`);
    const { name: _n, match: _m, ...over } = g;
    for (const [k, v] of Object.entries(over)) if (v !== undefined) (knobs as unknown as Record<string, unknown>)[k] = v;
  });
  return { knobs, groups };
}

function matches(g: GroupArgs, vm: { uuid: string; name: string }, labels: Record<string, string>): boolean {
  const { names, labels: want } = g.match;
  if (names === undefined && want === undefined) return false;
  if (names !== undefined && !names.includes(vm.name) && !names.includes(vm.uuid)) return false;
  if (want !== undefined) for (const [k, v] of Object.entries(want)) if (labels[k] !== v) return false;
  return true;
}

export function hostKnobsFor(args: MemoryBalloonArgs, hostId: string): HostKnobs {
  const over = args.hosts[hostId] ?? {};
  const k: HostKnobs = { ...args.host };
  for (const [key, v] of Object.entries(over)) if (v !== undefined) (k as unknown as Record<string, unknown>)[key] = v;
  return k;
}
