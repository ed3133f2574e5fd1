import { logFormatField, redisSecurityFields } from '@ballast/runtime';
import { z } from 'zod';

/** Every knob of the actuator, with its default. Env: BALLAST_<NAME>, plus LIBVIRT_URI and REDIS_URL. */
export const actuatorConfigSchema = z.object({
  hostId: z.string().optional(),
  /** libvirt URI of the hypervisor this actuator manages. */
  libvirtUri: z.string().min(1).default('qemu:///system'),
  /** redis:// or rediss:// (TLS); user and password, TLS files: redisSecurityFields (docs/redis-security.md). */
  redisUrl: z.string().min(1).default('redis://127.0.0.1:6379'),
  ...redisSecurityFields,
  /** Jobs processed at once (different VMs; one job at a time per VM). */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Never set a balloon below this, whatever the job says. */
  minMemoryMiB: z.number().int().min(64).default(200),
  /** A shrink must leave the guest at least its used memory plus this. */
  guestHeadroomMiB: z.number().int().min(0).default(64),
  /** Guest balloon stats older than this are stale: no shrink on stale data. */
  staleStatsSec: z.number().int().min(1).default(30),
  /** How long to wait for an applied change to show (balloon settling, migration done). */
  verifyTimeoutMs: z.number().int().min(100).default(15000),
  /** A live migration still running after this long is aborted (the VM stays here) and its job fails. */
  migrateTimeoutMs: z.number().int().min(1000).default(300000),
  /** Cap on a live migration's bandwidth, MiB/s; 0: QEMU's default. */
  migrateBandwidthMiBPerSec: z.number().int().min(0).default(0),
  /** A grow with a host budget waits up to this long for other VMs' releases to land before it grows (partly or not at all). */
  budgetWaitMs: z.number().int().min(0).default(10000),
  /** Host-wide changes that take host memory (unmerging KSM pages) never leave the host less free memory than this. */
  hostFreeFloorMiB: z.number().int().min(0).default(512),
  /** Balloon within this of the target counts as there. */
  memoryToleranceMiB: z.number().int().min(0).default(4),
  /** BullMQ lock: a job whose worker died is retried after about this long. */
  lockDurationMs: z.number().int().min(1000).default(15000),
  stalledIntervalMs: z.number().int().min(500).default(5000),
  /** Memory stats period to set on running VMs (seconds); 0 leaves it to the domain XML. */
  statsPeriodSec: z.number().int().min(0).default(0),
  grpcHost: z.string().default('127.0.0.1'),
  grpcPort: z.number().int().min(0).max(65535).default(50061),
  opsHost: z.string().default('127.0.0.1'),
  opsPort: z.number().int().min(0).max(65535).default(9465),
  grpcToken: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  tlsCaFile: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** auto: readable lines on a terminal, JSON lines otherwise; pretty or json to force one. */
  logFormat: logFormatField,
});

export type ActuatorConfig = z.infer<typeof actuatorConfigSchema>;
