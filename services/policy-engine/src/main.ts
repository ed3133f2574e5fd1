#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { builtinPolicies, CLUSTER_BALANCE_POLICY_NAME, clusterBalancePolicy, placeVm, type ClusterBalanceArgs, type HostReport } from '@ballast/domain';
import { hostname } from 'node:os';
import { ClusterState, PolicyCycle, PolicyDocumentError, laps, type CycleResult, type PolicyConfigEntry } from '@ballast/cycle';
import { IngestServiceService, PolicyServiceService } from '@ballast/proto';
import { JobQueues } from '@ballast/queue';
import { createServiceScaffold, grpcServerSecurity, healthHandler, metricsHandler, resolveApiToken, runService, type HealthCheck, type IntervalLoop, type ServiceScaffold } from '@ballast/runtime';
import { engineConfigSchema, type EngineConfig } from './engine-config.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { ingestService } from './grpc/ingest-service.js';
import { policyService } from './grpc/policy-service.js';
import { createApp } from './http/create-app.js';
import { JobService } from './job-service.js';
import { readPolicyFile } from './policy-document.js';
import { PolicyReloader } from './policies/policy-reloader.js';
import { startPolicies } from './policies/policy-start.js';
import { DecisionLog } from './state/decision-log.js';
import { JobJournal } from './state/job-journal.js';
import { DecisionStore } from './state/decision-store.js';
import { Takeover } from './state/takeover.js';
import { ReplicaDecisions } from './state/replica-decisions.js';
import { engineRoutes } from './cluster/engine-routes.js';
import { AuditLog } from './security/audit-log.js';
import { requireRole, staticAuthenticator } from './security/auth.js';
import type { ApiDeps } from './http/api-routes.js';
import { engineGrpcAuth, grpcCaller } from './security/grpc-auth.js';
import { POLICY_RPC_ROLES } from './security/grpc-roles.js';
import { securityRoutes } from './security/security-routes.js';
import { TokenStore } from './security/token-store.js';
import { HoldStore } from './state/hold-store.js';
import { ClusterLease } from './cluster/cluster-lease.js';
import { HostLeases } from './cluster/host-leases.js';
import { clusterRoutes, type ClusterDeps } from './cluster/cluster-routes.js';
import { MaintenanceStore } from './cluster/maintenance-store.js';
import { MigrationHistory } from './cluster/migration-history.js';
import { RecommendationStore } from './cluster/recommendation-store.js';
import { StopSwitches } from './control/stop-switches.js';
import { optOutOf, stopRoutes } from './control/stop-routes.js';
import { StopMetrics } from './metrics/stop-metrics.js';
import { EngineEvents } from './events/engine-events.js';
import { registerRecorderMetrics } from './replay/recorder-metrics.js';
import { replayRoutes } from './replay/replay-routes.js';
import { SampleRecorder } from './replay/sample-recorder.js';
import { SampleTail } from './replay/sample-tail.js';
import { SharedSignalStore } from './state/shared-signal-store.js';

/** Policies that decide for the whole cluster: they run only on the engine holding the cluster lease. */
const CLUSTER_WIDE = new Set([CLUSTER_BALANCE_POLICY_NAME]);

type Svc = ServiceScaffold<EngineConfig>;

