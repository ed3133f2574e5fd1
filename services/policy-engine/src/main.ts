#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { builtinPolicies, CLUSTER_BALANCE_POLICY_NAME, clusterBalancePolicy, placeVm, type ClusterBalanceArgs, type HostReport } from '@ballast/domain';
import { hostname } from 'node:os';
import { ClusterState, PolicyCycle, PolicyDocumentError, validatePolicies, type PolicyConfigEntry } from '@ballast/cycle';
import { IngestServiceService, PolicyServiceService } from '@ballast/proto';
import { JobQueues } from '@ballast/queue';
import { connectRedis, createServiceScaffold, mountOpsRoutes, resolveApiToken, runService, type ServiceScaffold } from '@ballast/runtime';
import { engineConfigSchema, type EngineConfig } from './engine-config.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { ingestService } from './grpc/ingest-service.js';
import { policyService } from './grpc/policy-service.js';
import { createApp } from './http/create-app.js';
import { JobService } from './job-service.js';
import { loadPolicyDocument } from './policy-document.js';
import { DecisionLog } from './state/decision-log.js';
import { HoldStore } from './state/hold-store.js';
import { ClusterLease } from './cluster/cluster-lease.js';
import { clusterRoutes, type ClusterDeps } from './cluster/cluster-routes.js';
import { MaintenanceStore } from './cluster/maintenance-store.js';
import { MigrationHistory } from './cluster/migration-history.js';
import { RecommendationStore } from './cluster/recommendation-store.js';
import { registerRecorderMetrics } from './replay/recorder-metrics.js';
import { replayRoutes } from './replay/replay-routes.js';
import { SampleRecorder } from './replay/sample-recorder.js';

/** Policies that decide for the whole cluster: they run only on the engine holding the cluster lease. */
const CLUSTER_WIDE = new Set([CLUSTER_BALANCE_POLICY_NAME]);

type Svc = ServiceScaffold<EngineConfig>;

async function main(): Promise<void> {
  const svc = createServiceScaffold({ service: 'policy-engine', schema: engineConfigSchema, aliases: { redisUrl: 'REDIS_URL' } });
  const { config, log } = svc;
  const policies = policyDocument(svc);
  const security = svc.grpcServerSecurity();
  const api = svc.check(() => resolveApiToken({ envToken: config.apiToken, filePath: config.apiTokenFile }));
  if (api.generated) log.info({ path: api.path }, `generated an API token into ${api.path} (mode 0600)`);

  const redis = await redisClient(svc);
  const now = () => Date.now();
  const holds = new HoldStore(redis);
  await holds.load(now());
  const { maintenance, state, recommendations, lease } = await clusterParts(svc, redis, holds, now);
  const queues = new JobQueues(redis);
  svc.onShutdown('queues', () => queues.close());
  const decisions = new DecisionLog();
  const cycle = new PolicyCycle(builtinPolicies(), policies, {
    state: { snapshot: () => ({ ...state.snapshot(), vetoedMoves: recommendations.vetoes() }) },
    holds,
    enqueue: (specs) => queues.enqueueMany(specs),
    outcomes: (ids) => queues.outcomes(ids),
    newId: randomUUID,
  });
  const metrics = engineMetrics(svc, { state, queues, cycle, lease, now });
  const jobs = new JobService(state, queues, holds, {
    holdMs: config.holdMs,
    now,
    onSubmitted: (spec) => (cycle.track(spec, now()), metrics.jobSubmitted(spec)),
    onCancelled: (spec) => cycle.untrack(spec.id),
  });

  const recorder = new SampleRecorder(redis, { retentionMs: config.sampleRetentionHours * 3_600_000, log });
  svc.onShutdown('sample recorder', () => recorder.close());
  registerRecorderMetrics(svc.registry, recorder);
  const grpcServer = new grpc.Server({ interceptors: security.interceptors });
  grpcServer.addService(IngestServiceService, ingestService((r: HostReport) => (state.ingest(r), recorder.record(r), metrics.sampleReceived(r.hostId)), log));
  grpcServer.addService(PolicyServiceService, policyService(state, jobs, { recommendations }));
  const grpcPort = await svc.listenGrpc(grpcServer, security.credentials, { host: config.grpcHost, port: config.grpcPort });

  const clusterArgs = clusterArgsOf(policies);
  let lastSignals: Readonly<Record<string, unknown>> = {};
  const cluster: ClusterDeps = {
    state,
    jobs,
    maintenance,
    recommendations,
    now,
    place: (req) => placeVm({ ...state.snapshot(), jobs: [], signals: lastSignals }, clusterArgs, req),
  };
  const replay = replayRoutes({ redis, registry: builtinPolicies, cycleMs: config.cycleMs, windowSize: config.windowSize, staleAfterIntervals: config.staleAfterIntervals, now });
  const app = createApp({ state, jobs, token: api.token, holdMs: config.holdMs, decisions, policies, extraRoutes: [...clusterRoutes(cluster), ...replay] }, (a) =>
    mountOpsRoutes(a, {
      registry: svc.registry,
      health: async () => ({ ok: redis.status === 'ready', details: { redis: redis.status, hosts: state.hosts().length, clusterLease: lease.isHeld } }),
    }),
  );
  const httpPort = await svc.listenHttp(createServer(app), { host: config.httpHost, port: config.httpPort });

  svc.every('policy cycle', config.cycleMs, async () => {
    const t0 = performance.now();
    await maintenance.refresh();
    const leader = await lease.ensure();
    const r = await cycle.run(leader ? {} : { skip: CLUSTER_WIDE });
    lastSignals = r.signals;
    if (leader) {
      const summary = r.decisions.find((d) => d.policy === CLUSTER_BALANCE_POLICY_NAME && d.kind === 'cluster');
      const imbalance = (summary?.inputs as { imbalance?: number } | undefined)?.imbalance;
      const hostOf = new Map(state.vms().map((v) => [v.uuid, v.hostId]));
      await recommendations.afterCycle(r.decisions, imbalance, (ids) => queues.outcomes(ids), (uuid) => hostOf.get(uuid));
    }
    metrics.cycleDone(r, (performance.now() - t0) / 1000);
    decisions.applyOutcomes(r.outcomes);
    decisions.add(r.decisions);
    decisions.retain(new Set(state.vms().map((v) => v.uuid)));
  });

  log.info(
    { httpPort, grpcPort, policies: cycle.runOrder.map((name) => `${name}:${policies.find((p) => p.name === name)?.automation}`), tokenSource: api.source, tls: security.tls },
    `policy engine serving HTTP on ${config.httpHost}:${httpPort}, gRPC on ${config.grpcHost}:${grpcPort}`,
  );
}

