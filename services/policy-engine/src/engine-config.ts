import { logFormatField, redisSecurityFields } from '@ballast/runtime';
import { DEFAULT_JOB_RETENTION } from '@ballast/queue';
import { z } from 'zod';
import { DECISIONS_KEPT } from './state/decision-log.js';

/** Every knob of the policy engine, with its default. Env: BALLAST_<NAME>, plus REDIS_URL. */
export const engineConfigSchema = z.object({
  /** redis:// or rediss:// (TLS); user and password, TLS files: redisSecurityFields (docs/redis-security.md). */
  redisUrl: z.string().min(1).default('redis://127.0.0.1:6379'),
  ...redisSecurityFields,
  httpHost: z.string().default('127.0.0.1'),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  grpcHost: z.string().default('127.0.0.1'),
  grpcPort: z.number().int().min(0).max(65535).default(50051),
  /** /metrics and /healthz without a token (Prometheus): keep on loopback or a management network. 0: no ops port. */
  opsHost: z.string().default('127.0.0.1'),
  opsPort: z.number().int().min(0).max(65535).default(9463),
  /** The first admin API token; generated into apiTokenFile when unset. More tokens: POST /v1/tokens. */
  apiToken: z.string().min(16).optional(),
  apiTokenFile: z.string().default('/var/lib/ballast/api-token'),
  /** The collectors' ingest credential (IngestService). PolicyService over gRPC takes the API tokens, as HTTP. */
  grpcToken: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  tlsCaFile: z.string().optional(),
  /** Policy cycle period. */
  cycleMs: z.number().int().min(100).default(2000),
  /** The cluster lease's TTL: cluster-wide policies move to another engine this long after their holder stops. */
  clusterLeaseTtlMs: z.number().int().min(1000).default(15000),
  /**
   * A host lease's TTL: with several engine replicas on one Redis each decides for the hosts it holds a lease
   * on; a dead replica's hosts go to the others this long after it stops (plus a cycle). docs/replicas.md.
   */
  hostLeaseTtlMs: z.number().int().min(1000).default(6000),
  /**
   * Where the other engine replicas reach this one's HTTP API (they ask each other for decisions,
   * docs/replicas.md); default http://<httpHost, or 127.0.0.1 for a wildcard>:<the port it listens on>.
   */
  advertiseUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /**
   * Decisions kept in memory per VM (and host) and policy, for the API (GET /v1/decisions); ~1.1 KB each. Those
   * that sent a job or changed are also events, kept longer (docs/events.md).
   */
  decisionsKept: z.number().int().min(1).max(1000).default(DECISIONS_KEPT),
  /**
   * Finished jobs kept per host queue (succeeded and failed each), for the API (GET /v1/jobs); ~1.75 KB of Redis
   * each, so up to hosts × jobsKept × 1.75 KB. Set on each job as it is enqueued.
   */
  jobsKept: z.number().int().min(1).max(1_000_000).default(DEFAULT_JOB_RETENTION.count),
  /** Finished jobs older than this are removed, hours. */
  jobsKeptHours: z.number().min(1).max(8760).default(DEFAULT_JOB_RETENTION.ageSec / 3600),
  /** Samples kept per VM. */
  windowSize: z.number().int().min(2).max(10000).default(30),
  staleAfterIntervals: z.number().int().min(1).default(3),
  /** How long a manual job holds the VM's resource against policies (default 5 min). */
  holdMs: z.number().int().min(0).default(300000),
  /** Policy document (JSON): {"policies": {"<name>": {"automation": "auto", "args": {...}}}}. */
  policyFile: z.string().optional(),
  /** HTTP API requests a minute per token (per client IP without one), per engine process; 0: no limit. */
  rateLimitPerMinute: z.number().int().min(0).default(1200),
  /** Failed sign-ins (401) a minute per client IP, per engine process; 0: no limit. */
  authFailuresPerMinute: z.number().int().min(0).default(60),
  /** The largest JSON request body the HTTP API reads (413 above it). */
  httpBodyLimitKiB: z.number().int().min(1).max(65536).default(256),
  /** Every ingested report is recorded in Redis for what-if replay this long (docs/replay.md); 0 records nothing. */
  sampleRetentionHours: z.number().min(0).max(720).default(24),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** auto: readable lines on a terminal, JSON lines otherwise; pretty or json to force one. */
  logFormat: logFormatField,
});

export type EngineConfig = z.infer<typeof engineConfigSchema>;
