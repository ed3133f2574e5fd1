// Jobs flowing through the services' real Redis code while Redis fails (the Redis restart and Sentinel
// failover tests): an "engine" side that enqueues through JobQueues and an actuator whose BullMQ worker
// applies each job through the JobRouter to a simulated host, each on a client made by the services' own
// scaffold (svc.connectRedis: the one connection builder, env settings and all). It counts what a crash
// costs: jobs acknowledged but gone, jobs applied more than once, jobs in two terminal states.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import { JobQueues } from '@ballast/queue';
import { createServiceScaffold, type ServiceScaffold } from '@ballast/runtime';
import type { Hypervisor } from '@ballast/hypervisor';
import { actuatorConfigSchema } from './actuator-config.js';
import { startActuatorWorker } from './actuator-worker.js';
import { JobRouter } from './job-router.js';
import { TEST_PROCESSOR_CONFIG } from './processors/test-config.js';

export const FLOW_HOST = 'h-fault';

/** The host the actuator applies to (a simulated one in the tests: the harness itself stays free of the simulator). */
export interface FlowHost {
  hv: Hypervisor;
  vms: ReadonlyArray<{ uuid: string; name: string }>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** What a run cost, counted once every acknowledged job has settled (or the wait ran out). */
export interface FlowReport {
  /** Jobs whose enqueue Redis acknowledged. */
  acked: number;
  succeeded: number;
  failed: number;
  /** Acknowledged, then gone from Redis (never reached a terminal state): what the crash lost. */
  lost: string[];
  /** Still queued or active when the wait ran out. */
  unsettled: string[];
  /** In both BullMQ's completed and failed sets. */
  twoTerminalStates: string[];
  /** Applied by the processor more than once (delivered again after the crash: harmless, targets are absolute). */
  appliedAgain: string[];
  /** For each lost job, ms between its acknowledgement and the crash (negative: acknowledged after it). */
  lostAckedBeforeCrashMs: number[];
  /** Of the lost: applied by the processor all the same; still stored (job hash) but not indexed by id. */
  lostButApplied: number;
  lostButStored: number;
}

type Svc = ServiceScaffold<ReturnType<typeof actuatorConfigSchema.parse>>;

function scaffold(env: Record<string, string>, logs: string[]): Svc {
  return createServiceScaffold({
    service: 'actuator',
    schema: actuatorConfigSchema,
    aliases: { redisUrl: 'REDIS_URL' },
    env: { BALLAST_HOST_ID: FLOW_HOST, BALLAST_LOG_LEVEL: 'info', ...env },
    exit: { writeStderr: (l) => void logs.push(l), exit: (code) => { throw new Error(`exit ${code}`); } },
    shutdown: { signals: [], exit: () => {} },
    logDestination: new Writable({ write: (c: Buffer, _e, cb) => void (logs.push(c.toString()), cb()) }),
  });
}

export class JobFlow {
  readonly logs: string[] = [];
  /** id → when Redis acknowledged its enqueue. */
  readonly acked = new Map<string, number>();
  /** id → how many times the processor ran it. */
  readonly applied = new Map<string, number>();
  queues!: JobQueues;
  engineRedis!: Redis;
  private workerRedis!: Redis;
  private worker!: Worker;
  private readonly svcs: Svc[] = [];
  private producing: Promise<void> | undefined;
  private stopRequested = false;
  private n = 0;

  private constructor(private readonly host: FlowHost) {}

  /** Both sides connected with `env` (REDIS_URL, BALLAST_REDIS_SENTINELS, …), the worker applying to `host` (FLOW_HOST). */
  static async start(env: Record<string, string>, host: FlowHost): Promise<JobFlow> {
    const f = new JobFlow(host);
    await f.init(env);
    return f;
  }

  private async init(env: Record<string, string>): Promise<void> {
    const engine = scaffold(env, this.logs);
    const actuator = scaffold(env, this.logs);
    this.svcs.push(engine, actuator);
    this.engineRedis = (await engine.connectRedis()).redis;
    const workerRedis = (this.workerRedis = (await actuator.connectRedis()).redis);
    this.queues = new JobQueues(this.engineRedis, (e) => engine.log.debug({ err: e.message }, 'job queue error'));
    const { hv, now, sleep } = this.host;
    const router = new JobRouter({ hv, config: { ...TEST_PROCESSOR_CONFIG, budgetWaitMs: 0 }, now, sleep }, FLOW_HOST);
    this.worker = startActuatorWorker(router, {
      hostId: FLOW_HOST,
      connection: workerRedis,
      concurrency: 20,
      // short, so a job whose lock the crash took is found stalled (and delivered again) within the test
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      log: actuator.log as Logger,
      onOutcome: (job: Job) => void this.applied.set(String(job.id), (this.applied.get(String(job.id)) ?? 0) + 1),
    });
  }

