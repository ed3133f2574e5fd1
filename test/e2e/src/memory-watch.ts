/**
 * Watches the lab while a memory scenario runs: every 2 s it reads `virsh dommemstat` of each guest,
 * `virsh nodememstats`, `ballast lab health` (serial log, libvirt state, agent) and each VM's state on the
 * engine's API; it keeps libvirt's crash events (through the binding) and collects the engine's decisions
 * (GET /v1/decisions?vm=) so none is lost to the log's bound. memory-checks.ts judges what it saw.
 */
import { LibvirtHypervisor } from '@ballast/hypervisor';
import { REPO } from './services.js';
import type { Stack } from './stack.js';
import { ballast, dommemstat, LAB_URI, virsh } from './virsh.js';

export interface VmMem {
  actualMiB: number;
  /** The guest's MemFree at its last report, MiB (null before it reports). */
  unusedMiB: number | null;
  /** The guest's MemTotal at its last report, MiB (it follows the balloon, a kernel overhead below it). */
  availableMiB: number | null;
  /** When the guest took that report (host clock, s). */
  statsAtSec: number;
}

export interface HealthRec {
  status: string;
  detail: string;
  oomKills: number;
}

export interface LabSample {
  /** When the sample's reads started. */
  atMs: number;
  /** When the last of its reads returned: a job that lands in between can be in it. */
  doneMs?: number;
  vms: Record<string, VmMem>;
  hostFreeMiB: number;
  health: Record<string, HealthRec>;
  /**
   * Each VM's state on the engine's API (GET /v1/vms): 'crashed' soon after libvirt's crash event (the
   * collector reports at once); null when the API does not list the VM (stopped). Absent: not read.
   */
  apiStates?: Record<string, string | null>;
}

/** libvirt's crashed lifecycle event (a guest panic, seen by the pvpanic device), as the watch received it. */
export interface CrashEvent {
  atMs: number;
  vm: string;
  /** VIR_DOMAIN_EVENT_CRASHED_*: 0 panicked, 1 crashloaded. */
  detail: number;
}

export interface DecisionRec {
  atMs: number;
  vm: string;
  kind: string;
  reason: string;
  inputs: Record<string, unknown>;
  /** The jobs the decision made, with their state and outcome as the engine last read them. */
  jobs: { id?: string; state?: string; skipped?: string; error?: string }[];
}

export interface Mark {
  atMs: number;
  label: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function readVmMem(vm: string): Promise<VmMem> {
  const m = await dommemstat(vm);
  return {
    actualMiB: (m['actual'] ?? 0) / 1024,
    unusedMiB: m['unused'] === undefined ? null : m['unused'] / 1024,
    availableMiB: m['available'] === undefined ? null : m['available'] / 1024,
    statsAtSec: m['last_update'] ?? 0,
  };
}

async function hostFreeMiB(): Promise<number> {
  const out = await virsh('nodememstats');
  const r = /^free\s*:\s*(\d+)\s*KiB/m.exec(out);
  if (!r) throw new Error(`virsh nodememstats: no free figure in ${JSON.stringify(out)}`);
  return Number(r[1]) / 1024;
}

export async function labHealth(): Promise<Record<string, HealthRec>> {
  let out: string;
  try {
    out = await ballast(REPO, 'lab', 'health', '--timeout', '3');
  } catch (e) {
    // exit 1 = some guest not alive; its JSON is on stdout all the same
    out = (e as { stdout?: string }).stdout ?? '';
    if (!out) throw e;
  }
  const list = JSON.parse(out) as { vm: string; status: string; detail: string; oomKills: number }[];
  return Object.fromEntries(list.map((h) => [h.vm, { status: h.status, detail: h.detail, oomKills: h.oomKills }]));
}

/** The engine's view of each VM's state (null: not listed). */
async function apiStates(stack: Stack, vms: readonly string[]): Promise<Record<string, string | null>> {
  const r = await stack.api('/v1/vms');
  if (!r.ok) throw new Error(`GET /v1/vms: HTTP ${r.status}`);
  const listed = new Map(((await r.json()) as { vms: { name: string; state: string }[] }).vms.map((v) => [v.name, v.state]));
  return Object.fromEntries(vms.map((v) => [v, listed.get(v) ?? null]));
}

export class MemoryWatch {
  readonly samples: LabSample[] = [];
  readonly marks: Mark[] = [];
  readonly errors: string[] = [];
  /** libvirt's crash events for the watched VMs, as they came (the signal of a guest death beside the serial log). */
  readonly crashes: CrashEvent[] = [];
  private events: LibvirtHypervisor | undefined;
  private readonly decisions = new Map<string, DecisionRec>();
  private running = false;
  private loop: Promise<void> | undefined;
  private lastDecisionPull = 0;

