/**
 * Validation of the shared document shape of vm-groups.ts: `defaults`, `groups` (each with `name`, `match`
 * and per-VM overrides), `labels`, `host` and `hosts`. A policy gives the reader of its own knobs; every
 * issue names its field path (e.g. `groups[1].match.labels.tier`).
 */
import type { ArgsIssue } from './policy.js';
import { ArgsReader, isRecord, openDocument, type Rec } from './args-reader.js';
import type { GroupedKnobs, VmGroup } from './vm-groups.js';

/** How a policy reads one set of its knobs (per VM, or per host). */
export interface KnobsReader<K> {
  /** Every knob's name (anything else is an unknown field). */
  keys: readonly string[];
  defaults: Readonly<K>;
  /** The knobs present in `r`, each checked on its own. */
  read(r: ArgsReader): Partial<K>;
  /** Checks between knobs once defaults and overrides are merged (`path`: where the overrides stand). */
  check?(k: K, path: string, issues: ArgsIssue[]): void;
}

/** Reads `defaults`, `groups` and `labels` of the document `top` reads. */
export function readGroupedKnobs<K extends object>(top: ArgsReader, spec: KnobsReader<K>): GroupedKnobs<K> {
  const dr = top.sub('defaults');
  if (dr) dr.only(spec.keys);
  const defaults = { ...spec.defaults, ...(dr ? spec.read(dr) : {}) } as K;
  spec.check?.(defaults, 'defaults', top.issues);

  const groups: VmGroup<K>[] = [];
  const rawGroups = top.obj['groups'];
  if (rawGroups !== undefined && !Array.isArray(rawGroups)) top.issues.push({ field: top.field('groups'), message: 'must be an array' });
  else if (Array.isArray(rawGroups)) {
    rawGroups.forEach((g: unknown, i) => {
      const path = `${top.field('groups')}[${i}]`;
      const group = readGroup(g, path, top.issues, spec);
      if (!group) return;
      groups.push(group);
      const { name: _n, match: _m, ...over } = group;
      spec.check?.({ ...defaults, ...over }, path, top.issues);
    });
  }

  const labels: Record<string, Record<string, string>> = {};
  const lr = top.sub('labels');
  if (lr) {
    for (const vm of Object.keys(lr.obj)) {
      const l = lr.stringRecord(vm);
      if (l) labels[vm] = l;
    }
  }
  return { defaults, groups, labels };
}

function readGroup<K>(raw: unknown, path: string, issues: ArgsIssue[], spec: KnobsReader<K>): VmGroup<K> | undefined {
  if (!isRecord(raw)) {
    issues.push({ field: path, message: 'must be an object' });
    return undefined;
  }
  const r = new ArgsReader(issues, raw, path);
  r.only(['name', 'match', ...spec.keys]);
  const g = { match: {}, ...spec.read(r) } as VmGroup<K>;
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

/** Reads `host` (the knobs of every host) and `hosts` (host id → overrides) of the document `top` reads. */
export function readHostKnobs<H extends object>(top: ArgsReader, spec: KnobsReader<H>): { host: H; hosts: Record<string, Partial<H>> } {
  const read = (r: ArgsReader): Partial<H> => {
    r.only(spec.keys);
    return spec.read(r);
  };
  const hr = top.sub('host');
  const host = { ...spec.defaults, ...(hr ? read(hr) : {}) } as H;
  spec.check?.(host, 'host', top.issues);
  const hosts: Record<string, Partial<H>> = {};
  const hsr = top.sub('hosts');
  if (hsr) {
    for (const id of Object.keys(hsr.obj)) {
      const r = hsr.sub(id);
      if (!r) continue;
      hosts[id] = read(r);
      spec.check?.({ ...host, ...hosts[id] }, hsr.field(id), top.issues);
    }
  }
  return { host, hosts };
}

/** A whole document of the shared shape: grouped per-VM knobs, host knobs with overrides, and control knobs. */
export interface GroupedDocument<K, H, C> extends GroupedKnobs<K> {
  host: H;
  /** Host id → overrides of `host`. */
  hosts: Record<string, Partial<H>>;
  control: C;
}

/** A document with nothing but the defaults: no groups, labels or per-host overrides. */
export function defaultGroupedDocument<K extends object, H extends object, C extends object>(vm: Readonly<K>, host: Readonly<H>, control: Readonly<C>): GroupedDocument<K, H, C> {
  return { defaults: { ...vm }, groups: [], labels: {}, host: { ...host }, hosts: {}, control: { ...control } };
}

/** The top-level keys of a document of the shared shape. */
const GROUPED_KEYS = ['defaults', 'groups', 'labels', 'host', 'hosts', 'control'] as const;

/** Top-level fields a policy's document has beside the shared shape (e.g. vcpu-balance's `adoptForeignPins`). */
export interface ExtraFields<E> {
  keys: readonly string[];
  /** Reads them from the top of the document (after the shared fields), the defaults filled in. */
  read(top: ArgsReader): E;
}

/**
 * Checks a raw document `{defaults, groups, labels, host, hosts, control}` (plus the policy's `extra`
 * top-level fields, if any) with the policy's readers and fills the defaults; returns every issue, each
 * naming its field.
 */
export function validateGroupedDocument<K extends object, H extends object, C extends object, E extends object = Record<never, never>>(
  raw: unknown,
  spec: { vm: KnobsReader<K>; host: KnobsReader<H>; control: { defaults: Readonly<C>; read(r: ArgsReader): C }; extra?: ExtraFields<E> },
): { ok: true; args: GroupedDocument<K, H, C> & E } | { ok: false; issues: ArgsIssue[] } {
  const opened = openDocument(raw, [...GROUPED_KEYS, ...(spec.extra?.keys ?? [])]);
  if (!opened.ok) return opened;
  const { top } = opened;
  const grouped = readGroupedKnobs(top, spec.vm);
  const { host, hosts } = readHostKnobs(top, spec.host);
  const cr = top.sub('control');
  const control = cr ? spec.control.read(cr) : { ...spec.control.defaults };
  const extra = spec.extra ? spec.extra.read(top) : ({} as E);
  if (top.issues.length > 0) return { ok: false, issues: top.issues };
  return { ok: true, args: { ...grouped, host, hosts, control, ...extra } };
}
