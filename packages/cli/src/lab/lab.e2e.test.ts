// End-to-end checks against the real lab guests (infra/lab/lab-up.sh). Skipped unless BALLAST_LAB=1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { AgentClient } from './agent-client.js';
import { readLabState, type LabState } from './state.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
const enabled = process.env.BALLAST_LAB === '1';
const skip = enabled ? false : 'needs the lab guests: make lab-up, then BALLAST_LAB=1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ballast(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 120000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function virsh(state: LabState, ...args: string[]): Promise<string> {
  return (await run('virsh', ['-q', '-c', state.uri, ...args])).stdout;
}

async function memStat(state: LabState, vm: string, key: string): Promise<number> {
  const line = (await virsh(state, 'dommemstat', vm)).split('\n').find((l) => l.startsWith(`${key} `));
  return Number(line?.split(/\s+/)[1]);
}

async function cpuTimeNs(state: LabState, vm: string): Promise<number> {
  const m = /cpu\.time=(\d+)/.exec(await virsh(state, 'domstats', '--cpu-total', vm));
  return Number(m?.[1]);
}

describe('lab guests (e2e)', { skip }, () => {
  test('exec returns output and exit code', async () => {
    const r = await ballast('lab', 'exec', 'lab-vm1', '--', 'echo hello; uname -r; exit 3');
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^hello\n6\.\d+/);
  });

  test('the agent answers a direct ping quickly', async () => {
    const state = await readLabState();
    const vm = state.vms[0];
    assert.ok(vm);
    assert.ok((await new AgentClient(vm.socket).ping(3000)) < 3000);
  });

  test('health reports every VM alive', async () => {
    const r = await ballast('lab', 'health');
    assert.equal(r.code, 0, r.stdout);
    const all = JSON.parse(r.stdout) as { status: string }[];
    assert.ok(all.length > 0 && all.every((h) => h.status === 'alive'));
  });

  test('mem --consume lowers the balloon "unused" stat by about the amount, --free restores it', async () => {
    const state = await readLabState();
    await ballast('lab', 'mem', 'lab-vm1', '--free');
    await sleep(4500);
    const before = await memStat(state, 'lab-vm1', 'unused');
    const r = await ballast('lab', 'mem', 'lab-vm1', '--consume', '100', '--rate', '50', '--wait');
    assert.equal(r.code, 0, r.stderr);
    await sleep(4500); // two stats periods
    const during = await memStat(state, 'lab-vm1', 'unused');
    const droppedMiB = (before - during) / 1024;
    assert.ok(droppedMiB > 85 && droppedMiB < 125, `unused dropped by ${droppedMiB.toFixed(1)} MiB`);
    await ballast('lab', 'mem', 'lab-vm1', '--free');
    await sleep(4500);
    const after = await memStat(state, 'lab-vm1', 'unused');
    assert.ok(Math.abs(after - before) / 1024 < 20, `unused ${after} KiB after free vs ${before} KiB before`);
  });

  test('cpu --duty 50 burns about half a CPU while exec stays responsive', async () => {
    const state = await readLabState();
    assert.equal((await ballast('lab', 'cpu', 'lab-vm1', '--duty', '50')).code, 0);
    try {
      await sleep(1500);
      const t0 = Date.now();
      const c0 = await cpuTimeNs(state, 'lab-vm1');
      const ping = await ballast('lab', 'exec', 'lab-vm1', '--', 'echo pong');
      assert.equal(ping.stdout, 'pong\n');
      await sleep(5000);
      const rate = (await cpuTimeNs(state, 'lab-vm1')) - c0;
      const perSecond = rate / 1e6 / (Date.now() - t0);
      assert.ok(perSecond > 0.35 && perSecond < 0.75, `cpu.time grew ${perSecond.toFixed(2)} s/s`);
    } finally {
      await ballast('lab', 'cpu', 'lab-vm1', '--stop');
    }
  });

  test('errors are one line with exit code 2', async () => {
    const r = await ballast('lab', 'exec', 'no-such-vm', '--', 'true');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ballast: unknown VM 'no-such-vm'/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
