import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveApiToken } from './api-token.js';
import { ConfigError } from './config-error.js';

const base = mkdtempSync(join(tmpdir(), 'ballast-token-'));

describe('resolveApiToken', () => {
  it('uses the configured token and touches no file', () => {
    const filePath = join(base, 'env', 'api-token');
    assert.deepEqual(resolveApiToken({ envToken: 'from-env-0123456789', filePath }), { token: 'from-env-0123456789', generated: false, source: 'env' });
    assert.throws(() => statSync(filePath), { code: 'ENOENT' });
  });

  it('generates 32 random bytes into a new 0600 file in a new 0700 directory, then reuses it', () => {
    const filePath = join(base, 'gen', 'nested', 'api-token');
    const first = resolveApiToken({ envToken: undefined, filePath });
    assert.equal(first.generated, true);
    assert.equal(first.source, 'generated');
    assert.equal(first.path, filePath);
    assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, '32 bytes in base64url');
    assert.equal(Buffer.from(first.token, 'base64url').length, 32);
    assert.equal(statSync(filePath).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, 'gen', 'nested')).mode & 0o777, 0o700);
    assert.equal(statSync(join(base, 'gen')).mode & 0o777, 0o700);
    assert.equal(readFileSync(filePath, 'utf8'), `${first.token}\n`);

    const second = resolveApiToken({ envToken: '', filePath });
    assert.deepEqual(second, { token: first.token, generated: false, source: 'file', path: filePath });

    const third = resolveApiToken({ filePath: join(base, 'gen', 'nested', 'other-token') });
    assert.notEqual(third.token, first.token, 'tokens are random');
  });

  it('refuses a token file readable by group or others', () => {
    const filePath = join(base, 'loose-token');
    writeFileSync(filePath, 'some-token-value\n', { mode: 0o600 });
    chmodSync(filePath, 0o640);
    assert.throws(
      () => resolveApiToken({ envToken: undefined, filePath }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message === `config: API token file ${filePath} — readable or writable by group/others (mode 0640); run: chmod 600 ${filePath}`,
    );
    chmodSync(filePath, 0o604);
    assert.throws(() => resolveApiToken({ envToken: undefined, filePath }), /mode 0604/);
    chmodSync(filePath, 0o400);
    assert.equal(resolveApiToken({ envToken: undefined, filePath }).token, 'some-token-value');
  });

  it('refuses an empty token file', () => {
    const filePath = join(base, 'empty-token');
    writeFileSync(filePath, '\n', { mode: 0o600 });
    assert.throws(() => resolveApiToken({ envToken: undefined, filePath }), /is empty; delete it to generate a new token/);
  });

  it('reads BALLAST_API_TOKEN when envToken is not given at all', () => {
    const saved = process.env.BALLAST_API_TOKEN;
    process.env.BALLAST_API_TOKEN = 'process-env-token-123';
    try {
      assert.equal(resolveApiToken({ filePath: join(base, 'unused') }).token, 'process-env-token-123');
      assert.equal(resolveApiToken({ envToken: undefined, filePath: join(base, 'explicit-undefined') }).source, 'generated');
    } finally {
      if (saved === undefined) delete process.env.BALLAST_API_TOKEN;
      else process.env.BALLAST_API_TOKEN = saved;
    }
  });
});
