/**
 * Placement rules: VM-VM affinity (the matched VMs run on one host) and anti-affinity (each on its own
 * host), and VM-host rules (the matched VMs must / should (not) run in a host group). A `must`, `must-not`,
 * affinity or anti-affinity rule is mandatory: a move never breaks one, and a VM that breaks one is moved
 * first. `should` rules only steer: a move that breaks one is not made, a VM that breaks one moves when
 * balancing does not suffer beyond the level's target.
 */
import type { GroupMatch } from '../vm-groups.js';
import type { ClusterBalanceArgs, HostGroup, Rule } from './args.js';
import type { HostModel, VmModel } from './model.js';
import type { PlacementState } from './placement-state.js';

export interface RuleBook {
  rules: { rule: Rule; name: string; members: number[] }[];
  /** VM index → indices of the rules it is a member of. */
  byVm: Map<number, number[]>;
  hostGroups: Record<string, HostGroup>;
}

export function ruleName(r: Rule, i: number): string {
  return r.name ?? `rules[${i}]`;
}

function matchesVm(m: GroupMatch, vm: Pick<VmModel, 'uuid' | 'name' | 'labels'>): boolean {
  if (m.names === undefined && m.labels === undefined) return false;
  if (m.names !== undefined && !m.names.includes(vm.name) && !m.names.includes(vm.uuid)) return false;
  if (m.labels !== undefined) for (const [k, v] of Object.entries(m.labels)) if (vm.labels[k] !== v) return false;
  return true;
}

export function inHostGroup(g: HostGroup | undefined, h: Pick<HostModel, 'id' | 'labels'>): boolean {
  if (!g) return false;
  if (g.hosts !== undefined && !g.hosts.includes(h.id)) return false;
  if (g.labels !== undefined) for (const [k, v] of Object.entries(g.labels)) if (h.labels[k] !== v) return false;
  return true;
}

export function ruleBook(args: Pick<ClusterBalanceArgs, 'rules' | 'hostGroups'>, vms: readonly VmModel[]): RuleBook {
  const byVm = new Map<number, number[]>();
  const rules = args.rules.map((rule, ri) => {
    const members: number[] = [];
    vms.forEach((v, i) => {
      if (!matchesVm(rule.vms, v)) return;
      members.push(i);
      byVm.set(i, [...(byVm.get(i) ?? []), ri]);
    });
    return { rule, name: ruleName(rule, ri), members };
  });
  return { rules, byVm, hostGroups: args.hostGroups };
}

/** Why VM `v` on host `h` would break a rule of the given strength (VM-host rules only), or undefined. */
export function hostRuleBroken(book: RuleBook, v: number, host: HostModel, strength: 'must' | 'should'): string | undefined {
  for (const ri of book.byVm.get(v) ?? []) {
    const { rule, name } = book.rules[ri] as RuleBook['rules'][number];
    if (rule.kind !== 'vm-host') continue;
    const mode = rule.mode;
    if ((strength === 'must') !== mode.startsWith('must')) continue;
    const inside = inHostGroup(book.hostGroups[rule.hostGroup], host);
    const wantInside = !mode.endsWith('-not');
    if (inside !== wantInside) return `rule ${name}: ${mode.replace('-', ' ')} run in host group ${rule.hostGroup}`;
  }
  return undefined;
}

/** Why VM `v` on host `h` (after moving there) would break a VM-VM rule, or undefined. */
export function vmRuleBroken(book: RuleBook, st: PlacementState, v: number, h: number): string | undefined {
  for (const ri of book.byVm.get(v) ?? []) {
    const { rule, name, members } = book.rules[ri] as RuleBook['rules'][number];
    if (rule.kind === 'anti-affinity') {
      const clash = members.find((o) => o !== v && st.at[o] === h);
      if (clash !== undefined) return `rule ${name}: anti-affinity with ${(st.vms[clash] as VmModel).name}`;
    } else if (rule.kind === 'affinity') {
      // it may go where the others of its group run (most of them, when they are apart)
      const home = affinityHome(st, members.filter((o) => o !== v));
      if (home !== undefined && home !== h) return `rule ${name}: affinity, its group runs on ${(st.hosts[home] as HostModel).id}`;
    }
  }
  return undefined;
}

/** What VM `v` breaks where it is now: a mandatory rule first, then a should rule; undefined when none. */
export function violation(book: RuleBook, st: PlacementState, v: number): { mandatory: boolean; why: string } | undefined {
  const h = st.at[v] as number;
  const host = st.hosts[h] as HostModel;
  if (host.maintenance) return { mandatory: true, why: `host ${host.id} is in maintenance` };
  const must = hostRuleBroken(book, v, host, 'must');
  if (must) return { mandatory: true, why: must };
  for (const ri of book.byVm.get(v) ?? []) {
    const { rule, name, members } = book.rules[ri] as RuleBook['rules'][number];
    if (rule.kind === 'anti-affinity') {
      // the later member (by index) of a clashing pair is the one that moves
      const clash = members.find((o) => o < v && st.at[o] === h);
      if (clash !== undefined) return { mandatory: true, why: `rule ${name}: anti-affinity with ${(st.vms[clash] as VmModel).name} on ${host.id}` };
    } else if (rule.kind === 'affinity') {
      const home = affinityHome(st, members);
      if (home !== undefined && home !== h) return { mandatory: true, why: `rule ${name}: affinity, its group runs on ${(st.hosts[home] as HostModel).id}` };
    }
  }
  const should = hostRuleBroken(book, v, host, 'should');
  return should ? { mandatory: false, why: should } : undefined;
}

/** The host most members of an affinity rule run on (ties: the lower index): where the others go. */
export function affinityHome(st: PlacementState, members: readonly number[]): number | undefined {
  const count = new Map<number, number>();
  for (const m of members) {
    const h = st.at[m] as number;
    if (h >= 0) count.set(h, (count.get(h) ?? 0) + 1);
  }
  let best: number | undefined;
  for (const [h, c] of count) if (best === undefined || c > (count.get(best) as number) || (c === count.get(best) && h < best)) best = h;
  return best;
}
