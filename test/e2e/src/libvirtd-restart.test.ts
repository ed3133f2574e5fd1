// A hypervisor daemon that restarts, or is late, never takes Ballast down: collector and actuator ride out a
// libvirtd restart and wait for a libvirtd that is not there yet. Stops the lab's libvirtd: run under the
// lab lock (`flock -o /tmp/ballast-lab.lock …`); libvirtd is always started again in a finally block.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLibvirtd, stopLibvirtd } from './libvirtd.js';
import { labHealth } from './memory-watch.js';
import { waitUntil, type ServiceProc } from './services.js';
import { apiVms, startStack, submitJob, waitJob, type Stack } from './stack.js';
import { dommemstat, virsh } from './virsh.js';

const LAB = process.env.BALLAST_LAB === '1';
const INTERVAL_MS = 1000;
const VM = 'lab-vm2';

interface ApiHost {
  hostId: string;
  lastSampleAt: string | null;
  stale: boolean;
}

async function labHost(stack: Stack): Promise<ApiHost | undefined> {
  const { hosts } = (await (await stack.api('/v1/hosts')).json()) as { hosts: ApiHost[] };
  return hosts.find((h) => h.hostId === stack.hostId);
}

/** The `libvirt` detail of a service's /healthz (collector or actuator ops port). */
async function libvirtHealth(port: number): Promise<string> {
  const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { details: { libvirt?: string } };
  return body.details.libvirt ?? '?';
}

/** Samples flow: the host's lastSampleAt passes `sinceMs` and it is not stale; both services see libvirt. */
async function waitSamplesAfter(stack: Stack, sinceMs: number, what: string): Promise<void> {
  await waitUntil(what, 45_000, async () => {
    const h = await labHost(stack);
    return h?.lastSampleAt && Date.parse(h.lastSampleAt) > sinceMs && !h.stale ? true : undefined;
  }, 250);
  for (const port of [stack.ports.collectorOpsPort, stack.ports.actuatorOpsPort]) {
    await waitUntil(`/healthz on ${port} to say libvirt: connected`, 30_000, async () => ((await libvirtHealth(port)) === 'connected' ? true : undefined));
  }
}

/** A shrink of lab-vm2 (which needs fresh guest balloon stats) succeeds through queue and actuator. */
async function shrinkSucceeds(stack: Stack, memoryMiB: number): Promise<void> {
  await waitUntil(`${VM} with guest balloon stats`, 30_000, async () => ((await apiVms(stack)).find((v) => v.name === VM)?.balloon?.hasGuestStats ? true : undefined), 500);
  const { status, json } = await submitJob(stack, { type: 'set-memory', vm: VM, memoryMiB });
  assert.equal(status, 202, JSON.stringify(json));
  const job = await waitJob(stack, String(json['id']), 30_000);
  assert.equal(job.state, 'succeeded', `${JSON.stringify(job)}\n--- actuator ---\n${stack.actuator.output().slice(-3000)}`);
}

/** Guest balloon stats refresh (their last_update advances): a stats period is set after the restart. */
async function guestStatsRefresh(vm: string): Promise<void> {
  const first = (await dommemstat(vm))['last_update'] ?? 0;
  await waitUntil(`${vm}'s balloon stats to refresh`, 15_000, async () => (((await dommemstat(vm))['last_update'] ?? 0) > first ? true : undefined), 500);
}

function stillRunning(...procs: ServiceProc[]): void {
  for (const p of procs) assert.equal(p.child.exitCode ?? p.child.signalCode, null, `${p.name} exited:\n${p.output().slice(-3000)}`);
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe('libvirtd restarting or late', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  const stacks: Stack[] = [];
  const extraEnv = { BALLAST_STATS_PERIOD_SEC: '2' };
  const start = async () => {
    const s = await startStack({ intervalMs: INTERVAL_MS, extraEnv });
    stacks.push(s);
    return s;
  };

  after(async () => {
    await startLibvirtd();
    await Promise.all(stacks.map((s) => s.stop()));
    await virsh('setmem', VM, '512M', '--live').catch(() => undefined);
    const health = await labHealth();
    assert.deepEqual(Object.values(health).map((h) => h.status).filter((s) => s !== 'alive'), [], JSON.stringify(health));
  });

  test('collector and actuator ride out a libvirtd restart: same processes, samples resume, a job succeeds', async () => {
    await startLibvirtd();
    const s = await start();
    await waitSamplesAfter(s, Date.now(), 'first samples');
    const pids = [s.collector.child.pid, s.actuator.child.pid];
    const statsPeriodLines = count(s.actuator.output(), 'memory stats period 2 s set on');
    try {
      await stopLibvirtd();
      await waitUntil('the collector to report libvirt reconnecting', 10_000, async () => ((await libvirtHealth(s.ports.collectorOpsPort)) === 'reconnecting' ? true : undefined));
      await sleep(3000);
      stillRunning(s.collector, s.actuator);
    } finally {
      await startLibvirtd();
    }
    await waitSamplesAfter(s, Date.now(), 'samples after the restart');
    stillRunning(s.collector, s.actuator);
    assert.deepEqual([s.collector.child.pid, s.actuator.child.pid], pids);
    assert.match(s.collector.output(), /libvirt connection lost; reconnecting in \d+ ms/);
    assert.match(s.actuator.output(), /libvirt reconnected: qemu:\/\/\/system/);
    // set on the reconnect, after the link says connected (a busy host logs it a moment later)
    await waitUntil('the actuator to set the stats period again', 10_000, async () => (count(s.actuator.output(), 'memory stats period 2 s set on') > statsPeriodLines ? true : undefined), 200);
    await guestStatsRefresh(VM);
    await shrinkSucceeds(s, 448);
    await s.stop();
  });

  test('collector and actuator started while libvirtd is down wait for it, then work', async () => {
    let s: Stack;
    try {
      await stopLibvirtd();
      s = await start();
      await sleep(5000);
      stillRunning(s.collector, s.actuator);
      for (const p of [s.collector, s.actuator]) assert.match(p.output(), /libvirt at qemu:\/\/\/system not reachable; waiting for it \(next attempt in \d+ ms\)/);
      assert.equal(await libvirtHealth(s.ports.collectorOpsPort), 'reconnecting');
      assert.equal(await libvirtHealth(s.ports.actuatorOpsPort), 'reconnecting');
    } finally {
      await startLibvirtd();
    }
    await waitSamplesAfter(s, Date.now(), 'samples once libvirtd is up');
    stillRunning(s.collector, s.actuator);
    await guestStatsRefresh(VM);
    await shrinkSucceeds(s, 416);
  });
});
