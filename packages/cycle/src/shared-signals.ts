/**
 * Signals shared between engine replicas (docs/replicas.md). A cluster-wide policy (cluster-balance) reads signals
 * of per-host policies (memory-balloon's and cpu-entitlement's bounds) about every host, while each replica plans
 * the per-host policies on its own hosts only. Without sharing, the replica running the cluster-wide policy plans
 * those per-host policies on every host too: a third more planning at 3 replicas, on the one replica whose cycle
 * is already the longest. With it, every other replica shares its own hosts' parts of those signals after each
 * cycle (in Redis: the engine's SharedSignalStore), and that replica merges them and plans the per-host policies
 * itself only on its own hosts and on those no fresh part covers (none shared yet, or its replica gone): the
 * figures the hosts' owners computed from the same samples, usually a cycle earlier.
 */
import type { ClusterSnapshot, Policy, Signal } from '@ballast/domain';
import type { OwnedHosts } from './plan-scope.js';

/** Each host's part of the shared signals: signal name → value (the part about that host). */
export type SignalParts = Readonly<Record<string, unknown>>;

/** Where replicas share signal parts; neither call rejects (a failed read or write: nothing shared this cycle). */
export interface SharedSignalsPort {
  /** This replica's parts, by host (its own hosts), replacing what was shared for them before. */
  publish(parts: ReadonlyMap<string, SignalParts>): Promise<void>;
  /** The parts shared lately (fresh ones only) of these hosts, by host; a host with none is absent. */
  read(hosts: readonly string[]): Promise<ReadonlyMap<string, SignalParts>>;
}

type Declared = Pick<Policy<unknown>, 'name' | 'reads' | 'publishes'>;

/**
 * The signals to share: those the enabled cluster-wide policies (`wide`) read that enabled per-host policies
 * publish. Undefined when they cannot be shared: a cluster-wide policy that does not declare what it reads, a
 * per-host one that does not declare what it publishes, or a signal that does not split by host (Signal.hostParts);
 * then the per-host policies are planned on every host as before.
 */
export function sharedSignals(enabled: readonly Declared[], wide: ReadonlySet<string>): Signal<unknown>[] | undefined {
  const readers = enabled.filter((p) => wide.has(p.name));
  const writers = enabled.filter((p) => !wide.has(p.name));
  if (readers.some((p) => p.reads === undefined) || writers.some((p) => p.publishes === undefined)) return undefined;
  const published = new Set(writers.flatMap((p) => (p.publishes ?? []).map((s) => s.name)));
  const out = new Map<string, Signal<unknown>>();
  for (const s of readers.flatMap((p) => p.reads ?? [])) if (published.has(s.name)) out.set(s.name, s);
  const shared = [...out.values()];
  return shared.every((s) => s.hostParts !== undefined) ? shared : undefined;
}

/** This replica's part of each shared signal, for each of its hosts (an empty part where it has nothing about one). */
export function ownParts(signals: Readonly<Record<string, unknown>>, shared: readonly Signal<unknown>[], hosts: ReadonlySet<string>): Map<string, SignalParts> {
  const out = new Map<string, Record<string, unknown>>([...hosts].map((h) => [h, {}]));
  for (const s of shared) {
    const parts = s.hostParts as NonNullable<Signal<unknown>['hostParts']>;
    const split = s.name in signals ? parts.split(signals[s.name]) : new Map<string, unknown>();
    for (const [h, part] of out) part[s.name] = split.get(h) ?? parts.merge([]);
  }
  return out;
}

/** The hosts whose parts of every shared signal were read, each of the signal's shape and about that host only. */
export function coveredHosts(remote: ReadonlyMap<string, SignalParts>, shared: readonly Signal<unknown>[]): Set<string> {
  return new Set([...remote].filter(([h, parts]) => shared.every((s) => s.hostParts?.isPartOf(parts[s.name], h) === true)).map(([h]) => h));
}

/** The signals a policy just published, with the covered hosts' parts of the shared ones merged in. */
export function mergeShared(signals: Record<string, unknown>, published: readonly string[], shared: readonly Signal<unknown>[], remote: ReadonlyMap<string, SignalParts>, covered: ReadonlySet<string>): Record<string, unknown> {
  const out = { ...signals };
  for (const s of shared) {
    if (!published.includes(s.name)) continue;
    const parts = s.hostParts as NonNullable<Signal<unknown>['hostParts']>;
    const others = [...covered].map((h) => (remote.get(h) as SignalParts)[s.name]);
    out[s.name] = parts.merge(s.name in out ? [out[s.name], ...others] : others);
  }
  return out;
}

/** What a cycle shares: on the replica running a cluster-wide policy, the parts read; on another, that it publishes. */
export interface Sharing {
  shared: Signal<unknown>[];
  publish: boolean;
  remote?: ReadonlyMap<string, SignalParts>;
  covered?: ReadonlySet<string>;
}

/**
 * What a cycle shares. On the replica running a cluster-wide policy (not in `skip`): the parts the other replicas
 * shared of the hosts not owned here, read now. On another replica: which signals to share of its own hosts after
 * planning. Nothing without the port, the host leases, or signals that can be shared.
 */
export async function sharingOf(port: SharedSignalsPort | undefined, enabled: readonly Declared[], hosts: readonly { hostId: string }[], opts: { skip?: ReadonlySet<string>; owned?: OwnedHosts }): Promise<Sharing | undefined> {
  const owned = opts.owned;
  const wide = owned?.except;
  if (!port || !owned || !wide || wide.size === 0) return undefined;
  const shared = sharedSignals(enabled, wide);
  if (!shared || shared.length === 0) return undefined;
  if (!enabled.some((p) => wide.has(p.name) && !opts.skip?.has(p.name))) return { shared, publish: true };
  const remote = await port.read(hosts.map((h) => h.hostId).filter((h) => !owned.hosts.has(h)));
  return { shared, publish: false, remote, covered: coveredHosts(remote, shared) };
}

/** The hosts no shared part covers (with the owned ones), and what merges the covered hosts' parts in; none covered: undefined. */
export function sharedView(snapshot: ClusterSnapshot, sharing: Sharing): { view: ClusterSnapshot; merge(signals: Record<string, unknown>, published: readonly string[]): Record<string, unknown> } | undefined {
  const { remote, covered } = sharing;
  if (!remote || !covered || covered.size === 0) return undefined;
  const view = { ...snapshot, hosts: snapshot.hosts.filter((h) => !covered.has(h.hostId)), vms: snapshot.vms.filter((v) => !covered.has(v.hostId)) };
  return { view, merge: (signals, published) => mergeShared(signals, published, sharing.shared, remote, covered) };
}
