import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.js';
import { isValidHostId, resolveHostId } from './host-id.js';

describe('resolveHostId', () => {
  it('prefers config, then BALLAST_HOST_ID, then os.hostname()', () => {
    assert.equal(resolveHostId({ hostId: 'cfg-1', env: { BALLAST_HOST_ID: 'env-1' }, hostname: () => 'os-1' }), 'cfg-1');
    assert.equal(resolveHostId({ env: { BALLAST_HOST_ID: 'env-1' }, hostname: () => 'os-1' }), 'env-1');
    assert.equal(resolveHostId({ env: { BALLAST_HOST_ID: '' }, hostname: () => 'node-7.lab' }), 'node-7.lab');
    if (isValidHostId(hostname())) assert.equal(resolveHostId({ env: {} }), hostname());
  });

  it('validates letters, digits, - _ . and at most 63 characters', () => {
    assert.equal(isValidHostId('a'.repeat(63)), true);
    assert.equal(isValidHostId('a'.repeat(64)), false);
    assert.equal(isValidHostId('host_1.example-2'), true);
    assert.equal(isValidHostId('bad host'), false);
    assert.equal(isValidHostId(''), false);
    assert.throws(
      () => resolveHostId({ env: { BALLAST_HOST_ID: 'bad host' } }),
      (err: Error) => err instanceof ConfigError && err.message === 'config: BALLAST_HOST_ID="bad host" — may contain only letters, digits, "-", "_" and "." (1-63 characters)',
    );
    assert.throws(() => resolveHostId({ env: {}, hostname: () => 'x'.repeat(70) }), /os\.hostname\(\)=.* is not a usable host id — is 70 characters long \(max 63\); set BALLAST_HOST_ID/);
  });
});
