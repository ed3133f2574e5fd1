/**
 * Groups of VMs in a policy document, shared by the policies: a group matches VMs by name/UUID and by
 * labels (the domain's <metadata> labels, VmConfig.labels, overridden by the document's `labels`) and
 * overrides some per-VM knobs; groups apply in document order, a later match overriding an earlier one.
 * Per-host knobs take overrides per host id the same way.
 */
import type { ArgsIssue } from '../policy.js';
import { isRecord, Reader, type Rec } from './args-reader.js';

/** Per VM: 'off' (unmanaged), 'recommend' (decisions only), 'auto' (decisions and jobs). */
export type Automation = 'off' | 'recommend' | 'auto';

export const AUTOMATIONS: readonly Automation[] = ['off', 'recommend', 'auto'];

export interface GroupMatch {
  /** VM names or UUIDs. */
  names?: string[];
  /** Labels the VM must all carry (its domain <metadata> labels, overridden by the document's `labels`). */
  labels?: Record<string, string>;
}

/** A group: overrides of some per-VM knobs `K` for the VMs it matches. */
export type VmGroup<K> = Partial<K> & {
  /** For messages only. */
  name?: string;
  match: GroupMatch;
};

/** What every policy document with groups holds: per-VM defaults and groups, labels, host knobs with per-host overrides, control knobs. */
export interface GroupedArgs<V, H, C> {
  defaults: V;
  groups: VmGroup<V>[];
  /** VM name or UUID → its labels. */
  labels: Record<string, Record<string, string>>;
  host: H;
  /** Host id → overrides of `host`. */
  hosts: Record<string, Partial<H>>;
  control: C;
}

/** Fresh args of that shape holding copies of the defaults (callers may change them). */
export function groupedDefaults<V extends object, H extends object, C extends object>(defaults: V, host: H, control: C): GroupedArgs<V, H, C> {
  return { defaults: { ...defaults }, groups: [], labels: {}, host: { ...host }, hosts: {}, control: { ...control } };
}

/** What a group needs to know of a VM. */
export interface GroupedVm {
  uuid: string;
  name: string;
  config?: { labels: Record<string, string> };
}

/** The VM's labels: its domain's own, overridden by the document's (by UUID, then by name). */
export function labelsOf(docLabels: Readonly<Record<string, Record<string, string>>>, vm: GroupedVm): Record<string, string> {
  return { ...(vm.config?.labels ?? {}), ...(docLabels[vm.uuid] ?? {}), ...(docLabels[vm.name] ?? {}) };
}

/** Whether every criterion of the match holds (a match with none matches nothing). */
export function groupMatches(match: GroupMatch, vm: { uuid: string; name: string }, labels: Record<string, string>): boolean {
  const { names, labels: want } = match;
  if (names === undefined && want === undefined) return false;
  if (names !== undefined && !names.includes(vm.name) && !names.includes(vm.uuid)) return false;
  if (want !== undefined) for (const [k, v] of Object.entries(want)) if (labels[k] !== v) return false;
  return true;
}

