/**
 * One client connection to a simulator server (sim-wire.ts): requests by id, replies in any order, events
 * pushed by the server. A broken connection fails every pending request as libvirt's RPC layer does
 * (VIR_ERR_SYSTEM_ERROR from VIR_FROM_RPC: isConnectionLost) and tells onLost once; after close() requests
 * fail with VIR_ERR_INVALID_CONN.
 */
import net from 'node:net';
import type { HypervisorEvent } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import { fromWireError, LineSplitter, type SimWireMessage, type SimWireRequest } from './sim-wire.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** A transport failure, as libvirt's RPC layer reports one (retryable on open; a lost connection after). */
export function rpcError(message: string): LibvirtError {
  return new LibvirtError(message, ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC);
}

export class SimWireConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new LineSplitter();
  private ended: LibvirtError | undefined;
  private closedByUs = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly where: string,
    private readonly onEvent: (ev: HypervisorEvent) => void,
    private readonly onLost: (reason: string) => void,
  ) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (e) => this.lose(`${where}: ${e.message}`));
    socket.on('close', () => this.lose(`${where}: the simulator server closed the connection`));
  }

  /** Connects to address:port; a refused or timed-out connect rejects with a retryable RPC error. */
  static connect(
    address: string,
    port: number,
    handlers: { onEvent: (ev: HypervisorEvent) => void; onLost: (reason: string) => void; timeoutMs?: number },
  ): Promise<SimWireConnection> {
    const where = `sim server ${address.includes(':') ? `[${address}]` : address}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      const fail = (message: string): void => {
        socket.destroy();
        reject(rpcError(`Failed to connect to ${where}: ${message}`));
      };
      socket.setTimeout(handlers.timeoutMs ?? 10_000, () => fail('timed out'));
      socket.once('error', (e) => fail(e.message));
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        socket.removeAllListeners('timeout');
        resolve(new SimWireConnection(socket, where, handlers.onEvent, handlers.onLost));
      });
    });
  }

  /** Sends one request; resolves with its result (undefined when the server sent none). */
  request(method: SimWireRequest['method'], args: unknown[]): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, method, args } satisfies SimWireRequest)}\n`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(line);
    });
  }

  /** Ends the connection; pending and later requests fail with VIR_ERR_INVALID_CONN. */
  close(): void {
    if (this.ended) return;
    this.closedByUs = true;
    this.end(new LibvirtError(`${this.where}: connection is closed`, ErrorCode.INVALID_CONN, ErrorDomain.NONE));
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (e) {
      this.socket.destroy();
      return this.lose(`${this.where}: ${(e as Error).message}`);
    }
    for (const line of lines) {
      let msg: SimWireMessage;
      try {
        msg = JSON.parse(line) as SimWireMessage;
      } catch {
        this.socket.destroy();
        return this.lose(`${this.where}: not a protocol message: ${line.slice(0, 80)}`);
      }
      this.handle(msg);
    }
  }

  private handle(msg: SimWireMessage): void {
    if ('event' in msg) {
      // the server ends the connection after this one (its host was severed): lost, with the server's reason
      if (msg.event.kind === 'connection-lost') this.lose(msg.event.reason);
      else this.onEvent(msg.event);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(fromWireError(msg.error));
    else p.resolve(msg.result);
  }

  private lose(reason: string): void {
    if (this.ended) return;
    this.end(rpcError(reason));
    if (!this.closedByUs) this.onLost(reason);
  }

  private end(err: LibvirtError): void {
    this.ended = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }
}
