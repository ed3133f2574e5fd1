/**
 * One client connection of the simulator server: it opens one host of the cluster (a SimHypervisor, as an
 * in-process test would), then every request line is one Hypervisor call on it and every reply line its
 * result or its LibvirtError's code, domain and message (@ballast/hypervisor/sim-wire). Events of the host
 * are written as they happen once the client subscribes.
 */
import type net from 'node:net';
import type { HypervisorEvent } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import type { Hypervisor } from '@ballast/hypervisor';
import {
  LineSplitter,
  SIM_WIRE_CALLS,
  SIM_WIRE_MUTATING,
  toWireError,
  type SimWireCall,
  type SimWireMessage,
  type SimWireOpened,
  type SimWireRequest,
} from '@ballast/hypervisor/sim-wire';
import type { SimCluster } from '../sim-cluster.js';
import { simError } from '../sim-error.js';
import { SimHypervisor } from '../sim-hypervisor.js';

/** A client that reads no replies gets its connection closed once this much is waiting to be written. */
const MAX_UNSENT_BYTES = 256 * 1024 * 1024;

const CALLS: ReadonlySet<string> = new Set(SIM_WIRE_CALLS);

export class SimSession {
  private hv: SimHypervisor | undefined;
  private readOnly = false;
  /** Whether the client asked for events. */
  private forwarding = false;
  private unsubscribe: (() => void) | undefined;
  private readonly splitter = new LineSplitter();

  constructor(
    private readonly socket: net.Socket,
    private readonly cluster: SimCluster,
  ) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.close());
  }

  /** The host this connection opened, once it has. */
  get hostId(): string | undefined {
    return this.hv?.hostId;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.hv?.close();
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch {
      return void this.close();
    }
    for (const line of lines) {
      let req: SimWireRequest;
      try {
        req = JSON.parse(line) as SimWireRequest;
      } catch {
        return void this.close(); // not this protocol
      }
      if (!Number.isInteger(req?.id) || typeof req.method !== 'string' || !Array.isArray(req.args)) return void this.close();
      void this.answer(req);
    }
  }

  private async answer(req: SimWireRequest): Promise<void> {
    try {
      const result = await this.dispatch(req);
      this.send(result === undefined ? { id: req.id } : { id: req.id, result });
    } catch (err) {
      this.send({ id: req.id, error: toWireError(err) });
    }
  }

  private dispatch(req: SimWireRequest): Promise<unknown> | unknown {
    if (req.method === 'open') return this.open(req.args);
    const hv = this.hv;
    if (!hv) throw new LibvirtError('no host opened on this connection: send open first', ErrorCode.INVALID_CONN, ErrorDomain.NONE);
    if (req.method === 'subscribe') {
      this.forwarding = true;
      return undefined;
    }
    if (!CALLS.has(req.method)) throw new LibvirtError(`this simulator server has no call '${req.method}'`, ErrorCode.NO_SUPPORT, ErrorDomain.NONE);
    const method = req.method as SimWireCall;
    if (this.readOnly && SIM_WIRE_MUTATING.has(method)) {
      throw new LibvirtError(`operation forbidden: read only access prevents ${method}`, ErrorCode.OPERATION_DENIED, ErrorDomain.NONE);
    }
    const call = hv[method] as (this: Hypervisor, ...args: unknown[]) => Promise<unknown>;
    return call.apply(hv, req.args);
  }

  private open(args: unknown[]): SimWireOpened {
    if (this.hv) throw simError(ErrorCode.OPERATION_INVALID, `this connection has opened ${this.hv.hostId} already`);
    const [hostId, opts] = args as [unknown, { readOnly?: unknown } | undefined];
    if (typeof hostId !== 'string') throw simError(ErrorCode.INVALID_ARG, 'open: a host id is required');
    this.hv = new SimHypervisor(this.cluster, hostId); // VIR_ERR_NO_CONNECT for a host the cluster lacks
    this.readOnly = opts?.readOnly === true;
    this.unsubscribe = this.hv.onEvent((event) => this.onEvent(event));
    return { hostId: this.hv.hostId };
  }

  /**
   * Events go to a client that asked for them. A severed host (SimCluster.severConnections) ends the
   * connection as a dying libvirtd would: the client hears connection-lost, subscribed or not.
   */
  private onEvent(event: HypervisorEvent): void {
    if (event.kind !== 'connection-lost') {
      if (this.forwarding) this.send({ event });
      return;
    }
    this.send({ event });
    this.unsubscribe = undefined;
    this.socket.end();
  }

  private send(msg: SimWireMessage | { event: HypervisorEvent }): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength > MAX_UNSENT_BYTES) return void this.close();
    this.socket.write(`${JSON.stringify(msg)}\n`);
  }
}
