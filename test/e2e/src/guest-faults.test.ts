// Guest faults on the lab (issue 11's fault tests), each on a real QEMU guest:
//
// - a guest that panics (sysrq 'c' through its control channel) is seen from libvirt's crash event (the
//   pvpanic device; <on_crash>preserve</on_crash> keeps it in state "crashed (panicked)"): the collector
//   reports at once, the API shows it crashed, the metrics count it, no policy job reaches it while it is
//   crashed; brought back as the lab brings guests back (lab-up.sh: destroy + start), it runs and
//   memory-balloon acts on it again;
// - a guest destroyed while a job for it runs (a grow waiting for the host budget): the job fails once,
//   with the reason, and is not retried; started again afterwards.
//
// Run under the lab lock (`flock -o /tmp/ballast-lab.lock …`); every guest is running again at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { JOB_SCHEMA_VERSION } from '@ballast/domain';
import { LibvirtHypervisor } from '@ballast/hypervisor';
import { JobQueues } from '@ballast/queue';
import { consume, labMem, LAB_VMS, MEMORY_POLICY } from './memory-lab.js';
import { LAB_RULES, violations } from './memory-checks.js';
import { labHealth, MemoryWatch } from './memory-watch.js';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, type ApiJob, type Stack } from './stack.js';
import { ballast, dommemstat, LAB_URI, virsh } from './virsh.js';

const exec = promisify(execFile);
const LAB = process.env.BALLAST_LAB === '1';
/** Longer than any delay the checks allow: a crash seen sooner came with the event, not with the interval. */
const INTERVAL_MS = 5000;
const CRASH_VM = 'lab-vm4';
const DESTROY_VM = 'lab-vm3';

interface SeenEvent {
  atMs: number;
  vm: string;
  event: string;
  detail: number;
}

/** Brings every lab guest back up (lab-up.sh restarts a crashed or stopped one and leaves the others alone). */
async function labUp(): Promise<void> {
  await exec('bash', [path.join(REPO, 'infra/lab/lab-up.sh')], { timeout: 300_000 });
}

async function allAlive(): Promise<boolean> {
  const h = await labHealth();
  return LAB_VMS.every((v) => h[v]?.status === 'alive');
}

async function vmState(stack: Stack, vm: string): Promise<string | undefined> {
  const r = await stack.api(`/v1/vms/${vm}`);
  return r.ok ? ((await r.json()) as { state: string }).state : undefined;
}

/** One series' value in a Prometheus text page, or undefined. */
function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function engineMetrics(stack: Stack): Promise<string> {
  return (await stack.api('/metrics')).text();
}

async function collectorMetrics(stack: Stack): Promise<string> {
  return (await fetch(`http://127.0.0.1:${stack.ports.collectorOpsPort}/metrics`)).text();
}

/** The policy jobs for `vm` created at or after `sinceMs`. */
async function policyJobsSince(stack: Stack, vm: string, sinceMs: number): Promise<(ApiJob & { createdAt: string; type: string })[]> {
  const { jobs } = (await (await stack.api(`/v1/jobs?vm=${vm}&source=policy&limit=100`)).json()) as { jobs: (ApiJob & { createdAt: string; type: string })[] };
  return jobs.filter((j) => Date.parse(j.createdAt) >= sinceMs);
}

async function decisionsSince(stack: Stack, vm: string, sinceMs: number): Promise<{ atMs: number; kind: string; reason: string; policy: string; jobs?: { id?: string }[] }[]> {
  const { decisions } = (await (await stack.api(`/v1/decisions?vm=${vm}&limit=200`)).json()) as { decisions: { atMs: number; kind: string; reason: string; policy: string; jobs?: { id?: string }[] }[] };
  return decisions.filter((d) => d.atMs >= sinceMs);
}

/** Puts a guest back as it was: nothing consumed, its balloon where it was before the test. */
async function settleGuest(vm: string, balloonMiB: number): Promise<void> {
  await labMem(vm, '--free').catch(() => undefined);
  await virsh('setmem', vm, `${balloonMiB}M`, '--live').catch(() => undefined);
}

