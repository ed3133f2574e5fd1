import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import type { JobSpec } from '@ballast/domain';
import { JobRouter } from '../job-router.js';
import { TEST_PROCESSOR_CONFIG } from './test-config.js';
import { PermanentJobError, type ProcessorContext } from './processor-context.js';

const CONFIG = { ...TEST_PROCESSOR_CONFIG };

/** A sim host with one 1-vCPU guest using 150 MiB; the actuator's clock and sleeps run on sim time. */
function setup(usedMiB = 150) {
  const sim = new SimCluster({ seed: 3 });
  sim.addHost({ id: 'h1', pcpus: 2, memoryKiB: gib(8) });
  sim.addHost({ id: 'h2', pcpus: 2, memoryKiB: gib(8) });
  const vm = sim.createVm('h1', { name: 'g1', vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(usedMiB)) });
  const hv = new SimHypervisor(sim, 'sim://h1');
  const ctx: ProcessorContext = {
    hv,
    config: CONFIG,
    now: () => sim.wallClockMs,
    sleep: async (ms) => sim.advance(ms),
    balloonChangedAtMs: new Map(),
    budgetGrows: new Map(),
  };
  const router = new JobRouter(ctx, 'h1');
  let n = 0;
  const spec = (action: JobSpec['action'], over: Partial<JobSpec> = {}): JobSpec => ({
    schemaVersion: 1,
    id: `job-${++n}`,
    hostId: 'h1',
    vmUuid: vm.uuid,
    vmName: 'g1',
    source: 'manual',
    createdAtMs: 0,
    action,
    ...over,
  });
  return { sim, hv, vm, router, spec, ctx };
}

async function withStats(s: ReturnType<typeof setup>) {
  await s.hv.setMemoryStatsPeriod(s.vm.uuid, 2);
  s.sim.advance(4000);
}

test('set-memory grows the balloon and verifies it', async () => {
  const s = setup();
  const r = await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 800 }));
  assert.equal(r.alreadyThere, false);
  assert.equal(s.sim.inspect(s.vm.uuid).currentKiB, mib(800));
  assert.match(r.message, /balloon at 800 MiB/);
});

test('set-memory to the current size is "already there" and changes nothing', async () => {
  const s = setup();
  const r = await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 512 }));
  assert.equal(r.alreadyThere, true);
});

test('set-memory above the maximum or below the floor fails permanently, naming the bound', async () => {
  const s = setup();
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 4096 })), (e: Error) => e instanceof PermanentJobError && /maximum of 2048 MiB/.test(e.message));
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 100 })), (e: Error) => e instanceof PermanentJobError && /floor of 200 MiB/.test(e.message));
  assert.equal(s.sim.inspect(s.vm.uuid).targetKiB, mib(512));
});

test('a shrink without guest stats is refused (used memory unknown)', async () => {
  const s = setup();
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 300 })), /no guest balloon stats/);
  assert.equal(s.sim.inspect(s.vm.uuid).targetKiB, mib(512));
});

test('a shrink below used + headroom is refused; the guest lives', async () => {
  const s = setup(400);
  await withStats(s);
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 300 })), /refusing to shrink g1 to 300 MiB: the guest uses/);
  s.sim.advance(5000);
  assert.equal(s.sim.inspect(s.vm.uuid).deaths, 0);
  assert.equal(s.sim.inspect(s.vm.uuid).targetKiB, mib(512));
});

test('a safe shrink is applied and verified', async () => {
  const s = setup(150);
  await withStats(s);
  const r = await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 300 }));
  assert.equal(r.alreadyThere, false);
  assert.equal(s.sim.inspect(s.vm.uuid).currentKiB, mib(300));
  assert.equal(s.sim.inspect(s.vm.uuid).deaths, 0);
});

test('stale guest stats block a shrink (retryable)', async () => {
  const s = setup(150);
  await withStats(s);
  await s.hv.setMemoryStatsPeriod(s.vm.uuid, 0);
  s.sim.advance(60000);
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 300 })), (e: Error) => !(e instanceof PermanentJobError) && /stats are \d+ s old/.test(e.message));
});

