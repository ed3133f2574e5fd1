import type { BalloonStats, VmStats } from '@ballast/domain';
import {
  type Connection,
  type DomainRef,
  type DomainSample,
  type DomainStatsRecord,
  DomainStats,
  GetAllDomainStatsFlags,
  isConnectionClosed,
  isConnectionLost,
  isNoConnect,
  isNoDomain,
  type MemoryStats,
  toVmState,
  toVmStats,
  type VcpuInfo,
  VcpuState,
} from '@ballast/libvirt';

import type { CollectOptions } from './hypervisor.js';

/** How long a cycle waits for a VM's guest balloon figures (a QEMU monitor round trip) before going without them. */
export const BALLOON_WAIT_MS = 1000;

/**
 * While lifecycle events arrive, the domain list is read again when one says a domain started, stopped, was defined
 * or undefined (or a read finds a VM stopped or gone), and at least this often: an event missed costs at most this long.
 */
export const LIST_REFRESH_MS = 10_000;

/**
 * The collector's per-domain read (LibvirtHypervisor statsStrategy 'per-domain'): a list call and, for every running
 * VM, all at once (each call on its own libuv pool thread, libvirtd serving them in parallel, on the domain handles
 * the binding keeps, so no call looks the domain up):
 *
 * - Connection.sampleDomain: virDomainGetInfo (state, CPU time, balloon current and maximum) and virDomainGetVcpus
 *   (per-vCPU time and state, where each vCPU is now), one after the other in one worker;
 * - virDomainMemoryStats when balloon stats are asked: the guest's figures (the monitor round trip that dominates;
 *   measured a little cheaper than the balloon stats group);
 * - virDomainListGetStats(state, vcpu, dirtyrate; NOWAIT) only when the vCPU wait (delay) or the dirty rate is
 *   asked: libvirt's vcpu group costs about as much as the balloon round trip here (it holds the domain's job while
 *   it reads /proc), hence the collector's vcpuWaitEvery.
 *
 * These overlap, so a cycle takes about one balloon round trip (`make bench ARGS=stats`). The list call is made only
 * when the set of running domains may have changed: the reader follows the connection's lifecycle events (a list call
 * beside the fan-out cost 1.3-1.9 ms of a ~10 ms cycle on the lab: libvirtd serves at most 5 calls of a client at once),
 * and lists every cycle until the events are in place, or when the connection has none.
 */
export class PerDomainStatsReader {
  readonly #conn: Connection;
  readonly #balloonWaitMs: number;
  readonly #balloonInFlight = new Set<string>();
  readonly #now: () => number;
  #running: DomainRef[] = [];
  /** Lifecycle events: not asked for yet, asked for, arriving (then the list is read only when due), or not to be had. */
  #events: 'off' | 'pending' | 'on' | 'none' = 'off';
  #listDue = true;
  #listedAtMs = -Infinity;

  constructor(connection: Connection, balloonWaitMs = BALLOON_WAIT_MS, now: () => number = () => performance.now()) {
    this.#conn = connection;
    this.#balloonWaitMs = balloonWaitMs;
    this.#now = now;
  }

  /**
   * The running VMs' stats. The VMs running at the last read are read at once, while the list call runs beside them
   * (no round trip before the fan-out); VMs the list shows new are read right after; VMs it no longer shows running
   * are left out, as the bulk call's ACTIVE filter leaves them out.
   */
  async read(opts: CollectOptions): Promise<VmStats[]> {
    this.#followEvents();
    const list = this.#events !== 'on' || this.#listDue || this.#now() - this.#listedAtMs >= LIST_REFRESH_MS;
    return list ? this.#readListed(opts) : this.#readKnown(opts);
  }

  /** The VMs of the last list, while no event says the set changed; one found stopped or gone makes the next read list. */
  async #readKnown(opts: CollectOptions): Promise<VmStats[]> {
    const got = await Promise.all(this.#running.map((d) => this.#vm(d.uuid, d.name, opts)));
    const live = got.filter((s): s is VmStats => s !== undefined && s.state !== 'shutoff');
    if (live.length !== got.length) this.#listDue = true;
    return live;
  }