/** The engine's cluster state with what it keeps in Redis: maintenance, the moves seen (cool-downs), recommendations, the cluster lease. */
async function clusterParts(svc: Svc, redis: Redis, holds: HoldStore, now: () => number) {
  const { config, log } = svc;
  const maintenance = new MaintenanceStore(redis);
  await maintenance.refresh();
  const state = new ClusterState({ windowSize: config.windowSize, staleAfterIntervals: config.staleAfterIntervals, now }, holds, maintenance);
  const history = new MigrationHistory(redis);
  state.rememberMigrations(await history.load(now()));
  state.onMigration = (m) => void history.add(m).catch((e: Error) => log.warn({ err: e.message }, 'could not record a migration in Redis'));
  const recommendations = new RecommendationStore(redis, { now });
  await recommendations.load();
  const lease = new ClusterLease(redis, { ttlMs: config.clusterLeaseTtlMs, identifier: `${hostname()}:${process.pid}:${randomUUID()}`, log });
  svc.onShutdown('cluster lease', () => lease.release());
  return { maintenance, state, recommendations, lease };
}

/** The policy document, checked before anything connects: every issue is a line of its own, exit 2. */
function policyDocument(svc: Svc): PolicyConfigEntry[] {
  const file = svc.config.policyFile;
  const policies = svc.check(() => loadPolicyDocument(file));
  try {
    validatePolicies(builtinPolicies(), policies);
  } catch (e) {
    const lines = e instanceof PolicyDocumentError ? e.issues : [(e as Error).message];
    svc.fail(lines.map((l) => `config: ${file ?? 'policyFile'}: ${l}`));
  }
  return policies;
}

/** The cluster policy's args from the document (its defaults when it is not in it): placement advice uses them. */
function clusterArgsOf(policies: PolicyConfigEntry[]): ClusterBalanceArgs {
  const entry = policies.find((p) => p.name === CLUSTER_BALANCE_POLICY_NAME);
  const r = clusterBalancePolicy.validate(entry?.args ?? {});
  return r.ok ? r.args : clusterBalancePolicy.defaults;
}

async function redisClient(svc: Svc): Promise<Redis> {
  const redis = new Redis(svc.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  await connectRedis(redis, svc.config.redisUrl);
  redis.on('error', (e) => svc.log.warn({ err: e.message }, 'redis error'));
  svc.onShutdown('redis', () => redis.quit());
  return redis;
}

/** The engine's metrics (docs/metrics.md): counters fed by the cycle and ingest, gauges read from the state and the queues at scrape. */
function engineMetrics(svc: Svc, d: { state: ClusterState; queues: JobQueues; cycle: PolicyCycle; lease: ClusterLease; now: () => number }): EngineMetrics {
  return new EngineMetrics(svc.registry, {
    state: d.state,
    backlog: (hostId, nowMs) => d.queues.backlog(hostId, nowMs),
    specOf: (id) => d.cycle.tracker.spec(id),
    leaseHeld: () => d.lease.isHeld,
    now: d.now,
    log: svc.log,
  });
}

runService('policy-engine', main);
