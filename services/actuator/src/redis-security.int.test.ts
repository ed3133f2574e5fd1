// Redis with an ACL user (default user off) and Redis over TLS, on loopback: the actuator's own config and
// connection builder (svc.connectRedis) log in with the right user and password and refuse a wrong one with
// one clear line; a job enqueued by the engine's JobQueues reaches the actuator's worker over TLS with the CA
// checked, and a wrong CA is refused clearly. The ACL rules are infra/redis/users.acl.example's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { JobSpec } from '@ballast/domain';
import { JobQueues } from '@ballast/queue';
import { createServiceScaffold } from '@ballast/runtime';
import { makeTestCerts, startRedis, type RedisHandle, type TestCerts } from '@ballast/testkit';
import type { Logger } from 'pino';
import { actuatorConfigSchema } from './actuator-config.js';
import { startActuatorWorker } from './actuator-worker.js';
import type { JobRouter } from './job-router.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSWORD = 'acl-pw-7f3a';

/** The `user …` rules of the example ACL file, with the password in clear (`>pw`) instead of its hash. */
function exampleAclUsers(password: string): string[] {
  return readFileSync(path.join(REPO, 'infra/redis/users.acl.example'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('user '))
    .map((l) => l.slice(5).replace('#<sha256-of-the-password>', `>${password}`));
}

/** The actuator's scaffold from env; its stderr lines and log text are kept, exits throw. */
function actuator(env: Record<string, string>) {
  const stderr: string[] = [];
  let logText = '';
  const svc = createServiceScaffold({
    service: 'actuator',
    schema: actuatorConfigSchema,
    aliases: { redisUrl: 'REDIS_URL' },
    env: { BALLAST_HOST_ID: 'h1', ...env },
    exit: { writeStderr: (l) => void stderr.push(l), exit: (code) => { throw new Error(`exit ${code}`); } },
    shutdown: { signals: [], exit: () => {} },
    logDestination: new Writable({ write: (c: Buffer, _e, cb) => void ((logText += c.toString()), cb()) }),
  });
  return { svc, stderr, log: () => logText };
}

const spec = (hostId: string): JobSpec => ({
  schemaVersion: 1,
  id: randomUUID(),
  hostId,
  vmUuid: 'u1',
  vmName: 'web',
  source: 'manual',
  createdAtMs: Date.now(),
  action: { type: 'set-memory', memoryMiB: 400 },
});

let certs: TestCerts;
let acl: RedisHandle;
let tls: RedisHandle;
let pwFile: string;

before(async () => {
  certs = makeTestCerts();
  pwFile = path.join(certs.dir, 'redis-password');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  chmodSync(pwFile, 0o600);
  acl = await startRedis({ users: exampleAclUsers(PASSWORD) });
  tls = await startRedis({ users: exampleAclUsers(PASSWORD), tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, authClients: true } });
});
after(async () => {
  await acl?.stop();
  await tls?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

describe('an ACL user', () => {
  test('the right user and password (from a password file): connected, and the log shows no password', async () => {
    const a = actuator({ REDIS_URL: acl.url, BALLAST_REDIS_USERNAME: 'ballast', BALLAST_REDIS_PASSWORD_FILE: pwFile });
    const { redis } = await a.svc.connectRedis();
    assert.equal(await redis.set('ballast:probe', '1'), 'OK');
    await assert.rejects(redis.set('other:key', '1'), /NOPERM/, 'keys outside ballast:* are refused');
    await assert.rejects(redis.flushall(), /NOPERM/, 'dangerous commands are refused');
    assert.match(a.log(), /"msg":"redis connected at redis:\/\/127\.0\.0\.1:\d+"/);
    assert.ok(!a.log().includes(PASSWORD));
    await a.svc.shutdown.shutdown('test');
    a.svc.shutdown.dispose();
  });

  test('the password in the URL works too', async () => {
    const a = actuator({ REDIS_URL: `redis://ballast:${PASSWORD}@127.0.0.1:${acl.port}` });
    const { redis } = await a.svc.connectRedis();
    assert.equal(await redis.ping(), 'PONG');
    assert.ok(!a.log().includes(PASSWORD));
    await a.svc.shutdown.shutdown('test');
    a.svc.shutdown.dispose();
  });

  test('a wrong password, or none: one line naming the URL and what Redis said, exit 2, no password shown', async () => {
    const wrong = actuator({ REDIS_URL: `redis://ballast:not-${PASSWORD}-x@127.0.0.1:${acl.port}` });
    await assert.rejects(wrong.svc.connectRedis(), /exit 2/);
    assert.equal(wrong.stderr.length, 1);
    assert.match(wrong.stderr[0] ?? '', new RegExp(`^config: redisUrl=redis://ballast:\\*\\*\\*@127\\.0\\.0\\.1:${acl.port} — cannot connect: WRONGPASS invalid username-password pair.* \\(check the user and password: redisUrl, redisUsername, redisPassword or redisPasswordFile\\)\\n$`));
    assert.ok(!wrong.stderr[0]?.includes(PASSWORD));
    wrong.svc.shutdown.dispose();

    const none = actuator({ REDIS_URL: acl.url });
    await assert.rejects(none.svc.connectRedis(), /exit 2/);
    assert.match(none.stderr[0] ?? '', /— cannot connect: NOAUTH .*\(check the user and password: /);
    none.svc.shutdown.dispose();
  });
});

describe('TLS', () => {
  const tlsEnv = () => ({
    REDIS_URL: tls.url,
    BALLAST_REDIS_USERNAME: 'ballast',
    BALLAST_REDIS_PASSWORD_FILE: pwFile,
    BALLAST_REDIS_TLS_CA_FILE: certs.caFile,
    BALLAST_REDIS_TLS_CERT_FILE: certs.clientCertFile,
    BALLAST_REDIS_TLS_KEY_FILE: certs.clientKeyFile,
  });

  test('a job enqueued by JobQueues reaches the actuator worker and its outcome comes back, over TLS with the CA checked', async () => {
    const engine = actuator(tlsEnv());
    const worker = actuator(tlsEnv());
    const { redis: engineRedis, connection } = await engine.svc.connectRedis();
    assert.equal(connection.tls, true);
    const { redis: workerRedis } = await worker.svc.connectRedis();
    const queues = new JobQueues(engineRedis);
    const handled: unknown[] = [];
    const router = { handle: async (data: unknown) => (handled.push(data), { message: 'balloon at 400 MiB', alreadyThere: false }) } as unknown as JobRouter;
    const w = startActuatorWorker(router, { hostId: 'h1', connection: workerRedis, concurrency: 1, lockDurationMs: 5000, stalledIntervalMs: 5000, log: worker.svc.log as Logger });
    try {
      const job = spec('h1');
      await queues.enqueue(job);
      let state: string | undefined;
      for (let i = 0; i < 100 && state !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await queues.status(job.id))?.state;
      }
      assert.equal(state, 'succeeded');
      assert.deepEqual(handled.map((d) => (d as JobSpec).id), [job.id]);
      assert.match(engine.log(), /"msg":"redis connected at rediss:\/\/127\.0\.0\.1:\d+ \(TLS\)"/);
    } finally {
      await w.close();
      await queues.close();
      await engine.svc.shutdown.shutdown('test');
      await worker.svc.shutdown.shutdown('test');
      engine.svc.shutdown.dispose();
      worker.svc.shutdown.dispose();
    }
  });

  test("a CA that did not sign Redis's certificate: one line, exit 2, saying why", async () => {
    const a = actuator({ ...tlsEnv(), BALLAST_REDIS_TLS_CA_FILE: certs.otherCaFile });
    await assert.rejects(a.svc.connectRedis(), /exit 2/);
    assert.equal(a.stderr.length, 1);
    assert.match(a.stderr[0] ?? '', new RegExp(`^config: redisUrl=rediss://127\\.0\\.0\\.1:${tls.port} — cannot connect: (self[- ]signed certificate in certificate chain|unable to verify the first certificate|unable to get local issuer certificate) \\(check redisTlsCaFile, and redisTlsServername when the certificate does not name the URL's host\\)\\n$`));
    a.svc.shutdown.dispose();
  });

  test('no client certificate where Redis requires one: refused, exit 2', async () => {
    const { BALLAST_REDIS_TLS_CERT_FILE: _c, BALLAST_REDIS_TLS_KEY_FILE: _k, ...noClientCert } = tlsEnv();
    const a = actuator(noClientCert);
    await assert.rejects(a.svc.connectRedis(), /exit 2/);
    assert.match(a.stderr[0] ?? '', /^config: redisUrl=rediss:\/\/127\.0\.0\.1:\d+ — cannot connect: /);
    a.svc.shutdown.dispose();
  });
});
