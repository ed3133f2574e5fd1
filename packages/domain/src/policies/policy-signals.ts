/**
 * Named, typed signals between policies of one cycle. Policies run in order (Policy.order); a policy
 * publishes a signal with its plan, and the policies after it read it from the snapshot:
 *
 *   export const budgetExhausted = defineSignal<BudgetExhausted[]>('memory-balloon/budget-exhausted');
 *   plan: return { jobs, decisions, signals: [publish(budgetExhausted, hosts)] };
 *   later: const hosts = readSignal(snapshot, budgetExhausted) ?? [];
 *
 * The token carries the type, so a reader gets what the publisher wrote. Signals live for one cycle.
 *
 * A signal a cluster-wide policy reads can say how it splits by host (`hostParts`): then each engine replica
 * shares its own hosts' parts (docs/replicas.md), and the replica running the cluster-wide policy merges them
 * instead of planning the publishing policy on every host itself.
 */
import type { ClusterSnapshot, PublishedSignal } from '../snapshot.js';

export interface Signal<T> {
  readonly name: string;
  /** How a value splits into each host's part and merges back; absent: it does not (it is planned where read). */
  readonly hostParts?: HostParts<T>;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

/**
 * A signal value's parts by host. merge(split(v) values) carries what v carries (the order of its lists aside):
 * each part holds only what is about its host.
 */
export interface HostParts<T> {
  split(value: T): Map<string, T>;
  merge(parts: readonly T[]): T;
  /** Whether a part read back (from another replica, through Redis) has this shape and is about this host only. */
  isPartOf(part: unknown, hostId: string): part is T;
}

/** What a snapshot carries: signal name → value, as published this cycle. */
export type SignalBoard = Readonly<Record<string, unknown>>;

export function defineSignal<T>(name: string, hostParts?: HostParts<T>): Signal<T> {
  return hostParts ? { name, hostParts } : { name };
}

/** The parts of a list whose items each name their host. */
export function hostList<T extends { hostId: string }>(): HostParts<T[]> {
  return {
    split: (items) => groupByHost(items),
    merge: (parts) => parts.flat(),
    isPartOf: (part, hostId): part is T[] => isListOf(part, hostId),
  };
}

/** An array of objects each naming this host (a shape check of a part read back; the rest of each item is not checked). */
export function isListOf(part: unknown, hostId: string): boolean {
  return Array.isArray(part) && part.every((x) => typeof x === 'object' && x !== null && (x as { hostId?: unknown }).hostId === hostId);
}

/** Items grouped by their hostId, in their order. */
export function groupByHost<T extends { hostId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const part = out.get(x.hostId);
    if (part) part.push(x);
    else out.set(x.hostId, [x]);
  }
  return out;
}

export function publish<T>(signal: Signal<T>, value: T): PublishedSignal {
  return { name: signal.name, value };
}

export function readSignal<T>(snapshot: Pick<ClusterSnapshot, 'signals'>, signal: Signal<T>): T | undefined {
  return snapshot.signals[signal.name] as T | undefined;
}
