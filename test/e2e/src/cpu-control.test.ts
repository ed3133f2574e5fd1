// What the CPU policies see, through the whole stack on a lab guest: a manual pin-vcpu job, then GET /v1/vms/:name
// shows the vCPU's current pCPU, the CPU tune and numatune as virsh reports them, and the pin's record, which
// is in the domain's <metadata> and still there after the policy engine restarts. Put back at the end: the
// vCPU on every pCPU, the record removed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startService, waitUntil } from './services.js';
import { startStack, submitJob, waitJob, type Stack } from './stack.js';
import { virsh } from './virsh.js';

const LAB = process.env.BALLAST_LAB === '1';
const VM = 'lab-vm3';
const PINS_NS = 'https://ballast.dev/xmlns/pins/1';

interface CpuVm {
  vcpus: { id: number; pcpus: number[]; currentPcpu?: number }[];
  cpuTune: { shares: number; quotaUs: number; periodUs: number } | null;
  numaTune: { mode: string; nodeset: number[] } | null;
  pins: { vcpu: number; pcpus: number[]; by: string; at: string }[];
}

/** `key : value` lines of virsh (schedinfo, numatune, vcpuinfo) as a map. */
async function virshFields(...args: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await virsh(...args)).split('\n')) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) out.set(m[1], m[2] ?? '');
  }
  return out;
}

describe('CPU control on a lab guest, through the stack', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  let stack: Stack;
  const vm = async (): Promise<CpuVm | undefined> => {
    const r = await stack.api(`/v1/vms/${VM}`);
    return r.ok ? ((await r.json()) as CpuVm) : undefined;
  };

  before(async () => {
    stack = await startStack({ intervalMs: 1000 });
    await waitUntil(`${VM} with its CPU tune in GET /v1/vms/${VM}`, 30000, async () => ((await vm())?.cpuTune ? true : undefined));
  });

  after(async () => {
    await stack?.stop();
    await virsh('vcpupin', VM, '0', '0-1', '--live');
    await virsh('metadata', VM, '--uri', PINS_NS, '--remove', '--live').catch(() => undefined);
  });

  test('GET /v1/hosts: the host\'s NUMA cells, and KSM as /sys/kernel/mm/ksm has it with ksmd\'s CPU (libvirt is local)', async () => {
    const ksmd = await waitUntil('KSM with ksmd\'s CPU in GET /v1/hosts', 20000, async () => {
      const { hosts } = (await (await stack.api('/v1/hosts')).json()) as { hosts: { numaCells: { cpus: number[] }[]; ksm: Record<string, unknown> | null }[] };
      return typeof hosts[0]?.ksm?.['ksmdCpuPercent'] === 'number' ? hosts[0] : undefined;
    });
    const pcpus = Number((await virshFields('nodeinfo')).get('CPU(s)'));
    assert.deepEqual(ksmd.numaCells.flatMap((c) => c.cpus).sort((a, b) => a - b), Array.from({ length: pcpus }, (_, i) => i));
    const sys = (knob: string): number => Number(readFileSync(`/sys/kernel/mm/ksm/${knob}`, 'utf8').trim());
    assert.deepEqual([ksmd.ksm?.['run'], ksmd.ksm?.['pagesToScan'], ksmd.ksm?.['sleepMillisecs']], [['stop', 'run', 'unmerge'][sys('run')], sys('pages_to_scan'), sys('sleep_millisecs')]);
    assert.ok((ksmd.ksm?.['ksmdCpuPercent'] as number) >= 0);
  });

  test('a manual pin: current pCPU, CPU tune and numatune as virsh shows them, and a record `by: manual` in <metadata>', async () => {
    const r = await submitJob(stack, { type: 'pin-vcpu', vm: VM, vcpu: 0, pcpus: [1] });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const job = await waitJob(stack, String(r.json['id']), 30000);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.result?.message, 'vCPU 0 pinned to pCPUs 1', 'pinned and recorded');

    const seen = await waitUntil(`the pin and its record in GET /v1/vms/${VM}`, 20000, async () => {
      const v = await vm();
      const pinned = v?.vcpus[0]?.pcpus.join(',') === '1' && v.vcpus[0].currentPcpu === 1;
      return pinned && v.pins.some((p) => p.vcpu === 0 && p.by === 'manual') ? v : undefined;
    });
    const info = await virshFields('vcpuinfo', VM);
    assert.equal(seen.vcpus[0]?.currentPcpu, Number(info.get('CPU')), 'currentPcpu is what virsh vcpuinfo says');
    const sched = await virshFields('schedinfo', VM);
    assert.deepEqual(seen.cpuTune, { shares: Number(sched.get('cpu_shares')), quotaUs: Number(sched.get('vcpu_quota')), periodUs: Number(sched.get('vcpu_period')) });
    const numa = await virshFields('numatune', VM);
    assert.deepEqual(seen.numaTune, { mode: numa.get('numa_mode'), nodeset: (numa.get('numa_nodeset') ?? '') === '' ? [] : numa.get('numa_nodeset')?.split(',').map(Number) });

    const record = seen.pins.find((p) => p.vcpu === 0);
    assert.deepEqual([record?.pcpus, record?.by], [[1], 'manual']);
    const metadata = await virsh('metadata', VM, '--uri', PINS_NS);
    const m = /<pin vcpu="0" pcpus="1" by="manual" at="(\d+)"\/>/.exec(metadata);
    assert.ok(m, metadata);
    assert.equal(new Date(Number(m[1])).toISOString(), record?.at);

    await stack.engine.stop();
    stack.engine = startService('policy-engine', stack.env);
    const again = await waitUntil(`${VM} reported to the restarted engine`, 30000, async () => {
      const v = await vm();
      return v?.pins.length ? v : undefined;
    });
    assert.deepEqual(again.pins.find((p) => p.vcpu === 0), record, 'the record is the domain\'s, not the engine\'s');
  });
});
