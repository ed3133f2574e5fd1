import type { CpuTune, HostInfo, HypervisorEvent, KsmSettings, KsmTunables, NodeMemory, NumaTune, PcpuTimes, PinRecord, VmConfig, VmRef, VmStats } from '@ballast/domain';
import { Backoff } from '@ballast/runtime/backoff';
import type { CollectOptions, Hypervisor, MigrateOptions, MigrationProgress, NumaTuneRequest } from './hypervisor.js';
import { openHypervisor, type OpenHypervisorOptions } from './open-hypervisor.js';
import { HypervisorUnavailableError, isConnectionError, isRetryableOpenError } from './reconnect-errors.js';

export { HypervisorUnavailableError, isConnectionError, isRetryableOpenError } from './reconnect-errors.js';

/**
 * 'connecting' until the first attempt settles; 'connected'; 'waiting' for the next attempt (the hypervisor
 * was not reachable, or the connection was lost); 'failed' when the first open failed in a way retrying
 * cannot fix (no more attempts); 'closed' after close().
 */
export type HypervisorLinkState = 'connecting' | 'connected' | 'waiting' | 'failed' | 'closed';

/** The logger methods used; a pino Logger fits. */
export interface ReconnectLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Delays between attempts; runtime's Backoff fits. */
export interface ReconnectBackoff {
  next(): number;
  reset(): void;
}

export interface ReconnectingHypervisorOptions {
  /** The URI `open` connects to (for messages while there is no connection). */
  uri: string;
  /** Opens one connection, e.g. `() => openHypervisor(uri, { readOnly: true })`. */
  open: () => Promise<Hypervisor>;
  log?: ReconnectLogger;
  /** Default: 0.5 s doubling to 10 s, with jitter. */
  backoff?: ReconnectBackoff;
  /**
   * Called when an open fails in a way retrying cannot fix (an unknown scheme, a malformed URI) before any
   * connection succeeded; a service prints its one-line config error and exits 2. Once a connection has
   * worked, every failure is retried.
   */
  onConfigError?: (err: Error) => void;
}

const noLog: ReconnectLogger = { info() {}, warn() {} };

/**
 * A Hypervisor that keeps itself connected: the first open waits for the hypervisor as later ones do
 * (backoff with jitter, a warn line per failed attempt), a lost connection (the connection-lost event, or a
 * call failing with a connection error that a check call confirms) is reopened, listeners given to onEvent are carried over to each
 * new connection, and a call made while disconnected fails at once with a HypervisorUnavailableError.
 *
 *   const hv = new ReconnectingHypervisor({ uri, open: () => openHypervisor(uri), log, onConfigError });
 *   hv.onStateChange((state) => state === 'connected' && reapplySettings());
 *   await hv.start();
 */
export class ReconnectingHypervisor implements Hypervisor {
  readonly uri: string;
  #current: Hypervisor | undefined;
  #unwatch: (() => void) | undefined;
  #state: HypervisorLinkState = 'connecting';
  #lastError: string | undefined;
  #connects = 0;
  #timer: NodeJS.Timeout | undefined;
  #started: Promise<void> | undefined;
  #checking: Hypervisor | undefined;
  readonly #backoff: ReconnectBackoff;
  readonly #log: ReconnectLogger;
  readonly #listeners = new Set<(ev: HypervisorEvent) => void>();
  readonly #stateListeners = new Set<(state: HypervisorLinkState) => void>();

  constructor(private readonly o: ReconnectingHypervisorOptions) {
    this.uri = o.uri;
    this.#backoff = o.backoff ?? new Backoff({ minMs: 500, maxMs: 10_000 });
    this.#log = o.log ?? noLog;
  }

  /** The service's hypervisor: a libvirt URI opened with openHypervisor, kept connected. */
  static forUri(uri: string, o: OpenHypervisorOptions & Omit<ReconnectingHypervisorOptions, 'uri' | 'open'>): ReconnectingHypervisor {
    const { readOnly, ...rest } = o;
    return new ReconnectingHypervisor({ uri, open: () => openHypervisor(uri, { readOnly: readOnly ?? false }), ...rest });
  }

