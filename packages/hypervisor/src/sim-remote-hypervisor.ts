/**
 * A Hypervisor for one host of a simulator server (`node packages/sim/dist/server/main.js`), opened by URI:
 * sim://<address>:<port>/<hostId>, e.g. LIBVIRT_URI=sim://127.0.0.1:7070/h3. Every call goes over the wire
 * (sim-wire.ts) to the server's SimHypervisor for that host and fails with the same LibvirtError; events
 * arrive over the same connection. migrate() takes the sim:// URI of another host of the same server (what
 * that host's collector reports as its migration URI, BALLAST_MIGRATION_URI) and settles when the simulated
 * migration ends; migrationProgress() and abortMigration() work while it runs.
 *
 *   const hv = await SimRemoteHypervisor.open('sim://127.0.0.1:7070/h1', { readOnly: true });
 *   const stats = await hv.collectStats({ balloon: true, vcpu: true });
 */
import type { CpuTune, HostInfo, HypervisorEvent, KsmSettings, KsmTunables, NodeMemory, NumaTune, PcpuTimes, PinRecord, VmConfig, VmRef, VmStats } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import type { CollectOptions, Hypervisor, MigrateOptions, MigrationProgress, NumaTuneRequest } from './hypervisor.js';
import { parseSimServerUri, type SimServerUri, type SimWireCall, type SimWireOpenOptions } from './sim-wire.js';
import { SimWireConnection } from './sim-wire-connection.js';

export interface SimRemoteOpenOptions {
  readOnly?: boolean;
  /** Give up connecting after this long (a retryable RPC error, like an unreachable libvirtd). Default 10 s. */
  connectTimeoutMs?: number;
}

export class SimRemoteHypervisor implements Hypervisor {
  readonly uri: string;
  readonly hostId: string;
  private conn: SimWireConnection | undefined;
  private readonly listeners = new Set<(ev: HypervisorEvent) => void>();
  private subscribed: Promise<unknown> | undefined;

  private constructor(uri: string, private readonly at: SimServerUri) {
    this.uri = uri;
    this.hostId = at.hostId;
  }

  /**
   * Connects and opens the host. A server that cannot be reached rejects with VIR_ERR_SYSTEM_ERROR from
   * VIR_FROM_RPC (retried by ReconnectingHypervisor); a host the server lacks with VIR_ERR_NO_CONNECT; a URI
   * not of the form sim://<address>:<port>/<hostId> with VIR_ERR_NO_CONNECT naming the form.
   */
  static async open(uri: string, opts: SimRemoteOpenOptions = {}): Promise<SimRemoteHypervisor> {
    const at = parseSimServerUri(uri);
    if (!at) {
      throw new LibvirtError(
        `${uri}: not a simulator server URI — expected sim://<address>:<port>/<hostId>, e.g. sim://127.0.0.1:7070/h1 ` +
          '(start one with node packages/sim/dist/server/main.js); an in-process simulator is opened with ' +
          'new SimHypervisor(cluster, hostId) from @ballast/sim',
        ErrorCode.NO_CONNECT,
        ErrorDomain.NONE,
      );
    }
    const hv = new SimRemoteHypervisor(uri, at);
    const conn = await SimWireConnection.connect(at.address, at.port, {
      onEvent: (ev) => hv.dispatch(ev),
      onLost: (reason) => hv.dispatch({ kind: 'connection-lost', reason }),
      ...(opts.connectTimeoutMs !== undefined ? { timeoutMs: opts.connectTimeoutMs } : {}),
    });
    hv.conn = conn;
    try {
      await conn.request('open', [at.hostId, { readOnly: opts.readOnly ?? false } satisfies SimWireOpenOptions]);
    } catch (e) {
      conn.close();
      throw e;
    }
    return hv;
  }