async function main(): Promise<void> {
  const svc = createServiceScaffold({ service: 'policy-engine', schema: engineConfigSchema, aliases: { redisUrl: 'REDIS_URL' } });
  const { config, log } = svc;
  const policyFile = policyDocument(svc);
  const security = svc.check(() => grpcServerSecurity({ tlsCertFile: config.tlsCertFile, tlsKeyFile: config.tlsKeyFile, tlsCaFile: config.tlsCaFile }));
  const api = svc.check(() => resolveApiToken({ envToken: config.apiToken, filePath: config.apiTokenFile }));
  if (api.generated) log.info({ path: api.path }, `generated an API token into ${api.path} (mode 0600)`);

  const redis = await redisClient(svc);
  const now = () => Date.now();
  const { tokens, audit, onAuditError, grpcAuth } = securityParts(svc, redis, api.token);
  const holds = new HoldStore(redis);
  await holds.load(now());
  const { maintenance, state, recommendations, lease, hostLeases } = await clusterParts(svc, redis, holds, now);
  const start = await startPolicies(redis, builtinPolicies(), policyFile, log).catch((e: unknown) =>
    svc.fail(e instanceof PolicyDocumentError ? e.issues.map((l) => `config: stored policy document: ${l}`) : [(e as Error).message]),
  );
  // The client's own 'redis error' line already says Redis is away: a queue's copy of it is debug.
  const queues = new JobQueues(redis, (e) => log.debug({ err: e.message }, 'job queue error'), { count: config.jobsKept, ageSec: Math.round(config.jobsKeptHours * 3600) });
  svc.onShutdown('queues', () => queues.close());
  const stops = new StopSwitches(redis);
  await stops.refresh();
  const events = new EngineEvents({ redis, registry: svc.registry, log, recommendations });
  await events.start();
  const { cycle, journal } = policyCycle({ redis, log, state, holds, queues, stops, recommendations, cycleMs: config.cycleMs }, start.entries);
  const reloader = new PolicyReloader(start.docs, cycle, log);
  reloader.loaded = start.current.version;
  const metrics = engineMetrics(svc, { state, queues, cycle, lease, hostLeases, now });
  const stopMetrics = new StopMetrics(svc.registry, () => stops.current() !== undefined);
  const jobs = new JobService(state, queues, holds, {
    holdMs: config.holdMs,
    now,
    onSubmitted: (spec) => (cycle.track(spec, now()), metrics.jobSubmitted(spec), events.jobSubmitted(spec)),
    onCancelled: (spec) => (cycle.untrack(spec.id), events.jobCancelled(spec)),
  });

  const samples = await samplePipes(svc, redis, state, hostLeases.replicaId);
  const grpcServer = new grpc.Server({ interceptors: [grpcAuth] });
  grpcServer.addService(IngestServiceService, ingestService((r: HostReport) => (state.ingest(r), samples.received(r), metrics.sampleReceived(r.hostId, r.vms)), log));
  const parts = { stops: { stops, now, actorOf: async (m: grpc.Metadata) => grpcCaller(m) }, policyDocs: start.docs, events: events.stream };
  grpcServer.addService(PolicyServiceService, policyService(state, jobs, { recommendations }, parts));
  const grpcPort = await svc.listenGrpc(grpcServer, security.credentials, { host: config.grpcHost, port: config.grpcPort });

  let lastSignals: Readonly<Record<string, unknown>> = {};
  const place: ClusterDeps['place'] = (req) => placeVm({ ...state.snapshot(), jobs: [], signals: lastSignals }, clusterArgsOf(cycle.policies), req);
  const cluster: ClusterDeps = { state, jobs, maintenance, recommendations, now, place };
  const health = engineHealth({ redis, state, hostLeases, lease, stops });
  const decisions = replicaDecisions(hostLeases, config.decisionsKept, log);
  const takeover = new Takeover({ journal, cycle, decisions: decisions.local, store: new DecisionStore(redis), vmsOf: (h) => state.vms(h).map((v) => v.uuid), log });
  svc.onShutdown('decisions', () => takeover.saveAll());
  const extraRoutes = [...clusterRoutes(cluster), ...engineRoutes({ state, leases: hostLeases }), ...securityRoutes(tokens, audit), ...stopRoutes({ state, stops, now }), ...events.routes, ...replayOf(svc, redis, now)];
  const app = engineApp(svc, { state, jobs, token: api.token, auth: tokens, audit, onAuditError, holdMs: config.holdMs, decisions, policyDocs: start.docs, optOutOf: optOutOf(stops), extraRoutes }, health);
  const httpPort = await svc.listenHttp(createServer(app), { host: config.httpHost, port: config.httpPort });
  hostLeases.url = config.advertiseUrl ?? `http://${/^(0\.0\.0\.0|::|\[::\])$/.test(config.httpHost) ? '127.0.0.1' : config.httpHost}:${httpPort}`;
  svc.onShutdown('events', () => events.close()); // before the servers: it ends the open event streams
  const ops = config.opsPort > 0 ? await svc.serveOps({ port: config.opsPort, host: config.opsHost, health }) : undefined;

  const refresh = () => Promise.all([maintenance.refresh(), reloader.check(), stops.refresh(), holds.refresh(now())]);
  const turns = cycleTurns(hostLeases, config.cycleMs, log);
  turns.bind(svc.every('policy cycle', config.cycleMs, policyCycleStep({ refresh, lease, hostLeases, turns, state, samples, takeover, cycle, recommendations, queues, metrics, stopMetrics, events, decisions }, (signals) => (lastSignals = signals))));

  log.info(
    { httpPort, grpcPort, opsPort: ops?.port, ingestTokenRequired: !!config.grpcToken, policyVersion: start.current.version, policies: cycle.policies.map((p) => `${p.name}:${p.automation}`), tokenSource: api.source, tls: security.tls },
    `policy engine serving HTTP on ${config.httpHost}:${httpPort}, gRPC on ${config.grpcHost}:${grpcPort}`,
  );
}

