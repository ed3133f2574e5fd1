// What a Redis restart costs (docs/redis-ha.md). Jobs flow — enqueued through JobQueues as the engine does,
// applied by the actuator's BullMQ worker through the JobRouter to a simulated host, both on clients made by
// the services' scaffold — while redis-server (AOF on, appendfsync everysec, as infra/redis/*.conf) is killed
// with -9 and started again on the same port and data dir. Nobody restarts the services: they reconnect by
// themselves, jobs flow again, every acknowledged job that survived reaches exactly one terminal state, and the
// jobs lost are counted and printed. Then: the same job delivered twice (BullMQ delivers at least once) leaves
// the guest as once, because targets are absolute.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import type { JobSpec } from '@ballast/domain';
import { JobQueues } from '@ballast/queue';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import { freePort, startRedis, startSentinel, type RedisHandle, type SentinelHandle } from '@ballast/testkit';
import { Redis } from 'ioredis';
import { startActuatorWorker } from './actuator-worker.js';
import { JobRouter } from './job-router.js';
import { TEST_PROCESSOR_CONFIG } from './processors/test-config.js';
import { describeReport, FLOW_HOST, JobFlow, type FlowHost } from './redis-fault-harness.js';
import { pino } from 'pino';
import { createServiceScaffold } from '@ballast/runtime';
import { actuatorConfigSchema } from './actuator-config.js';

/** FLOW_HOST on the simulator: 40 one-vCPU guests; the actuator's clock and sleeps run on sim time. */
function simFlowHost(): FlowHost {
  const sim = new SimCluster({ seed: 7 });
  sim.addHost({ id: FLOW_HOST, pcpus: 16, memoryKiB: gib(64) });
  const vms = Array.from({ length: 40 }, (_, i) => sim.createVm(FLOW_HOST, { name: `vm${i}`, vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(100)) }));
  return { hv: new SimHypervisor(sim, `sim://${FLOW_HOST}`), vms, now: () => sim.wallClockMs, sleep: async (ms) => void sim.advance(ms) };
}

const dirs: string[] = [];
const servers: RedisHandle[] = [];
const sentinels: SentinelHandle[] = [];
after(async () => {
  for (const s of sentinels) await s.stop();
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('redis-server killed with -9 and restarted on its data dir: the services reconnect, every surviving job ends once, the lost are counted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ballast-restart-'));
  dirs.push(dir);
  const port = await freePort();
  const first = await startRedis({ dir, port, appendfsync: 'everysec' });
  servers.push(first);
  const flow = await JobFlow.start({ REDIS_URL: first.url }, simFlowHost());
  try {
    flow.startProducing();
    await flow.waitApplied(300, 15000);

    const crashAt = Date.now();
    await first.kill();
    await new Promise((r) => setTimeout(r, 500));
    const second = await startRedis({ dir, port, appendfsync: 'everysec' });
    servers.push(second);
    const upAt = Date.now();

    // Nobody touches the services: new jobs are enqueued and applied after the restart.
    const before = flow.appliedTotal();
    await flow.waitApplied(1, 15000);
    const recoveredMs = Date.now() - upAt;
    await flow.waitApplied(300, 15000);
    await flow.stopProducing();
    const r = await flow.settle(crashAt);
    console.log(`${describeReport('redis restart (kill -9, AOF everysec)', r)}; first job applied ${recoveredMs} ms after redis was back (${flow.appliedTotal() - before} since)`);

    assert.deepEqual(r.unsettled, [], 'every job that survived reaches a terminal state');
    assert.deepEqual(r.twoTerminalStates, [], 'and only one');
    assert.equal(r.failed, 0, 'set-cpu-tune on the sim does not fail: none failed from the restart either');
    assert.equal(r.succeeded + r.lost.length, r.acked);
    // everysec: at most the last second or two of writes (Redis postpones a write up to 2 s behind a slow fsync)
    assert.ok(r.lost.length <= 2000, `lost ${r.lost.length}`);
    for (const ms of r.lostAckedBeforeCrashMs) assert.ok(ms <= 2500, `a job acknowledged ${ms} ms before the crash was lost: more than everysec allows`);
    assert.match(flow.logs.join(''), /redis error/, 'the services saw Redis go (and carried on)');
  } finally {
    await flow.close();
  }
});

