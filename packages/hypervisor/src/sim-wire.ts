/**
 * The wire protocol of the simulator server (packages/sim/src/server) and its client (SimRemoteHypervisor):
 * newline-delimited JSON over one TCP connection per opened hypervisor. Pure: no sockets here.
 *
 *   client → server  {"id":1,"method":"open","args":["h3",{"readOnly":true}]}        first, once
 *                    {"id":2,"method":"collectStats","args":[{"balloon":true,"vcpu":true}]}
 *                    {"id":3,"method":"subscribe","args":[]}                         events from now on
 *   server → client  {"id":2,"result":[…]}   or   {"id":2,"error":{"code":42,"domain":10,"message":"…"}}
 *                    {"event":{"kind":"lifecycle",…}}
 *
 * Replies may come in any order (a migrate answers when the simulated migration ends); a result that is
 * undefined is left out. Errors carry libvirt's virErrorNumber and virErrorDomain, so the client rethrows the
 * same LibvirtError the in-process SimHypervisor throws and the binding's predicates hold across the wire.
 */
import type { HypervisorEvent } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import type { Hypervisor } from './hypervisor.js';

/** The Hypervisor calls the server answers (every method but uri, onEvent and close). */
export const SIM_WIRE_CALLS = [
  'hostInfo',
  'nodeCpuTimes',
  'nodeMemory',
  'listVms',
  'collectStats',
  'vmStats',
  'getVcpuPinning',
  'vmConfig',
  'currentPcpus',
  'recordPins',
  'setMemory',
  'setMemoryStatsPeriod',
  'pinVcpu',
  'getCpuTune',
  'setCpuTune',
  'getNumaTune',
  'setNumaTune',
  'getKsm',
  'setKsm',
  'migrate',
  'migrationProgress',
  'abortMigration',
] as const satisfies readonly (keyof Hypervisor)[];

export type SimWireCall = (typeof SIM_WIRE_CALLS)[number];

/** Calls a read-only connection may not make (libvirt: VIR_ERR_OPERATION_DENIED on a read-only connection). */
export const SIM_WIRE_MUTATING: ReadonlySet<SimWireCall> = new Set<SimWireCall>([
  'recordPins',
  'setMemory',
  'setMemoryStatsPeriod',
  'pinVcpu',
  'setCpuTune',
  'setNumaTune',
  'setKsm',
  'migrate',
  'abortMigration',
]);

/** What `open` takes besides the host id. */
export interface SimWireOpenOptions {
  readOnly: boolean;
}

/** What `open` answers. */
export interface SimWireOpened {
  hostId: string;
}

export interface SimWireRequest {
  id: number;
  method: SimWireCall | 'open' | 'subscribe';
  args: unknown[];
}

export interface SimWireErrorBody {
  code: number;
  domain: number;
  message: string;
}

export type SimWireMessage =
  | { id: number; result?: unknown; error?: undefined }
  | { id: number; error: SimWireErrorBody; result?: undefined }
  | { event: HypervisorEvent };

/** Longest line either side accepts (a bulk stats reply of a host with thousands of VMs fits easily). */
export const SIM_WIRE_MAX_LINE_CHARS = 64 * 1024 * 1024;

/** An error as it crosses the wire: a LibvirtError keeps its code and domain; anything else is an internal error. */
export function toWireError(err: unknown): SimWireErrorBody {
  if (err instanceof LibvirtError) return { code: err.code, domain: err.domain, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  // VIR_FROM_NONE, not RPC: an internal error of the RPC layer would read as a lost connection (isConnectionLost)
  return { code: ErrorCode.INTERNAL_ERROR, domain: ErrorDomain.NONE, message: `internal error: ${message}` };
}

export function fromWireError(e: SimWireErrorBody): LibvirtError {
  return new LibvirtError(e.message, e.code, e.domain);
}

/** Where a sim:// URI points: sim://<address>:<port>/<hostId>. */
export interface SimServerUri {
  /** As written in the URI (an IPv6 address without its brackets). */
  address: string;
  port: number;
  hostId: string;
}

const SERVER_URI_RE = /^sim:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/([A-Za-z0-9._-]{1,63})\/?$/;

/** The parts of sim://<address>:<port>/<hostId>, or undefined when `uri` is not of that form. */
export function parseSimServerUri(uri: string): SimServerUri | undefined {
  const m = SERVER_URI_RE.exec(uri);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { address: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port, hostId: m[3] as string };
}

/** The URI of one host of a simulator server (what its collector reports as its migration URI). */
export function simServerUri(address: string, port: number, hostId: string): string {
  return `sim://${address.includes(':') ? `[${address}]` : address}:${port}/${hostId}`;
}

/**
 * Splits a stream of text into lines (the last, unterminated part is kept for the next chunk). Lines longer
 * than `maxChars` make push() throw: the peer is not speaking this protocol.
 */
export class LineSplitter {
  private parts: string[] = [];
  private partChars = 0;

  constructor(private readonly maxChars = SIM_WIRE_MAX_LINE_CHARS) {}

  push(chunk: string): string[] {
    const nl = chunk.indexOf('\n');
    if (nl < 0) {
      // no line ends here: keep the chunk without copying what came before (a long reply arrives in many chunks)
      this.parts.push(chunk);
      this.partChars += chunk.length;
      if (this.partChars > this.maxChars) throw new Error(`line longer than ${this.maxChars} characters`);
      return [];
    }
    const lines = (this.parts.join('') + chunk).split('\n');
    const rest = lines.pop() ?? '';
    this.parts = rest ? [rest] : [];
    this.partChars = rest.length;
    return lines.filter((l) => l.length > 0);
  }
}
