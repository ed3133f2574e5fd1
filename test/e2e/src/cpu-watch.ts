/**
 * Watches the lab guests' CPU from outside Ballast, as the GT monitor (and ../shared/tools/virsh-sample.py)
 * does: every 2 s, each guest's vCPU-0 time (`virsh domstats --vcpu`) and the pCPU it last ran on and its
 * affinity (`virsh vcpuinfo`). cpu-checks.ts turns the samples into the GT figures.
 */
import { virsh } from './virsh.js';

export interface CpuSample {
  atMs: number;
  /** vm → its vCPU 0: cumulative time (ns), the pCPU it last ran on, its affinity as virsh prints it ("yy", "y-"). */
  vms: Record<string, { timeNs: number; pcpu: number; affinity: string }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function vcpuTimes(vms: readonly string[]): Promise<Map<string, number>> {
  const out = await virsh('domstats', '--vcpu', ...vms);
  const times = new Map<string, number>();
  let vm = '';
  for (const line of out.split('\n')) {
    const d = /^Domain: '([^']+)'/.exec(line);
    if (d?.[1]) vm = d[1];
    const t = /^\s*vcpu\.0\.time=(\d+)/.exec(line);
    if (t?.[1] && vm) times.set(vm, Number(t[1]));
  }
  return times;
}

async function vcpuInfo(vm: string): Promise<{ pcpu: number; affinity: string }> {
  const out = await virsh('vcpuinfo', vm);
  const pcpu = Number(/^CPU:\s+(\d+)/m.exec(out)?.[1] ?? -1);
  const affinity = /^CPU Affinity:\s+(\S+)/m.exec(out)?.[1] ?? '';
  return { pcpu, affinity };
}

export async function sampleCpu(vms: readonly string[]): Promise<CpuSample> {
  const [times, infos] = await Promise.all([vcpuTimes(vms), Promise.all(vms.map(vcpuInfo))]);
  const atMs = Date.now();
  const out: CpuSample = { atMs, vms: {} };
  vms.forEach((vm, i) => {
    const info = infos[i];
    const t = times.get(vm);
    if (info && t !== undefined) out.vms[vm] = { timeNs: t, ...info };
  });
  return out;
}

/** Samples every `everyMs` until stop(); marks name moments (e.g. "load", "auto") for the checks. */
export class CpuWatch {
  readonly samples: CpuSample[] = [];
  readonly marks = new Map<string, number>();
  readonly errors: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly vms: readonly string[],
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const t0 = Date.now();
        try {
          this.samples.push(await sampleCpu(this.vms));
        } catch (e) {
          this.errors.push((e as Error).message);
        }
        await sleep(Math.max(0, this.everyMs - (Date.now() - t0)));
      }
    })();
  }

  mark(name: string): void {
    this.marks.set(name, Date.now());
  }

  at(name: string): number {
    const t = this.marks.get(name);
    if (t === undefined) throw new Error(`no mark "${name}"`);
    return t;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
