import { startRedis, type RedisHandle } from '@ballast/testkit';
import { startService, stackPorts, waitUntil, type ServiceProc, type StackPorts } from './services.js';
import { LAB_URI } from './virsh.js';

export interface Stack {
  redis: RedisHandle;
  ports: StackPorts;
  token: string;
  hostId: string;
  engine: ServiceProc;
  collector: ServiceProc;
  actuator: ServiceProc;
  env: Record<string, string>;
  api(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  startActuator(): ServiceProc;
  stop(): Promise<void>;
}

/**
 * Starts Redis and the three services against the lab, as `make run` does, on free ports.
 * `extraEnv` is added to every service's env (and to `stack.env`), e.g. the collector's BALLAST_MIGRATION_URI.
 */
export async function startStack(opts: { intervalMs?: number; libvirtUri?: string; extraEnv?: Record<string, string> } = {}): Promise<Stack> {
  const redis = await startRedis();
  const ports = await stackPorts();
  const token = 'e2e-token-0123456789abcdef';
  const hostId = 'lab-host';
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    LIBVIRT_URI: opts.libvirtUri ?? LAB_URI,
    BALLAST_HOST_ID: hostId,
    BALLAST_API_TOKEN: token,
    BALLAST_HTTP_PORT: String(ports.httpPort),
    BALLAST_GRPC_PORT: String(ports.grpcPort),
    BALLAST_ENGINE_ADDRESS: `127.0.0.1:${ports.grpcPort}`,
    BALLAST_INTERVAL_MS: String(opts.intervalMs ?? 2000),
    BALLAST_LOG_LEVEL: 'info',
    BALLAST_LOCK_DURATION_MS: '5000',
    BALLAST_STALLED_INTERVAL_MS: '2000',
    ...opts.extraEnv,
  };
  const engine = startService('policy-engine', env);
  const collector = startService('collector', { ...env, BALLAST_OPS_PORT: String(ports.collectorOpsPort) });
  const startActuator = () =>
    startService('actuator', { ...env, BALLAST_OPS_PORT: String(ports.actuatorOpsPort), BALLAST_GRPC_PORT: String(ports.actuatorGrpcPort) });
  const stack: Stack = {
    redis,
    ports,
    token,
    hostId,
    engine,
    collector,
    actuator: startActuator(),
    env,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.auth !== false) headers.set('authorization', `Bearer ${token}`);
      if (init.body) headers.set('content-type', 'application/json');
      return fetch(`http://127.0.0.1:${ports.httpPort}${path}`, { ...init, headers });
    },
    startActuator() {
      stack.actuator = startActuator();
      return stack.actuator;
    },
    async stop() {
      await Promise.all([stack.collector.stop(), stack.actuator.stop(), stack.engine.stop()]);
      await redis.stop();
    },
  };
  try {
    await waitUntil('the engine to answer', 20000, async () => ((await stack.api('/healthz')).ok ? true : undefined));
  } catch (e) {
    await stack.stop();
    throw new Error(`${(e as Error).message}\n--- engine ---\n${engine.output()}\n--- collector ---\n${collector.output()}`);
  }
  return stack;
}

export interface ApiVm {
  name: string;
  uuid: string;
  host: string;
  state: string;
  vcpus: { id: number; pcpus: number[]; usagePercent: number }[];
  balloon: { actualMiB: number; unusedMiB: number | null; availableMiB: number | null; hasGuestStats: boolean } | null;
}

export async function apiVms(stack: Stack): Promise<ApiVm[]> {
  const r = await stack.api('/v1/vms');
  return ((await r.json()) as { vms: ApiVm[] }).vms;
}

export interface ApiJob {
  id: string;
  state: string;
  attempts: number;
  error?: string;
  result?: { message: string; alreadyThere: boolean };
}

export async function submitJob(stack: Stack, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await stack.api('/v1/jobs', { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

export async function waitJob(stack: Stack, id: string, timeoutMs: number): Promise<ApiJob> {
  return waitUntil(`job ${id} to finish`, timeoutMs, async () => {
    const j = (await (await stack.api(`/v1/jobs/${id}`)).json()) as ApiJob;
    return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
  });
}