describe('guest faults on the lab', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  let stack: Stack;
  let hv: LibvirtHypervisor;
  const events: SeenEvent[] = [];
  /** Each guest's balloon before the test (memory-balloon, in auto here, may move them): put back after. */
  let balloonsMiB: Record<string, number> = {};

  before(async () => {
    if (!(await allAlive())) await labUp();
    balloonsMiB = Object.fromEntries(await Promise.all(LAB_VMS.map(async (v) => [v, Math.round(((await dommemstat(v))['actual'] ?? 524288) / 1024)] as const)));
    // libvirt's events as the test sees them, through the binding (the time base of the figures)
    hv = await LibvirtHypervisor.open(LAB_URI, { readOnly: true });
    hv.onEvent((ev) => void (ev.kind === 'lifecycle' && events.push({ atMs: Date.now(), vm: ev.name, event: ev.event, detail: ev.detail })));
    // memory-balloon in auto; actuator's budget wait long enough that only the destroy can end it
    stack = await startStack({ intervalMs: INTERVAL_MS, extraEnv: { BALLAST_POLICY_FILE: MEMORY_POLICY, BALLAST_BUDGET_WAIT_MS: '60000' } });
    await waitUntil('the lab guests in the API with balloon stats', 60_000, async () => {
      const v = (await apiVms(stack)).filter((x) => LAB_VMS.includes(x.name) && x.balloon?.hasGuestStats);
      return v.length === LAB_VMS.length ? true : undefined;
    });
  });

  after(async () => {
    await stack?.stop();
    await hv?.close();
    // the lab as it was found: every guest running and answering, nothing consumed, balloons at 512 MiB
    if (!(await allAlive())) await labUp();
    await Promise.all(LAB_VMS.map((v) => settleGuest(v, balloonsMiB[v] ?? 512)));
    // a guest started again boots at its maximum and inflates its balloon down over a few seconds
    await waitUntil('the guests back at their balloons', 60_000, async () => {
      const now = await Promise.all(LAB_VMS.map(async (v) => ((await dommemstat(v))['actual'] ?? 0) / 1024));
      return now.every((mib, i) => Math.abs(mib - (balloonsMiB[LAB_VMS[i] as string] ?? 512)) <= 4) ? true : undefined;
    }, 500);
  });

  test('a guest that panics: crashed on the API within a second of the crash event, counted, no job while crashed; back up, acted on again', async () => {
    // the memory scenarios' watch runs meanwhile: its judge must name the death by each of its signals
    const watch = new MemoryWatch(stack, LAB_VMS);
    watch.start();
    try {
      await panicAndCheck(stack, events);
      await watch.stop();
      const seen = violations(watch.samples, [], { ...LAB_RULES, vms: LAB_VMS }, watch.crashes).filter((l) => l.startsWith(`${CRASH_VM}:`));
      assert.ok(seen.some((l) => l.startsWith(`${CRASH_VM}: libvirt's crash event at`)), seen.join('\n'));
      assert.ok(seen.some((l) => /: panicked at .*(Kernel panic|crashed \(panicked\))/.test(l)), seen.join('\n'));
      await recoverAndCheck(stack);
    } finally {
      await watch.stop().catch(() => undefined);
      if (!(await allAlive())) await labUp();
    }
  });

  test('a guest destroyed while its job runs: the job fails once, saying so, and is not retried', async () => {
    // paused: no policy job (a release of a neighbour) makes room for the grow that must keep waiting
    const paused = await stack.api('/v1/pause', { method: 'POST', body: JSON.stringify({ reason: 'guest-faults test: destroy during a job' }) });
    assert.equal(paused.status, 200, await paused.text());
    try {
      await destroyDuringJob(stack, events);
    } finally {
      await stack.api('/v1/pause', { method: 'DELETE' });
      if ((await virsh('domstate', DESTROY_VM)).trim() !== 'running') await labUp();
    }
  });
});

