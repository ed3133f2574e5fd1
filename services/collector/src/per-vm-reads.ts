import { isUnsupported } from '@ballast/hypervisor';

/** Told when the hypervisor cannot make a read at all (its driver lacks the call); the sampler logs it once. */
export type UnsupportedRead = (what: string, err: Error) => void;

/**
 * One per-VM read the sampler keeps between cycles (domain XML, pinning, CPU tune, numatune): made at a VM's
 * first sight, again once `every` cycles have passed since the last one, and after invalidate (events). A
 * read that fails (the VM just stopped, a busy monitor) keeps what was there and is tried again next cycle; a
 * read the driver cannot make (NO_SUPPORT) leaves the value absent until it is due again, and is reported.
 */
export class PerVmReads<T> {
  readonly #entries = new Map<string, { value: T | undefined; cycle: number }>();

  constructor(
    readonly what: string,
    private readonly read: (uuid: string) => Promise<T>,
    private readonly onUnsupported: UnsupportedRead,
  ) {}

  /** Reads the VMs among `uuids` that are due, all at once. */
  async refresh(uuids: readonly string[], cycle: number, every: number): Promise<void> {
    const due = uuids.filter((uuid) => {
      const e = this.#entries.get(uuid);
      return !e || cycle - e.cycle >= every;
    });
    await Promise.all(due.map((uuid) => this.#readOne(uuid, cycle)));
  }

  get(uuid: string): T | undefined {
    return this.#entries.get(uuid)?.value;
  }

  /** Reads the VM (every VM without `uuid`) again at the next refresh. */
  invalidate(uuid?: string): void {
    if (uuid === undefined) this.#entries.clear();
    else this.#entries.delete(uuid);
  }

  /** Forgets the VMs not in `live`. */
  retain(live: ReadonlySet<string>): void {
    for (const uuid of this.#entries.keys()) if (!live.has(uuid)) this.#entries.delete(uuid);
  }

  async #readOne(uuid: string, cycle: number): Promise<void> {
    try {
      this.#entries.set(uuid, { value: await this.read(uuid), cycle });
    } catch (err) {
      if (!isUnsupported(err)) return;
      this.#entries.set(uuid, { value: undefined, cycle });
      this.onUnsupported(this.what, err as Error);
    }
  }
}
