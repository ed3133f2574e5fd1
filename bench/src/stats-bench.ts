import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { VmStats } from '@ballast/domain';
import { LibvirtHypervisor } from '@ballast/hypervisor';
import { DomainStats, GetAllDomainStatsFlags, ListDomainsFlags, open, type Connection } from '@ballast/libvirt';
import { readVmStats } from '@ballast/collector';
import { median, percentile, type BenchRow } from './stats.js';

const exec = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));

const ALL = DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.VCPU | DomainStats.BALLOON;
const NO_BALLOON = DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.VCPU;
const FLAGS = GetAllDomainStatsFlags.ACTIVE | GetAllDomainStatsFlags.NOWAIT;

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function perDomain(conn: Connection, uuid: string): Promise<void> {
  await conn.getDomainInfo(uuid);
  await conn.memoryStats(uuid);
  await conn.getVcpus(uuid);
}

const LABEL: Record<string, string> = {
  bulk: 'bulk GetAllDomainStats (state,cpu,vcpu,balloon)',
  'bulk-no-balloon': 'bulk without balloon',
  serial: 'per-domain, serial (info+memstats+vcpus)',
  parallel: 'per-domain (info+memstats+vcpus), one domain per thread',
  'parallel-at-once': 'per-domain (info+memstats+vcpus), every call at once',
  'list-stats-parallel': 'per-domain ListGetStats (state,cpu,vcpu,balloon), one domain per thread',
};
/** libvirt-python's variant → the binding's variant doing the same. */
const PY_PEER: Record<string, string> = { bulk: 'bulk', 'bulk-no-balloon': 'bulk-no-balloon', serial: 'serial', threads: 'parallel', 'list-stats-threads': 'list-stats-parallel' };

/** The binding's strategies, each timed over the same running domains (handles kept by the binding). */
async function bindingStrategies(conn: Connection, doms: string[], runs: number): Promise<Record<string, number[]>> {
  return {
    bulk: await timed(runs, () => conn.getAllDomainStats(ALL, FLAGS)),
    'bulk-no-balloon': await timed(runs, () => conn.getAllDomainStats(NO_BALLOON, FLAGS)),
    serial: await timed(runs, async () => {
      for (const d of doms) await perDomain(conn, d);
    }),
    parallel: await timed(runs, () => Promise.all(doms.map((d) => perDomain(conn, d)))),
    'parallel-at-once': await timed(runs, () => Promise.all(doms.map((d) => Promise.all([conn.getDomainInfo(d), conn.memoryStats(d), conn.getVcpus(d)])))),
    'list-stats-parallel': await timed(runs, () => Promise.all(doms.map((d) => conn.getDomainStats([d], ALL, GetAllDomainStatsFlags.NOWAIT)))),
  };
}

/** The collector's own read (readVmStats) of every running VM: state, cpu, vcpu and balloon stats, the vCPUs' pCPUs; with and without the vCPU wait (vcpuWaitEvery). */
async function collectorCycles(uri: string, runs: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const strategy of ['per-domain', 'bulk'] as const) {
    const hv = await LibvirtHypervisor.open(uri, { readOnly: true, statsStrategy: strategy });
    try {
      for (const [vcpuWait, balloon] of strategy === 'bulk' ? [[true, true]] : [[false, true], [true, true], [false, false]]) {
        const read = { balloon: true, placement: true, vcpuWait, ...(balloon ? {} : { balloonFor: () => false }) };
        const whole = (s: VmStats): boolean =>
          (!balloon || s.balloon?.lastUpdateSec !== undefined) && s.vcpus.length > 0 && s.vcpus.every((v) => v.pcpu !== undefined && (!vcpuWait || v.delayNs !== undefined));
        const got = await readVmStats(hv, read);
        if (!got.every(whole)) throw new Error(`collector read (${strategy}) lacks guest balloon figures, vCPU times, wait or placement: ${JSON.stringify(got)}`);
        out[`${strategy}${vcpuWait ? '' : ' no-wait'}${balloon ? '' : ' no-balloon'}`] = await timed(runs, () => readVmStats(hv, read));
      }
    } finally {
      await hv.close();
    }
  }
  return out;
}

function row(n: number, variant: string, xs: number[], runs: number, note: string): BenchRow {
  return { bench: `stats ${n} lab VMs`, variant, median: median(xs), p90: percentile(xs, 90), unit: 'ms/cycle', runs, note };
}

/**
 * Stats collection on real guests, side by side in one run: the binding's strategies (bulk, per-domain serially as
 * MOM polls, per-domain in parallel, virDomainListGetStats per domain in parallel), libvirt-python doing the same
 * (in rounds with the binding's, so drift on the shared machine hits both), and the collector's actual read against
 * libvirt-python's best strategy.
 */