/** What one cycle of the engine uses. */
interface CycleParts {
  refresh: () => Promise<unknown>;
  lease: ClusterLease;
  hostLeases: HostLeases;
  turns: ReturnType<typeof cycleTurns>;
  state: ClusterState;
  samples: Awaited<ReturnType<typeof samplePipes>>;
  takeover: Takeover;
  cycle: PolicyCycle;
  recommendations: RecommendationStore;
  queues: JobQueues;
  metrics: EngineMetrics;
  stopMetrics: StopMetrics;
  events: EngineEvents;
  decisions: ReplicaDecisions;
}

/**
 * One engine cycle: the stores refreshed, the leases, a takeover's decisions, the policies on the owned hosts (the
 * cluster-wide ones on the lease holder), its recommendations; then events, the decision log and the decisions
 * saved. Each step is timed (ballast_policy_cycle_phase_seconds).
 */
function policyCycleStep(d: CycleParts, onSignals: (signals: Readonly<Record<string, unknown>>) => void): () => Promise<void> {
  return async () => {
    const t0 = performance.now();
    const lap = laps();
    await d.refresh();
    const refreshMs = lap();
    const leader = await d.lease.ensure();
    const fresh = d.state.hosts().filter((h) => !h.stale);
    const owned = await d.hostLeases.balance(fresh.map((h) => h.hostId), d.samples.direct(fresh));
    d.turns.take(d.hostLeases.turn());
    const leasesMs = lap();
    await d.takeover.gained(owned);
    const takeoverMs = lap();
    const r = await d.cycle.run({ ...(leader ? {} : { skip: CLUSTER_WIDE }), owned: { hosts: owned, except: CLUSTER_WIDE } });
    lap(); // the run's own steps are in r.phasesMs; the next lap is the recommendations' alone
    onSignals(r.signals);
    if (leader) await recommendationsAfter(r, d);
    const phasesMs = { refresh: refreshMs, leases: leasesMs, takeover: takeoverMs, ...r.phasesMs, recommendations: lap() };
    d.metrics.cycleDone(r, (performance.now() - t0) / 1000, phasesMs);
    d.stopMetrics.cycleDone(r.decisions);
    d.events.afterCycle(r, (id) => d.cycle.tracker.spec(id));
    logCycle(d.decisions.local, r, d.state.placedVms().map((p) => p.vm), d.hostLeases.replicaId);
    await d.takeover.afterCycle(owned);
    d.metrics.phaseDone('after', lap());
  };
}

