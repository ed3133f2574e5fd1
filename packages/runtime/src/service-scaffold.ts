import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { DestinationStream, Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Redis, RedisOptions } from 'ioredis';
import type { z } from 'zod';
import { connectRedis } from './connect-redis.js';
import { createLogger, type LogLevel } from './create-logger.js';
import { createMetricsRegistry } from './create-metrics-registry.js';
import { exitOnConfigError, exitWithConfigError, type ExitOnConfigErrorDeps } from './exit-on-config-error.js';
import { createGracefulShutdown, type GracefulShutdown, type GracefulShutdownOptions, type ShutdownStep } from './graceful-shutdown.js';
import { grpcClientSecurity, grpcServerSecurity, type GrpcClientSecurity, type GrpcServerSecurity, type GrpcServerSecurityOptions } from './grpc-security.js';
import { resolveHostId } from './host-id.js';
import { startIntervalLoop, type IntervalLoop } from './interval-loop.js';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { insecureListenerWarning } from './insecure-listener.js';
import type { LogFormatSetting } from './log-format.js';
import { createRedis, redisConnection, type RedisConnection, type RedisConnectionConfig } from './redis-connection.js';
import type { HealthCheck } from './ops-routes.js';

/** The settings the scaffold reads when a service's schema has them (every Ballast service has most). */
export interface ServiceConfigBase {
  hostId?: string | undefined;
  logLevel?: LogLevel | undefined;
  logFormat?: LogFormatSetting | undefined;
  grpcToken?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  tlsCaFile?: string | undefined;
}

export interface ServiceScaffoldOptions<S extends z.ZodObject> {
  /** 'collector', 'policy-engine', 'actuator': the `service` of every log line and metric. */
  service: string;
  schema: S;
  /** Un-prefixed env names, e.g. `{ libvirtUri: 'LIBVIRT_URI' }`. */
  aliases?: LoadConfigOptions<S>['aliases'];
  /** Tests: another env than process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Tests: where a configuration error is written and how the process exits. */
  exit?: ExitOnConfigErrorDeps;
  /** Tests: signals and exit of the graceful shutdown. */
  shutdown?: Omit<GracefulShutdownOptions, 'logger'>;
  /** Tests: where log lines go. Default stdout. */
  logDestination?: DestinationStream;
}

/** Where a server listens; `field` names the setting in the one-line error when it cannot. */
export interface ListenOptions {
  host: string;
  port: number;
  field?: string;
  /** The setting that binds it (for the warning when it is beyond loopback without TLS); default by kind. */
  hostField?: string;
}

/**
 * What every Ballast service sets up the same way, so that its main.ts lists only the parts it wires:
 * config (a bad value: one line, exit 2), host id, logger, metrics registry, graceful shutdown, gRPC
 * security, listening servers (a port it cannot bind: one line, exit 2) and interval loops, each registered
 * for shutdown as it starts.
 *
 *   const svc = createServiceScaffold({ service: 'collector', schema: collectorConfigSchema, aliases: { libvirtUri: 'LIBVIRT_URI' } });
 *   const security = svc.grpcClientSecurity();
 *   svc.onShutdown('libvirt', () => hv.close());
 *   await svc.serveOps({ port: svc.config.opsPort, host: svc.config.opsHost, health });
 */
export class ServiceScaffold<C> {
  readonly hostId: string;
  readonly log: Logger;
  readonly registry: Registry;
  readonly shutdown: GracefulShutdown;

  constructor(
    readonly service: string,
    readonly config: C,
    private readonly o: Pick<ServiceScaffoldOptions<z.ZodObject>, 'env' | 'exit' | 'shutdown' | 'logDestination'> = {},
  ) {
    const base = config as ServiceConfigBase;
    this.hostId = this.check(() => resolveHostId({ hostId: base.hostId, ...(o.env ? { env: o.env } : {}) }));
    this.log = createLogger({ service, hostId: this.hostId, logLevel: base.logLevel ?? 'info', logFormat: base.logFormat, ...(o.logDestination ? { destination: o.logDestination } : {}) });
    this.registry = createMetricsRegistry({ service, hostId: this.hostId });
    this.shutdown = createGracefulShutdown({ logger: this.log, ...o.shutdown });
  }

  /** Prints `line` (a configuration error; or several, a line each) alone on stderr and exits 2. */
  fail(line: string | readonly string[]): never {
    return exitWithConfigError(line, this.o.exit);
  }

  /** Runs `fn`; a ConfigError it throws is printed as its one line and exits 2. */
  check<T>(fn: () => T): T {
    return exitOnConfigError(fn, this.o.exit);
  }

  /** Registers a cleanup step; steps run in reverse order of registration. */
  onShutdown(name: string, step: ShutdownStep): void {
    this.shutdown.add(name, step);
  }

  /** Server credentials and the token check from grpcToken / tlsCertFile / tlsKeyFile / tlsCaFile. */
  grpcServerSecurity(extra: Pick<GrpcServerSecurityOptions, 'exemptMethods' | 'onReject'> = {}): GrpcServerSecurity {
    const c = this.config as ServiceConfigBase;
    return this.check(() => grpcServerSecurity({ token: c.grpcToken, tlsCertFile: c.tlsCertFile, tlsKeyFile: c.tlsKeyFile, tlsCaFile: c.tlsCaFile, ...extra }));
  }

