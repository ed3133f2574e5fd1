import { Counter, Gauge, type Registry } from 'prom-client';

/** A connection that keeps itself up (the hypervisor package's ReconnectingHypervisor fits). */
export interface ReconnectingLink {
  readonly connected: boolean;
  /** Successful opens so far: more than 1 means it has reconnected. */
  readonly connects: number;
  onStateChange(listener: (state: string) => void): unknown;
}

/**
 * `ballast_libvirt_connected` (1 while connected) and `ballast_libvirt_reconnects_total` (connections made
 * again after the first) of a collector's or an actuator's libvirt link.
 *
 *   registerLibvirtLinkMetrics(svc.registry, hv);
 */
export function registerLibvirtLinkMetrics(registry: Registry, link: ReconnectingLink): void {
  new Gauge({
    name: 'ballast_libvirt_connected',
    help: 'Whether the service is connected to its libvirt (1) or waiting to reconnect (0)',
    registers: [registry],
    collect() {
      this.set(link.connected ? 1 : 0);
    },
  });
  const reconnects = new Counter({
    name: 'ballast_libvirt_reconnects_total',
    help: 'Connections to libvirt made again after the first one (libvirtd restarted or the link was lost)',
    registers: [registry],
  });
  let counted = Math.max(0, link.connects - 1);
  reconnects.inc(counted);
  link.onStateChange(() => {
    const now = Math.max(0, link.connects - 1);
    if (now > counted) reconnects.inc(now - counted);
    counted = now;
  });
}
