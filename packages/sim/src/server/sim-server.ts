/**
 * The simulator server: one SimCluster served over TCP (newline-delimited JSON, @ballast/hypervisor/sim-wire)
 * to any number of clients, each opening one host by URI sim://<address>:<port>/<hostId> through
 * openHypervisor — so real collectors and actuators run against simulated hosts. With `clock: 'real-time'`
 * the cluster's clock follows real time (RealTimeClock); with 'manual' the caller advances it (tests).
 *
 *   const server = new SimServer({ cluster: buildRandomCluster({ seed: 1, hosts: 3, vmsPerHost: 4,
 *                                   epochSec: Math.floor(Date.now() / 1000) }) });
 *   const { port } = await server.listen(0);
 *   const hv = await openHypervisor(server.uri('h1'));
 */
import net from 'node:net';
import { simServerUri } from '@ballast/hypervisor/sim-wire';
import type { SimCluster } from '../sim-cluster.js';
import { RealTimeClock } from './real-time-clock.js';
import { SimSession } from './sim-session.js';

export interface SimServerOptions {
  cluster: SimCluster;
  /** 'real-time' (default): the cluster follows the real clock; 'manual': the caller advances it. */
  clock?: 'real-time' | 'manual';
  /** How often the real-time clock catches up, ms; default 250. */
  tickMs?: number;
  /** A clock tick that failed. */
  onClockError?: (err: unknown) => void;
}

export interface SimServerAddress {
  address: string;
  port: number;
}

export class SimServer {
  readonly cluster: SimCluster;
  private readonly server: net.Server;
  private readonly sessions = new Set<SimSession>();
  private readonly clock: RealTimeClock | undefined;
  private bound: SimServerAddress | undefined;

  constructor(opts: SimServerOptions) {
    this.cluster = opts.cluster;
    this.clock =
      opts.clock === 'manual'
        ? undefined
        : new RealTimeClock(opts.cluster, { tickMs: opts.tickMs ?? 250, ...(opts.onClockError ? { onError: opts.onClockError } : {}) });
    this.server = net.createServer((socket) => {
      const session = new SimSession(socket, this.cluster);
      this.sessions.add(session);
      socket.once('close', () => this.sessions.delete(session));
    });
  }

  /** Listens on address:port (port 0: any free one; default address loopback) and starts the clock. */
  async listen(port: number, address = '127.0.0.1'): Promise<SimServerAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as net.AddressInfo;
    this.bound = { address, port: a.port };
    this.clock?.start();
    return this.bound;
  }

  /** The URI a collector or actuator opens for one host (also that host's migration URI). */
  uri(hostId: string): string {
    if (!this.bound) throw new Error('the simulator server is not listening');
    return simServerUri(this.bound.address, this.bound.port, hostId);
  }

  /** Open client connections. */
  get connections(): number {
    return this.sessions.size;
  }

  /** How far the cluster's clock is behind real time, ms (0 with a manual clock). */
  get clockLagMs(): number {
    return this.clock?.lagMs ?? 0;
  }

  /** Stops the clock, drops every connection and stops listening. */
  async close(): Promise<void> {
    this.clock?.stop();
    await Promise.all([...this.sessions].map((s) => s.close()));
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