  /** Client credentials and the bearer token from the same settings. */
  grpcClientSecurity(): GrpcClientSecurity {
    const c = this.config as ServiceConfigBase;
    return this.check(() => grpcClientSecurity({ token: c.grpcToken, tlsCaFile: c.tlsCaFile, tlsCertFile: c.tlsCertFile, tlsKeyFile: c.tlsKeyFile }));
  }

  /** Serves GET /healthz and /metrics (this registry) on their own port; returns the bound server. */
  async serveOps(o: ListenOptions & { health: HealthCheck; healthTimeoutMs?: number }): Promise<OpsServer> {
    const ops = await startOpsServer({ port: o.port, host: o.host, registry: this.registry, health: o.health, healthTimeoutMs: o.healthTimeoutMs }).catch(
      (e: Error) => this.fail(`config: ${o.field ?? 'opsPort'}=${o.port} — cannot listen on ${o.host}: ${e.message}`),
    );
    this.onShutdown('ops server', () => ops.close());
    this.warnIfInsecure({ what: 'ops HTTP (/metrics, /healthz)', host: o.host, port: ops.port, tls: false, fix: `bind ${o.hostField ?? 'opsHost'} to 127.0.0.1, or let only Prometheus reach it (firewall) or put a TLS proxy in front` });
    return ops;
  }

  /** Binds a gRPC server (its services added); returns the bound port. */
  async listenGrpc(server: grpc.Server, credentials: grpc.ServerCredentials, o: ListenOptions): Promise<number> {
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${o.host}:${o.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    ).catch((e: Error) => this.fail(`config: ${o.field ?? 'grpcPort'}=${o.port} — cannot listen on ${o.host}: ${e.message}`));
    this.onShutdown('grpc server', () => new Promise<void>((r) => server.tryShutdown(() => r())));
    this.warnIfInsecure({ what: 'gRPC', host: o.host, port, tls: credentials._isSecure(), fix: `set tlsCertFile and tlsKeyFile (BALLAST_TLS_CERT_FILE, BALLAST_TLS_KEY_FILE), or bind ${o.hostField ?? 'grpcHost'} to 127.0.0.1` });
    return port;
  }

  /** Starts an HTTP server (an express app's, say) listening; returns the bound port. */
  async listenHttp(server: HttpServer, o: ListenOptions): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: Error) => this.fail(`config: ${o.field ?? 'httpPort'}=${o.port} — cannot listen on ${o.host}: ${e.message}`));
    this.onShutdown('http server', () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeIdleConnections();
    }));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : o.port;
    this.warnIfInsecure({ what: 'HTTP', host: o.host, port, tls: 'setSecureContext' in server, fix: `put a TLS-terminating proxy in front and bind ${o.hostField ?? 'httpHost'} to 127.0.0.1` });
    return port;
  }

  /** Logs the INSECURE warning (level warn) for a listener beyond loopback without TLS. */
  private warnIfInsecure(l: Parameters<typeof insecureListenerWarning>[0]): void {
    const line = insecureListenerWarning(l);
    if (line) this.log.warn({ insecure: true, host: l.host, port: l.port }, line);
  }

  /**
   * A Redis client from redisUrl and the redis* settings (a bad setting: its one line, exit 2), connected (an
   * unreachable Redis or refused credentials: one line, exit 2); later errors are logged (password masked) and
   * it is closed at shutdown.
   */
  async connectRedis(extra: RedisOptions = { maxRetriesPerRequest: null }): Promise<{ redis: Redis; connection: RedisConnection }> {
    const connection = this.check(() => redisConnection(this.config as RedisConnectionConfig));
    for (const w of connection.warnings) this.log.warn(w);
    const redis = createRedis(connection, { ...extra, lazyConnect: true });
    await connectRedis(redis, connection, this.o.exit ?? {});
    redis.on('error', (e: Error) => this.log.warn({ err: connection.redact(e.message) }, 'redis error'));
    this.onShutdown('redis', () => redis.quit().then(() => undefined));
    this.log.info({ redis: connection.display, tls: connection.tls, user: connection.options.username ?? null }, `redis connected at ${connection.display}${connection.tls ? ' (TLS)' : ''}`);
    return { redis, connection };
  }

  /** Runs `run` every `intervalMs` (no overlap, failures logged); stopped at shutdown after the round in progress. */
  every(name: string, intervalMs: number, run: () => unknown, opts: { runAtStart?: boolean } = {}): IntervalLoop {
    const loop = startIntervalLoop({ name, intervalMs, run, log: this.log, runAtStart: opts.runAtStart ?? false });
    this.onShutdown(name, () => loop.stop());
    return loop;
  }
}

/** Reads the service's config (a bad value: its one line, exit 2) and sets up the rest of the scaffold. */
export function createServiceScaffold<S extends z.ZodObject>(o: ServiceScaffoldOptions<S>): ServiceScaffold<z.output<S>> {
  const config = exitOnConfigError(
    () => loadConfig(o.schema, { ...(o.aliases ? { aliases: o.aliases } : {}), ...(o.env ? { env: o.env } : {}) }),
    o.exit,
  );
  return new ServiceScaffold(o.service, config, o);
}

/**
 * Runs a service's main; an error that escapes it (not a configuration error: those exit 2 where they are
 * found) prints `<service>: <message>` and exits 1.
 *
 *   runService('collector', main);
 */
export function runService(service: string, main: () => Promise<unknown>, exit: (code: number) => void = process.exit): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${service}: ${e instanceof Error ? e.message : String(e)}\n`);
    exit(1);
  });
}
