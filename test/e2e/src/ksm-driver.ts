// Who runs the ksm policy in the lab scenario. 'engine': the stack's policy engine, with the KSM figures the
// collector reports. 'test': while the collector reports none (the engine's ksm decision says so), this file
// plays the collector and the cycle for one host: every 2 s it reads the host's KSM, memory and ksmd's CPU
// from outside, plans with the same policy (planKsm) and sends the planned set-ksm jobs through the API.
import os from 'node:os';
import { ksmInFlightRule, planKsm, type HostView, type JobRecord, type KsmArgs, type KsmRun } from '@ballast/domain';
import { ksmdCpuSeconds, meminfoKiB, readKsmSysfs } from './ksm-host.js';
import { submitJob, type Stack } from './stack.js';

export interface SeenDecision {
  atMs: number;
  kind: string;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface KsmDriver {
  readonly mode: 'engine' | 'test';
  /** The ksm policy's decisions for the stack's host so far, oldest first. */
  decisions(): Promise<SeenDecision[]>;
  stop(): Promise<void>;
}

interface ApiDecision extends SeenDecision {
  policy: string;
  hostId?: string;
  vmUuid?: string;
}

/** The engine's ksm decisions for the stack's host, oldest first. */
export async function engineDecisions(stack: Stack): Promise<SeenDecision[]> {
  const r = (await (await stack.api('/v1/decisions?limit=1000')).json()) as { decisions: ApiDecision[] };
  return r.decisions.filter((d) => d.policy === 'ksm' && d.hostId === stack.hostId && d.vmUuid === undefined).sort((a, b) => a.atMs - b.atMs);
}

export function engineDriver(stack: Stack): KsmDriver {
  return { mode: 'engine', decisions: () => engineDecisions(stack), stop: async () => undefined };
}

const RUNS: readonly KsmRun[] = ['stop', 'run', 'unmerge'];

interface Sent {
  id: string;
  action: Extract<JobRecord['action'], { type: 'set-ksm' }>;
  enqueuedAtMs: number;
}

/** The policy run by the test for the stack's host, every `intervalMs`, until stopped. */
export function testDriver(stack: Stack, args: KsmArgs, intervalMs = 2000): KsmDriver {
  const seen: SeenDecision[] = [];
  const sent: Sent[] = [];
  let prev = { atMs: Date.now(), cpuSeconds: ksmdCpuSeconds() };
  let stopped = false;
  const tick = async (): Promise<void> => {
    const nowMs = Date.now();
    const cpuSeconds = ksmdCpuSeconds();
    const host = sampleHost(stack.hostId, nowMs, ((cpuSeconds - prev.cpuSeconds) / Math.max(0.001, (nowMs - prev.atMs) / 1000)) * 100, intervalMs);
    prev = { atMs: nowMs, cpuSeconds };
    const jobs = await jobRecords(stack, sent, { nowMs, hosts: [host], vms: [] });
    const plan = planKsm({ nowMs, hosts: [host], vms: [], jobs, signals: {} }, args);
    for (const d of plan.decisions) seen.push({ atMs: nowMs, kind: d.kind, reason: d.reason, inputs: d.inputs });
    for (const j of plan.jobs) {
      const { type: _t, ...fields } = j.action as Sent['action'];
      const r = await submitJob(stack, { type: 'set-ksm', host: stack.hostId, ...fields });
      if (r.status !== 202) throw new Error(`set-ksm refused: ${JSON.stringify(r.json)}`);
      sent.push({ id: String(r.json['id']), action: j.action as Sent['action'], enqueuedAtMs: nowMs });
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch((e: Error) => seen.push({ atMs: Date.now(), kind: 'error', reason: e.message, inputs: {} }));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    mode: 'test',
    decisions: async () => [...seen],
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The host as the collector would report it (no VMs: the scenario's policy document ignores the guests' sum). */
function sampleHost(hostId: string, nowMs: number, ksmdCpuPercent: number, intervalMs: number): HostView {
  const { run, ...figures } = readKsmSysfs();
  const m = meminfoKiB();
  return {
    hostId,
    hostname: os.hostname(),
    pcpuCount: os.cpus().length,
    memoryTotalKiB: m.totalKiB,
    memoryFreeKiB: m.freeKiB,
    pcpus: [],
    numaCells: [],
    ksm: { ...(RUNS[run] !== undefined ? { run: RUNS[run] } : {}), ...figures, ksmdCpuPercent },
    lastSampleMs: nowMs,
    intervalMs,
    stale: false,
  };
}

/** The jobs the test sent, with their outcomes from the API, as the cycle shows them to policies. */
async function jobRecords(stack: Stack, sent: readonly Sent[], snap: { nowMs: number; hosts: HostView[]; vms: [] }): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (const s of sent) {
    const j = (await (await stack.api(`/v1/jobs/${s.id}`)).json()) as { state: JobRecord['state']; attempts: number; result?: JobRecord['result']; error?: string; finishedAt?: string };
    const r: JobRecord = {
      id: s.id,
      source: 'policy',
      policy: 'ksm',
      hostId: stack.hostId,
      key: `host:${stack.hostId}/ksm`,
      action: s.action,
      enqueuedAtMs: s.enqueuedAtMs,
      state: j.state,
      attempts: j.attempts,
      ...(j.result ? { result: j.result } : {}),
      ...(j.error !== undefined ? { error: j.error } : {}),
      ...(j.finishedAt ? { finishedAtMs: Date.parse(j.finishedAt) } : {}),
      inFlight: false,
    };
    out.push(r);
  }
  const newest = out[out.length - 1];
  if (newest) newest.inFlight = inFlight(newest, { ...snap, jobs: out, signals: {} });
  return out;
}

function inFlight(r: JobRecord, snapshot: Parameters<typeof ksmInFlightRule.settled>[1]): boolean {
  const rule = ksmInFlightRule;
  if (r.state === 'queued' || r.state === 'active') return snapshot.nowMs - r.enqueuedAtMs <= rule.pendingMs;
  if (r.state === 'failed') return false;
  return snapshot.nowMs - (r.finishedAtMs ?? r.enqueuedAtMs) <= rule.settleMs && !rule.settled(r, snapshot);
}