  hostInfo(): Promise<HostInfo> { return this.call('hostInfo'); }
  nodeCpuTimes(): Promise<PcpuTimes[]> { return this.call('nodeCpuTimes'); }
  nodeMemory(): Promise<NodeMemory> { return this.call('nodeMemory'); }
  listVms(): Promise<VmRef[]> { return this.call('listVms'); }
  collectStats(opts: CollectOptions): Promise<VmStats[]> { return this.call('collectStats', opts); }
  vmStats(uuid: string, opts: CollectOptions): Promise<VmStats> { return this.call('vmStats', uuid, opts); }
  getVcpuPinning(uuid: string): Promise<number[][]> { return this.call('getVcpuPinning', uuid); }
  vmConfig(uuid: string): Promise<VmConfig> { return this.call('vmConfig', uuid); }
  currentPcpus(uuid: string): Promise<number[]> { return this.call('currentPcpus', uuid); }
  recordPins(uuid: string, records: PinRecord[]): Promise<void> { return this.call('recordPins', uuid, records); }
  setMemory(uuid: string, memoryKiB: number): Promise<void> { return this.call('setMemory', uuid, memoryKiB); }
  setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void> { return this.call('setMemoryStatsPeriod', uuid, periodSec); }
  pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void> { return this.call('pinVcpu', uuid, vcpu, pcpus); }
  getCpuTune(uuid: string): Promise<CpuTune> { return this.call('getCpuTune', uuid); }
  setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void> { return this.call('setCpuTune', uuid, tune); }
  getNumaTune(uuid: string): Promise<NumaTune> { return this.call('getNumaTune', uuid); }
  setNumaTune(uuid: string, tune: NumaTuneRequest): Promise<void> { return this.call('setNumaTune', uuid, tune); }
  getKsm(): Promise<KsmSettings> { return this.call('getKsm'); }
  setKsm(change: Partial<KsmTunables>): Promise<void> { return this.call('setKsm', change); }
  async migrationProgress(uuid: string): Promise<MigrationProgress | undefined> { return (await this.call<MigrationProgress | null>('migrationProgress', uuid)) ?? undefined; }
  abortMigration(uuid: string): Promise<void> { return this.call('abortMigration', uuid); }

  /**
   * destUri: sim://<address>:<port>/<hostId> of another host of this server (address and port as this
   * connection's); migrateUri and bandwidthMiBs are ignored, as by the in-process SimHypervisor.
   */
  async migrate(uuid: string, opts: MigrateOptions): Promise<void> {
    const dest = parseSimServerUri(opts.destUri);
    if (!dest) throw new LibvirtError(`unsupported destination URI '${opts.destUri}': expected sim://<address>:<port>/<hostId>`, ErrorCode.NO_CONNECT, ErrorDomain.NONE);
    if (!sameServer(dest, this.at)) {
      throw new LibvirtError(
        `destination ${opts.destUri} is not on this host's simulator server (${this.at.address}:${this.at.port}): a simulated VM moves only between hosts of one server`,
        ErrorCode.NO_CONNECT,
        ErrorDomain.NONE,
      );
    }
    // the server's SimHypervisor names hosts of its cluster as sim://<hostId>
    return this.call('migrate', uuid, { ...opts, destUri: `sim://${dest.hostId}` });
  }

  onEvent(listener: (ev: HypervisorEvent) => void): () => void {
    this.listeners.add(listener);
    // the server sends events once asked (a connection nobody listens to is spared them)
    this.subscribed ??= this.request('subscribe', []).catch(() => undefined);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.listeners.clear();
  }

  private call<T>(method: SimWireCall, ...args: unknown[]): Promise<T> {
    return this.request(method, args) as Promise<T>;
  }

  private request(method: SimWireCall | 'subscribe', args: unknown[]): Promise<unknown> {
    if (!this.conn) return Promise.reject(new LibvirtError(`connection to ${this.uri} is not open`, ErrorCode.INVALID_CONN, ErrorDomain.NONE));
    return this.conn.request(method, args);
  }

  /** A listener that throws does not keep the others (or the connection) from their events: it becomes a warning. */
  private dispatch(ev: HypervisorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(ev);
      } catch (err) {
        process.emitWarning(`${this.uri}: event listener failed on ${ev.kind}: ${(err as Error).message}`);
      }
    }
  }
}

/** Same server: same port, and the same address (loopback spelled as localhost, 127.0.0.1 or ::1 counts as one). */
function sameServer(a: SimServerUri, b: SimServerUri): boolean {
  const norm = (addr: string): string => (['localhost', '127.0.0.1', '::1'].includes(addr.toLowerCase()) ? 'loopback' : addr.toLowerCase());
  return a.port === b.port && norm(a.address) === norm(b.address);
}
