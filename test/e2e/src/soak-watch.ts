/**
 * What the soak watches while it runs: each service's RSS (/proc/<pid>/status), each guest's life (virsh
 * domstate and `ballast lab health`, as ../shared/tools judges from outside), and every job the policies
 * enqueued (GET /v1/decisions: the jobs each decision made; GET /v1/jobs: the queues), so that at the end
 * each one's final state can be asked for.
 */
import { readFile } from 'node:fs/promises';
import { labHealth } from './memory-watch.js';
import type { Stack } from './stack.js';
import { virsh } from './virsh.js';

/** A process's resident set, MiB, or undefined when it is gone. */
export async function rssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

export interface RssSeries {
  /** [seconds since start, MiB] */
  points: [number, number][];
}

/** Least-squares slope of MiB over time, as MiB per hour; undefined with fewer than 3 points. */
export function growthPerHour(points: [number, number][]): number | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? undefined : (sxy / sxx) * 3600;
}

/** One guest's life as seen from outside: libvirt's state and the lab's health verdict. */
export interface GuestLook {
  atSec: number;
  vm: string;
  domState: string;
  health: string;
  detail: string;
}

/**
 * A guest death: libvirt no longer reports it running, or its health is `panicked` (kernel panic in its serial
 * log, or libvirt's crashed state). `unreachable` alone is not one (a saturated TCG guest can miss the 3 s
 * agent ping), nor `oom-killed` (its kernel killed a consumer; the guest lives): both are counted apart.
 */
export function isDeath(l: GuestLook): boolean {
  return !l.domState.startsWith('running') || l.health === 'panicked';
}

export async function lookAtGuests(vms: string[], atSec: number): Promise<GuestLook[]> {
  const health = await labHealth().catch(() => ({}) as Awaited<ReturnType<typeof labHealth>>);
  return Promise.all(
    vms.map(async (vm) => {
      const domState = (await virsh('domstate', vm, '--reason').catch((e: Error) => `error: ${e.message}`)).trim();
      const h = health[vm];
      return { atSec, vm, domState, health: h?.status ?? 'unknown', detail: h?.detail ?? '' };
    }),
  );
}

export interface JobRecord {
  id: string;
  type: string;
  policy?: string;
  state: string;
  error?: string;
}

/** A job as GET /v1/jobs shows it (the fields the ledger keeps). */
interface ApiJobRow {
  id: string;
  state: string;
  type?: string;
  policy?: string;
  error?: string;
}

/** Every job the policies enqueued during the run, by id, with the last state the API gave it. */
export class JobLedger {
  readonly jobs = new Map<string, JobRecord>();

  constructor(private readonly stack: Stack) {}

  private note(id: string, state: string, type = '?', policy?: string, error?: string): void {
    const was = this.jobs.get(id);
    this.jobs.set(id, { id, type: type !== '?' ? type : (was?.type ?? '?'), state, ...(policy ?? was?.policy ? { policy: policy ?? was?.policy } : {}), ...(error ? { error } : {}) });
  }

  /** Reads the newest decisions and jobs (1,000 of each: more than a few polls' worth). */
  async poll(): Promise<void> {
    const jobs = (await (await this.stack.api('/v1/jobs?limit=1000')).json()) as { jobs: ApiJobRow[] };
    for (const j of jobs.jobs) this.note(j.id, j.state, j.type, j.policy, j.error);
    const d = (await (await this.stack.api('/v1/decisions?limit=1000')).json()) as { decisions: { policy?: string; jobs?: { id?: string; state?: string; skipped?: string }[] }[] };
    for (const dec of d.decisions) {
      for (const j of dec.jobs ?? []) if (j.id && !j.skipped && !this.jobs.has(j.id)) this.note(j.id, j.state ?? 'unknown', '?', dec.policy);
    }
  }

  /** Asks for each job's state by id (GET /v1/jobs/:id): a 404 is a job lost. */
  async settle(): Promise<void> {
    for (const j of this.jobs.values()) {
      const r = await this.stack.api(`/v1/jobs/${encodeURIComponent(j.id)}`);
      if (r.status === 404) {
        this.note(j.id, 'missing', j.type);
        continue;
      }
      const row = (await r.json()) as ApiJobRow;
      this.note(j.id, row.state, row.type ?? j.type, row.policy, row.error);
    }
  }

  /** Jobs not in a terminal state (succeeded, failed, cancelled). */
  unfinished(): JobRecord[] {
    return [...this.jobs.values()].filter((j) => !['succeeded', 'failed', 'cancelled'].includes(j.state));
  }

  /** Counts by type and state: { 'set-memory': { succeeded: 12, failed: 1 }, … }. */
  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const j of this.jobs.values()) {
      const t = (out[j.type] ??= {});
      t[j.state] = (t[j.state] ?? 0) + 1;
    }
    return out;
  }
}
