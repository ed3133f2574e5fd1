#!/usr/bin/env node
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Counter, Histogram } from 'prom-client';
import { openHypervisor, type Hypervisor } from '@ballast/hypervisor';
import { ActuatorStatusServiceService } from '@ballast/proto';
import { jobQueueName } from '@ballast/queue';
import {
  connectRedis,
  createGracefulShutdown,
  createLogger,
  createMetricsRegistry,
  exitOnConfigError,
  grpcServerSecurity,
  loadConfig,
  resolveHostId,
  startOpsServer,
} from '@ballast/runtime';
import { actuatorConfigSchema } from './actuator-config.js';
import { startActuatorWorker } from './actuator-worker.js';
import { JobRouter } from './job-router.js';
import type { ProcessorContext } from './processors/processor-context.js';
import { statusService } from './status-service.js';

function die(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const config = exitOnConfigError(() =>
    loadConfig(actuatorConfigSchema, { aliases: { libvirtUri: 'LIBVIRT_URI', redisUrl: 'REDIS_URL' } }),
  );
  const hostId = exitOnConfigError(() => resolveHostId({ hostId: config.hostId }));
  const log = createLogger({ service: 'actuator', hostId, logLevel: config.logLevel });
  const security = exitOnConfigError(() =>
    grpcServerSecurity({ token: config.grpcToken, tlsCertFile: config.tlsCertFile, tlsKeyFile: config.tlsKeyFile, tlsCaFile: config.tlsCaFile }),
  );
  const shutdown = createGracefulShutdown({ logger: log });

  let hv: Hypervisor;
  try {
    hv = await openHypervisor(config.libvirtUri);
  } catch (e) {
    die(`config: libvirtUri=${config.libvirtUri} — ${(e as Error).message}`);
  }
  let connected = true;
  const ctx: ProcessorContext = {
    hv,
    config,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    balloonChangedAtMs: new Map(),
    budgetGrows: new Map(),
  };
  const watch = (h: Hypervisor) =>
    h.onEvent((ev) => {
      if (ev.kind === 'connection-lost') {
        connected = false;
        log.warn({ reason: ev.reason }, 'libvirt connection lost; reconnecting');
        void reconnect();
      } else if (ev.kind === 'lifecycle' && ev.event === 'started' && config.statsPeriodSec > 0) {
        h.setMemoryStatsPeriod(ev.uuid, config.statsPeriodSec).catch((err: Error) => log.warn({ vm: ev.name, err: err.message }, 'could not set stats period'));
      }
    });
  let unwatch = watch(hv);
  let reconnecting = false;
  async function reconnect(): Promise<void> {
    if (reconnecting) return;
    reconnecting = true;
    for (let delay = 500; !shutdown.shuttingDown; delay = Math.min(delay * 2, 10000)) {
      await new Promise((r) => setTimeout(r, delay));
      try {
        const next = await openHypervisor(config.libvirtUri);
        unwatch();
        await ctx.hv.close().catch(() => {});
        ctx.hv = next;
        unwatch = watch(next);
        connected = true;
        log.info('libvirt reconnected');
        break;
      } catch (e) {
        log.warn({ err: (e as Error).message, delay }, 'libvirt reconnect failed');
      }
    }
    reconnecting = false;
  }
  shutdown.add('libvirt', () => ctx.hv.close());

  if (config.statsPeriodSec > 0) {
    for (const vm of await hv.listVms()) {
      if (vm.state === 'running') await hv.setMemoryStatsPeriod(vm.uuid, config.statsPeriodSec).catch(() => {});
    }
  }

  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  await connectRedis(redis, config.redisUrl);
  redis.on('error', (e) => log.warn({ err: e.message }, 'redis error'));

  const registry = createMetricsRegistry({ service: 'actuator', hostId });
  const jobsTotal = new Counter({ name: 'ballast_actuator_jobs_total', help: 'Jobs processed', labelNames: ['type', 'outcome'], registers: [registry] });
  const jobSeconds = new Histogram({
    name: 'ballast_actuator_job_seconds',
    help: 'Time to apply and verify a job',
    labelNames: ['type'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  let succeeded = 0;
  let failed = 0;

  const router = new JobRouter(ctx, hostId);
  const worker = startActuatorWorker(router, {
    hostId,
    connection: redis,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    log,
    onOutcome: (job, ok, ms) => {
      if (ok) succeeded++;
      else failed++;
      jobsTotal.inc({ type: job.name, outcome: ok ? 'succeeded' : 'failed' });
      jobSeconds.observe({ type: job.name }, ms / 1000);
    },
  });
  // Stop taking jobs first; let the running ones finish (BullMQ waits for them).
  shutdown.add('redis', () => redis.quit());
  shutdown.add('worker', () => worker.close());

  const server = new grpc.Server({ interceptors: security.interceptors });
  const startedAtMs = Date.now();
  server.addService(
    ActuatorStatusServiceService,
    statusService({
      hostId,
      libvirtUri: config.libvirtUri,
      libvirtConnected: () => connected,
      queue: jobQueueName(hostId),
      startedAtMs,
      succeeded: () => succeeded,
      failed: () => failed,
      activeJobs: () => router.busyVms,
    }),
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.grpcHost}:${config.grpcPort}`, security.credentials, (err, port) => (err ? reject(err) : resolve(port))),
  ).catch((e: Error) => die(`config: grpcPort=${config.grpcPort} — cannot listen on ${config.grpcHost}: ${e.message}`));
  shutdown.add('grpc server', () => new Promise<void>((r) => server.tryShutdown(() => r())));

  const ops = await startOpsServer({
    port: config.opsPort,
    host: config.opsHost,
    registry,
    health: async () => ({
      ok: connected && redis.status === 'ready' && worker.isRunning(),
      details: { libvirt: connected ? 'connected' : 'reconnecting', redis: redis.status, worker: worker.isRunning() },
    }),
  }).catch((e: Error) => die(`config: opsPort=${config.opsPort} — cannot listen on ${config.opsHost}: ${e.message}`));
  shutdown.add('ops server', () => ops.close());

  log.info(
    { queue: jobQueueName(hostId), libvirtUri: config.libvirtUri, grpcPort, opsPort: ops.port, concurrency: config.concurrency },
    `actuator for ${hostId} working queue ${jobQueueName(hostId)}`,
  );
}

main().catch((e: Error) => {
  process.stderr.write(`actuator: ${e.message}\n`);
  process.exit(1);
});
