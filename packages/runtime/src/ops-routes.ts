import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthReport {
  ok: boolean;
  details: Record<string, unknown>;
}

export type HealthCheck = () => Promise<HealthReport>;

export interface OpsRoutesOptions {
  registry: Registry;
  /** Called per GET /healthz; a throw or a timeout answers 503. */
  health: HealthCheck;
  /** Default 5000. */
  healthTimeoutMs?: number;
}

export type OpsHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Anything with an express-style `get(path, handler)`: an express 5 app or Router. */
export interface OpsRouteHost {
  get(path: string, handler: OpsHandler): unknown;
}

/**
 * Mounts `GET /metrics` and `GET /healthz` on an existing express app (the policy engine serves them on its
 * API port). Mount them before any auth middleware.
 *
 *   mountOpsRoutes(app, { registry, health: async () => ({ ok: redis.status === 'ready', details: {} }) });
 */
export function mountOpsRoutes(app: OpsRouteHost, options: OpsRoutesOptions): void {
  app.get('/metrics', metricsHandler(options.registry));
  app.get('/healthz', healthHandler(options.health, options.healthTimeoutMs));
}

/** Prometheus text exposition of the registry. */
export function metricsHandler(registry: Registry): OpsHandler {
  return (_req, res) => {
    registry.metrics().then(
      (text) => send(res, 200, registry.contentType, text),
      (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${(err as Error).message}\n`),
    );
  };
}

/** 200 `{ok:true, details}` when healthy, 503 `{ok:false, details[, error]}` otherwise. */
export function healthHandler(health: HealthCheck, timeoutMs = 5000): OpsHandler {
  return (_req, res) => {
    runHealth(health, timeoutMs).then((body) => {
      send(res, body.ok ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(body));
    });
  };
}

async function runHealth(health: HealthCheck, timeoutMs: number): Promise<HealthReport & { error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`health check took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const report = await Promise.race([health(), timeout]);
    return { ok: report.ok === true, details: report.details ?? {} };
  } catch (err) {
    return { ok: false, details: {}, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return void res.end();
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}