test('pin-vcpu pins and verifies; again is already there; bad vcpu/pcpu fail permanently', async () => {
  const s = setup();
  const r = await s.router.handle(s.spec({ type: 'pin-vcpu', vcpu: 0, pcpus: [1] }));
  assert.equal(r.alreadyThere, false);
  assert.deepEqual((await s.hv.getVcpuPinning(s.vm.uuid))[0], [1]);
  assert.equal((await s.router.handle(s.spec({ type: 'pin-vcpu', vcpu: 0, pcpus: [1] }))).alreadyThere, true);
  await assert.rejects(s.router.handle(s.spec({ type: 'pin-vcpu', vcpu: 3, pcpus: [1] })), /vcpu 3 does not exist/);
  await assert.rejects(s.router.handle(s.spec({ type: 'pin-vcpu', vcpu: 0, pcpus: [5] })), /pcpus 5 do not exist/);
});

test('set-cpu-tune applies shares and quota and reads them back', async () => {
  const s = setup();
  const r = await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 2048, quotaUs: 50000 }));
  assert.equal(r.alreadyThere, false);
  const t = await s.hv.getCpuTune(s.vm.uuid);
  assert.deepEqual([t.shares, t.quotaUs], [2048, 50000]);
  assert.equal((await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 2048 }))).alreadyThere, true);
});

test('set-cpu-tune pins the emulator threads with the shares, reads both back; a bad pCPU set changes nothing', async () => {
  const s = setup();
  const r = await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 2000, emulatorPcpus: [1] }));
  assert.equal(r.alreadyThere, false);
  assert.match(r.message, /shares=2000 .*emulatorPcpus=1$/);
  assert.deepEqual(await s.hv.getCpuTune(s.vm.uuid).then((t) => [t.shares, t.emulatorPcpus]), [2000, [1]]);
  assert.equal((await s.router.handle(s.spec({ type: 'set-cpu-tune', emulatorPcpus: [1] }))).alreadyThere, true);
  await assert.rejects(s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 500, emulatorPcpus: [99] })));
  assert.deepEqual(await s.hv.getCpuTune(s.vm.uuid).then((t) => [t.shares, t.emulatorPcpus]), [2000, [1]]);
});

test('a job for a VM that is gone fails permanently', async () => {
  const s = setup();
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 600 }, { vmUuid: 'f00-gone', vmName: 'ghost' })), (e: Error) => e instanceof PermanentJobError && /not running on this host/.test(e.message));
});

test('bad job data and a job for another host fail permanently', async () => {
  const s = setup();
  await assert.rejects(s.router.handle({ id: 'x' }), (e: Error) => e instanceof PermanentJobError && /invalid job data/.test(e.message));
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 600 }, { hostId: 'h2' })), /reached the actuator of h1/);
});

test('migrate moves the VM to the target host and verifies it left', async () => {
  const s = setup();
  const pump = setInterval(() => s.sim.advance(500), 1);
  try {
    const r = await s.router.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' }));
    assert.match(r.message, /migrated to h2/);
    assert.equal(s.sim.inspect(s.vm.uuid).hostId, 'h2');
  } finally {
    clearInterval(pump);
  }
});

