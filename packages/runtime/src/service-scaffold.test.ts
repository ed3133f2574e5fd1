import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { createServiceScaffold, runService, type ServiceScaffoldOptions } from './service-scaffold.js';

const schema = z.object({
  hostId: z.string().optional(),
  libvirtUri: z.string().default('qemu:///system'),
  grpcToken: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  tlsCaFile: z.string().optional(),
  opsPort: z.number().int().default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A scaffold whose exits throw ExitCalled and whose stderr and log lines are recorded. */
function scaffold(env: Record<string, string>, extra: Partial<ServiceScaffoldOptions<typeof schema>> = {}) {
  const stderr: string[] = [];
  const logLines: string[] = [];
  const exits: number[] = [];
  const logDestination = new Writable({ write: (chunk: Buffer, _enc, cb) => void (logLines.push(chunk.toString()), cb()) });
  const make = () =>
    createServiceScaffold({
      service: 'collector',
      schema,
      aliases: { libvirtUri: 'LIBVIRT_URI' },
      env,
      exit: { writeStderr: (line) => void stderr.push(line), exit: (code) => { throw new ExitCalled(code); } },
      shutdown: { signals: [], exit: (code) => void exits.push(code) },
      logDestination,
      ...extra,
    });
  return { make, stderr, logLines, exits };
}

async function exitOf(fn: () => unknown): Promise<number> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ExitCalled) return e.code;
    throw e;
  }
  return assert.fail('expected an exit');
}

describe('createServiceScaffold', () => {
  it('reads config (env and aliases), the host id, and binds service and host on log lines and metrics', async () => {
    const s = scaffold({ LIBVIRT_URI: 'test:///default', BALLAST_HOST_ID: 'node-7' });
    const svc = s.make();
    assert.equal(svc.config.libvirtUri, 'test:///default');
    assert.equal(svc.hostId, 'node-7');
    svc.log.info('hello');
    assert.match(s.logLines[0] ?? '', /"service":"collector","hostId":"node-7".*"msg":"hello"/);
    assert.match(await svc.registry.metrics(), /ballast_process_cpu_user_seconds_total\{service="collector",host="node-7"\}/);
    svc.shutdown.dispose();
  });

  it('a bad value, a bad host id, bad gRPC security: one line on stderr and exit 2', async () => {
    const bad = scaffold({ BALLAST_OPS_PORT: 'abc' });
    assert.equal(await exitOf(bad.make), 2);
    assert.deepEqual(bad.stderr, ['config: BALLAST_OPS_PORT="abc" — expected a number\n']);

    const host = scaffold({ BALLAST_HOST_ID: 'no spaces' });
    assert.equal(await exitOf(host.make), 2);
    assert.match(host.stderr[0] ?? '', /^config: hostId="no spaces" — may contain only/);

    const tls = scaffold({ BALLAST_HOST_ID: 'h', BALLAST_TLS_CERT_FILE: '/nope.pem' });
    const svc = tls.make();
    assert.equal(await exitOf(() => svc.grpcServerSecurity()), 2);
    assert.deepEqual(tls.stderr, ['config: tlsKeyFile is required when tlsCertFile is set (gRPC TLS needs both)\n']);
    svc.shutdown.dispose();
  });

  it('fail() prints the line alone (made one line) and exits 2', async () => {
    const s = scaffold({ BALLAST_HOST_ID: 'h' });
    const svc = s.make();
    assert.equal(await exitOf(() => svc.fail('config: libvirtUri=bogus:///nowhere — no connection\ndriver')), 2);
    assert.deepEqual(s.stderr, ['config: libvirtUri=bogus:///nowhere — no connection driver\n']);
    svc.shutdown.dispose();
  });

  it('serveOps, listenGrpc, listenHttp bind, and are stopped by the shutdown (last started, first stopped)', async () => {
    const s = scaffold({ BALLAST_HOST_ID: 'h', BALLAST_GRPC_TOKEN: 'tok' });
    const svc = s.make();
    const ops = await svc.serveOps({ port: 0, host: '127.0.0.1', health: async () => ({ ok: true, details: { libvirt: 'connected' } }) });
    assert.deepEqual(await (await fetch(`${ops.url}/healthz`)).json(), { ok: true, details: { libvirt: 'connected' } });
    const security = svc.grpcServerSecurity();
    assert.equal(security.tokenRequired, true);
    const grpcPort = await svc.listenGrpc(new grpc.Server({ interceptors: security.interceptors }), security.credentials, { host: '127.0.0.1', port: 0 });
    assert.ok(grpcPort > 0);
    const http = createServer((_req, res) => res.end('api'));
    const httpPort = await svc.listenHttp(http, { host: '127.0.0.1', port: 0 });
    assert.equal(await (await fetch(`http://127.0.0.1:${httpPort}/`)).text(), 'api');
    let rounds = 0;
    svc.every('collection', 1000, () => void rounds++, { runAtStart: true });
    const result = await svc.shutdown.shutdown('test');
    assert.deepEqual(result, { code: 0, failed: [], skipped: [] });
    assert.deepEqual(s.exits, [0]);
    assert.equal(rounds, 1);
    const stopped = s.logLines.map((l) => JSON.parse(l) as { msg: string; step?: string }).filter((l) => l.msg === 'stopped').map((l) => l.step);
    assert.deepEqual(stopped, ['collection', 'http server', 'grpc server', 'ops server']);
    await assert.rejects(fetch(`${ops.url}/healthz`));
    svc.shutdown.dispose();
  });

  it('a port it cannot listen on is a config error naming the setting', async () => {
    const s = scaffold({ BALLAST_HOST_ID: 'h' });
    const svc = s.make();
    const taken = await svc.serveOps({ port: 0, host: '127.0.0.1', health: async () => ({ ok: true, details: {} }) });
    assert.equal(await exitOf(() => svc.serveOps({ port: taken.port, host: '127.0.0.1', health: async () => ({ ok: true, details: {} }) })), 2);
    assert.equal(await exitOf(() => svc.listenHttp(createServer(), { host: '127.0.0.1', port: taken.port })), 2);
    const insecure = grpc.ServerCredentials.createInsecure();
    assert.equal(await exitOf(() => svc.listenGrpc(new grpc.Server(), insecure, { host: '127.0.0.1', port: taken.port, field: 'statusPort' })), 2);
    assert.match(s.stderr[0] ?? '', new RegExp(`^config: opsPort=${taken.port} — cannot listen on 127.0.0.1: .*EADDRINUSE\\n$`));
    assert.match(s.stderr[1] ?? '', new RegExp(`^config: httpPort=${taken.port} — cannot listen on 127.0.0.1: .*EADDRINUSE`));
    assert.match(s.stderr[2] ?? '', new RegExp(`^config: statusPort=${taken.port} — cannot listen on 127.0.0.1: `));
    await taken.close();
    svc.shutdown.dispose();
  });
});

describe('runService', () => {
  it('an error escaping main prints "<service>: <message>" and exits 1', async () => {
    const codes: number[] = [];
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
    try {
      runService('actuator', async () => {
        throw new Error('redis went away');
      }, (code) => void codes.push(code));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(codes, [1]);
    assert.deepEqual(written, ['actuator: redis went away\n']);
  });
});
