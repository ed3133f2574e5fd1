import { logFormatField } from '@ballast/runtime';
import { z } from 'zod';

/** Every knob of the collector, with its default. Env: BALLAST_<NAME>, plus LIBVIRT_URI. */
export const collectorConfigSchema = z.object({
  hostId: z.string().optional(),
  libvirtUri: z.string().min(1).default('qemu:///system'),
  /**
   * host:port of the policy engine's gRPC server; with engine replicas, several separated by commas: samples go
   * to one, and to the next when it goes away (docs/replicas.md).
   */
  engineAddress: z
    .string()
    .min(1)
    .refine((v) => v.split(',').every((a) => /^\S+:\d+$/.test(a.trim())), 'must be host:port, or several separated by commas')
    .default('127.0.0.1:50051'),
  intervalMs: z.number().int().min(100).max(600000).default(2000),
  /** Read balloon stats every Nth cycle (1 = every cycle); CPU stats are read every cycle. */
  balloonEvery: z.number().int().min(1).max(100).default(1),
  /**
   * Per VM, within those cycles: a VM whose memory use is steady has its balloon stats (a QEMU monitor round trip,
   * the costly part of a read) read only once this many ms have passed since its last read; one whose guest-used
   * memory moved by balloonMovingKiB or more is read every cycle until it has been steady for balloonSettleMs; a
   * balloon-change event has it read in the next cycle; cycles without a read repeat its last figures. Keep it under
   * what the memory policy takes for fresh: staleAfterIntervals (3) × the interval − the guest stats period
   * (3 × 2 s − 2 s = 4 s by default). 0: every VM every cycle.
   */
  balloonSteadyMs: z.number().int().min(0).max(600000).default(3000),
  balloonMovingKiB: z.number().int().min(0).default(8192),
  balloonSettleMs: z.number().int().min(0).max(3600000).default(10000),
  /** Refresh host info (NUMA free memory) and KSM (settings, counters) every Nth cycle; ksmd's CPU is read every cycle. */
  hostInfoEvery: z.number().int().min(1).default(5),
  /**
   * Re-read each VM's domain XML (labels and recorded pins in <metadata>, memory backing, passthrough), CPU tune
   * and numatune every Nth cycle; also after lifecycle, tunable and metadata-change events.
   */
  configEvery: z.number().int().min(1).max(100000).default(30),
  /**
   * Read the pCPU each vCPU is running on now (virDomainGetVcpus, one call per running VM: bulk stats do not
   * carry it) every Nth cycle; 0: never (VMs report no currentPcpu). Cost on the lab's 4 TCG guests
   * (scripts/placement-cost.mjs: medians of 30 cycles each way, alternating in one run; 7 runs on the shared
   * 2-core machine): the 4 reads take 4-7 ms together (in parallel, ~1-2 ms per VM), a cycle 1-8 ms longer
   * (e.g. 34 ms instead of 28 ms), well under 1 % of the 2 s interval. It grows with the VMs on the host: with
   * hundreds, read it every few cycles.
   */
  placementEvery: z.number().int().min(0).max(100000).default(1),
  /**
   * Read each vCPU's wait for a pCPU (libvirt's vcpu stats group: vcpu.N.delay, the cluster policy's unmet CPU
   * demand) every Nth cycle; the cycles between repeat the last figure, measured over the span since the VM's
   * previous reading. The group costs about as much as the balloon read on the lab (`make bench ARGS=stats`), so by
   * default it is read every 5th cycle (10 s at the 2 s interval); 1 reads it every cycle.
   */
  vcpuWaitEvery: z.number().int().min(1).max(100000).default(5),
  /**
   * Measure each running VM's memory dirty rate (QEMU page sampling, dirtyRateSec long) every this many
   * cycles, for the cluster policy's migration cost; 0: never.
   */
  dirtyRateEvery: z.number().int().min(0).max(100000).default(30),
  dirtyRateSec: z.number().int().min(1).max(60).default(1),
  /**
   * How other hosts reach this host's libvirt for live migration, e.g. qemu+tcp://10.77.0.2/system. Unset: none
   * (this host is no migration target), except on a simulator server's sim:// URI, which is its own.
   */
  migrationUri: z.string().optional(),
  /** Where QEMU sends migration data, e.g. tcp://10.77.0.2. */
  migrationDataUri: z.string().optional(),
  /** This host's labels, `key=value` pairs separated by commas (e.g. rack=a,zone=1): host groups of the cluster policy match them. */
  hostLabels: z
    .string()
    .optional()
    .transform((s, ctx) => {
      const out: Record<string, string> = {};
      for (const part of (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9_.\/-]+)=([^=]*)$/.exec(part);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not key=value (e.g. rack=a,zone=1)` });
          return z.NEVER;
        }
        out[m[1] as string] = m[2] as string;
      }
      return out;
    }),
  grpcToken: z.string().optional(),
  tlsCaFile: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  opsHost: z.string().default('127.0.0.1'),
  opsPort: z.number().int().min(0).max(65535).default(9464),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** auto: readable lines on a terminal, JSON lines otherwise; pretty or json to force one. */
  logFormat: logFormatField,
});

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
