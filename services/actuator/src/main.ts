#!/usr/bin/env node
import * as grpc from '@grpc/grpc-js';
import type { Job, Worker } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ReconnectingHypervisor, type HypervisorLinkState } from '@ballast/hypervisor';
import { ActuatorStatusServiceService } from '@ballast/proto';
import { jobQueueName } from '@ballast/queue';
import { createServiceScaffold, registerLibvirtLinkMetrics, runService } from '@ballast/runtime';
import type { Logger } from 'pino';
import { actuatorConfigSchema } from './actuator-config.js';
import { startActuatorWorker } from './actuator-worker.js';
import { JobRouter } from './job-router.js';
import type { ProcessorContext } from './processors/processor-context.js';
import { StatsPeriodKeeper } from './stats-period.js';
import { statusService, type ActuatorStatus } from './status-service.js';

async function main(): Promise<void> {
  const svc = createServiceScaffold({ service: 'actuator', schema: actuatorConfigSchema, aliases: { libvirtUri: 'LIBVIRT_URI', redisUrl: 'REDIS_URL' } });
  const { config, hostId, log, registry } = svc;
  const security = svc.grpcServerSecurity();

  // libvirt, kept connected; a late or restarting libvirtd is waited for, a bad URI exits 2.
  const hv = ReconnectingHypervisor.forUri(config.libvirtUri, {
    log,
    onConfigError: (e) => svc.fail(`config: libvirtUri=${config.libvirtUri} — ${e.message}`),
  });
  svc.onShutdown('libvirt', () => hv.close());
  const statsPeriod = new StatsPeriodKeeper(hv, config.statsPeriodSec, log);
  hv.onEvent((ev) => {
    if (ev.kind === 'lifecycle' && ev.event === 'started') void statsPeriod.apply(ev.uuid, ev.name);
  });
  await hv.start();

  // Redis from redisUrl and the redis* settings (user, password, TLS: docs/redis-security.md)
  const { redis } = await svc.connectRedis();

  const outcomes = jobOutcomes(registry);
  registerLibvirtLinkMetrics(registry, hv);

  const ctx: ProcessorContext = {
    hv,
    config,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    balloonChangedAtMs: new Map(),
    budgetGrows: new Map(),
  };
  const router = new JobRouter(ctx, hostId);
  const worker = startActuatorWorker(router, {
    hostId,
    connection: redis,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    log,
    autorun: false,
    onOutcome: outcomes.record,
  });
  // Stop taking jobs first (redis, registered earlier, quits after); let the running ones finish (BullMQ waits for them).
  svc.onShutdown('worker', () => worker.close());
  const followLibvirt = workOnlyWhileConnected(worker, statsPeriod, log);
  hv.onStateChange(followLibvirt);
  followLibvirt(hv.state);

  const grpcPort = await svc.listenGrpc(statusServer(security.interceptors, {
    hostId,
    libvirtUri: config.libvirtUri,
    libvirtConnected: () => hv.connected,
    queue: jobQueueName(hostId),
    startedAtMs: Date.now(),
    succeeded: () => outcomes.succeeded,
    failed: () => outcomes.failed,
    activeJobs: () => router.busyVms,
  }), security.credentials, { host: config.grpcHost, port: config.grpcPort });

  const ops = await svc.serveOps({
    port: config.opsPort,
    host: config.opsHost,
    health: async () => ({
      ok: hv.connected && redis.status === 'ready' && worker.isRunning() && !worker.isPaused(),
      details: {
        ...hv.healthDetails(),
        redis: redis.status,
        worker: worker.isPaused() ? 'paused' : worker.isRunning(),
      },
    }),
  });

  log.info(
    { queue: jobQueueName(hostId), libvirtUri: config.libvirtUri, libvirt: hv.state, grpcPort, opsPort: ops.port, concurrency: config.concurrency },
    `actuator for ${hostId} working queue ${jobQueueName(hostId)}`,
  );
}

/** Counts and times job outcomes (metrics, and the totals the status service reports). */
function jobOutcomes(registry: Registry) {
  const jobsTotal = new Counter({ name: 'ballast_actuator_jobs_total', help: 'Jobs processed', labelNames: ['type', 'outcome'], registers: [registry] });
  const jobSeconds = new Histogram({
    name: 'ballast_actuator_job_seconds',
    help: 'Time to apply and verify a job',
    labelNames: ['type'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const totals = {
    succeeded: 0,
    failed: 0,
    record: (job: Job, ok: boolean, ms: number) => {
      if (ok) totals.succeeded++;
      else totals.failed++;
      jobsTotal.inc({ type: job.name, outcome: ok ? 'succeeded' : 'failed' });
      jobSeconds.observe({ type: job.name }, ms / 1000);
    },
  };
  return totals;
}

/** The gRPC server of ActuatorStatusService (bound by the caller). */
function statusServer(interceptors: grpc.ServerInterceptor[], status: ActuatorStatus): grpc.Server {
  const server = new grpc.Server({ interceptors });
  server.addService(ActuatorStatusServiceService, statusService(status));
  return server;
}

/**
 * Jobs are taken only while libvirt is connected: while it is away the worker is paused, so queued jobs wait
 * instead of burning their attempts; on each (re)connect the stats period is set again and the worker resumes.
 */
function workOnlyWhileConnected(worker: Worker, statsPeriod: StatsPeriodKeeper, log: Logger): (state: HypervisorLinkState) => void {
  return (state) => {
    if (state === 'connected') {
      void statsPeriod.applyToRunning();
      if (worker.isPaused() || !worker.isRunning()) log.info('libvirt connected: taking jobs');
      void worker.resume();
    } else if (state === 'waiting' && !worker.isPaused()) {
      log.warn('libvirt is away: job worker paused, queued jobs wait');
      void worker.pause(true);
    }
  };
}

runService('actuator', main);