/**
 * The replicas take turns in the cycle interval: of n alive, the i-th (by id) runs its cycles i/n of an interval
 * after the first, so their busiest moments do not meet on the CPUs and Redis they share (docs/replicas.md). A
 * replica alone keeps its place: a move can put up to half an interval more between two of its cycles, and there
 * is nobody to take turns with.
 */
function cycleTurns(leases: HostLeases, cycleMs: number, log: Svc['log']) {
  let loop: IntervalLoop | undefined;
  return {
    bind(l: IntervalLoop): void {
      loop = l;
    },
    take(t: { index: number; of: number }): void {
      if (loop === undefined) return;
      const offsetMs = Math.round((t.index * cycleMs) / t.of);
      if (t.of > 1 && loop.offsetMs !== offsetMs) {
        loop.phase(offsetMs);
        log.info({ cycleOffsetMs: offsetMs, turn: t.index + 1, replicas: t.of }, `policy cycle runs ${offsetMs} ms into each ${cycleMs} ms interval (turn ${t.index + 1} of ${t.of} replicas)`);
      }
      leases.cycleOffsetMs = loop.offsetMs;
    },
  };
}

/** /healthz: Redis up; the hosts known and held here, the cluster lease, the pause. */
function engineHealth(d: { redis: Redis; state: ClusterState; hostLeases: HostLeases; lease: ClusterLease; stops: StopSwitches }): HealthCheck {
  return async () => ({
    ok: d.redis.status === 'ready',
    details: { redis: d.redis.status, hosts: d.state.hosts().length, hostsOwned: d.hostLeases.owned().size, clusterLease: d.lease.isHeld, paused: d.stops.current() !== undefined },
  });
}

/** The policy cycle on the engine's ports (state, holds, queues, stop switches, the job journal), and its take-over step. */
function policyCycle(d: { redis: Redis; log: Svc['log']; state: ClusterState; holds: HoldStore; queues: JobQueues; stops: StopSwitches; recommendations: RecommendationStore; cycleMs: number }, entries: PolicyConfigEntry[]) {
  const journal = new JobJournal(d.redis, d.log);
  const cycle = new PolicyCycle(builtinPolicies(), entries, {
    state: { snapshot: () => ({ ...d.state.snapshot(), vetoedMoves: d.recommendations.vetoes() }) },
    holds: d.holds,
    enqueue: (specs) => d.queues.enqueueMany(specs),
    outcomes: (ids) => d.queues.outcomes(ids),
    stops: d.stops,
    journal,
    // a part is used for 10 cycle intervals: its owner rewrites it every cycle, and cluster-balance, with its
    // cool-downs of minutes, is not hurried by bounds seconds old; a replica gone, the lease holder plans its hosts
    sharedSignals: new SharedSignalStore(d.redis, { ttlMs: 10 * d.cycleMs, log: d.log }),
  });
  return { cycle, journal };
}

/** The decisions this replica makes (in memory), read with the other replicas' (asked over HTTP) by the API. */
function replicaDecisions(leases: HostLeases, kept: number, log: Svc['log']): ReplicaDecisions {
  const peers = async () => (await leases.engines()).filter((e) => e.id !== leases.replicaId);
  return new ReplicaDecisions(new DecisionLog(kept), { peers, log });
}

/** The decision log after a cycle: outcomes onto the decisions that made the jobs, the new decisions, VMs gone dropped. */
function logCycle(decisions: DecisionLog, r: CycleResult, vms: readonly { uuid: string }[], engine: string): void {
  decisions.applyOutcomes(r.outcomes);
  decisions.add(r.decisions.map((d) => ({ ...d, engine })));
  decisions.retain(new Set(vms.map((v) => v.uuid)));
}

