import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { redisSecurityFields } from './redis-connection.js';
import { createServiceScaffold } from './service-scaffold.js';

const schema = z.object({
  hostId: z.string().default('h'),
  redisUrl: z.string().default('redis://127.0.0.1:6379'),
  ...redisSecurityFields,
  grpcToken: z.string().optional(),
});

/** A scaffold whose exits throw and whose stderr and log lines (parsed) are kept. */
function scaffold(env: Record<string, string>) {
  const stderr: string[] = [];
  const raw: string[] = [];
  const svc = createServiceScaffold({
    service: 'policy-engine',
    schema,
    aliases: { redisUrl: 'REDIS_URL' },
    env,
    exit: { writeStderr: (line) => void stderr.push(line), exit: (code) => { throw new Error(`exit ${code}`); } },
    shutdown: { signals: [], exit: () => {} },
    logDestination: new Writable({ write: (chunk: Buffer, _enc, cb) => void (raw.push(chunk.toString()), cb()) }),
  });
  const warnings = () => raw.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
  return { svc, stderr, raw, warnings };
}

describe('listening beyond loopback without TLS', () => {
  it('gRPC, HTTP and the ops port on 0.0.0.0 each log an INSECURE warning naming the address and the fix', async () => {
    const { svc, warnings } = scaffold({});
    const grpcPort = await svc.listenGrpc(new grpc.Server(), grpc.ServerCredentials.createInsecure(), { host: '0.0.0.0', port: 0 });
    const httpPort = await svc.listenHttp(createServer(), { host: '0.0.0.0', port: 0 });
    const ops = await svc.serveOps({ host: '0.0.0.0', port: 0, field: 'opsPort', health: async () => ({ ok: true, details: {} }) });
    assert.deepEqual(warnings(), [
      `INSECURE: gRPC listens on 0.0.0.0:${grpcPort} without TLS — anyone who can reach it reads (and can replay) what crosses it, tokens included; set tlsCertFile and tlsKeyFile (BALLAST_TLS_CERT_FILE, BALLAST_TLS_KEY_FILE), or bind grpcHost to 127.0.0.1`,
      `INSECURE: HTTP listens on 0.0.0.0:${httpPort} without TLS — anyone who can reach it reads (and can replay) what crosses it, tokens included; put a TLS-terminating proxy in front and bind httpHost to 127.0.0.1`,
      `INSECURE: ops HTTP (/metrics, /healthz) listens on 0.0.0.0:${ops.port} without TLS — anyone who can reach it reads (and can replay) what crosses it, tokens included; bind opsHost to 127.0.0.1, or let only Prometheus reach it (firewall) or put a TLS proxy in front`,
    ]);
    await svc.shutdown.shutdown('test');
    svc.shutdown.dispose();
  });

  it('loopback listeners log no warning', async () => {
    const { svc, warnings } = scaffold({});
    await svc.listenGrpc(new grpc.Server(), grpc.ServerCredentials.createInsecure(), { host: '127.0.0.1', port: 0 });
    await svc.listenHttp(createServer(), { host: 'localhost', port: 0 });
    await svc.serveOps({ host: '127.0.0.1', port: 0, health: async () => ({ ok: true, details: {} }) });
    assert.deepEqual(warnings(), []);
    await svc.shutdown.shutdown('test');
    svc.shutdown.dispose();
  });
});

describe('Redis credentials are never logged', () => {
  it('a config with a password in the URL and in redisPassword: log lines show neither', () => {
    const { svc, raw } = scaffold({ REDIS_URL: 'redis://app:url-secret-1@10.0.0.5:6379', BALLAST_GRPC_TOKEN: 'grpc-secret-2' });
    svc.log.info({ config: svc.config }, 'config');
    svc.log.info({ redisUrl: svc.config.redisUrl, redisPassword: 'pw-secret-3' }, 'top level');
    const text = raw.join('');
    for (const secret of ['url-secret-1', 'grpc-secret-2', 'pw-secret-3']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(text, /"redisUrl":"redis:\/\/app:\*\*\*@10\.0\.0\.5:6379"/);
    assert.match(text, /"redisPassword":"\[redacted\]"/);
    svc.shutdown.dispose();
  });

  it('an unreachable Redis: one line, exit 2, the password masked', async () => {
    const { svc, stderr } = scaffold({ REDIS_URL: 'redis://127.0.0.1:1', BALLAST_REDIS_USERNAME: 'ballast', BALLAST_REDIS_PASSWORD: 'pw-secret-4' });
    await assert.rejects(svc.connectRedis(), /exit 2/);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', /^config: redisUrl=redis:\/\/127\.0\.0\.1:1 — cannot connect: .*ECONNREFUSED/);
    assert.ok(!stderr.join('').includes('pw-secret-4'));
    svc.shutdown.dispose();
  });

  it('a half-made TLS setting: one line naming the field, exit 2', async () => {
    const { svc, stderr } = scaffold({ REDIS_URL: 'rediss://127.0.0.1:1', BALLAST_REDIS_TLS_CERT_FILE: '/c.pem' });
    await assert.rejects(svc.connectRedis(), /exit 2/);
    assert.deepEqual(stderr, ['config: redisTlsCertFile is set without redisTlsKeyFile — a client certificate needs both\n']);
    svc.shutdown.dispose();
  });
});
