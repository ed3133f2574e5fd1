import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DomainStats, GetAllDomainStatsFlags, ListDomainsFlags, open, type Connection } from '@ballast/libvirt';
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

/**
 * Stats collection on real guests, side by side in one run: one bulk call (with and without balloon), per-domain
 * calls serially (as MOM polls), per-domain calls in parallel; the same through libvirt-python.
 */
export async function labStatsBench(uri: string, runs = 30): Promise<BenchRow[]> {
  const conn = await open(uri, { readOnly: true });
  try {
    const doms = (await conn.listAllDomains(ListDomainsFlags.ACTIVE)).map((d) => d.uuid);
    const n = doms.length;
    if (n === 0) throw new Error(`no running domains on ${uri}: bring the lab up first (make lab-up)`);
    const ours: Record<string, number[]> = {};
    const py = await pythonBench(uri, runs);
    ours['bulk'] = await timed(runs, () => conn.getAllDomainStats(ALL, FLAGS));
    ours['bulk-no-balloon'] = await timed(runs, () => conn.getAllDomainStats(NO_BALLOON, FLAGS));
    ours['serial'] = await timed(runs, async () => {
      for (const d of doms) await perDomain(conn, d);
    });
    ours['parallel'] = await timed(runs, () => Promise.all(doms.map((d) => perDomain(conn, d))));
    const rows: BenchRow[] = [];
    const label: Record<string, string> = {
      bulk: 'bulk GetAllDomainStats (state,cpu,vcpu,balloon)',
      'bulk-no-balloon': 'bulk without balloon',
      serial: 'per-domain, serial (info+memstats+vcpus)',
      parallel: `per-domain, ${n} in parallel`,
    };
    for (const [k, xs] of Object.entries(ours)) {
      rows.push({ bench: `stats ${n} lab VMs`, variant: `binding: ${label[k]}`, median: median(xs), p90: percentile(xs, 90), unit: 'ms/cycle', runs, note: `${(median(xs) / n).toFixed(2)} ms/VM` });
    }
    if (py) {
      const pyLabel: Record<string, string> = { bulk: label['bulk']!, 'bulk-no-balloon': label['bulk-no-balloon']!, serial: label['serial']!, threads: `per-domain, ${n} threads` };
      for (const [k, xs] of Object.entries(py)) {
        if (!Array.isArray(xs)) continue;
        const ourKey = k === 'threads' ? 'parallel' : k;
        const ratio = median(ours[ourKey] ?? []) / median(xs);
        rows.push({ bench: `stats ${n} lab VMs`, variant: `libvirt-python: ${pyLabel[k]}`, median: median(xs), p90: percentile(xs, 90), unit: 'ms/cycle', runs, note: `binding/python ${ratio.toFixed(2)}` });
      }
    }
    return rows;
  } finally {
    await conn.close();
  }
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