  /** Enqueues `perBatch` jobs (set-cpu-tune, absolute weights) every `everyMs` through JobQueues, as the engine does, until stopProducing. */
  startProducing(perBatch = 5, everyMs = 10): void {
    this.stopRequested = false;
    this.producing = (async () => {
      while (!this.stopRequested) {
        const batch = Array.from({ length: perBatch }, () => this.nextSpec());
        await this.queues.enqueueMany(batch);
        const at = Date.now();
        for (const s of batch) this.acked.set(s.id, at);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stopProducing(): Promise<void> {
    this.stopRequested = true;
    await this.producing;
  }

  /** Waits until `n` more jobs than now have been applied (jobs flow again). */
  async waitApplied(more: number, timeoutMs: number): Promise<void> {
    const target = this.appliedTotal() + more;
    const deadline = Date.now() + timeoutMs;
    while (this.appliedTotal() < target) {
      if (Date.now() > deadline) {
        const clients = `engine client ${this.engineRedis.status}, worker client ${this.workerRedis.status}, worker ${this.worker.isRunning() ? 'running' : 'stopped'}`;
        throw new Error(`jobs did not flow: ${this.appliedTotal()} of ${target} applied after ${timeoutMs} ms (${this.acked.size} acknowledged; ${clients})`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits until every acknowledged job is finished or gone (no change for `quietMs`), then counts. */
  async settle(crashAtMs: number, timeoutMs = 20000, quietMs = 3000): Promise<FlowReport> {
    const ids = [...this.acked.keys()];
    const deadline = Date.now() + timeoutMs;
    let last = '';
    let lastChange = Date.now();
    for (;;) {
      const outcomes = await this.queues.outcomes(ids);
      const pending = ids.filter((id) => { const s = outcomes.get(id)?.state; return s === 'queued' || s === 'active'; });
      const sig = `${outcomes.size}/${pending.length}`;
      if (sig !== last) [last, lastChange] = [sig, Date.now()];
      if ((pending.length === 0 && Date.now() - lastChange >= quietMs) || Date.now() > deadline) return this.report(ids, outcomes, crashAtMs);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async report(ids: string[], outcomes: Awaited<ReturnType<JobQueues['outcomes']>>, crashAtMs: number): Promise<FlowReport> {
    const q = this.queues.queue(FLOW_HOST);
    const both: string[] = [];
    for (const id of ids) {
      const [c, f] = await Promise.all([this.engineRedis.zscore(q.keys.completed!, id), this.engineRedis.zscore(q.keys.failed!, id)]);
      if (c !== null && f !== null) both.push(id);
    }
    const lost = ids.filter((id) => !outcomes.has(id));
    const stored = await Promise.all(lost.map((id) => this.engineRedis.exists(q.toKey(id))));
    return {
      acked: ids.length,
      succeeded: ids.filter((id) => outcomes.get(id)?.state === 'succeeded').length,
      failed: ids.filter((id) => outcomes.get(id)?.state === 'failed').length,
      lost,
      unsettled: ids.filter((id) => { const s = outcomes.get(id)?.state; return s === 'queued' || s === 'active'; }),
      twoTerminalStates: both,
      appliedAgain: [...this.applied].filter(([, n]) => n > 1).map(([id]) => id),
      lostAckedBeforeCrashMs: lost.map((id) => crashAtMs - (this.acked.get(id) ?? 0)),
      lostButApplied: lost.filter((id) => this.applied.has(id)).length,
      lostButStored: stored.filter((n) => n > 0).length,
    };
  }

  appliedTotal(): number {
    let t = 0;
    for (const n of this.applied.values()) t += n;
    return t;
  }

  private nextSpec(): JobSpec {
    const i = this.n++;
    const vm = this.host.vms[i % this.host.vms.length]!;
    return { schemaVersion: JOB_SCHEMA_VERSION, id: randomUUID(), hostId: FLOW_HOST, vmUuid: vm.uuid, vmName: vm.name, source: 'policy', createdAtMs: Date.now(), action: { type: 'set-cpu-tune', shares: 1000 + (i % 5000) } };
  }

  /** Stops everything; a step stuck on a client that gave up is abandoned after 5 s (a failed test must not hang). */
  async close(): Promise<void> {
    this.stopRequested = true;
    await within(5000, this.producing);
    await within(5000, this.worker?.close());
    await within(5000, this.queues?.close());
    for (const s of this.svcs) {
      await within(5000, s.shutdown.shutdown('test'));
      s.shutdown.dispose();
    }
    this.engineRedis?.disconnect();
    this.workerRedis?.disconnect();
  }
}

async function within(ms: number, p: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p?.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** One line for the test output: what the crash cost. */
export function describeReport(what: string, r: FlowReport): string {
  const ages = r.lostAckedBeforeCrashMs.length > 0 ? ` (acknowledged ${Math.min(...r.lostAckedBeforeCrashMs)}..${Math.max(...r.lostAckedBeforeCrashMs)} ms before the crash)` : '';
  return `${what}: ${r.acked} jobs acknowledged, ${r.succeeded} succeeded, ${r.failed} failed, ${r.lost.length} lost${ages}${r.lost.length > 0 ? ` (of which applied all the same ${r.lostButApplied}, stored but not indexed ${r.lostButStored})` : ''}, ${r.appliedAgain.length} applied twice, ${r.unsettled.length} unsettled, ${r.twoTerminalStates.length} in two terminal states`;
}
