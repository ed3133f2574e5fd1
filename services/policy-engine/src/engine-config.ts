import { z } from 'zod';

/** Every knob of the policy engine, with its default. Env: BALLAST_<NAME>, plus REDIS_URL. */
export const engineConfigSchema = z.object({
  redisUrl: z.string().min(1).default('redis://127.0.0.1:6379'),
  httpHost: z.string().default('127.0.0.1'),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  grpcHost: z.string().default('127.0.0.1'),
  grpcPort: z.number().int().min(0).max(65535).default(50051),
  /** Bearer token for mutating HTTP calls; generated into apiTokenFile when unset. */
  apiToken: z.string().min(16).optional(),
  apiTokenFile: z.string().default('/var/lib/ballast/api-token'),
  /** Shared token collectors and gRPC clients must present. */
  grpcToken: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  tlsCaFile: z.string().optional(),
  /** Policy cycle period. */
  cycleMs: z.number().int().min(100).default(2000),
  /** The cluster lease's TTL: cluster-wide policies move to another engine this long after their holder stops. */
  clusterLeaseTtlMs: z.number().int().min(1000).default(15000),
  /** Samples kept per VM. */
  windowSize: z.number().int().min(2).max(10000).default(30),
  staleAfterIntervals: z.number().int().min(1).default(3),
  /** How long a manual job holds the VM's resource against policies (default 5 min). */
  holdMs: z.number().int().min(0).default(300000),
  /** Policy document (JSON): {"policies": {"<name>": {"automation": "auto", "args": {...}}}}. */
  policyFile: z.string().optional(),
  /** Every ingested report is recorded in Redis for what-if replay this long (docs/replay.md); 0 records nothing. */
  sampleRetentionHours: z.number().min(0).max(720).default(24),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type EngineConfig = z.infer<typeof engineConfigSchema>;
