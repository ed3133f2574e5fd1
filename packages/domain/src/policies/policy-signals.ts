/**
 * Named, typed signals between policies of one cycle. Policies run in order (Policy.order); a policy
 * publishes a signal with its plan, and the policies after it read it from the snapshot:
 *
 *   export const budgetExhausted = defineSignal<BudgetExhausted[]>('memory-balloon/budget-exhausted');
 *   plan: return { jobs, decisions, signals: [publish(budgetExhausted, hosts)] };
 *   later: const hosts = readSignal(snapshot, budgetExhausted) ?? [];
 *
 * The token carries the type, so a reader gets what the publisher wrote. Signals live for one cycle.
 */
import type { ClusterSnapshot, PublishedSignal } from '../snapshot.js';

export interface Signal<T> {
  readonly name: string;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

/** What a snapshot carries: signal name → value, as published this cycle. */
export type SignalBoard = Readonly<Record<string, unknown>>;

export function defineSignal<T>(name: string): Signal<T> {
  return { name };
}

export function publish<T>(signal: Signal<T>, value: T): PublishedSignal {
  return { name: signal.name, value };
}

export function readSignal<T>(snapshot: Pick<ClusterSnapshot, 'signals'>, signal: Signal<T>): T | undefined {
  return snapshot.signals[signal.name] as T | undefined;
}
