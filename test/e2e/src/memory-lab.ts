/**
 * Running a memory scenario on the lab: put the four guests back at 512 MiB with nothing consumed, start
 * the services with the lab policy document (memory-balloon, auto, budget 3072 MiB), watch while the
 * scenario drives `ballast lab mem`, then judge the run with memory-checks.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { violations, runTable, LAB_RULES, type MemoryRules } from './memory-checks.js';
import { labHealth, MemoryWatch } from './memory-watch.js';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, type Stack } from './stack.js';
import { ballast, dommemstat, virsh } from './virsh.js';

const exec = promisify(execFile);

export const LAB_VMS = ['lab-vm1', 'lab-vm2', 'lab-vm3', 'lab-vm4'];
/** The memory scenarios' policy: memory-balloon alone, as infra/lab/policy.json sets it (which `make run` loads, with the CPU policies and ksm beside it). */
export const MEMORY_POLICY = path.join(REPO, 'test/e2e/fixtures/memory-policy.json');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function labMem(vm: string, ...args: string[]): Promise<string> {
  return ballast(REPO, 'lab', 'mem', vm, ...args);
}

/** Starts a consumer of `mib` MiB at `rate` MiB/s in the guest (returns at once). */
export async function consume(vm: string, mib: number, rate = 20): Promise<void> {
  await labMem(vm, '--consume', String(mib), '--rate', String(rate));
}

/** Waits until no consumer runs in any of `vms`. */
export async function consumersDone(vms: string[], timeoutMs: number): Promise<void> {
  await waitUntil(`the consumers in ${vms.join(', ')} to finish`, timeoutMs, async () => {
    const st = await Promise.all(vms.map(async (v) => JSON.parse(await labMem(v)) as { consumers: number }));
    return st.every((s) => s.consumers === 0) ? true : undefined;
  }, 1000);
}

/** Frees every consumer, puts each guest's balloon back to 512 MiB and waits for a guest report that shows it. */
export async function resetGuests(vms: string[] = LAB_VMS): Promise<void> {
  const health = await labHealth();
  if (vms.some((v) => health[v]?.status !== 'alive')) {
    // a guest an earlier failure left panicked or hung: lab-up restarts it (and leaves the others alone)
    await exec('bash', [path.join(REPO, 'infra/lab/lab-up.sh')], { timeout: 180000 });
  }
  await Promise.all(vms.map((v) => labMem(v, '--free')));
  await Promise.all(vms.map((v) => virsh('setmem', v, '512M', '--live')));
  await waitUntil('the guests back at 512 MiB with their memory free', 60000, async () => {
    const m = await Promise.all(vms.map((v) => dommemstat(v)));
    return m.every((x) => x['actual'] === 524288 && (x['unused'] ?? 0) > 300 * 1024 && (x['available'] ?? 0) > 400 * 1024) ? true : undefined;
  }, 500);
}

export interface ScenarioRun {
  watch: MemoryWatch;
  stack: Stack;
  violations: string[];
  table: string;
  logFile: string;
}

/**
 * Resets the guests, starts the stack with the lab policy, waits for a decision on every guest, runs
 * `body` while MemoryWatch samples, and returns the run with its violations of the general rules.
 */
export async function runScenario(name: string, body: (w: MemoryWatch) => Promise<void>, rules: Partial<MemoryRules> = {}): Promise<ScenarioRun> {
  await resetGuests();
  const stack = await startStack({ extraEnv: { BALLAST_POLICY_FILE: MEMORY_POLICY } });
  let watch: MemoryWatch | undefined;
  let failure: Error | undefined;
  try {
    await waitUntil('the lab guests in the API with balloon stats', 30000, async () => {
      const v = (await apiVms(stack)).filter((x) => LAB_VMS.includes(x.name) && x.balloon?.hasGuestStats);
      return v.length === LAB_VMS.length ? true : undefined;
    });
    watch = new MemoryWatch(stack, LAB_VMS);
    watch.start();
    await waitUntil('a first decision on every lab guest', 20000, async () => {
      const r = (await (await stack.api('/v1/decisions?limit=100')).json()) as { decisions: unknown[] };
      return r.decisions.length >= LAB_VMS.length ? true : undefined;
    });
    watch.mark('start');
    await body(watch);
  } catch (e) {
    failure = e as Error;
  } finally {
    await watch?.stop().catch((e: Error) => watch?.errors.push(`stop: ${e.message}`));
    await Promise.all(LAB_VMS.map((v) => labMem(v, '--free').catch(() => '')));
    await stack.stop();
  }
  if (!watch) throw failure ?? new Error('the scenario did not start');
  const all = { ...LAB_RULES, vms: LAB_VMS, ...rules };
  const decisions = watch.allDecisions();
  const v = [
    ...(failure ? [`scenario: ${failure.message}`] : []),
    ...watch.errors.map((e) => `watch: ${e}`),
    ...violations(watch.samples, decisions, all, watch.crashes),
  ];
  const table = runTable(watch.samples, LAB_VMS);
  const dir = path.join(os.tmpdir(), 'ballast-e2e');
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, `${name}.txt`);
  const t0 = watch.samples[0]?.atMs ?? 0;
  const marks = watch.marks.map((m) => `${m.label} +${((m.atMs - t0) / 1000).toFixed(1)} s`).join(', ');
  const fig = (d: (typeof decisions)[number]): string =>
    ['actualMiB', 'unusedMiB', 'usedMiB', 'trendMiBPerSec', 'committedMiB', 'targetMiB'].map((k) => `${k.replace('MiB', '').replace('PerSec', '/s')}=${String(d.inputs[k] ?? '-')}`).join(' ');
  const dlines = decisions.map((d) => `+${((d.atMs - t0) / 1000).toFixed(1)} ${d.vm} ${d.kind} [${fig(d)}]: ${d.reason}`);
  const detail = runTable(watch.samples, LAB_VMS, true);
  writeFileSync(logFile, [`# ${name}`, `marks: ${marks}`, '', detail, '', '## violations', ...v, '', '## decisions', ...dlines, ''].join('\n'));
  return { watch, stack, violations: v, table, logFile };
}
