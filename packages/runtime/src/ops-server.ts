import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthHandler, metricsHandler, type OpsRoutesOptions } from './ops-routes.js';

export interface OpsServerOptions extends OpsRoutesOptions {
  /** 0 picks a free port; the actual one is returned. */
  port: number;
  /** Default '127.0.0.1'. */
  host?: string;
}

export interface OpsServer {
  /** The port actually bound. */
  port: number;
  host: string;
  /** `http://host:port`. */
  url: string;
  /** Stops listening and drops idle keep-alive connections. */
  close(): Promise<void>;
}

/**
 * A small HTTP server with `GET /metrics` and `GET /healthz` only (collector and actuator).
 *
 *   const ops = await startOpsServer({ port: config.opsPort, host: config.opsHost, registry, health });
 *   shutdown.add('ops server', () => ops.close());
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? '127.0.0.1';
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/metrics': metricsHandler(options.registry),
    '/healthz': healthHandler(options.health, options.healthTimeoutMs),
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    if (!route) return reply(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${path}` } });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(res, 405, { error: { code: 'method_not_allowed', message: `${path} answers GET only` } });
    }
    route(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`ops server: cannot listen on ${host}:${options.port} — ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
