import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Clock ticks per second of /proc/<pid>/stat's utime and stime: the kernel reports them in USER_HZ, which is
 * 100 on Linux's mainstream architectures (x86, arm64, …) whatever the kernel's own HZ.
 */
export const USER_HZ = 100;

/**
 * The CPU the `ksmd` kernel thread uses, from its utime + stime in /proc. Only meaningful on the machine the
 * collector runs on, so the sampler uses it for a local libvirt URI only. ksmd's pid is looked up once (its
 * comm is "ksmd"), and again if it vanishes; a search that finds none is not repeated.
 */
export class KsmdCpu {
  /** undefined: not searched yet; null: searched, there is no ksmd. */
  #pid: number | null | undefined;
  #prev: { ticks: number; atNs: bigint } | undefined;

  constructor(
    private readonly procDir = '/proc',
    private readonly ticksPerSec = USER_HZ,
  ) {}

  /**
   * ksmd's CPU since the previous call, in percent of one pCPU (at `atNs` on a monotonic ns clock); undefined
   * on the first call, or when there is no ksmd (a kernel without KSM, no /proc).
   */
  async percentSince(atNs: bigint): Promise<number | undefined> {
    const ticks = await this.#ticks();
    const prev = this.#prev;
    this.#prev = ticks === undefined ? undefined : { ticks, atNs };
    if (ticks === undefined || !prev || atNs <= prev.atNs) return undefined;
    const cpuSec = Math.max(0, ticks - prev.ticks) / this.ticksPerSec;
    return (100 * cpuSec) / (Number(atNs - prev.atNs) / 1e9);
  }

  async #ticks(): Promise<number | undefined> {
    if (this.#pid === undefined) this.#pid = (await this.#findPid()) ?? null;
    if (this.#pid === null) return undefined;
    try {
      const stat = await readFile(path.join(this.procDir, String(this.#pid), 'stat'), 'utf8');
      // "pid (comm) state ppid …": utime and stime are fields 14 and 15, i.e. 11 and 12 after the comm.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return Number.isFinite(ticks) ? ticks : undefined;
    } catch {
      this.#pid = undefined;
      return undefined;
    }
  }

  /** The lowest pid whose comm is "ksmd" (a kernel thread, started early at boot). */
  async #findPid(): Promise<number | undefined> {
    let names: string[];
    try {
      names = await readdir(this.procDir);
    } catch {
      return undefined;
    }
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
    for (const pid of pids) {
      const comm = await readFile(path.join(this.procDir, String(pid), 'comm'), 'utf8').catch(() => '');
      if (comm.trim() === 'ksmd') return pid;
    }
    return undefined;
  }
}