  /** Subscribes to the connection's lifecycle events once; until they are in place (or without them) every read lists. */
  #followEvents(): void {
    if (this.#events !== 'off') return;
    if (typeof this.#conn.onEvent !== 'function') {
      this.#events = 'none';
      return;
    }
    this.#events = 'pending';
    const stop = this.#conn.onEvent((e) => {
      if (e.type === 'lifecycle' || e.type === 'connection-lost') this.#listDue = true;
    });
    this.#conn.eventsReady().then(
      () => {
        if (this.#events === 'pending') this.#events = 'on';
        this.#listDue = true; // events from now on: the next list is the one they keep true
      },
      () => {
        this.#events = 'none';
        stop();
      },
    );
  }

  async #readListed(opts: CollectOptions): Promise<VmStats[]> {
    this.#listDue = false; // an event arriving while the list call runs makes the next read list again
    this.#listedAtMs = this.#now();
    const listing = this.#conn.listDomainRefs(0);
    const known = this.#running;
    const first = Promise.all(known.map((d) => this.#vm(d.uuid, d.name, opts)));
    first.catch(() => undefined); // awaited below, after the list: not an unhandled rejection meanwhile
    // All domains (no state queries): the full list also lets the binding drop handles of domains gone.
    const running = (await listing).filter((d) => d.id !== -1);
    this.#running = running;
    const before = new Set(known.map((d) => d.uuid));
    const added = await Promise.all(running.filter((d) => !before.has(d.uuid)).map((d) => this.#vm(d.uuid, d.name, opts)));
    const live = new Set(running.map((d) => d.uuid));
    return [...(await first), ...added].filter((s): s is VmStats => s !== undefined && live.has(s.uuid));
  }

  async #vm(uuid: string, name: string, opts: CollectOptions): Promise<VmStats | undefined> {
    const wait = opts.vcpu && opts.vcpuWait !== false;
    const balloon = opts.balloon && (opts.balloonFor?.(uuid) ?? true);
    const groups = (wait ? DomainStats.VCPU : 0) | (opts.dirtyRate ? DomainStats.DIRTYRATE : 0);
    let sample: DomainSample;
    let records: DomainStatsRecord[] | undefined;
    let mem: MemoryStats | undefined;
    try {
      [sample, records, mem] = await Promise.all([
        this.#conn.sampleDomain(uuid, { vcpus: opts.vcpu || opts.placement === true }),
        groups === 0 ? undefined : this.#conn.getDomainStats([uuid], groups | DomainStats.STATE, GetAllDomainStatsFlags.NOWAIT),
        balloon ? this.#guestBalloon(uuid) : undefined,
      ]);
    } catch (err) {
      if (isNoDomain(err)) return undefined; // gone since the list
      throw err;
    }
    const { info, vcpus } = sample;
    const record = records?.[0];
    const vm: VmStats = record ? toVmStats(record) : { uuid, name, state: toVmState(info.state), vcpus: [] };
    vm.state = toVmState(info.state);
    vm.cpuTimeNs = info.cpuTimeNs;
    if (balloon) vm.balloon = balloonOf(info.memoryKiB, info.maxMemKiB, mem);
    if (!vcpus) return vm;
    if (opts.vcpu && vm.vcpus.length === 0) vm.vcpus = vcpus.map((v) => ({ id: v.vcpu, timeNs: v.cpuTimeNs, online: v.state !== VcpuState.OFFLINE }));
    return opts.placement && vm.state === 'running' ? withPcpus(vm, vcpus) : vm;
  }

  /**
   * The guest's balloon figures (virDomainMemoryStats), or undefined: not reported, still in flight from an earlier
   * cycle, or slower than BALLOON_WAIT_MS (the call waits for the domain's job; there is no NOWAIT for it, so a VM
   * whose monitor is stuck must not stall the cycle, nor pile calls up on the pool).
   */
  #guestBalloon(uuid: string): Promise<MemoryStats | undefined> {
    if (this.#balloonInFlight.has(uuid)) return Promise.resolve(undefined);
    this.#balloonInFlight.add(uuid);
    const call = this.#conn
      .memoryStats(uuid)
      .catch((err: unknown) => (isConnectionError(err) || isNoDomain(err) ? Promise.reject(err) : undefined))
      .finally(() => this.#balloonInFlight.delete(uuid));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#balloonWaitMs);
    });
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }
}

/** A failure that means the connection is gone: the cycle fails (and the reconnecting hypervisor reconnects). */
function isConnectionError(err: unknown): boolean {
  return isConnectionLost(err) || isConnectionClosed(err) || isNoConnect(err);
}

const BALLOON_KEYS = ['unusedKiB', 'availableKiB', 'usableKiB', 'diskCachesKiB', 'majorFaults', 'minorFaults', 'swapInKiB', 'swapOutKiB', 'rssKiB', 'lastUpdateSec'] as const;

function balloonOf(currentKiB: number, maximumKiB: number, mem: MemoryStats | undefined): BalloonStats {
  const b: BalloonStats = { currentKiB: mem?.actualKiB ?? currentKiB, maximumKiB };
  if (mem) for (const k of BALLOON_KEYS) if (mem[k] !== undefined) b[k] = mem[k];
  return b;
}

/** The stats with the pCPU each vCPU is on now (virDomainGetVcpus; -1: offline, left out). */
export function withPcpus(stats: VmStats, vcpus: VcpuInfo[]): VmStats {
  const pcpuOf = new Map(vcpus.map((v) => [v.vcpu, v.cpu]));
  return {
    ...stats,
    vcpus: stats.vcpus.map((v) => {
      const pcpu = pcpuOf.get(v.id);
      return pcpu !== undefined && pcpu >= 0 ? { ...v, pcpu } : v;
    }),
  };
}