  constructor(
    readonly stack: Stack,
    readonly vms: string[],
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.watchEvents().then(() => this.run());
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.events?.close().catch(() => undefined);
    await this.pullDecisions();
  }

  /** libvirt's lifecycle events through the binding (read-only): each crash of a watched VM is kept. */
  private async watchEvents(): Promise<void> {
    try {
      this.events = await LibvirtHypervisor.open(LAB_URI, { readOnly: true });
      this.events.onEvent((ev) => {
        if (ev.kind === 'lifecycle' && ev.event === 'crashed' && this.vms.includes(ev.name)) this.crashes.push({ atMs: Date.now(), vm: ev.name, detail: ev.detail });
      });
    } catch (e) {
      this.errors.push(`${new Date().toISOString()} cannot watch libvirt's events: ${(e as Error).message}`);
    }
  }

  mark(label: string): void {
    this.marks.push({ atMs: Date.now(), label });
  }

  markAt(label: string): number {
    return this.marks.find((m) => m.label === label)?.atMs ?? NaN;
  }

  allDecisions(): DecisionRec[] {
    return [...this.decisions.values()].sort((a, b) => a.atMs - b.atMs);
  }

  latest(): LabSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Waits until a new sample satisfies `pred`; fails after `timeoutMs` with `what`. */
  async until(what: string, timeoutMs: number, pred: (s: LabSample) => boolean): Promise<LabSample> {
    const deadline = Date.now() + timeoutMs;
    let seen = this.samples.length;
    while (Date.now() < deadline) {
      while (seen < this.samples.length) {
        const s = this.samples[seen++] as LabSample;
        if (pred(s)) return s;
      }
      await sleep(200);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last sample ${JSON.stringify(this.latest()?.vms)}`);
  }

  private async run(): Promise<void> {
    let next = Date.now();
    while (this.running) {
      try {
        const atMs = Date.now();
        const [mems, free, health, states] = await Promise.all([Promise.all(this.vms.map((v) => readVmMem(v))), hostFreeMiB(), labHealth(), apiStates(this.stack, this.vms)]);
        this.samples.push({ atMs, doneMs: Date.now(), vms: Object.fromEntries(this.vms.map((v, i) => [v, mems[i] as VmMem])), hostFreeMiB: free, health, apiStates: states });
        if (atMs - this.lastDecisionPull > 10000) await this.pullDecisions();
      } catch (e) {
        this.errors.push(`${new Date().toISOString()} ${(e as Error).message}`);
      }
      next += this.everyMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  }

  private async pullDecisions(): Promise<void> {
    this.lastDecisionPull = Date.now();
    for (const vm of this.vms) {
      const r = await this.stack.api(`/v1/decisions?vm=${encodeURIComponent(vm)}&limit=100`);
      if (r.status === 404) continue; // not reported yet
      if (!r.ok) throw new Error(`GET /v1/decisions?vm=${vm}: HTTP ${r.status}`);
      const list = ((await r.json()) as { decisions: (Omit<DecisionRec, 'vm' | 'jobs'> & { jobs?: DecisionRec['jobs'] })[] }).decisions;
      // one cycle may hold several decisions of a VM (the policy's, and a skipped job's): key by kind and reason too
      for (const d of list) {
        this.decisions.set(`${vm}@${d.atMs}/${d.kind}/${d.reason}`, { atMs: d.atMs, vm, kind: d.kind, reason: d.reason, inputs: d.inputs, jobs: d.jobs ?? [] });
      }
    }
  }
}
