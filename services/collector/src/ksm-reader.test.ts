import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KsmSettings } from '@ballast/domain';
import { LibvirtHypervisor, type Hypervisor } from '@ballast/hypervisor';
import { KsmReader } from './ksm-reader.js';
import { KsmdCpu } from './ksmd-cpu.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A /proc with a few processes, ksmd (pid 37) among them; returns a setter for ksmd's utime + stime. */
function fakeProc(withKsmd = true): { dir: string; setTicks: (utime: number, stime: number) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ballast-proc-'));
  dirs.push(dir);
  const proc = (pid: number, comm: string, utime = 0, stime = 0) => {
    mkdirSync(path.join(dir, String(pid)), { recursive: true });
    writeFileSync(path.join(dir, String(pid), 'comm'), `${comm}\n`);
    writeFileSync(path.join(dir, String(pid), 'stat'), `${pid} (${comm}) S 2 0 0 0 -1 2097216 0 0 0 0 ${utime} ${stime} 0 0 25 5 1 0 15 0 0\n`);
  };
  proc(1, 'systemd', 500, 300);
  proc(12, 'odd) name (x', 9, 9);
  if (withKsmd) proc(37, 'ksmd');
  writeFileSync(path.join(dir, 'uptime'), '1.0 1.0\n');
  return { dir, setTicks: (utime, stime) => proc(37, 'ksmd', utime, stime) };
}

const SEC = 1_000_000_000n;

test('KsmdCpu: ksmd\'s utime + stime over the interval, percent of one pCPU (USER_HZ ticks)', async () => {
  const { dir, setTicks } = fakeProc();
  const cpu = new KsmdCpu(dir);
  setTicks(100, 20);
  assert.equal(await cpu.percentSince(10n * SEC), undefined, 'the first call only starts the interval');
  setTicks(130, 40); // +50 ticks = 0.5 s of CPU
  assert.equal(await cpu.percentSince(12n * SEC), 25);
  assert.equal(await cpu.percentSince(14n * SEC), 0);
  rmSync(path.join(dir, '37'), { recursive: true });
  assert.equal(await cpu.percentSince(16n * SEC), undefined, 'ksmd vanished');
  assert.equal(await new KsmdCpu(fakeProc(false).dir).percentSince(SEC), undefined, 'no ksmd at all');
  assert.equal(await new KsmdCpu('/nonexistent/proc').percentSince(SEC), undefined);
});

const SETTINGS: KsmSettings = {
  run: 'run',
  pagesToScan: 100,
  sleepMillisecs: 20,
  mergeAcrossNodes: true,
  counters: { pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3 },
};

function fakeHv(uri: string, getKsm: () => Promise<KsmSettings>): Hypervisor {
  return { uri, getKsm } as unknown as Hypervisor;
}

test('KsmReader: settings and counters on due cycles, repeated between, with ksmd\'s CPU of each interval (local URI)', async () => {
  const { dir, setTicks } = fakeProc();
  let calls = 0;
  const reader = new KsmReader(fakeHv('qemu:///system', async () => (calls++, SETTINGS)), () => assert.fail('supported'), new KsmdCpu(dir));
  const first = await reader.read(true, 0n);
  assert.deepEqual(first, { run: 'run', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3 });
  setTicks(4, 1);
  assert.equal((await reader.read(false, 2n * SEC))?.ksmdCpuPercent, 2.5);
  assert.equal(calls, 1);
  await reader.read(true, 4n * SEC);
  assert.equal(calls, 2);
});

test('KsmReader: a remote URI has no ksmd figure; a driver without KSM is reported once and not asked again', async () => {
  const remote = new KsmReader(fakeHv('qemu+tcp://10.77.0.2/system', async () => SETTINGS), () => undefined);
  await remote.read(true, 0n);
  assert.equal((await remote.read(true, 2n * SEC))?.ksmdCpuPercent, undefined);
  // libvirt's test driver has no node memory parameters
  const testDriver = await LibvirtHypervisor.open('test:///default', { readOnly: true });
  let calls = 0;
  const getKsm = testDriver.getKsm.bind(testDriver);
  testDriver.getKsm = () => (calls++, getKsm());
  const told: string[] = [];
  const noKsm = new KsmReader(testDriver, (what) => void told.push(what));
  try {
    for (let i = 0; i < 3; i++) assert.equal(await noKsm.read(true, BigInt(i) * SEC), undefined);
  } finally {
    await testDriver.close();
  }
  assert.deepEqual([calls, told], [1, ['KSM']]);
});
