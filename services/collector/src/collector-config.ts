import { z } from 'zod';

/** Every knob of the collector, with its default. Env: BALLAST_<NAME>, plus LIBVIRT_URI. */
export const collectorConfigSchema = z.object({
  hostId: z.string().optional(),
  libvirtUri: z.string().min(1).default('qemu:///system'),
  /** host:port of the policy engine's gRPC server. */
  engineAddress: z.string().min(1).default('127.0.0.1:50051'),
  intervalMs: z.number().int().min(100).max(600000).default(2000),
  /** Read balloon stats every Nth cycle (1 = every cycle); CPU stats are read every cycle. */
  balloonEvery: z.number().int().min(1).max(100).default(1),
  /** Refresh host info (NUMA free memory) every Nth cycle. */
  hostInfoEvery: z.number().int().min(1).default(5),
  /** Re-read each VM's domain XML (labels in <metadata>, memory backing, passthrough) every Nth cycle; also after lifecycle events. */
  configEvery: z.number().int().min(1).max(100000).default(30),
  /** How other hosts reach this host's libvirt for live migration, e.g. qemu+tcp://10.77.0.2/system. */
  migrationUri: z.string().optional(),
  /** Where QEMU sends migration data, e.g. tcp://10.77.0.2. */
  migrationDataUri: z.string().optional(),
  grpcToken: z.string().optional(),
  tlsCaFile: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  opsHost: z.string().default('127.0.0.1'),
  opsPort: z.number().int().min(0).max(65535).default(9464),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
