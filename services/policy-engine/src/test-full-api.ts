/**
 * The engine's whole HTTP API over a test engine (real Redis), as main.ts assembles it: every route table —
 * cluster, tokens and audit, stop switches, events and webhooks, versioned policies, replay — so tests that
 * iterate over the routes (OpenAPI, fuzzing) cover each one, including routes added later here.
 */
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { builtinPolicies, clusterBalancePolicy, placeVm } from '@ballast/domain';
import type { TestEngine } from './test-engine.js';
import { clusterRoutes } from './cluster/cluster-routes.js';
import { MaintenanceStore } from './cluster/maintenance-store.js';
import { RecommendationStore } from './cluster/recommendation-store.js';
import { optOutOf, stopRoutes } from './control/stop-routes.js';
import { StopSwitches } from './control/stop-switches.js';
import { EngineEvents } from './events/engine-events.js';
import type { ApiDeps } from './http/api-routes.js';
import { PolicyDocuments } from './policies/policy-documents.js';
import { PolicyStore } from './policies/policy-store.js';
import { replayRoutes } from './replay/replay-routes.js';
import { AuditLog } from './security/audit-log.js';
import { securityRoutes } from './security/security-routes.js';
import { TokenStore } from './security/token-store.js';
import { DecisionLog } from './state/decision-log.js';

export interface FullApi {
  deps: ApiDeps;
  tokens: TokenStore;
  events: EngineEvents;
  /** Ends the event stream's reader (call before stopping the engine). */
  close(): Promise<void>;
}

export async function fullApi(engine: TestEngine, adminToken: string): Promise<FullApi> {
  const { state, jobs, redis } = engine;
  const now = () => Date.now();
  const recommendations = new RecommendationStore(redis, { now });
  const cluster = clusterRoutes({
    state,
    jobs,
    maintenance: new MaintenanceStore(redis),
    recommendations,
    now,
    place: (req) => placeVm({ ...state.snapshot(), jobs: [], signals: {} }, clusterBalancePolicy.defaults, req),
  });
  const tokens = new TokenStore(redis, adminToken);
  const audit = new AuditLog(redis);
  const stops = new StopSwitches(redis);
  const events = new EngineEvents({ redis, registry: new Registry(), log: pino({ level: 'silent' }), recommendations });
  const replay = replayRoutes({ redis, registry: builtinPolicies, cycleMs: 2000, windowSize: 10, staleAfterIntervals: 3, now });
  const deps: ApiDeps = {
    state,
    jobs,
    token: adminToken,
    auth: tokens,
    audit,
    holdMs: 300000,
    decisions: new DecisionLog(),
    policyDocs: new PolicyDocuments(new PolicyStore(redis), builtinPolicies()),
    optOutOf: optOutOf(stops),
    extraRoutes: [...cluster, ...securityRoutes(tokens, audit), ...stopRoutes({ state, stops, now }), ...events.routes, ...replay],
  };
  return { deps, tokens, events, close: () => events.close() };
}
