// The simulator server and its client (openHypervisor('sim://127.0.0.1:<port>/<hostId>')) over real loopback
// TCP, in-process: the cluster's clock is manual here, so migrations and balloons move when the test says.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HypervisorEvent } from '@ballast/domain';
import { isConnectionError, isRetryableOpenError, isVmGone, openHypervisor, ReconnectingHypervisor, type Hypervisor } from '@ballast/hypervisor';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import { SimCluster } from '../sim-cluster.js';
import { SimHypervisor } from '../sim-hypervisor.js';
import { buildRandomCluster } from '../sim-scenario.js';
import { constant, gib, mib } from '../sim-workload.js';
import { SimServer } from './sim-server.js';

const FULL = { balloon: true, vcpu: true };

function twoHosts(): SimCluster {
  const sim = new SimCluster({ seed: 3 });
  sim.addHost({ id: 'h1', pcpus: 8, memoryKiB: gib(16), numaNodes: 2 });
  sim.addHost({ id: 'h2', pcpus: 4, memoryKiB: gib(8) });
  sim.createVm('h1', { name: 'db', vcpus: 2, maxMemoryKiB: gib(2), memoryKiB: gib(1), cpu: constant(0.5), memory: constant(mib(300)), memStatsPeriodSec: 1 });
  sim.createVm('h1', { name: 'web', vcpus: 1, maxMemoryKiB: gib(1), memoryKiB: mib(512), cpu: constant(0.2), memory: constant(mib(200)) });
  sim.createVm('h2', { name: 'cache', vcpus: 1, maxMemoryKiB: gib(1), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(100)) });
  sim.advance(3000);
  return sim;
}

/** A loopback port nothing listens on (a moment ago). */
async function unusedPort(): Promise<number> {
  const probe = new SimServer({ cluster: new SimCluster(), clock: 'manual' });
  const { port } = await probe.listen(0);
  await probe.close();
  return port;
}

/** Resolves once `pred` holds for an event (the wire delivers asynchronously). */
function nextEvent(hv: Hypervisor, pred: (ev: HypervisorEvent) => boolean, timeoutMs = 5000): Promise<HypervisorEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such event in time')), timeoutMs);
    const off = hv.onEvent((ev) => {
      if (!pred(ev)) return;
      clearTimeout(timer);
      off();
      resolve(ev);
    });
  });
}