export async function labStatsBench(uri: string, runs = 120): Promise<BenchRow[]> {
  const conn = await open(uri, { readOnly: true });
  try {
    const doms = (await conn.listAllDomains(ListDomainsFlags.ACTIVE)).map((d) => d.uuid);
    const n = doms.length;
    if (n === 0) throw new Error(`no running domains on ${uri}: bring the lab up first (make lab-up)`);
    // Rounds: libvirt-python, the binding's strategies, the collector's cycle, a few runs each, again and again, so
    // the load of the shared machine, which drifts over seconds, weighs on all of them alike.
    const rounds = 12;
    const per = Math.max(1, Math.ceil(runs / rounds));
    const ours: Record<string, number[]> = {};
    const cycle: Record<string, number[]> = {};
    let py: Record<string, number[]> | undefined = {};
    for (let r = 0; r < rounds; r++) {
      const p = await pythonBench(uri, per);
      py = p && py ? mergeRuns(py, p) : undefined;
      mergeInto(ours, await bindingStrategies(conn, doms, per));
      mergeInto(cycle, await collectorCycles(uri, per));
    }
    const total = per * rounds;
    const rows = Object.entries(ours).map(([k, xs]) => row(n, `binding: ${LABEL[k]}`, xs, total, `${(median(xs) / n).toFixed(2)} ms/VM`));
    let best: [string, number[]] | undefined;
    for (const [k, xs] of Object.entries(py ?? {})) {
      const ratio = median(ours[PY_PEER[k] ?? ''] ?? []) / median(xs);
      rows.push(row(n, `libvirt-python: ${LABEL[PY_PEER[k] ?? ''] ?? k}`, xs, xs.length, `binding/python ${ratio.toFixed(2)}`));
      if (!best || median(xs) < median(best[1])) best = [k, xs];
    }
    const cycleLabel: Record<string, string> = {
      'per-domain no-wait': 'per-domain, without the vCPU wait (4 cycles of 5)',
      'per-domain': 'per-domain, with the vCPU wait (1 cycle of 5)',
      'per-domain no-wait no-balloon': 'per-domain, no VM due for balloon stats (steady VMs between reads)',
      bulk: 'bulk (the old cycle)',
    };
    const vsBest = (ms: number): string => (best ? `; vs libvirt-python's best (${best[0]}) ${(ms / median(best[1])).toFixed(2)}` : '');
    for (const [k, xs] of Object.entries(cycle)) {
      rows.push(row(n, `collector's cycle: ${cycleLabel[k] ?? k}`, xs, total, `${(median(xs) / n).toFixed(2)} ms/VM${vsBest(median(xs))}`));
    }
    const noWait = cycle['per-domain no-wait'];
    const withWait = cycle['per-domain'];
    const noBalloon = cycle['per-domain no-wait no-balloon'];
    if (noWait && withWait && noBalloon) {
      // Steady VMs at the defaults (2 s interval, balloonSteadyMs 3 s: balloon every other cycle; vcpuWaitEvery 5):
      // over 10 cycles, 1 with the vcpu group (and balloon), 4 more with balloon, 5 without.
      const mix = (median(withWait) + 4 * median(noWait) + 5 * median(noBalloon)) / 10;
      rows.push({ bench: `stats ${n} lab VMs`, variant: "collector's cycle, default config, steady VMs (1/10 + 4/10 + 5/10 of the medians)", median: mix, unit: 'ms/cycle', runs: total, note: `${(mix / n).toFixed(2)} ms/VM${vsBest(mix)}` });
    }
    if (noWait && withWait) {
      // vcpuWaitEvery 5 (the default): four cycles without the vcpu group, one with it.
      const avg = (4 * median(noWait) + median(withWait)) / 5;
      rows.push({ bench: `stats ${n} lab VMs`, variant: "collector's cycle, every VM's balloon each cycle, vcpuWaitEvery 5 (4/5 + 1/5 of the medians)", median: avg, unit: 'ms/cycle', runs: total, note: `${(avg / n).toFixed(2)} ms/VM${vsBest(avg)}` });
    }
    return rows;
  } finally {
    await conn.close();
  }
}

function mergeInto(into: Record<string, number[]>, add: Record<string, number[]>): void {
  for (const [k, xs] of Object.entries(add)) into[k] = [...(into[k] ?? []), ...xs];
}

function mergeRuns(a: Record<string, number[]>, b: Record<string, number[] | number>): Record<string, number[]> {
  const out: Record<string, number[]> = { ...a };
  for (const [k, ys] of Object.entries(b)) if (Array.isArray(ys)) out[k] = [...(a[k] ?? []), ...ys];
  return out;
}

async function pythonBench(uri: string, runs: number): Promise<Record<string, number[] | number> | undefined> {
  try {
    const { stdout } = await exec('/usr/bin/python3', [path.join(HERE, '..', 'py', 'libvirt_stats.py'), uri, String(runs)], { timeout: 300000 });
    return JSON.parse(stdout) as Record<string, number[] | number>;
  } catch (e) {
    console.error(`libvirt-python comparison skipped: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** List/state overhead on the test driver with a 500-domain node XML. */
export async function manyDomainsBench(count = 500, runs = 30): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ballast-bench-'));
  const file = path.join(dir, 'node.xml');
  const doms = Array.from({ length: count }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    return `<domain type="test"><name>vm${i}</name><uuid>00000000-0000-4000-8000-${hex}</uuid><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
  });
  writeFileSync(file, `<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>bench</model></cpu><memory>25165824</memory>${doms.join('')}</node>`);
  const conn = await open(`test://${file}`);
  try {
    const list = await timed(runs, () => conn.listAllDomains());
    const bulk = await timed(runs, () => conn.getAllDomainStats(DomainStats.STATE, GetAllDomainStatsFlags.NOWAIT));
    const got = (await conn.listAllDomains()).length;
    if (got !== count) throw new Error(`expected ${count} domains, listed ${got}`);
    return [
      { bench: `test driver ${count} domains`, variant: 'listAllDomains', median: median(list), p90: percentile(list, 90), unit: 'ms', runs, note: `${((median(list) / count) * 1000).toFixed(1)} µs/domain` },
      { bench: `test driver ${count} domains`, variant: 'bulk stats (state)', median: median(bulk), p90: percentile(bulk, 90), unit: 'ms', runs, note: `${((median(bulk) / count) * 1000).toFixed(1)} µs/domain` },
    ];
  } finally {
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