test('the same job applied twice (a redelivery after a crash, by a restarted actuator): the guest ends as after once', async () => {
  const srv = await startRedis();
  servers.push(srv);
  const sim = new SimCluster({ seed: 5 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(16) });
  const vm = sim.createVm('h1', { name: 'g1', vcpus: 2, maxMemoryKiB: gib(2), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(150)) });
  const hv = new SimHypervisor(sim, 'sim://h1');
  const redis = new Redis(srv.url, { maxRetriesPerRequest: null });
  const queues = new JobQueues(redis);
  const spec = (id: string, action: JobSpec['action']): JobSpec => ({ schemaVersion: 1, id, hostId: 'h1', vmUuid: vm.uuid, vmName: 'g1', source: 'policy', createdAtMs: Date.now(), action });
  const jobs = [
    spec('balloon-1', { type: 'set-memory', memoryMiB: 700 }),
    spec('pin-1', { type: 'pin-vcpu', vcpu: 1, pcpus: [2, 3] }),
    spec('weight-1', { type: 'set-cpu-tune', shares: 2048, quotaUs: 50000 }),
  ];
  const state = async () => ({ balloonKiB: sim.inspect(vm.uuid).currentKiB, pins: await hv.getVcpuPinning(vm.uuid), tune: await hv.getCpuTune(vm.uuid) });

  /** An actuator (a fresh JobRouter each time: the restarted one remembers nothing) takes the jobs through BullMQ. */
  const deliver = async () => {
    const router = new JobRouter({ hv, config: TEST_PROCESSOR_CONFIG, now: () => sim.wallClockMs, sleep: async (ms) => sim.advance(ms) }, 'h1');
    const results: Array<{ id: string; alreadyThere: boolean }> = [];
    const w = startActuatorWorker(router, {
      hostId: 'h1', connection: redis, concurrency: 1, lockDurationMs: 5000, stalledIntervalMs: 5000, log: pino({ level: 'silent' }),
      onOutcome: (job) => void results.push({ id: String(job.id), alreadyThere: (job.returnvalue as { alreadyThere?: boolean } | undefined)?.alreadyThere ?? false }),
    });
    await queues.enqueueMany(jobs);
    const deadline = Date.now() + 10000;
    for (;;) {
      const o = await queues.outcomes(jobs.map((j) => j.id));
      if ([...o.values()].filter((x) => x.state === 'succeeded').length === jobs.length) break;
      assert.ok(Date.now() < deadline, `jobs not done: ${JSON.stringify([...o])}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await w.close();
    return (await queues.outcomes(jobs.map((j) => j.id)));
  };

  try {
    await hv.setMemoryStatsPeriod(vm.uuid, 2);
    sim.advance(4000);
    const first = await deliver();
    const once = await state();
    assert.equal(once.balloonKiB, mib(700));
    assert.deepEqual(once.pins[1], [2, 3]);
    assert.equal(once.tune.shares, 2048);

    // As if the completions were lost in the crash: the same jobs (same ids, same data) come back.
    const q = queues.queue('h1');
    for (const j of jobs) await q.remove(j.id);
    const second = await deliver();
    assert.deepEqual(await state(), once, 'applying the same targets again changed nothing');
    for (const j of jobs) {
      assert.equal(first.get(j.id)?.result?.alreadyThere, false, `${j.id} first time: applied`);
      assert.equal(second.get(j.id)?.result?.alreadyThere, true, `${j.id} second time: already there`);
    }
  } finally {
    await queues.close();
    await redis.quit();
  }
});

/** Polls `probe` every 50 ms until it returns true; throws `what` after timeoutMs. */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Sentinel: the primary killed with -9, the replica promoted; the services follow by themselves, every surviving job ends once, the lost are counted', async () => {
  const primary = await startRedis();
  servers.push(primary);
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  servers.push(replica);
  const probe = new Redis(replica.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await until('the replica in sync', 10000, async () => /master_link_status:up/.test(await probe.info('replication')));
  const sentinel = await startSentinel({ primaryPort: primary.port, name: 'ballast', downAfterMs: 1000, failoverTimeoutMs: 5000 });
  sentinels.push(sentinel);
  const ask = new Redis({ port: sentinel.port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true });
  const primaryPort = async () => Number(((await ask.call('SENTINEL', 'get-master-addr-by-name', 'ballast')) as string[])[1]);
  await until('the sentinel to know the replica', 15000, async () => ((await ask.call('SENTINEL', 'replicas', 'ballast')) as unknown[]).length === 1);

  const flow = await JobFlow.start({ BALLAST_REDIS_SENTINELS: sentinel.address, BALLAST_REDIS_SENTINEL_NAME: 'ballast' }, simFlowHost());
  try {
    assert.match(flow.logs.join(''), new RegExp(`"msg":"redis connected at sentinels 127\\.0\\.0\\.1:${sentinel.port}, primary \\\\"ballast\\\\""`));
    flow.startProducing();
    await flow.waitApplied(300, 15000);

    const crashAt = Date.now();
    await primary.kill();
    await until('the sentinel to promote the replica', 20000, async () => (await primaryPort()) === replica.port);
    const failoverMs = Date.now() - crashAt;
    assert.match(await probe.info('replication'), /role:master/);

    // Nobody touches the services: they find the new primary through the sentinel and jobs flow again.
    await flow.waitApplied(1, 15000);
    const resumedMs = Date.now() - crashAt;
    await flow.waitApplied(300, 15000);
    await flow.stopProducing();
    const r = await flow.settle(crashAt);
    console.log(`${describeReport('sentinel failover (primary kill -9)', r)}; replica promoted ${failoverMs} ms after the kill (down-after 1000 ms), first job applied ${resumedMs} ms after it`);

    assert.deepEqual(r.unsettled, [], 'every job that survived reaches a terminal state');
    assert.deepEqual(r.twoTerminalStates, [], 'and only one');
    assert.equal(r.failed, 0);
    assert.equal(r.succeeded + r.lost.length, r.acked);
    // asynchronous replication: what the primary acknowledged but had not yet sent to the replica
    assert.ok(r.lost.length <= 50, `lost ${r.lost.length}: more than a handful`);
    // (negative: an enqueue that spanned the failover, its index entry lost with the primary, its jobs sent again)
    for (const ms of r.lostAckedBeforeCrashMs) assert.ok(ms <= 2000, `a job acknowledged ${ms} ms before the crash was lost`);
  } finally {
    await flow.close();
    ask.disconnect();
    probe.disconnect();
  }
});

test('Sentinel at start: no sentinel answering, or a primary name they do not know — one line naming redisSentinels, exit 2', async () => {
  const primary = await startRedis();
  servers.push(primary);
  const sentinel = await startSentinel({ primaryPort: primary.port, name: 'ballast' });
  sentinels.push(sentinel);
  const nobody = await freePort();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ BALLAST_REDIS_SENTINELS: `127.0.0.1:${nobody}`, BALLAST_REDIS_SENTINEL_NAME: 'ballast' }, new RegExp(`^config: redisSentinels=127\\.0\\.0\\.1:${nobody} — cannot connect: All sentinels are unreachable.* \\(check redisSentinels, redisSentinelName`)],
    [{ BALLAST_REDIS_SENTINELS: sentinel.address, BALLAST_REDIS_SENTINEL_NAME: 'not-ballast' }, new RegExp(`^config: redisSentinels=127\\.0\\.0\\.1:${sentinel.port} — cannot connect: All sentinels are unreachable.* \\(check redisSentinels, redisSentinelName`)],
  ];
  for (const [env, line] of cases) {
    const stderr: string[] = [];
    const svc = createServiceScaffold({
      service: 'actuator',
      schema: actuatorConfigSchema,
      env: { BALLAST_HOST_ID: 'h1', ...env },
      exit: { writeStderr: (l) => void stderr.push(l), exit: (code) => { throw new Error(`exit ${code}`); } },
      shutdown: { signals: [], exit: () => {} },
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    await assert.rejects(svc.connectRedis(), /exit 2/, JSON.stringify(env));
    assert.equal(stderr.length, 1, stderr.join(''));
    assert.match(stderr[0] ?? '', line);
    svc.shutdown.dispose();
  }
});
