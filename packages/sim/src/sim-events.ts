import type { HypervisorEvent } from '@ballast/domain';

export type SimEventListener = (ev: HypervisorEvent, hostId: string) => void;

/**
 * The simulator's event delivery: events are queued while the cluster changes and delivered
 * synchronously by flush(), per event to the host's subscribers then to cluster listeners, each in
 * subscription order. Severing a host's connections drops its subscribers and bumps its epoch.
 */
export class SimEventBus {
  private readonly hostListeners = new Map<string, SimEventListener[]>();
  private clusterListeners: SimEventListener[] = [];
  private readonly connectionEpochs = new Map<string, number>();
  private queue: { hostId: string; ev: HypervisorEvent }[] = [];
  private flushing = false;

  addHost(hostId: string): void {
    this.connectionEpochs.set(hostId, 0);
  }

  /** Listens to every host's events; returns an unsubscribe function. */
  onEvent(listener: SimEventListener): () => void {
    this.clusterListeners = [...this.clusterListeners, listener];
    return () => {
      this.clusterListeners = this.clusterListeners.filter((l) => l !== listener);
    };
  }

  /** Listens to one host's events (what a connection to sim://<hostId> receives). */
  subscribe(hostId: string, listener: SimEventListener): () => void {
    const list = this.hostListeners.get(hostId) ?? [];
    this.hostListeners.set(hostId, [...list, listener]);
    return () => {
      this.hostListeners.set(hostId, (this.hostListeners.get(hostId) ?? []).filter((l) => l !== listener));
    };
  }

  /** Counter that changes whenever the host's connections are severed; connections compare it. */
  connectionEpoch(hostId: string): number {
    return this.connectionEpochs.get(hostId) ?? -1;
  }

  /** Every subscriber of the host gets a connection-lost event and is dropped; the epoch moves on. */
  sever(hostId: string, reason: string): void {
    this.emit(hostId, { kind: 'connection-lost', reason });
    this.flush();
    this.hostListeners.set(hostId, []);
    this.connectionEpochs.set(hostId, this.connectionEpoch(hostId) + 1);
  }

  emit(hostId: string, ev: HypervisorEvent): void {
    this.queue.push({ hostId, ev });
  }

  /**
   * Delivers queued events synchronously: per event, the host's subscribers then cluster listeners,
   * each in subscription order. A listener that throws does not stop delivery; the first error is
   * rethrown once the queue is empty (so the call or advance() that caused the event throws).
   */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    let firstError: unknown;
    let failed = false;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const { hostId, ev } = this.queue[i] as { hostId: string; ev: HypervisorEvent };
        for (const l of this.hostListeners.get(hostId) ?? []) {
          try {
            l(ev, hostId);
          } catch (err) {
            if (!failed) [failed, firstError] = [true, err];
          }
        }
        for (const l of this.clusterListeners) {
          try {
            l(ev, hostId);
          } catch (err) {
            if (!failed) [failed, firstError] = [true, err];
          }
        }
      }
    } finally {
      this.queue = [];
      this.flushing = false;
    }
    if (failed) throw firstError;
  }
}
