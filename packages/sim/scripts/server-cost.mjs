#!/usr/bin/env node
// What a simulator server costs: starts `dist/server/main.js` with --hosts H --vms-per-host V, then
//  1. its RSS once started (idle, clock ticking),
//  2. one bulk-stats call over the wire (collectStats, balloon + vCPU) on one host: N serial calls, median/p90,
//  3. with one connection per host each polling bulk stats every --interval ms (as that many collectors would):
//     RSS, the server's CPU and the call latency under that load. With --collector-like 1 each poll also reads
//     node CPU times, node memory and (in parallel) the current pCPUs of every VM, as a collector's cycle does.
// Prints one JSON object. Build first (npx tsc -b).
//   node packages/sim/scripts/server-cost.mjs --hosts 1000 --vms-per-host 20
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHypervisor } from '@ballast/hypervisor';

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith('--') ? [a.slice(2), xs[i + 1]] : [])).filter((e) => e.length));
const hosts = Number(args.hosts ?? 1000);
const vmsPerHost = Number(args['vms-per-host'] ?? 20);
const calls = Number(args.calls ?? 200);
const intervalMs = Number(args.interval ?? 2000);
const loadSec = Number(args['load-sec'] ?? 20);
const collectorLike = args['collector-like'] === '1';
const FULL = { balloon: true, vcpu: true };

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'server', 'main.js');
const t0 = Date.now();
const child = spawn(process.execPath, [main, '--hosts', String(hosts), '--vms-per-host', String(vmsPerHost), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
});
const startedMs = Date.now() - t0;

const rssMiB = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
const cpuSec = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks of 10 ms
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await sleep(2000);
const idleRssMiB = rssMiB();

// 2. serial bulk-stats calls on one host
const one = await openHypervisor(`${info.uriPrefix}${info.hosts[Math.floor(hosts / 2)]}`, { readOnly: true });
const serial = [];
let bytes = 0;
for (let i = 0; i < calls; i++) {
  const t = performance.now();
  const stats = await one.collectStats(FULL);
  serial.push(performance.now() - t);
  if (i === 0) bytes = JSON.stringify(stats).length;
}

// 3. every host polled by a connection of its own
const conns = await Promise.all(info.hosts.map((h) => openHypervisor(`${info.uriPrefix}${h}`, { readOnly: true })));
for (const c of conns) c.onEvent(() => undefined);
const loaded = [];
let stop = false;
const cpu0 = cpuSec();
const tLoad = Date.now();
const pollers = conns.map(async (c, i) => {
  await sleep((i / conns.length) * intervalMs);
  while (!stop) {
    const t = performance.now();
    const stats = await c.collectStats(FULL);
    loaded.push(performance.now() - t);
    if (collectorLike) await Promise.all([c.nodeCpuTimes(), c.nodeMemory(), ...stats.map((v) => c.currentPcpus(v.uuid).catch(() => undefined))]);
    await sleep(intervalMs);
  }
});
await sleep(loadSec * 1000);
stop = true;
await Promise.all(pollers);
const serverCpuPercent = Math.round(((cpuSec() - cpu0) / ((Date.now() - tLoad) / 1000)) * 100);
const loadedRssMiB = rssMiB();
await Promise.all([one, ...conns].map((c) => c.close()));
child.kill('SIGTERM');

const ms = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  hosts,
  vmsPerHost,
  serverStartMs: startedMs,
  idleRssMiB,
  bulkStatsReplyBytes: bytes,
  bulkStatsSerialMs: { calls, median: ms(pct(serial, 0.5)), p90: ms(pct(serial, 0.9)), max: ms(Math.max(...serial)) },
  underLoad: {
    connections: conns.length,
    collectorLike,
    intervalMs,
    seconds: loadSec,
    calls: loaded.length,
    bulkStatsMs: { median: ms(pct(loaded, 0.5)), p90: ms(pct(loaded, 0.9)), p99: ms(pct(loaded, 0.99)) },
    serverCpuPercent,
    rssMiB: loadedRssMiB,
  },
}));
