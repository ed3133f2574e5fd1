/**
 * A deterministic simulated cluster: hosts, their VMs, a virtual clock, events and migrations.
 * Time moves only through advance(ms) / tick(); nothing reads a real clock or Math.random.
 * SimHypervisor gives one host's view of it through the Hypervisor interface.
 *
 *   const sim = new SimCluster({ seed: 7 });
 *   sim.addHost({ id: 'h1', pcpus: 8, memoryKiB: gib(16) });
 *   const vm = sim.createVm('h1', { name: 'db', vcpus: 2, maxMemoryKiB: gib(2), memoryKiB: gib(1),
 *                                   cpu: constant(0.5), memory: ramp(mib(300), mib(900), mib(20)) });
 *   sim.advance(30_000);
 *   sim.inspect(vm.uuid).usedKiB;
 */
import { BALLAST_PINS_NS, type CpuTune, type HypervisorEvent, type PinRecord } from '@ballast/domain';
import { ErrorCode } from '@ballast/libvirt';
import { stepHostCpu } from './sim-cpu.js';
import type { KernelSchedulerOptions } from './sim-cpu-placement.js';
import { SimEventBus, type SimEventListener } from './sim-events.js';
import { SIM_LIFECYCLE, type SimClusterOptions, type SimVmSnapshot, type SimWorkload } from './sim-cluster-types.js';
import { noDomain, simError } from './sim-error.js';
import { SimHost, type SimHostSpec } from './sim-host.js';
import { guestSnapshot, MEM_DIED, MEM_SETTLED, stepVmMemory } from './sim-memory.js';
import { inspectVm } from './sim-inspect.js';
import { SimMigrations, type SimMigrationProgress } from './sim-migration.js';
import { deterministicUuid } from './sim-random.js';
import { formatCpuList, normalizeCpuSet, requireActive, SimVm, validateTune, type SimVmSpec } from './sim-vm.js';
import { mib } from './sim-workload.js';

export type { SimEventListener } from './sim-events.js';
export { SIM_LIFECYCLE, type SimClusterOptions, type SimVmSnapshot, type SimWorkload } from './sim-cluster-types.js';

/** A read-only view of one VM, including what the guest would not report (for tests and benchmarks). */
export class SimCluster {
  readonly seed: number;
  readonly cycleMs: number;
  readonly epochSec: number;
  readonly balloonRateKiBPerSec: number;
  readonly migrationRateKiBPerSec: number;
  readonly migrationSetupMs: number;
  readonly cpuScheduler: Partial<KernelSchedulerOptions> | undefined;

  private now = 0;
  private readonly hostMap = new Map<string, SimHost>();
  private hostList: SimHost[] = [];
  private readonly vmIndex = new Map<string, SimVm>();
  private readonly names = new Set<string>();
  private readonly migrations: SimMigrations;
  private readonly bus = new SimEventBus();

  constructor(opts: SimClusterOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.cycleMs = opts.cycleMs ?? 1000;
    this.epochSec = opts.epochSec ?? 1_700_000_000;
    this.balloonRateKiBPerSec = opts.balloonRateKiBPerSec ?? mib(256);
    this.migrationRateKiBPerSec = opts.migrationRateKiBPerSec ?? mib(128);
    this.migrationSetupMs = opts.migrationSetupMs ?? 500;
    this.cpuScheduler = opts.cpuScheduler;
    if (!(this.cycleMs > 0)) throw new RangeError('cycleMs must be > 0');
    if (!(this.balloonRateKiBPerSec > 0)) throw new RangeError('balloonRateKiBPerSec must be > 0');
    if (!(this.migrationRateKiBPerSec > 0)) throw new RangeError('migrationRateKiBPerSec must be > 0');
    this.migrations = new SimMigrations({
      now: () => this.now,
      host: (id) => this.host(id),
      lifecycle: (vm, event, detail) => this.lifecycle(vm, event, detail),
      setupMs: this.migrationSetupMs,
      rateKiBPerSec: this.migrationRateKiBPerSec,
    });
  }

  /** Simulated time since the start, ms. */
  get nowMs(): number {
    return this.now;
  }

