/**
 * The simulator's live migrations: started on a VM of one host towards another, each takes setup + its
 * memory / rate of simulated time and completes during a later advance() (step()); progress is what
 * libvirt's job stats would show on the source; abort() ends one with OPERATION_ABORTED, the VM staying.
 */
import { ErrorCode } from '@ballast/libvirt';
import { SIM_LIFECYCLE } from './sim-cluster-types.js';
import { simError } from './sim-error.js';
import type { SimHost } from './sim-host.js';
import type { SimVm } from './sim-vm.js';

interface Migration {
  vm: SimVm;
  srcHostId: string;
  destHostId: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** What the cluster gives its migrations. */
export interface MigrationHooks {
  now(): number;
  host(id: string): SimHost;
  lifecycle(vm: SimVm, event: string, detail: number): void;
  setupMs: number;
  rateKiBPerSec: number;
}

export interface SimMigrationProgress {
  elapsedMs: number;
  remainingMs: number;
  memoryTotalBytes: number;
  memoryProcessedBytes: number;
  memoryRemainingBytes: number;
  memoryBytesPerSec: number;
}

export class SimMigrations {
  private list: Migration[] = [];

  constructor(private readonly c: MigrationHooks) {}

  get active(): boolean {
    return this.list.length > 0;
  }

  start(vm: SimVm, hostId: string, destHostId: string, live: boolean): Promise<void> {
    if (vm.state !== 'running' && vm.state !== 'paused') {
      throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not running`);
    }
    if (vm.migrating) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' has an active job: migration`);
    if (destHostId === hostId) throw simError(ErrorCode.OPERATION_INVALID, 'attempt to migrate guest to the same host');
    const dest = this.c.host(destHostId);
    const reservedKiB = vm.committedKiB;
    if (!dest.fits(reservedKiB)) {
      throw simError(ErrorCode.OPERATION_FAILED, `not enough free memory on ${destHostId} for '${vm.name}' (${reservedKiB} KiB)`);
    }
    dest.incomingKiB += reservedKiB;
    const now = this.c.now();
    const durationMs = this.c.setupMs + (vm.currentKiB / this.c.rateKiBPerSec) * 1000;
    vm.migrating = { destHostId, startedAtMs: now, doneAtMs: now + durationMs, reservedKiB, live };
    if (!live && vm.state === 'running') {
      vm.state = 'paused';
      this.c.lifecycle(vm, 'suspended', SIM_LIFECYCLE.suspended.migrated);
    }
    const promise = new Promise<void>((resolve, reject) => {
      this.list.push({ vm, srcHostId: hostId, destHostId, resolve, reject });
    });
    if (durationMs <= 0) this.step();
    return promise;
  }

  progress(vm: SimVm): SimMigrationProgress | undefined {
    const job = vm.migrating;
    if (!job) return undefined;
    const now = this.c.now();
    const total = vm.currentKiB * 1024;
    const rate = this.c.rateKiBPerSec * 1024;
    const elapsedMs = now - job.startedAtMs;
    const processed = Math.min(total, Math.max(0, ((elapsedMs - this.c.setupMs) / 1000) * rate));
    return { elapsedMs, remainingMs: Math.max(0, job.doneAtMs - now), memoryTotalBytes: total, memoryProcessedBytes: processed, memoryRemainingBytes: total - processed, memoryBytesPerSec: rate };
  }

  abort(vm: SimVm): void {
    const m = this.list.find((x) => x.vm === vm);
    const job = vm.migrating;
    if (!m || !job) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' has no active job`);
    this.list = this.list.filter((x) => x !== m);
    this.c.host(m.destHostId).incomingKiB -= job.reservedKiB;
    vm.migrating = undefined;
    if (!job.live && vm.state === 'paused') {
      vm.state = 'running';
      this.c.lifecycle(vm, 'resumed', SIM_LIFECYCLE.resumed.unpaused);
    }
    m.reject(simError(ErrorCode.OPERATION_ABORTED, 'operation aborted: migration out: canceled by client'));
  }

  /** Completes the migrations whose time has come (a VM no longer running fails its migration). */
  step(): void {
    const still: Migration[] = [];
    for (const m of this.list) {
      const { vm } = m;
      const job = vm.migrating;
      const dest = this.c.host(m.destHostId);
      if (!job) continue;
      if (vm.state !== 'running' && vm.state !== 'paused') {
        dest.incomingKiB -= job.reservedKiB;
        vm.migrating = undefined;
        m.reject(simError(ErrorCode.OPERATION_FAILED, `migration of '${vm.name}' failed: domain is ${vm.state}`));
        continue;
      }
      if (job.doneAtMs > this.c.now()) {
        still.push(m);
        continue;
      }
      const src = this.c.host(m.srcHostId);
      dest.incomingKiB -= job.reservedKiB;
      vm.migrating = undefined;
      src.remove(vm);
      this.c.lifecycle(vm, 'stopped', SIM_LIFECYCLE.stopped.migrated);
      const pinned = vm.pinning.map((set) => set.filter((p) => p < dest.pcpus));
      for (let v = 0; v < vm.vcpus; v++) {
        const set = pinned[v] ?? [];
        vm.pin(v, set.length > 0 ? set : Array.from({ length: dest.pcpus }, (_, i) => i));
      }
      dest.add(vm);
      if (!job.live && vm.state === 'paused') vm.state = 'running';
      this.c.lifecycle(vm, 'started', SIM_LIFECYCLE.started.migrated);
      m.resolve();
    }
    this.list = still;
  }
}
