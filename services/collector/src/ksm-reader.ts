import type { HostKsm, KsmSettings } from '@ballast/domain';
import { isLocalUri, isUnsupported, type Hypervisor } from '@ballast/hypervisor';
import { KsmdCpu } from './ksmd-cpu.js';
import type { UnsupportedRead } from './per-vm-reads.js';

/**
 * The host's KSM for its reports: settings and counters (Hypervisor.getKsm) on the cycles the sampler says
 * are due and repeated in between, with ksmd's CPU over each interval when libvirt runs on this machine (a
 * local URI, the rule KSM's run control follows too). A driver without KSM (NO_SUPPORT, e.g. the test driver)
 * is reported once and not asked again on this connection; another failure keeps the last figures.
 */
export class KsmReader {
  #last: KsmSettings | undefined;
  #unsupported = false;
  readonly #ksmd: KsmdCpu | undefined;

  constructor(
    private readonly hv: Hypervisor,
    private readonly onUnsupported: UnsupportedRead,
    ksmd: KsmdCpu | undefined = isLocalUri(hv.uri) ? new KsmdCpu() : undefined,
  ) {
    this.#ksmd = ksmd;
  }

  /** KSM now (`atNs` on the sampler's monotonic clock); undefined while it has never been read. */
  async read(due: boolean, atNs: bigint): Promise<HostKsm | undefined> {
    if (this.#unsupported) return undefined;
    if (due) await this.#refresh();
    const k = this.#last;
    if (!k) return undefined;
    const ksmdCpuPercent = await this.#ksmd?.percentSince(atNs);
    return {
      ...(k.run !== undefined ? { run: k.run } : {}),
      pagesToScan: k.pagesToScan,
      sleepMillisecs: k.sleepMillisecs,
      ...k.counters,
      ...(ksmdCpuPercent !== undefined ? { ksmdCpuPercent } : {}),
    };
  }

  async #refresh(): Promise<void> {
    try {
      this.#last = await this.hv.getKsm();
    } catch (err) {
      if (!isUnsupported(err)) return;
      this.#unsupported = true;
      this.#last = undefined;
      this.onUnsupported('KSM', err as Error);
    }
  }
}