test('migrate reports its progress while it runs; one past migrateTimeoutMs is aborted, the VM stays, a later one goes', async () => {
  const s = setup();
  const seen: Record<string, unknown>[] = [];
  // 512 MiB at the simulator's 128 MiB/s: 4.5 s with the setup; the actuator's sleeps are sim time
  const slow = new JobRouter({ ...s.ctx, config: { ...CONFIG, migrateTimeoutMs: 3000 } }, 'h1');
  const err = await slow.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' }), (f) => seen.push(f)).catch((e: Error) => e);
  assert.ok(err instanceof PermanentJobError, String(err));
  assert.match(err.message, /^migration of g1 to h2 did not finish within 3 s \(\d+(\.\d)? of 512 MiB of memory sent at 128 MiB\/s\) and was aborted after 3\.0 s: it still runs on h1 \(running\)$/);
  assert.equal(s.sim.inspect(s.vm.uuid).hostId, 'h1');
  assert.ok(seen.length >= 2 && seen.every((f) => f['targetHost'] === 'h2' && f['phase'] === 'migrating'), JSON.stringify(seen));
  assert.ok((seen.at(-1)?.['memorySentMiB'] as number) > (seen[0]?.['memorySentMiB'] as number), JSON.stringify(seen));
  // the abort released what the destination had reserved: the same move within the time goes through, with its progress
  seen.length = 0;
  const r = await s.router.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' }), (f) => seen.push(f));
  assert.match(r.message, /migrated to h2 in [45]\.\d s/); // 4.5 s, seen at the next 1 s poll
  assert.equal(s.sim.inspect(s.vm.uuid).hostId, 'h2');
  assert.ok(seen.some((f) => f['percent'] !== undefined), JSON.stringify(seen));
});

/**
 * The setup's hypervisor with a migrate() that never moves anything: it fails with `error` once the sim clock is
 * `failAfterMs` past its start, or `lagMs` past an abort. Like libvirt when the link to the destination is cut:
 * an abort takes effect only when libvirt gives the destination up.
 */
function cutLink(s: ReturnType<typeof setup>, o: { error: string; failAfterMs?: number; lagMs?: number; statsFail?: boolean }) {
  const calls = { aborts: 0, migrates: 0 };
  let pending: { started: number; abortedAt?: number; reject: (e: Error) => void } | undefined;
  let failed = false;
  // the migration is looked at whenever the actuator sleeps (sim time), never by a timer of its own
  const check = () => {
    const p = pending;
    if (!p) return;
    const now = s.ctx.now();
    if (now - p.started >= (o.failAfterMs ?? Infinity) || (p.abortedAt !== undefined && now - p.abortedAt >= (o.lagMs ?? 0))) {
      pending = undefined;
      failed = true;
      p.reject(new Error(o.error));
    }
  };
  const hv = Object.assign(Object.create(s.hv) as typeof s.hv, {
    migrate() {
      calls.migrates++;
      return new Promise<void>((_resolve, reject) => void (pending = { started: s.ctx.now(), reject }));
    },
    async abortMigration() {
      calls.aborts++;
      if (pending) pending.abortedAt = s.ctx.now();
    },
    async migrationProgress() {
      return undefined;
    },
    async vmStats(...args: Parameters<typeof s.hv.vmStats>) {
      if (failed && o.statsFail) throw new Error('cannot recv data: Connection reset by peer');
      return s.hv.vmStats(...args);
    },
  });
  const sleep = async (ms: number) => {
    await s.ctx.sleep(ms);
    check();
  };
  return { ctx: { ...s.ctx, hv, sleep }, calls };
}

test('a migration cut off from its destination: the abort lands when libvirt gives up; the job fails once with both reasons', async () => {
  const s = setup();
  const { ctx, calls } = cutLink(s, { error: 'internal error: client socket is closed', lagMs: 23000 });
  const router = new JobRouter({ ...ctx, config: { ...CONFIG, migrateTimeoutMs: 8000 } }, 'h1');
  const err = await router.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' })).catch((e: Error) => e);
  assert.ok(err instanceof PermanentJobError, String(err));
  assert.match(
    err.message,
    /^migration of g1 to h2 did not finish within 8 s and was aborted after 8\.0 s; libvirt ended it 23\.\d s later \(internal error: client socket is closed\): it still runs on h1 \(running\)$/,
  );
  assert.equal(calls.aborts, 1, 'aborted once');
  assert.equal(s.sim.inspect(s.vm.uuid).hostId, 'h1');
});