  /**
   * The simulated wall clock, ms since the epoch: epochSec·1000 + nowMs. Guests stamp their balloon
   * stats (lastUpdateSec) with it, so code that ages stats against a clock should be given this one.
   */
  get wallClockMs(): number {
    return this.epochSec * 1000 + this.now;
  }

  // ---- hosts -------------------------------------------------------------------------------------

  addHost(spec: SimHostSpec): SimHost {
    if (this.hostMap.has(spec.id)) throw simError(ErrorCode.INVALID_ARG, `host '${spec.id}' already exists`);
    const cpu = { seed: this.seed, ...(this.cpuScheduler ? { scheduler: this.cpuScheduler } : {}) };
    const host = new SimHost(spec, spec.uuid ?? deterministicUuid(this.seed, `host:${spec.id}`), cpu);
    this.hostMap.set(host.id, host);
    this.hostList.push(host);
    this.bus.addHost(host.id);
    return host;
  }

  host(id: string): SimHost {
    const h = this.hostMap.get(id);
    if (!h) throw simError(ErrorCode.NO_CONNECT, `no sim host '${id}'`);
    return h;
  }

  hosts(): readonly SimHost[] {
    return this.hostList;
  }

  // ---- VM lifecycle (the sim's own API: what an operator or a guest would do) ---------------------

  /** Defines a VM on a host and (unless autostart is false) starts it. */
  createVm(hostId: string, spec: SimVmSpec): SimVmSnapshot {
    const host = this.host(hostId);
    if (this.names.has(spec.name)) throw simError(ErrorCode.OPERATION_FAILED, `domain '${spec.name}' already exists`);
    const uuid = spec.uuid ?? deterministicUuid(this.seed, `vm:${spec.name}`);
    if (this.vmIndex.has(uuid)) throw simError(ErrorCode.OPERATION_FAILED, `domain with uuid ${uuid} already exists`);
    const vm = new SimVm(spec, uuid, hostId, host.pcpus);
    if (spec.autostart !== false && !host.fits(vm.initialKiB)) {
      throw simError(ErrorCode.OPERATION_FAILED, `not enough free memory on ${hostId} to start '${spec.name}'`);
    }
    host.add(vm);
    this.vmIndex.set(uuid, vm);
    this.names.add(spec.name);
    if (spec.autostart !== false) this.boot(vm);
    this.flush();
    return this.inspect(uuid);
  }