/** `base` with every defined field of `over` set on it. */
export function withOverrides<K extends object>(base: K, over: Partial<K> | undefined): K {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The knobs that apply to one VM: the defaults, then every matching group in order (later wins); and those groups' names. */
export function knobsForVm<K extends object>(
  defaults: K,
  groups: readonly VmGroup<K>[],
  docLabels: Readonly<Record<string, Record<string, string>>>,
  vm: GroupedVm,
): { knobs: K; groups: string[] } {
  if (groups.length === 0) return { knobs: { ...defaults }, groups: [] };
  const labels = labelsOf(docLabels, vm);
  let knobs: K = { ...defaults };
  const names: string[] = [];
  groups.forEach((g, i) => {
    if (!groupMatches(g.match, vm, labels)) return;
    names.push(g.name ?? `groups[${i}]`);
    const { name: _n, match: _m, ...over } = g;
    knobs = withOverrides(knobs, over as Partial<K>);
  });
  return { knobs, groups: names };
}

/** Reads `groups` of a document: each with `name`, `match` and the knobs `readKnobs` reads; `check` sees each group read. */
export function readGroups<K>(
  top: Reader,
  doc: Rec,
  knobKeys: readonly string[],
  readKnobs: (r: Reader, raw: Rec) => Partial<K>,
  check?: (group: VmGroup<K>, path: string) => void,
): VmGroup<K>[] {
  const groups: VmGroup<K>[] = [];
  const raw = doc['groups'];
  if (raw === undefined) return groups;
  if (!Array.isArray(raw)) {
    top.issues.push({ field: top.field('groups'), message: 'must be an array' });
    return groups;
  }
  raw.forEach((g: unknown, i) => {
    const path = top.field(`groups[${i}]`);
    const group = readGroup(g, path, top.issues, knobKeys, readKnobs);
    if (!group) return;
    groups.push(group);
    check?.(group, path);
  });
  return groups;
}

function readGroup<K>(raw: unknown, path: string, issues: ArgsIssue[], knobKeys: readonly string[], readKnobs: (r: Reader, raw: Rec) => Partial<K>): VmGroup<K> | undefined {
  if (!isRecord(raw)) {
    issues.push({ field: path, message: 'must be an object' });
    return undefined;
  }
  const r = new Reader(issues, raw, path);
  r.only(['name', 'match', ...knobKeys]);
  const g = { match: {}, ...readKnobs(r, raw) } as VmGroup<K>;
  if (raw['name'] !== undefined) {
    if (typeof raw['name'] === 'string') g.name = raw['name'];
    else issues.push({ field: `${path}.name`, message: 'must be a string' });
  }
  const m = r.sub('match');
  if (!m) {
    if (!r.has('match')) issues.push({ field: `${path}.match`, message: 'required: { names?: string[], labels?: {key: value} }' });
    return g;
  }
  m.only(['names', 'labels']);
  const names = (raw['match'] as Rec)['names'];
  if (names !== undefined) {
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) g.match.names = names as string[];
    else issues.push({ field: `${path}.match.names`, message: 'must be an array of strings' });
  }
  const labels = m.stringRecord('labels');
  if (labels) g.match.labels = labels;
  if (g.match.names === undefined && g.match.labels === undefined) {
    issues.push({ field: `${path}.match`, message: 'needs names or labels (a group matching every VM belongs in defaults)' });
  }
  return g;
}

/** Reads the document's `labels`: VM name or UUID → its labels. */
export function readDocLabels(top: Reader, doc: Rec): Record<string, Record<string, string>> {
  const labels: Record<string, Record<string, string>> = {};
  const lr = top.sub('labels');
  if (!lr) return labels;
  for (const vm of Object.keys(doc['labels'] as Rec)) {
    const l = lr.stringRecord(vm);
    if (l) labels[vm] = l;
  }
  return labels;
}

/** Reads `hosts`: host id → the overrides `read` reads from its object. */
export function readPerHost<H>(top: Reader, doc: Rec, read: (r: Reader) => Partial<H>): Record<string, Partial<H>> {
  const hosts: Record<string, Partial<H>> = {};
  const hsr = top.sub('hosts');
  if (!hsr) return hosts;
  for (const id of Object.keys(doc['hosts'] as Rec)) {
    const r = hsr.sub(id);
    if (r) hosts[id] = read(r);
  }
  return hosts;
}

/** The top-level keys of a document with groups (GroupedArgs). */
export const GROUPED_KEYS = ['defaults', 'groups', 'labels', 'host', 'hosts', 'control'] as const;

/** How one policy reads the knobs of a GroupedArgs document. */
export interface GroupedSpec<V, H, C> {
  vmKeys: readonly string[];
  defaults: V;
  host: H;
  control: C;
  readVm(r: Reader, raw: Rec): Partial<V>;
  readHost(r: Reader): Partial<H>;
  /** The control knobs, the defaults filled in. */
  readControl(r: Reader): C;
  /** Checks that hold between the merged knobs of the defaults and of each group (path: 'defaults', 'groups[i]'). */
  checkVm?(knobs: V, path: string, issues: ArgsIssue[]): void;
}

/** Reads defaults, groups, labels, host, hosts and control of an opened document (openDocument), every issue into top.issues. */
export function readGroupedArgs<V extends object, H extends object, C extends object>(top: Reader, doc: Rec, spec: GroupedSpec<V, H, C>): GroupedArgs<V, H, C> {
  const dr = top.sub('defaults');
  dr?.only(spec.vmKeys);
  const defaults: V = { ...spec.defaults, ...(dr ? spec.readVm(dr, doc['defaults'] as Rec) : {}) };
  spec.checkVm?.(defaults, 'defaults', top.issues);
  const groups = readGroups<V>(top, doc, spec.vmKeys, spec.readVm, (group, path) => {
    const { name: _n, match: _m, ...over } = group;
    spec.checkVm?.({ ...defaults, ...over }, path, top.issues);
  });
  const labels = readDocLabels(top, doc);
  const hr = top.sub('host');
  const host: H = { ...spec.host, ...(hr ? spec.readHost(hr) : {}) };
  const hosts = readPerHost<H>(top, doc, spec.readHost);
  const cr = top.sub('control');
  const control = cr ? spec.readControl(cr) : { ...spec.control };
  return { defaults, groups, labels, host, hosts, control };
}