/** After a cycle on the lease holder: the cluster policy's moves become (or update) recommendations. */
async function recommendationsAfter(r: CycleResult, d: { state: ClusterState; recommendations: RecommendationStore; queues: JobQueues }): Promise<void> {
  const summary = r.decisions.find((x) => x.policy === CLUSTER_BALANCE_POLICY_NAME && x.kind === 'cluster');
  const imbalance = (summary?.inputs as { imbalance?: number } | undefined)?.imbalance;
  // placedVms: the reports as they are (vms() copies every VM with its window and holds)
  const hostOf = new Map(d.state.placedVms().map((p) => [p.vm.uuid, p.hostId]));
  await d.recommendations.afterCycle(r.decisions, imbalance, (ids) => d.queues.outcomes(ids), (uuid) => hostOf.get(uuid));
}

/**
 * Samples between the replicas: every report received here is recorded in Redis (a stream per host, also for
 * what-if replay), and the streams are tailed so this replica sees the hosts whose collectors stream to other
 * replicas too (docs/replicas.md). `direct`: the fresh hosts whose collectors stream here.
 */
async function samplePipes(svc: Svc, redis: Redis, state: ClusterState, replicaId: string) {
  const { config, log } = svc;
  const recorder = new SampleRecorder(redis, { retentionMs: config.sampleRetentionHours * 3_600_000, log, writer: replicaId });
  svc.onShutdown('sample recorder', () => recorder.close());
  const tail = new SampleTail(redis, { self: replicaId, backfill: config.windowSize, log, onReport: (r, at) => state.isNewer(r) && state.ingest(r, at) });
  registerRecorderMetrics(svc.registry, recorder, tail);
  if (recorder.enabled) {
    await tail.start();
    svc.onShutdown('sample tail', () => tail.close());
  } else log.warn({}, 'BALLAST_SAMPLE_RETENTION_HOURS is 0: samples are not recorded, so other engine replicas do not see the hosts that stream here');
  const lastDirect = new Map<string, number>();
  return {
    received: (r: HostReport) => (lastDirect.set(r.hostId, Date.now()), recorder.record(r)),
    direct: (fresh: readonly { hostId: string; intervalMs: number }[]) =>
      new Set(fresh.filter((h) => Date.now() - (lastDirect.get(h.hostId) ?? -Infinity) <= config.staleAfterIntervals * Math.max(h.intervalMs, 1)).map((h) => h.hostId)),
  };
}

/** POST /v1/policies/replay: a candidate document over the recorded samples, touching no host. */
function replayOf(svc: Svc, redis: Redis, now: () => number) {
  const c = svc.config;
  return replayRoutes({ redis, registry: builtinPolicies, cycleMs: c.cycleMs, windowSize: c.windowSize, staleAfterIntervals: c.staleAfterIntervals, now });
}

/** The HTTP app: /v1 behind tokens and rate limits, /healthz open, /metrics for a viewer (open on the ops port). */
function engineApp(svc: Svc, deps: ApiDeps, health: HealthCheck) {
  const { config } = svc;
  const limits = { rateLimit: { perMinute: config.rateLimitPerMinute, authFailuresPerMinute: config.authFailuresPerMinute }, bodyLimitKiB: config.httpBodyLimitKiB };
  const auth = deps.auth ?? staticAuthenticator(deps.token);
  return createApp({ ...deps, ...limits }, (a) => {
    a.get('/healthz', healthHandler(health));
    a.get('/metrics', requireRole(auth, 'viewer'), metricsHandler(svc.registry));
  });
}

/** API tokens (hashed in Redis), the audit log, and the gRPC check: PolicyService takes the API tokens, ingest its own. */
function securityParts(svc: Svc, redis: Redis, adminToken: string) {
  const tokens = new TokenStore(redis, adminToken);
  const audit = new AuditLog(redis);
  const onAuditError = (e: Error) => svc.log.error({ err: e.message }, 'could not write an audit entry');
  const grpcAuth = engineGrpcAuth({
    auth: tokens,
    roles: POLICY_RPC_ROLES,
    ingestToken: svc.config.grpcToken,
    audit,
    onAuditError,
    onReject: (r) => svc.log.warn(r, 'gRPC call refused'),
  });
  return { tokens, audit, onAuditError, grpcAuth };
}

