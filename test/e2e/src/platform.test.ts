import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { JobQueues, QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { Queue } from 'bullmq';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, submitJob, waitJob, type Stack } from './stack.js';
import { ballast, dommemstat, vcpupin, virsh } from './virsh.js';

const LAB = process.env.BALLAST_LAB === '1';
const INTERVAL_MS = 2000;

describe('platform on the lab guests', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ intervalMs: INTERVAL_MS });
    await waitUntil('the lab VMs with guest balloon stats in GET /v1/vms', 60000, async () => {
      const vms = await apiVms(stack);
      const ready = vms.filter((v) => v.name.startsWith('lab-vm') && v.balloon?.hasGuestStats);
      return ready.length >= 3 ? ready : undefined;
    }, 500);
  });

  after(async () => {
    await virsh('setmem', 'lab-vm2', '512M', '--live').catch(() => {});
    await virsh('vcpupin', 'lab-vm3', '0', '0-1', '--live').catch(() => {});
    await ballast(REPO, 'lab', 'mem', 'lab-vm1', '--free').catch(() => {});
    await stack?.stop();
  });

  test('set-memory of lab-vm2 to 400 MiB: virsh dommemstat shows ≈ 400 MiB within 10 s and the job succeeds', async () => {
    const t0 = Date.now();
    const { status, json } = await submitJob(stack, { type: 'set-memory', vm: 'lab-vm2', memoryMiB: 400 });
    assert.equal(status, 202, JSON.stringify(json));
    const actual = await waitUntil('dommemstat actual ≈ 400 MiB', 10000, async () => {
      const m = await dommemstat('lab-vm2');
      return Math.abs((m['actual'] ?? 0) - 400 * 1024) <= 4 * 1024 ? m['actual'] : undefined;
    });
    const job = await waitJob(stack, String(json['id']), 10000 - (Date.now() - t0) + 2000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.ok(Math.abs((actual ?? 0) - 409600) <= 4096);
  });

  test('pin-vcpu of lab-vm3 vCPU 0 to pCPU 1 shows in virsh vcpupin', async () => {
    const { status, json } = await submitJob(stack, { type: 'pin-vcpu', vm: 'lab-vm3', vcpu: 0, pcpus: [1] });
    assert.equal(status, 202, JSON.stringify(json));
    const job = await waitJob(stack, String(json['id']), 15000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal((await vcpupin('lab-vm3'))[0], '1');
    // The collector re-reads pinning after the tunable event: the API shows it within a few intervals.
    await waitUntil('GET /v1/vms to show lab-vm3 vCPU 0 on pCPU 1', 4 * INTERVAL_MS, async () => {
      const vm = (await apiVms(stack)).find((v) => v.name === 'lab-vm3');
      return vm?.vcpus[0]?.pcpus.join(',') === '1' ? true : undefined;
    });
  });

  test('a job without a token gets 401 and changes nothing', async () => {
    const before = await dommemstat('lab-vm4');
    const r = await stack.api('/v1/jobs', { method: 'POST', auth: false, body: JSON.stringify({ type: 'set-memory', vm: 'lab-vm4', memoryMiB: 300 }) });
    assert.equal(r.status, 401);
    const body = (await r.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'unauthorized');
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await dommemstat('lab-vm4'))['actual'], before['actual']);
  });

  test('a job for a VM no host reports is refused with 404 naming the vm', async () => {
    const { status, json } = await submitJob(stack, { type: 'set-memory', vm: 'no-such-vm', memoryMiB: 400 });
    assert.equal(status, 404);
    assert.equal((json['error'] as { message: string }).message, 'vm: no host reports a VM named "no-such-vm"');
    assert.equal((json['error'] as { field: string }).field, 'vm');
  });

  test('a job whose VM is gone ends failed with a clear reason, after one attempt', async () => {
    const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
    const queues = new JobQueues(redis);
    try {
      const id = randomUUID();
      await queues.enqueue({
        schemaVersion: 1,
        id,
        hostId: stack.hostId,
        vmUuid: randomUUID(),
        vmName: 'vanished-vm',
        source: 'manual',
        createdAtMs: Date.now(),
        action: { type: 'set-memory', memoryMiB: 400 },
      });
      const job = await waitJob(stack, id, 15000);
      assert.equal(job.state, 'failed');
      assert.match(job.error ?? '', /vanished-vm|not running on this host|no longer exists/);
      assert.equal(job.attempts, 1);
      // Still failed, still one attempt, a few seconds later: no retry loop.
      await new Promise((r) => setTimeout(r, 3000));
      const again = (await (await stack.api(`/v1/jobs/${id}`)).json()) as { state: string; attempts: number };
      assert.deepEqual([again.state, again.attempts], ['failed', 1]);
    } finally {
      await queues.close();
      await redis.quit();
    }
  });

  test('GET /v1/vms reflects a memory consumption started with `ballast lab mem` within three intervals', async () => {
    const base = await waitUntil('a fresh unusedMiB of lab-vm1', 10000, async () => {
      const vm = (await apiVms(stack)).find((v) => v.name === 'lab-vm1');
      return vm?.balloon?.unusedMiB ?? undefined;
    });
    await ballast(REPO, 'lab', 'mem', 'lab-vm1', '--consume', '150', '--rate', '150', '--wait');
    const consumedAt = Date.now();
    const seen = await waitUntil('unusedMiB of lab-vm1 to drop by ≥ 120 MiB', 3 * INTERVAL_MS + 2000, async () => {
      const vm = (await apiVms(stack)).find((v) => v.name === 'lab-vm1');
      const u = vm?.balloon?.unusedMiB;
      return u !== undefined && u !== null && base - u >= 120 ? u : undefined;
    }, 200);
    const tookMs = Date.now() - consumedAt;
    console.log(`memory consumption visible in the API after ${tookMs} ms (unused ${base} → ${seen} MiB)`);
    assert.ok(tookMs <= 3 * INTERVAL_MS + 2000);
    await ballast(REPO, 'lab', 'mem', 'lab-vm1', '--free');
  });

  test('kill -9 of the actuator while jobs are queued: every job reaches exactly one terminal state; re-running is harmless', async () => {
    await stack.actuator.stop('SIGKILL');
    const vms = ['lab-vm1', 'lab-vm2', 'lab-vm3', 'lab-vm4'];
    const bodies: Record<string, unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, vm] of vms.entries()) {
        bodies.push({ type: 'set-cpu-tune', vm, shares: 1000 + 100 * round + i });
        bodies.push({ type: 'set-memory', vm, memoryMiB: round === 1 ? 480 : 512 });
      }
    }
    const ids: string[] = [];
    for (const b of bodies) {
      const { status, json } = await submitJob(stack, b);
      assert.equal(status, 202);
      ids.push(String(json['id']));
    }
    // Start, let it take jobs, kill it mid-flight, start again.
    stack.startActuator();
    await new Promise((r) => setTimeout(r, 2500));
    await stack.actuator.stop('SIGKILL');
    const atKill = await Promise.all(ids.map(async (id) => ((await (await stack.api(`/v1/jobs/${id}`)).json()) as { state: string }).state));
    const unfinished = atKill.filter((s) => s !== 'succeeded' && s !== 'failed').length;
    console.log(`at kill -9: ${ids.length - unfinished} finished, ${atKill.filter((s) => s === 'active').length} active, ${unfinished} unfinished`);
    assert.ok(unfinished > 0, 'the kill must land while jobs are still queued or active');
    stack.startActuator();
    const finals = await waitUntil('every job to finish', 120000, async () => {
      const all = await Promise.all(ids.map(async (id) => (await (await stack.api(`/v1/jobs/${id}`)).json()) as { state: string }));
      return all.every((j) => j.state === 'succeeded' || j.state === 'failed') ? all : undefined;
    }, 1000);
    assert.equal(finals.length, ids.length);
    assert.ok(finals.every((j) => j.state === 'succeeded'), JSON.stringify(finals.filter((j) => j.state !== 'succeeded')));
    // Exactly one terminal state: each id sits in the completed set and in no other list.
    const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
    const q = new Queue(jobQueueName(stack.hostId), { connection: redis, prefix: QUEUE_PREFIX });
    try {
      const counts = await q.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      assert.equal(counts['wait'] ?? 0, 0);
      assert.equal(counts['active'] ?? 0, 0);
      assert.equal(counts['delayed'] ?? 0, 0);
      const completed = new Set((await q.getJobs(['completed'], 0, -1)).map((j) => j.id));
      const failed = new Set((await q.getJobs(['failed'], 0, -1)).map((j) => j.id));
      for (const id of ids) assert.ok(completed.has(id) !== failed.has(id), `job ${id} in exactly one terminal set`);
    } finally {
      await q.close();
      await redis.quit();
    }
    // Per VM, jobs applied in order: the last shares win.
    for (const [i, vm] of vms.entries()) {
      const sched = await virsh('schedinfo', vm, '--live');
      assert.match(sched, new RegExp(`cpu_shares\\s*:\\s*${1000 + 200 + i}\\b`), `${vm}: ${sched}`);
    }
    // Re-running the last targets is harmless: "already there" is success.
    const again = await submitJob(stack, { type: 'set-cpu-tune', vm: 'lab-vm1', shares: 1200 });
    const j = await waitJob(stack, String(again.json['id']), 15000);
    assert.equal(j.state, 'succeeded');
    assert.equal(j.result?.alreadyThere, true);
  });
});
