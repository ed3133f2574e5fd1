#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { builtinPolicies } from '@ballast/domain';
import { IngestServiceService, PolicyServiceService } from '@ballast/proto';
import { JobQueues } from '@ballast/queue';
import { ClusterState, PolicyCycle, PolicyDocumentError, validatePolicies } from '@ballast/cycle';
import {
  connectRedis,
  createGracefulShutdown,
  createLogger,
  createMetricsRegistry,
  exitOnConfigError,
  grpcServerSecurity,
  loadConfig,
  mountOpsRoutes,
  resolveApiToken,
  resolveHostId,
} from '@ballast/runtime';
import { engineConfigSchema } from './engine-config.js';
import { ingestService } from './grpc/ingest-service.js';
import { policyService } from './grpc/policy-service.js';
import { createApp } from './http/create-app.js';
import { JobService } from './job-service.js';
import { loadPolicyDocument } from './policy-document.js';
import { HoldStore } from './state/hold-store.js';
import { DecisionLog } from './state/decision-log.js';

async function main(): Promise<void> {
  const config = exitOnConfigError(() => loadConfig(engineConfigSchema, { aliases: { redisUrl: 'REDIS_URL' } }));
  const hostId = exitOnConfigError(() => resolveHostId());
  const log = createLogger({ service: 'policy-engine', hostId, logLevel: config.logLevel });
  const policies = exitOnConfigError(() => loadPolicyDocument(config.policyFile));
  try {
    // before anything connects: a bad policy document is a configuration error
    validatePolicies(builtinPolicies(), policies);
  } catch (e) {
    const lines = e instanceof PolicyDocumentError ? e.issues : [(e as Error).message];
    process.stderr.write(lines.map((l) => `config: ${config.policyFile ?? 'policyFile'}: ${l}\n`).join(''));
    process.exit(2);
  }
  const security = exitOnConfigError(() =>
    grpcServerSecurity({ token: config.grpcToken, tlsCertFile: config.tlsCertFile, tlsKeyFile: config.tlsKeyFile, tlsCaFile: config.tlsCaFile }),
  );
  const api = exitOnConfigError(() => resolveApiToken({ envToken: config.apiToken, filePath: config.apiTokenFile }));
  if (api.generated) log.info({ path: api.path }, `generated an API token into ${api.path} (mode 0600)`);

  const shutdown = createGracefulShutdown({ logger: log });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  await connectRedis(redis, config.redisUrl);
  redis.on('error', (e) => log.warn({ err: e.message }, 'redis error'));
  shutdown.add('redis', () => redis.quit());

  const now = () => Date.now();
  const holds = new HoldStore(redis);
  await holds.load(now());
  const state = new ClusterState({ windowSize: config.windowSize, staleAfterIntervals: config.staleAfterIntervals, now }, holds);
  const queues = new JobQueues(redis);
  shutdown.add('queues', () => queues.close());
  const decisions = new DecisionLog();
  const cycle = new PolicyCycle(builtinPolicies(), policies, {
    state,
    holds,
    enqueue: (specs) => queues.enqueueMany(specs),
    outcomes: (ids) => queues.outcomes(ids),
    newId: randomUUID,
  });
  const jobs = new JobService(state, queues, holds, { holdMs: config.holdMs, now, onSubmitted: (spec) => cycle.track(spec, now()) });

  const registry = createMetricsRegistry({ service: 'policy-engine', hostId });
  const samples = new Counter({ name: 'ballast_samples_received_total', help: 'Host samples received', labelNames: ['host'], registers: [registry] });
  const jobsEnqueued = new Counter({ name: 'ballast_policy_jobs_enqueued_total', help: 'Jobs enqueued by policies', registers: [registry] });
  new Gauge({ name: 'ballast_vms', help: 'VMs reported by collectors', registers: [registry], collect() { this.set(state.vms().length); } });

  // gRPC: ingest (collectors) + policy API.
  const server = new grpc.Server({ interceptors: security.interceptors });
  server.addService(IngestServiceService, ingestService((r) => {
    state.ingest(r);
    samples.inc({ host: r.hostId });
  }, log));
  server.addService(PolicyServiceService, policyService(state, jobs));
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.grpcHost}:${config.grpcPort}`, security.credentials, (err, port) => (err ? reject(err) : resolve(port))),
  ).catch((e: Error) => {
    process.stderr.write(`config: grpcPort=${config.grpcPort} — cannot listen on ${config.grpcHost}: ${e.message}\n`);
    process.exit(2);
  });
  shutdown.add('grpc server', () => new Promise<void>((r) => server.tryShutdown(() => r())));

  // HTTP: /v1 API + /metrics + /healthz.
  const app = createApp({ state, jobs, token: api.token, holdMs: config.holdMs, decisions, policies }, (a) =>
    mountOpsRoutes(a, {
      registry,
      health: async () => ({ ok: redis.status === 'ready', details: { redis: redis.status, hosts: state.hosts().length } }),
    }),
  );
  const http = createServer(app);
  await new Promise<void>((resolve) => {
    http.once('error', (e) => {
      process.stderr.write(`config: httpPort=${config.httpPort} — cannot listen on ${config.httpHost}: ${e.message}\n`);
      process.exit(2);
    });
    http.listen(config.httpPort, config.httpHost, resolve);
  });
  const addr = http.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : config.httpPort;
  shutdown.add('http server', () => new Promise<void>((r) => { http.close(() => r()); http.closeIdleConnections(); }));

  // The policy cycle.
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    cycle
      .run()
      .then((r) => {
        jobsEnqueued.inc(r.enqueued.length);
        decisions.applyOutcomes(r.outcomes);
        decisions.add(r.decisions);
        decisions.retain(new Set(state.vms().map((v) => v.uuid)));
      })
      .catch((e: Error) => log.error({ err: e.message }, 'policy cycle failed'))
      .finally(() => (running = false));
  }, config.cycleMs);
  shutdown.add('policy cycle', () => clearInterval(timer));

  log.info(
    { httpPort, grpcPort, policies: cycle.runOrder.map((name) => `${name}:${policies.find((p) => p.name === name)?.automation}`), tokenSource: api.source, tls: security.tls },
    `policy engine serving HTTP on ${config.httpHost}:${httpPort}, gRPC on ${config.grpcHost}:${grpcPort}`,
  );
}

main().catch((e: Error) => {
  process.stderr.write(`policy-engine: ${e.message}\n`);
  process.exit(1);
});