/** Panics CRASH_VM and checks the API, the metrics and the policies while it is crashed. */
async function panicAndCheck(stack: Stack, events: SeenEvent[]): Promise<void> {
  const panicAt = Date.now();
  // sysrq 'c' a moment after the agent has answered (the panic would cut its reply short)
  await ballast(REPO, 'lab', 'exec', CRASH_VM, '--timeout', '5', '--', '(sleep 0.3; echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger) >/dev/null 2>&1 &');
  const crash = await waitUntil(`libvirt's crashed event for ${CRASH_VM}`, 20_000, async () => events.find((e) => e.vm === CRASH_VM && e.event === 'crashed' && e.atMs >= panicAt), 20);
  assert.equal(crash.detail, 0, 'VIR_DOMAIN_EVENT_CRASHED_PANICKED');
  assert.match(await virsh('domstate', '--reason', CRASH_VM), /crashed \(panicked\)/);
  const seenAt = await waitUntil(`${CRASH_VM} crashed on the API`, 15_000, async () => ((await vmState(stack, CRASH_VM)) === 'crashed' ? Date.now() : undefined), 50);
  const lagMs = seenAt - crash.atMs;
  console.log(`# ${CRASH_VM}: crash event ${crash.atMs - panicAt} ms after the panic command; crashed on the API ${lagMs} ms after the event (collector interval ${INTERVAL_MS} ms)`);
  assert.ok(lagMs < 1500, `crashed on the API ${lagMs} ms after the event: the collector should report at once, not at its ${INTERVAL_MS} ms interval`);

  const host = `host="${stack.hostId}"`;
  const em = await engineMetrics(stack);
  assert.equal(metric(em, 'ballast_host_vms_crashed', host), 1, em.split('\n').filter((l) => l.includes('crash')).join('\n'));
  assert.equal(metric(em, 'ballast_vm_crashes_total', host), 1);
  assert.equal(metric(await collectorMetrics(stack), 'ballast_collector_vm_crash_events_total'), 1);

  // two engine cycles and a collector interval while it stays crashed: decisions say why, no job is made
  await new Promise((r) => setTimeout(r, INTERVAL_MS + 1000));
  assert.equal(await vmState(stack, CRASH_VM), 'crashed');
  assert.deepEqual(await policyJobsSince(stack, CRASH_VM, crash.atMs), [], 'no policy job for a crashed VM');
  const said = (await decisionsSince(stack, CRASH_VM, seenAt)).filter((d) => d.policy === 'memory-balloon');
  assert.ok(said.length > 0, 'memory-balloon decided about the crashed VM');
  for (const d of said) assert.ok(/crashed/.test(d.reason) && (d.jobs ?? []).every((j) => j.id === undefined), `${d.kind}: ${d.reason}`);
}

/** Brings CRASH_VM back as the lab does (destroy + start) and checks it runs and is acted on again. */
async function recoverAndCheck(stack: Stack): Promise<void> {
  await labUp();
  const backAt = Date.now();
  await waitUntil(`${CRASH_VM} running on the API`, 30_000, async () => ((await vmState(stack, CRASH_VM)) === 'running' ? true : undefined), 100);
  assert.equal(metric(await engineMetrics(stack), 'ballast_host_vms_crashed', `host="${stack.hostId}"`), 0);
  await waitUntil(`${CRASH_VM} with guest balloon stats`, 60_000, async () => ((await apiVms(stack)).find((v) => v.name === CRASH_VM)?.balloon?.hasGuestStats ? true : undefined), 500);
  // a guest short of memory: memory-balloon grows it (it acts on the VM again)
  await consume(CRASH_VM, 300, 50);
  const grown = await waitUntil(`a memory-balloon job for ${CRASH_VM} after it runs again`, 60_000, async () => {
    const jobs = await policyJobsSince(stack, CRASH_VM, backAt);
    return jobs.find((j) => j.type === 'set-memory');
  }, 500);
  assert.ok(grown.id);
  await labMem(CRASH_VM, '--free');
}