  /** Starts a shut-off VM: a fresh boot with its initial balloon size. */
  startVm(uuid: string): void {
    const vm = this.vm(uuid);
    const host = this.host(vm.hostId);
    if (vm.state !== 'shutoff') throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is already active`);
    if (!host.fits(vm.initialKiB)) throw simError(ErrorCode.OPERATION_FAILED, `not enough free memory on ${host.id}`);
    this.boot(vm);
    this.flush();
  }

  /** Destroys (powers off) an active VM; it stays defined, holding no memory. */
  stopVm(uuid: string): void {
    const vm = this.vm(uuid);
    if (!vm.holdsMemory) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not running`);
    vm.state = 'shutoff';
    this.lifecycle(vm, 'stopped', SIM_LIFECYCLE.stopped.destroyed);
    this.flush();
  }

  /** Undefines a shut-off VM. */
  removeVm(uuid: string): void {
    const vm = this.vm(uuid);
    if (vm.state !== 'shutoff') throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is still active`);
    this.host(vm.hostId).remove(vm);
    this.vmIndex.delete(uuid);
    this.names.delete(vm.name);
    this.lifecycle(vm, 'undefined', SIM_LIFECYCLE.undefined.removed);
    this.flush();
  }

  pauseVm(uuid: string): void {
    const vm = this.vm(uuid);
    if (vm.state !== 'running') throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not running`);
    vm.state = 'paused';
    this.lifecycle(vm, 'suspended', SIM_LIFECYCLE.suspended.paused);
    this.flush();
  }

  resumeVm(uuid: string): void {
    const vm = this.vm(uuid);
    if (vm.state !== 'paused') throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not paused`);
    if (vm.migrating) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' has an active job: migration`);
    vm.state = 'running';
    this.lifecycle(vm, 'resumed', SIM_LIFECYCLE.resumed.unpaused);
    this.flush();
  }

  /** Makes the guest panic now (counts as a death). */
  crashVm(uuid: string): void {
    const vm = this.vm(uuid);
    if (vm.state !== 'running' && vm.state !== 'paused') {
      throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not running`);
    }
    vm.state = 'crashed';
    vm.deaths++;
    vm.targetKiB = vm.currentKiB;
    this.lifecycle(vm, 'crashed', SIM_LIFECYCLE.crashed.panicked);
    this.flush();
  }

  /** Replaces a VM's workload scripts (any subset). */
  setWorkload(uuid: string, w: SimWorkload): void {
    const vm = this.vm(uuid);
    if (w.cpu !== undefined) {
      const cpu = w.cpu;
      if (typeof cpu === 'function') vm.cpuSignals = vm.cpuSignals.map(() => cpu);
      else if (cpu.length === vm.vcpus) vm.cpuSignals = [...cpu];
      else throw simError(ErrorCode.INVALID_ARG, `cpu: expected ${vm.vcpus} signals, got ${cpu.length}`);
      this.host(vm.hostId).cpuScratch.dirty = true;
    }
    if (w.memory !== undefined) {
      vm.memSignal = w.memory;
      vm.memHoldUntil = -Infinity;
    }
    if (w.cache !== undefined) vm.cacheSignal = w.cache;
  }

  /** The VM object itself (any host). Treat as read-only. */
  vm(uuid: string): SimVm {
    const vm = this.vmIndex.get(uuid);
    if (!vm) throw simError(ErrorCode.NO_DOMAIN, `Domain not found: no domain with matching uuid '${uuid}'`);
    return vm;
  }

  inspect(uuid: string): SimVmSnapshot {
    return inspectVm(this.vm(uuid));
  }

  /** Every VM of the cluster, host by host. */
  inspectAll(): SimVmSnapshot[] {
    return this.hostList.flatMap((h) => h.vmList.map((vm) => this.inspect(vm.uuid)));
  }

  /** OOM kills and guest deaths over the whole cluster. */
  totals(): { vms: number; oomKills: number; deaths: number } {
    let oomKills = 0;
    let deaths = 0;
    for (const vm of this.vmIndex.values()) {
      oomKills += vm.oomKills;
      deaths += vm.deaths;
    }
    return { vms: this.vmIndex.size, oomKills, deaths };
  }

  // ---- clock -------------------------------------------------------------------------------------

  /**
   * Advances simulated time by ms, in cycles of at most cycleMs. Events are delivered after each cycle;
   * if a listener throws, advance() throws after that cycle's events (the clock stays at its end).
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError('advance: ms must be a finite number ≥ 0');
    let left = ms;
    while (left > 0) {
      const dt = Math.min(this.cycleMs, left);
      this.step(dt);
      left -= dt;
    }
  }

  /** Advances n whole cycles. */
  tick(cycles = 1): void {
    for (let i = 0; i < cycles; i++) this.step(this.cycleMs);
  }

  private step(dtMs: number): void {
    const t0 = this.now;
    const t1 = t0 + dtMs;
    const rate = this.balloonRateKiBPerSec;
    const nowSec = this.epochSec + Math.floor(t1 / 1000);
    for (const host of this.hostList) {
      stepHostCpu(host, t0, dtMs);
      for (const vm of host.vmList) {
        if (vm.state !== 'running') continue;
        const flags = stepVmMemory(vm, t1, dtMs, rate);
        if (flags & MEM_DIED) {
          this.lifecycle(vm, 'crashed', SIM_LIFECYCLE.crashed.panicked);
          continue;
        }
        if (flags & MEM_SETTLED) this.emit(vm.hostId, { kind: 'balloon-change', uuid: vm.uuid, name: vm.name, actualKiB: Math.round(vm.currentKiB) });
        if (vm.statsPeriodSec > 0 && t1 >= vm.nextStatsAtMs) {
          vm.guest = guestSnapshot(vm, nowSec);
          vm.nextStatsAtMs = t1 + vm.statsPeriodSec * 1000;
        }
      }
    }
    this.now = t1;
    if (this.migrations.active) this.migrations.step();
    this.flush();
  }

  private boot(vm: SimVm): void {
    vm.state = 'running';
    vm.currentKiB = vm.initialKiB;
    vm.targetKiB = vm.initialKiB;
    vm.usedKiB = 0;
    vm.swappedKiB = 0;
    vm.cacheKiB = 0;
    vm.oomOffsetKiB = 0;
    vm.majorFaults = 0;
    vm.minorFaults = 0;
    vm.swapInKiB = 0;
    vm.swapOutKiB = 0;
    vm.vcpuTimeNs.fill(0);
    vm.vcpuWaitNs.fill(0);
    vm.vcpuDemand.fill(0);
    vm.statsPeriodSec = vm.configStatsPeriodSec;
    vm.nextStatsAtMs = this.now;
    vm.guest = undefined;
    this.lifecycle(vm, 'started', SIM_LIFECYCLE.started.booted);
    const flags = stepVmMemory(vm, this.now, 0, this.balloonRateKiBPerSec);
    if (flags & MEM_DIED) this.lifecycle(vm, 'crashed', SIM_LIFECYCLE.crashed.panicked);
  }

  // ---- operations of the Hypervisor interface (SimHypervisor delegates here) ----------------------

  /** The VM `uuid` if it is on host `hostId` — a connection sees only its own host's domains. */
  vmOn(hostId: string, uuid: string): SimVm {
    const vm = this.vmIndex.get(uuid);
    if (!vm || vm.hostId !== hostId) throw noDomain(uuid, hostId);
    return vm;
  }

  setMemory(hostId: string, uuid: string, memoryKiB: number): void {
    const vm = this.vmOn(hostId, uuid);
    requireActive(vm);
    if (!Number.isFinite(memoryKiB) || memoryKiB <= 0) throw simError(ErrorCode.INVALID_ARG, `invalid memory size ${memoryKiB}`);
    if (memoryKiB > vm.maxKiB) throw simError(ErrorCode.INVALID_ARG, 'cannot set memory higher than max memory');
    const host = this.host(hostId);
    const extra = Math.max(vm.currentKiB, memoryKiB) - vm.committedKiB;
    if (extra > 0 && !host.fits(extra)) {
      throw simError(ErrorCode.OPERATION_FAILED, `not enough free host memory on ${hostId} for ${memoryKiB} KiB`);
    }
    vm.targetKiB = memoryKiB;
  }

  setMemoryStatsPeriod(hostId: string, uuid: string, periodSec: number): void {
    const vm = this.vmOn(hostId, uuid);
    requireActive(vm);
    if (!Number.isInteger(periodSec) || periodSec < 0) throw simError(ErrorCode.INVALID_ARG, `invalid stats period ${periodSec}`);
    vm.statsPeriodSec = periodSec;
    if (periodSec > 0) vm.nextStatsAtMs = this.now;
  }

  pinVcpu(hostId: string, uuid: string, vcpu: number, pcpus: readonly number[]): void {
    const vm = this.vmOn(hostId, uuid);
    requireActive(vm);
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= vm.vcpus) {
      throw simError(ErrorCode.INVALID_ARG, `invalid vCPU ${vcpu}: domain has ${vm.vcpus}`);
    }
    const set = normalizeCpuSet(pcpus, this.host(hostId).pcpus);
    vm.pin(vcpu, set);
    this.host(hostId).cpuScratch.dirty = true;
    this.emit(hostId, { kind: 'tunable', uuid, name: vm.name, params: { [`cputune.vcpupin${vcpu}`]: formatCpuList(set) } });
    this.flush();
  }

  /** Keeps Ballast's pin records in the VM's config (libvirt: its live <metadata>); a metadata-change event follows. */
  recordPins(hostId: string, uuid: string, records: readonly PinRecord[]): void {
    const vm = this.vmOn(hostId, uuid);
    requireActive(vm);
    vm.config = { ...vm.config, pins: [...records].sort((a, b) => a.vcpu - b.vcpu).map((r) => ({ ...r, pcpus: [...r.pcpus] })) };
    this.emit(hostId, { kind: 'metadata-change', uuid, name: vm.name, nsUri: BALLAST_PINS_NS });
    this.flush();
  }

  /** Records one vCPU's pin as the actuator does when it pins (a new record replaces the vCPU's old one). */
  recordPin(hostId: string, uuid: string, record: PinRecord): void {
    const pins = this.vmOn(hostId, uuid).config.pins.filter((r) => r.vcpu !== record.vcpu);
    this.recordPins(hostId, uuid, [...pins, record]);
  }

  /** Where the VM's emulator threads may run: as pinned, else every pCPU of the host. */
  emulatorPcpus(hostId: string, uuid: string): number[] {
    const vm = this.vmOn(hostId, uuid);
    return [...(vm.emulatorPcpus ?? Array.from({ length: this.host(hostId).pcpus }, (_, p) => p))];
  }

  setCpuTune(hostId: string, uuid: string, tune: Partial<CpuTune>): void {
    const vm = this.vmOn(hostId, uuid);
    requireActive(vm);
    // checked before anything changes: a bad pCPU set leaves the whole tune as it was
    const emulator = tune.emulatorPcpus !== undefined ? normalizeCpuSet(tune.emulatorPcpus, this.host(hostId).pcpus) : undefined;
    const next = validateTune({
      shares: tune.shares ?? vm.shares,
      quotaUs: tune.quotaUs ?? vm.quotaUs,
      periodUs: tune.periodUs ?? vm.periodUs,
    });
    vm.shares = next.shares;
    vm.quotaUs = next.quotaUs;
    vm.periodUs = next.periodUs;
    const params: Record<string, number | string> = {};
    if (tune.shares !== undefined) params['cputune.cpu_shares'] = next.shares;
    if (tune.periodUs !== undefined) params['cputune.vcpu_period'] = next.periodUs;
    if (tune.quotaUs !== undefined) params['cputune.vcpu_quota'] = next.quotaUs;
    if (emulator !== undefined) {
      vm.emulatorPcpus = emulator;
      params['cputune.emulatorpin'] = formatCpuList(emulator);
    }
    if (Object.keys(params).length > 0) this.emit(hostId, { kind: 'tunable', uuid, name: vm.name, params });
    this.flush();
  }

  /**
   * Starts migrating a VM to another host of the cluster. The promise settles when the simulated
   * migration completes, i.e. during a later advance(): duration = setup + balloon size / rate.
   * Fails at once if the destination lacks room for the VM's memory.
   */
  migrate(hostId: string, uuid: string, destHostId: string, live: boolean): Promise<void> {
    const promise = this.migrations.start(this.vmOn(hostId, uuid), hostId, destHostId, live);
    this.flush();
    return promise;
  }

  /** The VM's migration under way, as libvirt's job stats would show it on the source; undefined without one. */
  migrationProgress(hostId: string, uuid: string): SimMigrationProgress | undefined {
    return this.migrations.progress(this.vmOn(hostId, uuid));
  }

  /** Aborts the VM's migration under way: its migrate() rejects (OPERATION_ABORTED) and it stays on this host, running. */
  abortMigration(hostId: string, uuid: string): void {
    this.migrations.abort(this.vmOn(hostId, uuid));
    this.flush();
  }

  // ---- events (delivered by SimEventBus) -----------------------------------------------------------

  /** Listens to every host's events; returns an unsubscribe function. */
  onEvent(listener: SimEventListener): () => void {
    return this.bus.onEvent(listener);
  }

  /** Listens to one host's events (what a connection to sim://<hostId> receives). */
  subscribe(hostId: string, listener: SimEventListener): () => void {
    this.host(hostId);
    return this.bus.subscribe(hostId, listener);
  }

  /** Counter that changes whenever the host's connections are severed; connections compare it. */
  connectionEpoch(hostId: string): number {
    return this.bus.connectionEpoch(hostId);
  }

  /**
   * Simulates losing every connection to a host: its subscribers get a connection-lost event and are
   * dropped; hypervisors opened before this fail with 'invalid-conn'. New connections work.
   */
  severConnections(hostId: string, reason = 'simulated connection loss'): void {
    this.host(hostId);
    this.bus.sever(hostId, reason);
  }

  private lifecycle(vm: SimVm, event: string, detail: number): void {
    this.emit(vm.hostId, { kind: 'lifecycle', uuid: vm.uuid, name: vm.name, event, detail });
  }

  private emit(hostId: string, ev: HypervisorEvent): void {
    this.bus.emit(hostId, ev);
  }

  private flush(): void {
    this.bus.flush();
  }
}