test('a migration libvirt fails before the timeout fails permanently with libvirt\'s reason and where the VM is', async () => {
  const s = setup();
  const { ctx, calls } = cutLink(s, { error: 'operation failed: Lost connection to destination host', failAfterMs: 30000 });
  const router = new JobRouter({ ...ctx, config: { ...CONFIG, migrateTimeoutMs: 300000 } }, 'h1');
  const err = await router.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' })).catch((e: Error) => e);
  assert.ok(err instanceof PermanentJobError, String(err));
  assert.match(err.message, /^migration of g1 to h2 failed after 30\.\d s: operation failed: Lost connection to destination host: it still runs on h1 \(running\)$/);
  assert.deepEqual(calls, { aborts: 0, migrates: 1 });
});

test('a failed migration whose VM this host cannot look at any more keeps libvirt\'s error, to be retried', async () => {
  const s = setup();
  const { ctx } = cutLink(s, { error: 'internal error: client socket is closed', failAfterMs: 5000, statsFail: true });
  const router = new JobRouter({ ...ctx, config: { ...CONFIG, migrateTimeoutMs: 300000 } }, 'h1');
  const err = await router.handle(s.spec({ type: 'migrate', targetHost: 'h2', destUri: 'sim://h2' })).catch((e: Error) => e);
  assert.ok(!(err instanceof PermanentJobError), String(err));
  assert.equal(err.message, 'internal error: client socket is closed');
});

test('jobs of one VM run one at a time, in order', async () => {
  const s = setup();
  await withStats(s);
  const order: number[] = [];
  await Promise.all(
    [700, 600, 900].map((m, i) => s.router.handle(s.spec({ type: 'set-memory', memoryMiB: m })).then(() => order.push(i))),
  );
  assert.deepEqual(order, [0, 1, 2]);
  assert.equal(s.sim.inspect(s.vm.uuid).targetKiB, mib(900));
});

test('a shrink right after a balloon change waits for a guest report taken after it (no shrinking on the old size\'s figures)', async () => {
  const s = setup(150); // 150 MiB used + 32 MiB kernel: with 64 MiB headroom no shrink below 246 MiB
  await withStats(s);
  await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 400 }));
  // The guest's last report is from the 512 MiB balloon (330 MiB unused): read against the live 400 MiB
  // it would say 70 MiB used and let 230 MiB through. Waiting for a new report refuses it.
  const b = (await s.hv.vmStats(s.vm.uuid, { balloon: true, vcpu: false })).balloon;
  assert.ok(b && b.unusedKiB !== undefined && b.currentKiB - b.unusedKiB < mib(150), 'the report still predates the shrink');
  await assert.rejects(s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 230 })), (e: Error) => e instanceof PermanentJobError && /the guest uses 18\d MiB/.test(e.message));
  assert.equal(s.sim.inspect(s.vm.uuid).currentKiB, mib(400));
  // a shrink that is safe goes through once the report is fresh
  const r = await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 300 }));
  assert.match(r.message, /balloon at 300 MiB/);
});

test('a job older than one already applied for the same VM and resource is superseded: it succeeds and changes nothing', async () => {
  const s = setup();
  const newer = await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 1201 }, { id: 'new', createdAtMs: 2000 }));
  assert.equal(newer.alreadyThere, false);
  // e.g. a job active when the actuator was killed, recovered by BullMQ's stall check after the newer one ran
  const old = await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 1101 }, { id: 'old', createdAtMs: 1000 }));
  assert.equal(old.alreadyThere, true);
  assert.match(old.message, /superseded by job new/);
  assert.equal((await s.hv.getCpuTune(s.vm.uuid)).shares, 1201);
  // another resource of the same VM is not affected, and a newer job still applies
  const mem = await s.router.handle(s.spec({ type: 'set-memory', memoryMiB: 600 }, { createdAtMs: 500 }));
  assert.equal(mem.alreadyThere, false);
  await s.router.handle(s.spec({ type: 'set-cpu-tune', shares: 1301 }, { createdAtMs: 3000 }));
  assert.equal((await s.hv.getCpuTune(s.vm.uuid)).shares, 1301);
});