  /** Resolves once the first attempt has settled: connected, waiting to retry, or failed (onConfigError called). */
  start(): Promise<void> {
    this.#started ??= this.#attempt();
    return this.#started;
  }

  get state(): HypervisorLinkState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** Successful opens so far (more than 1: it has reconnected). */
  get connects(): number {
    return this.#connects;
  }

  /** Why the last open failed or the last connection was lost. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** For a /healthz: `libvirt: connected | reconnecting`, and while reconnecting the last error. */
  healthDetails(): { libvirt: 'connected' | 'reconnecting'; libvirtError?: string | null } {
    return this.connected ? { libvirt: 'connected' } : { libvirt: 'reconnecting', libvirtError: this.#lastError ?? null };
  }

  /** Called on every change of state (each reconnect is a change to 'connected'); returns an unsubscribe. */
  onStateChange(listener: (state: HypervisorLinkState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => void this.#stateListeners.delete(listener);
  }

  onEvent(listener: (ev: HypervisorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    const hv = this.#detach();
    this.#setState('closed');
    await hv?.close();
  }

  hostInfo(): Promise<HostInfo> { return this.#call((hv) => hv.hostInfo()); }
  nodeCpuTimes(): Promise<PcpuTimes[]> { return this.#call((hv) => hv.nodeCpuTimes()); }
  nodeMemory(): Promise<NodeMemory> { return this.#call((hv) => hv.nodeMemory()); }
  listVms(): Promise<VmRef[]> { return this.#call((hv) => hv.listVms()); }
  collectStats(opts: CollectOptions): Promise<VmStats[]> { return this.#call((hv) => hv.collectStats(opts)); }
  vmStats(uuid: string, opts: CollectOptions): Promise<VmStats> { return this.#call((hv) => hv.vmStats(uuid, opts)); }
  getVcpuPinning(uuid: string): Promise<number[][]> { return this.#call((hv) => hv.getVcpuPinning(uuid)); }
  vmConfig(uuid: string): Promise<VmConfig> { return this.#call((hv) => hv.vmConfig(uuid)); }
  currentPcpus(uuid: string): Promise<number[]> { return this.#call((hv) => hv.currentPcpus(uuid)); }
  recordPins(uuid: string, records: PinRecord[]): Promise<void> { return this.#call((hv) => hv.recordPins(uuid, records)); }
  setMemory(uuid: string, memoryKiB: number): Promise<void> { return this.#call((hv) => hv.setMemory(uuid, memoryKiB)); }
  setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void> { return this.#call((hv) => hv.setMemoryStatsPeriod(uuid, periodSec)); }
  startDirtyRateCalc(uuid: string, seconds: number): Promise<void> {
    return this.#call(async (hv) => {
      if (!hv.startDirtyRateCalc) throw new Error(`dirty-rate measurement is not available from ${hv.uri}`);
      await hv.startDirtyRateCalc(uuid, seconds);
    });
  }
  pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void> { return this.#call((hv) => hv.pinVcpu(uuid, vcpu, pcpus)); }
  getCpuTune(uuid: string): Promise<CpuTune> { return this.#call((hv) => hv.getCpuTune(uuid)); }
  setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void> { return this.#call((hv) => hv.setCpuTune(uuid, tune)); }
  getNumaTune(uuid: string): Promise<NumaTune> { return this.#call((hv) => hv.getNumaTune(uuid)); }
  setNumaTune(uuid: string, tune: NumaTuneRequest): Promise<void> { return this.#call((hv) => hv.setNumaTune(uuid, tune)); }
  getKsm(): Promise<KsmSettings> { return this.#call((hv) => hv.getKsm()); }
  setKsm(change: Partial<KsmTunables>): Promise<void> { return this.#call((hv) => hv.setKsm(change)); }
  migrate(uuid: string, opts: MigrateOptions): Promise<void> { return this.#call((hv) => hv.migrate(uuid, opts)); }
  migrationProgress(uuid: string): Promise<MigrationProgress | undefined> { return this.#call((hv) => hv.migrationProgress(uuid)); }
  abortMigration(uuid: string): Promise<void> { return this.#call((hv) => hv.abortMigration(uuid)); }

  /** Runs a call on the current connection; a connection error has that connection checked. */
  async #call<T>(fn: (hv: Hypervisor) => Promise<T>): Promise<T> {
    const hv = this.#current;
    if (!hv) throw new HypervisorUnavailableError(this.uri, this.#state, this.#lastError);
    try {
      return await fn(hv);
    } catch (err) {
      if (isConnectionError(err)) void this.#check(hv, (err as Error).message);
      throw err;
    }
  }

  /**
   * A call failed with a connection error: the connection is dropped when a cheap call on it fails that way
   * too. (Such an error can also be another daemon's, e.g. a migration target that cannot be reached.)
   */
  async #check(hv: Hypervisor, reason: string): Promise<void> {
    if (hv !== this.#current || this.#checking === hv) return;
    this.#checking = hv;
    try {
      await hv.listVms();
    } catch (err) {
      if (isConnectionError(err)) this.#lost(hv, reason);
    } finally {
      this.#checking = undefined;
    }
  }

  async #attempt(): Promise<void> {
    this.#timer = undefined;
    let hv: Hypervisor;
    try {
      hv = await this.o.open();
    } catch (e) {
      return this.#openFailed(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.#state === 'closed') return void (await hv.close().catch(() => undefined));
    this.#adopt(hv);
  }

  #openFailed(err: Error): void {
    if (this.#state === 'closed') return;
    this.#lastError = err.message;
    if (this.#connects === 0 && !isRetryableOpenError(err)) {
      this.#setState('failed');
      this.o.onConfigError?.(err);
      return;
    }
    const retryInMs = this.#retryLater();
    this.#log.warn({ uri: this.uri, err: err.message, retryInMs }, `libvirt at ${this.uri} not reachable; waiting for it (next attempt in ${retryInMs} ms)`);
  }

  #adopt(hv: Hypervisor): void {
    this.#current = hv;
    this.#unwatch = hv.onEvent((ev) => this.#dispatch(hv, ev));
    this.#backoff.reset();
    this.#connects++;
    this.#log.info({ uri: this.uri, connects: this.#connects }, this.#connects === 1 ? `libvirt connected: ${this.uri}` : `libvirt reconnected: ${this.uri}`);
    this.#setState('connected');
  }

  #dispatch(hv: Hypervisor, ev: HypervisorEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(ev);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message, event: ev.kind }, 'hypervisor event listener failed');
      }
    }
    if (ev.kind === 'connection-lost') this.#lost(hv, ev.reason);
  }

  /** Drops a lost connection (once: later reports of the same one are ignored) and schedules a reopen. */
  #lost(hv: Hypervisor, reason: string): void {
    if (hv !== this.#current) return;
    this.#detach();
    void hv.close().catch(() => undefined);
    this.#lastError = reason;
    const retryInMs = this.#retryLater();
    this.#log.warn({ uri: this.uri, reason, retryInMs }, `libvirt connection lost; reconnecting in ${retryInMs} ms`);
  }

  /** Enters 'waiting' and schedules the next attempt; returns its delay. */
  #retryLater(): number {
    const retryInMs = this.#backoff.next();
    this.#setState('waiting');
    this.#timer = setTimeout(() => void this.#attempt(), retryInMs);
    return retryInMs;
  }

  #detach(): Hypervisor | undefined {
    const hv = this.#current;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#current = undefined;
    return hv;
  }

  #setState(state: HypervisorLinkState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) {
      try {
        listener(state);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message, state }, 'hypervisor state listener failed');
      }
    }
  }
}
