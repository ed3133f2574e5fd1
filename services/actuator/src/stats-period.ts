import type { Hypervisor } from '@ballast/hypervisor';
import type { Logger } from 'pino';

/**
 * Keeps the balloon stats period (virDomainSetMemoryStatsPeriod) on this host's running VMs: balloon stats
 * refresh only while one is set. Applied to every running VM after each (re)connect to libvirt, and to a VM
 * when it starts. A period of 0 leaves it to the domain XML.
 */
export class StatsPeriodKeeper {
  constructor(
    private readonly hv: Hypervisor,
    private readonly periodSec: number,
    private readonly log: Logger,
  ) {}

  /** Sets the period on every running VM; failures are logged per VM. */
  async applyToRunning(): Promise<void> {
    if (this.periodSec <= 0) return;
    const vms = await this.hv.listVms().catch((e: Error) => {
      this.log.warn({ err: e.message }, 'could not list VMs to set the stats period');
      return [];
    });
    const running = vms.filter((vm) => vm.state === 'running');
    const results = await Promise.all(running.map((vm) => this.apply(vm.uuid, vm.name)));
    const set = results.filter(Boolean).length;
    this.log.info({ periodSec: this.periodSec, vms: set, running: running.length }, `memory stats period ${this.periodSec} s set on ${set} of ${running.length} running VMs`);
  }

  /** Sets the period on one VM; false (logged) when it failed. */
  async apply(uuid: string, name: string): Promise<boolean> {
    if (this.periodSec <= 0) return false;
    try {
      await this.hv.setMemoryStatsPeriod(uuid, this.periodSec);
      return true;
    } catch (e) {
      this.log.warn({ vm: name, err: (e as Error).message }, 'could not set stats period');
      return false;
    }
  }
}