describe('simulator server and sim:// client', () => {
  let sim: SimCluster;
  let server: SimServer;
  let h1: Hypervisor;
  let h2: Hypervisor;
  const uuid = (name: string) => sim.inspectAll().find((v) => v.name === name)?.uuid as string;

  before(async () => {
    sim = twoHosts();
    server = new SimServer({ cluster: sim, clock: 'manual' });
    await server.listen(0);
    h1 = await openHypervisor(server.uri('h1'));
    h2 = await openHypervisor(server.uri('h2'));
  });

  after(async () => {
    await h1?.close();
    await h2?.close();
    await server?.close();
  });

  test('reads over the wire equal the in-process SimHypervisor: host info, VMs, bulk stats, node figures', async () => {
    const local = new SimHypervisor(sim, 'h1');
    assert.equal(h1.uri, server.uri('h1'));
    assert.match(h1.uri, /^sim:\/\/127\.0\.0\.1:\d+\/h1$/);
    assert.deepEqual(await h1.hostInfo(), await local.hostInfo());
    assert.deepEqual((await h1.hostInfo()).numaCells.length, 2);
    assert.deepEqual((await h1.listVms()).map((v) => v.name), ['db', 'web']);
    assert.deepEqual(await h1.collectStats(FULL), await local.collectStats(FULL));
    assert.deepEqual(await h1.nodeCpuTimes(), await local.nodeCpuTimes());
    assert.deepEqual(await h1.nodeMemory(), await local.nodeMemory());
    assert.deepEqual(await h1.vmConfig(uuid('db')), await local.vmConfig(uuid('db')));
    assert.deepEqual(await h1.getKsm(), await local.getKsm());
    const stats = await h1.vmStats(uuid('db'), FULL);
    assert.equal(stats.vcpus.length, 2);
    assert.ok((stats.balloon?.unusedKiB ?? 0) > 0, 'guest balloon stats arrive');
    assert.equal(await h1.migrationProgress(uuid('db')), undefined);
  });

  test('set memory, CPU tune and pinning change the simulated VM, and their events arrive', async () => {
    const db = uuid('db');
    const tunable = nextEvent(h1, (ev) => ev.kind === 'tunable' && 'cputune.vcpupin1' in ev.params);
    await h1.pinVcpu(db, 1, [2, 3]);
    assert.deepEqual((await tunable).kind, 'tunable');
    assert.deepEqual((await h1.getVcpuPinning(db))[1], [2, 3]);
    await h1.setCpuTune(db, { shares: 2048, quotaUs: 50_000 });
    assert.deepEqual([(await h1.getCpuTune(db)).shares, (await h1.getCpuTune(db)).quotaUs], [2048, 50_000]);
    const settled = nextEvent(h1, (ev) => ev.kind === 'balloon-change' && ev.uuid === db);
    await h1.setMemory(db, mib(768));
    sim.advance(3000);
    assert.deepEqual(await settled, { kind: 'balloon-change', uuid: db, name: 'db', actualKiB: mib(768) });
    assert.equal((await h1.vmStats(db, FULL)).balloon?.currentKiB, mib(768));
  });

  test('errors keep their libvirt code and domain across the wire', async () => {
    const gone = await h1.vmStats('00000000-0000-0000-0000-000000000000', FULL).catch((e: unknown) => e);
    assert.ok(gone instanceof LibvirtError);
    assert.deepEqual([gone.code, gone.domain, isVmGone(gone)], [ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, true]);
    // a VM of another host is not found through this one, as with libvirt
    assert.ok(isVmGone(await h2.vmStats(uuid('db'), FULL).catch((e: unknown) => e)));
    const tooBig = await h1.setMemory(uuid('web'), gib(64)).catch((e: unknown) => e);
    assert.deepEqual([(tooBig as LibvirtError).code, (tooBig as LibvirtError).message], [ErrorCode.INVALID_ARG, 'cannot set memory higher than max memory']);
    const ro = await openHypervisor(server.uri('h1'), { readOnly: true });
    try {
      assert.equal((await ro.listVms()).length, 2);
      const denied = await ro.setMemory(uuid('web'), mib(600)).catch((e: unknown) => e);
      assert.equal((denied as LibvirtError).code, ErrorCode.OPERATION_DENIED);
    } finally {
      await ro.close();
    }
  });

  test('a migration moves the VM from h1 to h2 in simulated time, with progress; both listings agree', async () => {
    const web = uuid('web');
    const stopped = nextEvent(h1, (ev) => ev.kind === 'lifecycle' && ev.uuid === web && ev.event === 'stopped');
    const started = nextEvent(h2, (ev) => ev.kind === 'lifecycle' && ev.uuid === web && ev.event === 'started');
    let done = false;
    const moved = h1.migrate(web, { destUri: h2.uri, live: true }).then(() => (done = true));
    const p0 = await h1.migrationProgress(web); // answered after migrate started (one connection, in order)
    assert.ok(p0 && p0.memoryTotalBytes === mib(512) * 1024, JSON.stringify(p0));
    sim.advance(2500); // 0.5 s setup + 2 of the 4 s that 512 MiB take at 128 MiB/s
    const p1 = await h1.migrationProgress(web);
    assert.deepEqual([p1?.elapsedMs, p1?.remainingMs, p1?.memoryProcessedBytes], [2500, 2000, mib(256) * 1024]);
    assert.equal(done, false);
    sim.advance(2000);
    await moved;
    await Promise.all([stopped, started]);
    assert.deepEqual((await h1.listVms()).map((v) => v.name), ['db']);
    assert.deepEqual((await h2.listVms()).map((v) => v.name).sort(), ['cache', 'web']);
    assert.equal(sim.inspect(web).hostId, 'h2');
    assert.ok(isVmGone(await h1.vmStats(web, FULL).catch((e: unknown) => e)));
    assert.equal((await h2.vmStats(web, FULL)).state, 'running');
  });

  test('an aborted migration rejects with OPERATION_ABORTED and the VM stays', async () => {
    const cache = uuid('cache');
    const moving = h2.migrate(cache, { destUri: h1.uri, live: true }).catch((e: unknown) => e);
    assert.ok(await h2.migrationProgress(cache));
    sim.advance(1000);
    await h2.abortMigration(cache);
    const err = await moving;
    assert.deepEqual([(err as LibvirtError).code, (err as LibvirtError).domain], [ErrorCode.OPERATION_ABORTED, ErrorDomain.QEMU]);
    assert.equal(sim.inspect(cache).hostId, 'h2');
    assert.equal(await h2.migrationProgress(cache), undefined);
  });

  test('a destination that is not a host of this server is refused before anything moves', async () => {
    const db = uuid('db');
    const elsewhere = await h1.migrate(db, { destUri: 'sim://10.0.0.9:7070/h2', live: true }).catch((e: unknown) => e);
    assert.equal((elsewhere as LibvirtError).code, ErrorCode.NO_CONNECT);
    assert.match((elsewhere as Error).message, /not on this host's simulator server/);
    const noHost = await h1.migrate(db, { destUri: server.uri('h9'), live: true }).catch((e: unknown) => e);
    assert.equal((noHost as LibvirtError).code, ErrorCode.NO_CONNECT);
    assert.equal(sim.inspect(db).hostId, 'h1');
  });

  test('opening: an unknown host is a config error, an unreachable server is retryable, a bad URI names the form', async () => {
    const unknown = await openHypervisor(server.uri('h9')).catch((e: unknown) => e);
    assert.deepEqual([(unknown as LibvirtError).code, isRetryableOpenError(unknown)], [ErrorCode.NO_CONNECT, false]);
    const port = await unusedPort();
    const refused = await openHypervisor(`sim://127.0.0.1:${port}/h1`).catch((e: unknown) => e);
    assert.deepEqual([(refused as LibvirtError).code, (refused as LibvirtError).domain, isRetryableOpenError(refused)], [ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, true]);
    const bare = await openHypervisor('sim://h1').catch((e: unknown) => e);
    assert.match((bare as Error).message, /expected sim:\/\/<address>:<port>\/<hostId>.*new SimHypervisor\(cluster, hostId\)/);
  });

  test('severed connections: a ReconnectingHypervisor on a sim:// URI sees connection-lost and reopens', async () => {
    const hv = ReconnectingHypervisor.forUri(server.uri('h1'), { backoff: { next: () => 20, reset() {} } });
    await hv.start();
    const lost = nextEvent(hv, (ev) => ev.kind === 'connection-lost');
    sim.severConnections('h1');
    await lost;
    for (let i = 0; i < 100 && hv.connects < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(hv.connects, 2);
    assert.deepEqual((await hv.listVms()).map((v) => v.name), ['db']);
    await hv.close();
  });
});

test('a server that goes away: pending calls fail as a lost connection and listeners hear of it', async () => {
  const sim = twoHosts();
  const server = new SimServer({ cluster: sim, clock: 'manual' });
  await server.listen(0);
  const hv = await openHypervisor(server.uri('h1'));
  const db = sim.inspectAll().find((v) => v.name === 'db')?.uuid as string;
  const lost = nextEvent(hv, (ev) => ev.kind === 'connection-lost');
  const pending = hv.migrate(db, { destUri: server.uri('h2'), live: true }).catch((e: unknown) => e);
  await hv.migrationProgress(db);
  await server.close();
  assert.equal((await lost).kind, 'connection-lost');
  const err = await pending;
  assert.ok(isConnectionError(err), String(err));
  assert.ok(isConnectionError(await hv.listVms().catch((e: unknown) => e)));
  await hv.close();
});

test('the real-time clock keeps the cluster at the wall clock', async () => {
  const startSec = Math.floor(Date.now() / 1000);
  const sim = buildRandomCluster({ seed: 1, hosts: 2, vmsPerHost: 2, epochSec: startSec });
  const server = new SimServer({ cluster: sim, tickMs: 20 });
  await server.listen(0);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sim.nowMs > 0, 'the clock moved');
    assert.ok(Math.abs(sim.wallClockMs - Date.now()) < 500, `${sim.wallClockMs} vs ${Date.now()}`);
    assert.ok(server.clockLagMs < 500);
  } finally {
    await server.close();
  }
});