/**
 * Destroys DESTROY_VM while a grow of it waits for a host budget its neighbours hold (deterministic: the
 * wait lasts the actuator's budgetWaitMs, 60 s here), checks the job fails once with the reason and stays
 * so past BullMQ's back-off, then starts the guest again.
 */
async function destroyDuringJob(stack: Stack, events: SeenEvent[]): Promise<void> {
  const actualMiB = async (vm: string) => ((await dommemstat(vm))['actual'] ?? 0) / 1024;
  const others = (await Promise.all(LAB_VMS.filter((v) => v !== DESTROY_VM).map(actualMiB))).reduce((a, b) => a + b, 0);
  const mine = await actualMiB(DESTROY_VM);
  // no room: the grow waits for releases (the host budget is below what the guests hold). A host budget is
  // what memory-balloon's grants carry (the API takes none): the job goes on the queue as the engine's would.
  const vm = (await apiVms(stack)).find((v) => v.name === DESTROY_VM);
  assert.ok(vm, `${DESTROY_VM} on the API`);
  const id = randomUUID();
  const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  const queues = new JobQueues(redis);
  try {
    await queues.enqueue({
      schemaVersion: JOB_SCHEMA_VERSION,
      id,
      hostId: stack.hostId,
      vmUuid: vm.uuid,
      vmName: DESTROY_VM,
      source: 'policy',
      policy: 'memory-balloon',
      createdAtMs: Date.now(),
      action: { type: 'set-memory', memoryMiB: Math.round(mine) + 256, hostBudgetMiB: Math.round(others + mine) - 64 },
    });
  } finally {
    await queues.close();
    await redis.quit();
  }
  await waitUntil(`job ${id} active`, 30_000, async () => (((await (await stack.api(`/v1/jobs/${id}`)).json()) as ApiJob).state === 'active' ? true : undefined), 100);
  const destroyedAt = Date.now();
  await virsh('destroy', DESTROY_VM);
  const job = await waitUntil(`job ${id} to fail`, 30_000, async () => {
    const j = (await (await stack.api(`/v1/jobs/${id}`)).json()) as ApiJob & { finishedAt?: string };
    return j.state === 'failed' || j.state === 'succeeded' ? j : undefined;
  }, 100);
  const failedAfterMs = Date.parse(job.finishedAt ?? '') - destroyedAt;
  console.log(`# ${DESTROY_VM}: job failed ${failedAfterMs} ms after the destroy: ${job.error}`);
  assert.equal(job.state, 'failed', JSON.stringify(job));
  // QEMU's guest goes through 'shutdown' (finished after the host's request) on its way to 'shutoff'
  assert.match(job.error ?? '', new RegExp(`^VM ${DESTROY_VM} is (shutdown|shutoff): it stopped while its grow waited for the host budget$`));
  assert.equal(job.attempts, 1);
  assert.ok(failedAfterMs < 5000, `failed ${failedAfterMs} ms after the destroy`);
  assert.ok(events.some((e) => e.vm === DESTROY_VM && e.event === 'stopped' && e.atMs >= destroyedAt));
  // BullMQ's back-off is 1 s, then 2 s: a retry would have come by now
  await new Promise((r) => setTimeout(r, 4000));
  const later = (await (await stack.api(`/v1/jobs/${id}`)).json()) as ApiJob;
  assert.deepEqual([later.state, later.attempts], ['failed', 1]);
  await waitUntil(`${DESTROY_VM} shut off on the API`, 15_000, async () => ((await vmState(stack, DESTROY_VM)) !== 'running' ? true : undefined), 100);
  await labUp();
  await waitUntil(`${DESTROY_VM} running on the API`, 30_000, async () => ((await vmState(stack, DESTROY_VM)) === 'running' ? true : undefined), 200);
}