/** The engine's cluster state with what it keeps in Redis: maintenance, the moves seen (cool-downs), recommendations, the cluster lease. */
async function clusterParts(svc: Svc, redis: Redis, holds: HoldStore, now: () => number) {
  const { config, log } = svc;
  const maintenance = new MaintenanceStore(redis);
  await maintenance.refresh();
  const state = new ClusterState({ windowSize: config.windowSize, staleAfterIntervals: config.staleAfterIntervals, now }, holds, maintenance);
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // the hosts this replica decides for (docs/replicas.md); given back at shutdown, so the others take them at once
  const hostLeases = new HostLeases(redis, { replicaId, ttlMs: config.hostLeaseTtlMs, now, log });
  svc.onShutdown('host leases', () => hostLeases.releaseAll());
  const history = new MigrationHistory(redis);
  state.rememberMigrations(await history.load(now()));
  // every replica sees the move; the one deciding for the destination records it
  state.onMigration = (m) => {
    if (hostLeases.owns(m.toHost)) void history.add(m).catch((e: Error) => log.warn({ err: e.message }, 'could not record a migration in Redis'));
  };
  const recommendations = new RecommendationStore(redis, { now });
  await recommendations.load();
  const lease = new ClusterLease(redis, { ttlMs: config.clusterLeaseTtlMs, identifier: replicaId, log });
  svc.onShutdown('cluster lease', () => lease.release());
  return { maintenance, state, recommendations, lease, hostLeases };
}

/** BALLAST_POLICY_FILE, read and checked before anything connects: every issue is a line of its own, exit 2. */
function policyDocument(svc: Svc): { path: string; document: ReturnType<typeof readPolicyFile>['document'] } | undefined {
  const path = svc.config.policyFile;
  if (!path) return undefined;
  try {
    return { path, document: svc.check(() => readPolicyFile(path)).document };
  } catch (e) {
    const lines = e instanceof PolicyDocumentError ? e.issues : [(e as Error).message];
    svc.fail(lines.map((l) => `config: ${path}: ${l}`));
  }
}

/** The cluster policy's args from the document (its defaults when it is not in it): placement advice uses them. */
function clusterArgsOf(policies: readonly PolicyConfigEntry[]): ClusterBalanceArgs {
  const entry = policies.find((p) => p.name === CLUSTER_BALANCE_POLICY_NAME);
  const r = clusterBalancePolicy.validate(entry?.args ?? {});
  return r.ok ? r.args : clusterBalancePolicy.defaults;
}

/** Redis from redisUrl and the redis* settings (user, password, TLS: docs/redis-security.md). */
async function redisClient(svc: Svc): Promise<Redis> {
  return (await svc.connectRedis()).redis;
}

/** The engine's metrics (docs/metrics.md): counters fed by the cycle and ingest, gauges read from the state and the queues at scrape. */
function engineMetrics(svc: Svc, d: { state: ClusterState; queues: JobQueues; cycle: PolicyCycle; lease: ClusterLease; hostLeases: HostLeases; now: () => number }): EngineMetrics {
  return new EngineMetrics(svc.registry, {
    state: d.state,
    // every reporting host's queue, in one round trip. Not only the owned hosts' (queueHosts): a restarted
    // engine owns nothing until the dead process's leases lapse, and would show no queue meanwhile.
    backlogs: (hostIds, nowMs) => d.queues.backlogs(hostIds, nowMs),
    specOf: (id) => d.cycle.tracker.spec(id),
    leaseHeld: () => d.lease.isHeld,
    hostsOwned: () => d.hostLeases.owned().size,
    hostLeasesLost: () => d.hostLeases.lost,
    sampleTakenAtMs: (h) => d.state.hostReport(h)?.takenAtMs,
    now: d.now,
    log: svc.log,
  });
}

runService('policy-engine', main);
