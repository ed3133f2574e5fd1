import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConfigError, type ConfigError } from './config-error.js';
import { redisConnection, type RedisConnectionConfig, type RedisConnectionDeps } from './redis-connection.js';

const files: Record<string, string> = { '/etc/ballast/redis-pw': 's3cret-pw\n', '/tls/ca.pem': 'CA PEM', '/tls/c.pem': 'CERT PEM', '/tls/k.pem': 'KEY PEM', '/empty': '' };
const modes: Record<string, number> = { '/etc/ballast/redis-pw': 0o100600 };
const deps: RedisConnectionDeps = {
  readFile: (p) => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return f;
  },
  modeOf: (p) => modes[p] ?? 0o100644,
};
const conn = (c: Partial<RedisConnectionConfig>) => redisConnection({ redisUrl: 'redis://127.0.0.1:6379', ...c }, deps);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (isConfigError(e)) return e;
    throw e;
  }
  return assert.fail('expected a ConfigError');
}

describe('redisConnection', () => {
  it('a plain URL: no TLS, no credentials', () => {
    const c = conn({});
    assert.deepEqual([c.tls, c.options, c.display, c.warnings], [false, {}, 'redis://127.0.0.1:6379', []]);
  });

  it('user and password from the settings; from a file (trailing newline dropped)', () => {
    assert.deepEqual(conn({ redisUsername: 'ballast', redisPassword: 'pw1' }).options, { username: 'ballast', password: 'pw1' });
    const f = conn({ redisUsername: 'ballast', redisPasswordFile: '/etc/ballast/redis-pw' });
    assert.deepEqual(f.options, { username: 'ballast', password: 's3cret-pw' });
    assert.deepEqual(f.warnings, []);
  });

  it("the URL's user and password move to the options (ioredis would let even an empty one in the URL win); mixed sources combine", () => {
    const url = conn({ redisUrl: 'redis://app:p%40ss@10.0.0.5:6379' });
    assert.deepEqual([url.url, url.options], ['redis://10.0.0.5:6379', { username: 'app', password: 'p@ss' }]);
    const userInUrl = conn({ redisUrl: 'redis://ballast@10.0.0.5:6379', redisPassword: 'pw2' });
    assert.deepEqual([userInUrl.url, userInUrl.options], ['redis://10.0.0.5:6379', { username: 'ballast', password: 'pw2' }]);
    const pwInUrl = conn({ redisUrl: 'redis://:pw3@10.0.0.5:6379', redisUsername: 'ballast' });
    assert.deepEqual(pwInUrl.options, { username: 'ballast', password: 'pw3' });
  });

  it('a password file others can read: a warning naming it and its mode', () => {
    files['/open-pw'] = 'pw';
    modes['/open-pw'] = 0o100644;
    assert.deepEqual(conn({ redisPasswordFile: '/open-pw' }).warnings, ['redisPasswordFile /open-pw is readable by everyone (mode 0644): chmod 600 it']);
    modes['/open-pw'] = 0o100640;
    assert.match(conn({ redisPasswordFile: '/open-pw' }).warnings[0] ?? '', /readable by its group \(mode 0640\)/);
  });

  it('TLS from rediss://, or from a CA file on redis://; client certificate and server name', () => {
    const a = conn({ redisUrl: 'rediss://u:pw@cache.example:6380/2' });
    assert.deepEqual([a.tls, a.options.tls, a.display], [true, {}, 'rediss://u:***@cache.example:6380/2']);
    assert.deepEqual([a.url, a.options.username, a.options.password], ['rediss://cache.example:6380/2', 'u', 'pw']);
    const b = conn({ redisTlsCaFile: '/tls/ca.pem', redisTlsCertFile: '/tls/c.pem', redisTlsKeyFile: '/tls/k.pem', redisTlsServername: 'redis.internal' });
    assert.equal(b.tls, true);
    const tls = b.options.tls as { ca: Buffer; cert: Buffer; key: Buffer; servername: string };
    assert.deepEqual([tls.ca.toString(), tls.cert.toString(), tls.key.toString(), tls.servername], ['CA PEM', 'CERT PEM', 'KEY PEM', 'redis.internal']);
  });

  it('errors name the field: unreadable or empty files, half a client certificate, TLS settings without TLS, two passwords, a bad URL', () => {
    const cases: [Partial<RedisConnectionConfig>, string, RegExp][] = [
      [{ redisPasswordFile: '/nope' }, 'redisPasswordFile', /^config: redisPasswordFile=\/nope — cannot read: no such file$/],
      [{ redisPasswordFile: '/empty' }, 'redisPasswordFile', /the file is empty/],
      [{ redisTlsCaFile: '/nope' }, 'redisTlsCaFile', /^config: redisTlsCaFile=\/nope — cannot read/],
      [{ redisUrl: 'rediss://h:1', redisTlsCertFile: '/tls/c.pem' }, 'redisTlsKeyFile', /^config: redisTlsCertFile is set without redisTlsKeyFile/],
      [{ redisUrl: 'rediss://h:1', redisTlsKeyFile: '/tls/k.pem' }, 'redisTlsCertFile', /^config: redisTlsKeyFile is set without redisTlsCertFile/],
      [{ redisTlsCertFile: '/tls/c.pem', redisTlsKeyFile: '/tls/k.pem' }, 'redisTlsCertFile', /TLS is off — use a rediss:\/\/ redisUrl or set redisTlsCaFile/],
      [{ redisTlsServername: 'x' }, 'redisTlsServername', /TLS is off/],
      [{ redisPassword: 'a', redisPasswordFile: '/etc/ballast/redis-pw' }, 'redisPassword', /redisPasswordFile is set too/],
      [{ redisUrl: 'redis://:inurl@h:1', redisPassword: 'a' }, 'redisPassword', /redisUrl has a password already/],
      [{ redisUrl: 'redis://bob@h:1', redisUsername: 'ann' }, 'redisUsername', /redisUrl has a user already/],
      [{ redisUrl: 'http://:hunter2@h:1' }, 'redisUrl', /^config: redisUrl=http:\/\/:\*\*\*@h:1 — expected redis:\/\/ or rediss:\/\//],
      [{ redisUrl: 'not a url' }, 'redisUrl', /not a URL/],
    ];
    for (const [c, field, message] of cases) {
      const e = configError(() => conn(c));
      assert.equal(e.field, field, JSON.stringify(c));
      assert.match(e.message, message);
      assert.ok(!e.message.includes('hunter2'));
    }
  });

  it('redact() masks the password wherever it appears, and the URL', () => {
    const url = conn({ redisUrl: 'redis://app:hunter2@10.0.0.5:6379' });
    assert.equal(url.redact('failed: redis://app:hunter2@10.0.0.5:6379 said hunter2'), 'failed: redis://app:***@10.0.0.5:6379 said ***');
    const file = conn({ redisPasswordFile: '/etc/ballast/redis-pw' });
    assert.equal(file.redact('AUTH s3cret-pw refused'), 'AUTH *** refused');
  });
  it('sentinels: the list parsed (IPv6 in brackets), the primary name, their login; display and redact show no password', () => {
    const c = conn({ redisUrl: 'redis://ballast:hunter2@ignored:1', redisSentinels: '10.0.0.5:26379, 10.0.0.6:26380,[::1]:26381', redisSentinelName: 'ballast', redisSentinelPassword: 'sentinel-pw' });
    assert.deepEqual(c.sentinels, [{ host: '10.0.0.5', port: 26379 }, { host: '10.0.0.6', port: 26380 }, { host: '::1', port: 26381 }]);
    assert.deepEqual([c.options.sentinels, c.options.name, c.options.sentinelPassword, c.options.username, c.options.password], [c.sentinels, 'ballast', 'sentinel-pw', 'ballast', 'hunter2']);
    assert.equal(c.options.failoverDetector, undefined, "ioredis's detector ends a client that is reconnecting when the failover is announced");
    assert.equal(c.options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica.")), 2);
    assert.equal(c.options.reconnectOnError?.(new Error('ERR other')), false);
    assert.equal(c.display, 'sentinels 10.0.0.5:26379,10.0.0.6:26380,[::1]:26381, primary "ballast"');
    assert.equal(c.redact('AUTH sentinel-pw / hunter2'), 'AUTH *** / ***');
    assert.equal(c.options.enableTLSForSentinelMode, undefined);
  });

  it('sentinels with TLS: the primary and the sentinels both over TLS with the same CA', () => {
    const c = conn({ redisUrl: 'rediss://h:1', redisTlsCaFile: '/tls/ca.pem', redisSentinels: 's1:26379', redisSentinelName: 'm' });
    assert.equal(c.options.enableTLSForSentinelMode, true);
    assert.equal((c.options.sentinelTLS as { ca: Buffer }).ca.toString(), 'CA PEM');
  });

  it('sentinel errors name the field: not host:port, no primary name, sentinel settings without sentinels', () => {
    const cases: [Partial<RedisConnectionConfig>, string, RegExp][] = [
      [{ redisSentinels: '10.0.0.5', redisSentinelName: 'm' }, 'redisSentinels', /^config: redisSentinels=10\.0\.0\.5 — "10\.0\.0\.5" is not host:port \(expected e\.g\. 10\.0\.0\.5:26379,10\.0\.0\.6:26379\)$/],
      [{ redisSentinels: 'a:26379,b:99999', redisSentinelName: 'm' }, 'redisSentinels', /"b:99999" is not host:port/],
      [{ redisSentinels: 'a:26379,', redisSentinelName: 'm' }, 'redisSentinels', /"" is not host:port/],
      [{ redisSentinels: 'a:26379' }, 'redisSentinelName', /^config: redisSentinelName is required with redisSentinels/],
      [{ redisSentinelName: 'm' }, 'redisSentinelName', /^config: redisSentinelName is set but redisSentinels is not/],
      [{ redisSentinelPassword: 'hunter2' }, 'redisSentinelPassword', /redisSentinels is not/],
    ];
    for (const [c, field, message] of cases) {
      const e = configError(() => conn(c));
      assert.equal(e.field, field, JSON.stringify(c));
      assert.match(e.message, message);
      assert.ok(!e.message.includes('hunter2'));
    }
  });
});
