// The three services as processes, on libvirt's test driver and a real Redis: the real gRPC stream, the
// real queue and the real binding, without the lab. (Each process has its own test:///default state.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { JobQueues } from '@ballast/queue';
import { promtoolCheckMetrics } from '@ballast/testkit';
import { startService, waitUntil } from './services.js';
import { apiVms, startStack, submitJob, waitJob, type Stack } from './stack.js';

const TEST_DOMAIN_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

describe('services on the libvirt test driver', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ intervalMs: 500, libvirtUri: 'test:///default' });
    await waitUntil('the test domain in GET /v1/vms', 20000, async () => {
      const vms = await apiVms(stack);
      return vms.find((v) => v.name === 'test') ? true : undefined;
    });
  });

  after(async () => {
    await stack?.stop();
  });

  test('GET /v1/vms and /v1/hosts show what the collector streamed', async () => {
    const vm = (await apiVms(stack)).find((v) => v.name === 'test');
    assert.equal(vm?.uuid, TEST_DOMAIN_UUID);
    assert.equal(vm?.host, stack.hostId);
    const { hosts } = (await (await stack.api('/v1/hosts')).json()) as { hosts: { hostId: string; vmCount: number; stale: boolean; numaCells: { id: number }[]; ksm: unknown }[] };
    assert.deepEqual(hosts.map((h) => [h.hostId, h.vmCount, h.stale]), [[stack.hostId, 1, false]]);
    // the test driver has NUMA cells and numatune, but no KSM and no cpu_shares: those are null
    assert.deepEqual([hosts[0]?.numaCells.map((c) => c.id), hosts[0]?.ksm], [[0, 1], null]);
    const one = (await (await stack.api('/v1/vms/test')).json()) as { numaTune: unknown; cpuTune: unknown; pins: unknown[] };
    assert.deepEqual([one.numaTune, one.cpuTune, one.pins], [{ mode: 'strict', nodeset: [] }, null, []]);
  });

  test('set-memory (grow) and pin-vcpu succeed through queue and actuator; repeating is "already there"', async () => {
    const a = await submitJob(stack, { type: 'set-memory', vm: 'test', memoryMiB: 3072 });
    assert.equal(a.status, 202);
    const ja = await waitJob(stack, String(a.json['id']), 20000);
    assert.equal(ja.state, 'succeeded', JSON.stringify(ja));
    assert.match(ja.result?.message ?? '', /balloon at 3072 MiB/);
    const again = await submitJob(stack, { type: 'set-memory', vm: 'test', memoryMiB: 3072 });
    const jagain = await waitJob(stack, String(again.json['id']), 20000);
    assert.equal(jagain.result?.alreadyThere, true);
    const b = await submitJob(stack, { type: 'pin-vcpu', vm: 'test', vcpu: 1, pcpus: [2, 3] });
    const jb = await waitJob(stack, String(b.json['id']), 20000);
    assert.equal(jb.state, 'succeeded', JSON.stringify(jb));
  });

  test('set-numa places the VM on a NUMA cell (memory and vCPUs); a cell the host lacks is refused at the API', async () => {
    // (the test driver's cell 1 lists pCPUs 8-15 its domains cannot be pinned to: cell 0 is the one to use)
    const a = await submitJob(stack, { type: 'set-numa', vm: 'test', cell: 0 });
    assert.equal(a.status, 202, JSON.stringify(a.json));
    const ja = await waitJob(stack, String(a.json['id']), 20000);
    assert.equal(ja.state, 'succeeded', JSON.stringify(ja));
    assert.match(ja.result?.message ?? '', /test on NUMA cell 0: memory strict nodeset 0, vCPUs on pCPUs 0,1,2,3,4,5,6,7/);
    const again = await waitJob(stack, String((await submitJob(stack, { type: 'set-numa', vm: 'test', cell: 0 })).json['id']), 20000);
    assert.equal(again.result?.alreadyThere, true);
    // moving a running strict-mode VM's memory is what libvirt refuses: the job fails once, saying why, before any vCPU moves
    const refused = await waitJob(stack, String((await submitJob(stack, { type: 'set-numa', vm: 'test', cell: 1 })).json['id']), 20000);
    assert.deepEqual([refused.state, refused.attempts], ['failed', 1], JSON.stringify(refused));
    assert.match(refused.error ?? '', /cannot place test's memory on NUMA cell 1: .*only in restrictive mode/);
    const bad = await submitJob(stack, { type: 'set-numa', vm: 'test', cell: 5 });
    assert.equal(bad.status, 422);
    assert.deepEqual((bad.json['error'] as { field: string }).field, 'cell');
  });

  test('set-ksm is host-scoped: it names a host, not a VM; on a driver without KSM parameters it fails once, saying so', async () => {
    const vmScoped = await submitJob(stack, { type: 'set-ksm', vm: 'test', pagesToScan: 200 });
    assert.equal(vmScoped.status, 400);
    assert.equal((vmScoped.json['error'] as { field: string }).field, 'vm');
    const r = await submitJob(stack, { type: 'set-ksm', host: stack.hostId, pagesToScan: 200 });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const j = await waitJob(stack, String(r.json['id']), 20000);
    assert.equal(j.state, 'failed');
    assert.match(j.error ?? '', /cannot read KSM on lab-host: .*no node memory parameters/);
    assert.equal(j.attempts, 1);
    assert.equal((await submitJob(stack, { type: 'set-ksm', host: 'nowhere', pagesToScan: 200 })).status, 404);
  });

  test('bounds are checked before acting: above the maximum fails at once, without retries', async () => {
    const r = await submitJob(stack, { type: 'set-memory', vm: 'test', memoryMiB: 999999 });
    const j = await waitJob(stack, String(r.json['id']), 20000);
    assert.equal(j.state, 'failed');
    assert.match(j.error ?? '', /exceeds test's maximum of 8192 MiB/);
    assert.equal(j.attempts, 1);
  });

  test('a job whose VM is gone fails once with the reason', async () => {
    const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
    const queues = new JobQueues(redis);
    try {
      const id = randomUUID();
      await queues.enqueue({ schemaVersion: 1, id, hostId: stack.hostId, vmUuid: randomUUID(), vmName: 'ghost', source: 'manual', createdAtMs: Date.now(), action: { type: 'pin-vcpu', vcpu: 0, pcpus: [0] } });
      const j = await waitJob(stack, id, 20000);
      assert.equal(j.state, 'failed');
      assert.match(j.error ?? '', /not running on this host/);
      assert.equal(j.attempts, 1);
    } finally {
      await queues.close();
      await redis.quit();
    }
  });

  test('after an engine restart the collector reconnects, and earlier jobs and outcomes are still readable', async () => {
    const r = await submitJob(stack, { type: 'pin-vcpu', vm: 'test', vcpu: 0, pcpus: [1] });
    const before = await waitJob(stack, String(r.json['id']), 20000);
    assert.equal(before.state, 'succeeded');
    await stack.engine.stop();
    stack.engine = startService('policy-engine', stack.env);
    await waitUntil('the restarted engine to receive samples again', 20000, async () =>
      (await apiVms(stack)).some((v) => v.name === 'test') ? true : undefined,
    );
    const after = await waitJob(stack, before.id, 5000);
    assert.deepEqual([after.state, after.result?.message], ['succeeded', before.result?.message]);
  });

  test('the ops endpoints of every service answer; on the engine\'s API port /metrics needs a token, /healthz does not', async () => {
    const auth = { headers: { authorization: `Bearer ${stack.token}` } };
    for (const port of [stack.ports.collectorOpsPort, stack.ports.actuatorOpsPort, stack.ports.httpPort]) {
      const h = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(h.status, 200, `healthz on ${port}: ${await h.text()}`);
      const m = await (await fetch(`http://127.0.0.1:${port}/metrics`, auth)).text();
      assert.match(m, /ballast_process_cpu_user_seconds_total/);
    }
    assert.equal((await fetch(`http://127.0.0.1:${stack.ports.httpPort}/metrics`)).status, 401);
  });

  test('every service\'s /metrics passes promtool check metrics, with its libvirt, queue and VM series', async () => {
    const text = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${stack.token}` } })).text();
    // a job's outcome, read by the engine's next cycle, counts in ballast_job_outcomes_total
    const job = await waitJob(stack, String((await submitJob(stack, { type: 'set-memory', vm: 'test', memoryMiB: 4096 })).json['id']), 20000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    const outcome = /^ballast_job_outcomes_total\{type="set-memory",state="succeeded",[^}]*\} [1-9]/m;
    await waitUntil('the outcome in the engine\'s metrics', 10000, async () => (outcome.test(await text(stack.ports.httpPort)) ? true : undefined));
    const [collector, actuator, engine] = await Promise.all([stack.ports.collectorOpsPort, stack.ports.actuatorOpsPort, stack.ports.httpPort].map(text));
    for (const [name, m] of [['collector', collector], ['actuator', actuator], ['policy-engine', engine]] as const) {
      const check = promtoolCheckMetrics(m ?? '');
      assert.deepEqual(check.problems, [], `${name}: promtool check metrics:\n${check.lines.join('\n')}`);
    }
    for (const m of [collector, actuator]) {
      assert.match(m ?? '', /^ballast_libvirt_connected\{service="(collector|actuator)",host="lab-host"\} 1$/m);
      assert.match(m ?? '', /^ballast_libvirt_reconnects_total\{/m);
    }
    assert.match(collector ?? '', /^ballast_collector_engine_connected\{[^}]*\} 1$/m);
    const vmLines = (engine ?? '').split('\n').filter((l) => /^(libvirt_domain|ballast_domain)/.test(l));
    // the VM's CPU (the collector's per-domain reads give the test driver's CPU time), and the balloon target just sent
    assert.ok(vmLines.some((l) => /^ballast_domain_cpu_usage_ratio\{host="lab-host",domain="test",service="policy-engine"\} \d+(\.\d+)?(e-?\d+)?$/.test(l)), vmLines.join('\n'));
    assert.ok(vmLines.includes(`ballast_domain_balloon_target_bytes{host="lab-host",domain="test",service="policy-engine"} ${4096 * 1024 * 1024}`), vmLines.join('\n'));
    assert.match(engine ?? '', /^ballast_queue_jobs\{host="lab-host",state="waiting",service="policy-engine"[^}]*\} \d+$/m);
  });
});

describe('one-line errors', () => {
  async function runBad(name: 'policy-engine' | 'collector' | 'actuator', env: Record<string, string>) {
    const p = startService(name, { BALLAST_OPS_PORT: '0', BALLAST_GRPC_PORT: '0', BALLAST_HTTP_PORT: '0', ...env });
    const code = await Promise.race([p.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15000))]);
    if (code === 'timeout') await p.stop('SIGKILL');
    const lines = p.output().trim().split('\n');
    return { code, lines };
  }

  test('a bad config value names the variable', async () => {
    const { code, lines } = await runBad('actuator', { BALLAST_CONCURRENCY: 'lots', LIBVIRT_URI: 'test:///default' });
    assert.equal(code, 2);
    assert.deepEqual(lines, ['config: BALLAST_CONCURRENCY="lots" — expected a number']);
  });

  // A malformed URI fails in libvirt's URI parser, before any daemon is asked: the same whether libvirtd is up
  // or not (an unknown scheme such as bogus:/// is handed to the daemon, and with the daemon down it is
  // waited for like any URI — CI runs this part before the lab starts libvirtd).
  test('a malformed libvirt URI names the URI', async () => {
    const { code, lines } = await runBad('collector', { LIBVIRT_URI: 'qemu://[bad' });
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^config: libvirtUri=qemu:\/\/\[bad — .*Unable to parse URI/);
  });

  test('an actuator with a malformed libvirt URI names it too', async () => {
    const { code, lines } = await runBad('actuator', { LIBVIRT_URI: 'qemu://[bad' });
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^config: libvirtUri=qemu:\/\/\[bad — .*Unable to parse URI/);
  });

  test('an unreachable Redis names the URL', async () => {
    const { code, lines } = await runBad('policy-engine', { REDIS_URL: 'redis://127.0.0.1:1', BALLAST_API_TOKEN: 'x'.repeat(20) });
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^config: redisUrl=redis:\/\/127\.0\.0\.1:1 — cannot connect/);
  });

  test('an unreachable Redis whose URL has a password names the URL without it', async () => {
    const { code, lines } = await runBad('policy-engine', { REDIS_URL: 'redis://app:hunter2@127.0.0.1:1', BALLAST_API_TOKEN: 'x'.repeat(20) });
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^config: redisUrl=redis:\/\/app:\*\*\*@127\.0\.0\.1:1 — cannot connect/);
    assert.doesNotMatch(lines[0] ?? '', /hunter2/);
  });

  test('a bad policy document names every bad field, one line each, before anything connects', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ballast-policy-')), 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({ policies: { 'memory-balloon': { automation: 'auto', args: { groups: [{ match: { labels: { tier: 5 } } }], defaults: { minUnusedMiB: -1 } } }, nope: {} } }),
    );
    const { code, lines } = await runBad('policy-engine', { REDIS_URL: 'redis://127.0.0.1:1', BALLAST_API_TOKEN: 'x'.repeat(20), BALLAST_POLICY_FILE: file });
    assert.equal(code, 2);
    // every issue at once, one line each
    assert.deepEqual(lines.sort(), [
      `config: ${file}: policies.memory-balloon.defaults.minUnusedMiB: must be ≥ 0`,
      `config: ${file}: policies.memory-balloon.groups[0].match.labels.tier: must be a string`,
      `config: ${file}: policies.nope: no such policy (known: cluster-balance, cpu-entitlement, ksm, memory-balloon, numa-placement, vcpu-balance)`,
    ]);
  });
});
