// The policy engine as a process on a Redis that takes only TLS (CA checked, client certificate required) and
// only the ACL user of infra/redis/users.acl.example (password from a file): it serves, holds the cluster lease
// (its key under mutex:ballast:), and no log line shows the password. Bound on 0.0.0.0 without gRPC TLS and
// with plain HTTP, it says INSECURE for both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTestCerts, startRedis, type RedisHandle, type TestCerts } from '@ballast/testkit';
import { REPO, startService, waitUntil, type ServiceProc } from './services.js';

const PASSWORD = 'engine-acl-pw-91c2';
let certs: TestCerts;
let redis: RedisHandle;
let engine: ServiceProc | undefined;

before(async () => {
  certs = makeTestCerts();
  const users = readFileSync(path.join(REPO, 'infra/redis/users.acl.example'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('user '))
    .map((l) => l.slice(5).replace('#<sha256-of-the-password>', `>${PASSWORD}`));
  redis = await startRedis({ users, tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, authClients: true } });
});
after(async () => {
  await engine?.stop();
  await redis?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

test('the engine on an ACL + TLS Redis: healthy, lease held, no password in its output, INSECURE for its plain listeners', async () => {
  const pwFile = path.join(certs.dir, 'redis-password');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  chmodSync(pwFile, 0o600);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  engine = startService('policy-engine', {
    REDIS_URL: redis.url,
    BALLAST_REDIS_USERNAME: 'ballast',
    BALLAST_REDIS_PASSWORD_FILE: pwFile,
    BALLAST_REDIS_TLS_CA_FILE: certs.caFile,
    BALLAST_REDIS_TLS_CERT_FILE: certs.clientCertFile,
    BALLAST_REDIS_TLS_KEY_FILE: certs.clientKeyFile,
    BALLAST_HTTP_HOST: '0.0.0.0',
    BALLAST_HTTP_PORT: String(httpPort),
    BALLAST_GRPC_HOST: '0.0.0.0',
    BALLAST_GRPC_PORT: String(grpcPort),
    BALLAST_API_TOKEN_FILE: path.join(certs.dir, 'api-token'),
    BALLAST_CYCLE_MS: '300',
    BALLAST_LOG_FORMAT: 'json',
  });
  const health = await waitUntil('the engine healthy with the cluster lease', 20000, async () => {
    if (engine?.child.exitCode !== null) throw new Error(`engine exited: ${engine?.output()}`);
    const r = (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { ok: boolean; details: { redis: string; clusterLease: boolean } };
    return r.ok && r.details.clusterLease ? r : undefined;
  });
  assert.equal(health.details.redis, 'ready');
  await new Promise((r) => setTimeout(r, 1000)); // a few cycles on the ACL user
  const out = engine.output();
  assert.ok(!out.includes(PASSWORD), 'the password is in the output');
  assert.doesNotMatch(out, /NOPERM|redis error|"level":50/);
  assert.match(out, /"msg":"redis connected at rediss:\/\/127\.0\.0\.1:\d+ \(TLS\)"/);
  const insecure = out.split('\n').filter((l) => l.includes('"msg":"INSECURE:')).map((l) => (JSON.parse(l) as { msg: string; level: number }));
  assert.deepEqual(insecure.map((l) => [l.level, l.msg.split(' without')[0]]), [
    [40, `INSECURE: gRPC listens on 0.0.0.0:${grpcPort}`],
    [40, `INSECURE: HTTP listens on 0.0.0.0:${httpPort}`],
  ]);
});
