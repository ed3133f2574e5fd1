import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditDetail } from './audit-http.js';
import { roleAllows } from './auth.js';

test('auditDetail: secrets at any depth are replaced, an empty body is no detail, a huge one is cut', () => {
  assert.deepEqual(auditDetail({ url: 'https://x', secret: 's3', nested: { apiToken: 't', password: 'p', ok: 1 } }), {
    url: 'https://x',
    secret: '[redacted]',
    nested: { apiToken: '[redacted]', password: '[redacted]', ok: 1 },
  });
  assert.equal(auditDetail({}), undefined);
  assert.equal(auditDetail(undefined), undefined);
  const big = auditDetail({ note: 'x'.repeat(10000) }) as { truncated: string };
  assert.equal(big.truncated.length, 4096);
});

test('roles are ordered viewer < operator < admin', () => {
  assert.deepEqual(
    (['viewer', 'operator', 'admin'] as const).map((has) => (['viewer', 'operator', 'admin'] as const).filter((needs) => roleAllows(has, needs))),
    [['viewer'], ['viewer', 'operator'], ['viewer', 'operator', 'admin']],
  );
});
