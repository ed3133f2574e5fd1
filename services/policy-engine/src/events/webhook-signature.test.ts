import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature.js';

const SECRET = 'whsec_0123456789abcdef';
const BODY = '{"id":"1-0","type":"job"}';

test('the signature is sha256=<hex HMAC of "<timestamp>.<body>">, as a receiver computes it', () => {
  const sig = signWebhook(SECRET, 1700000000, BODY);
  const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
  assert.equal(sig, `sha256=${expected}`);
  assert.notEqual(signWebhook(SECRET, 1700000001, BODY), sig, 'the timestamp is signed');
  assert.notEqual(signWebhook('another-secret-000', 1700000000, BODY), sig);
});

test('verify accepts the right signature in the window and refuses a changed body, secret, old timestamp or junk', () => {
  const ts = 1700000000;
  const signature = signWebhook(SECRET, ts, BODY);
  const ok = { secret: SECRET, timestamp: String(ts), body: BODY, signature, nowSec: ts + 10 };
  assert.equal(verifyWebhook(ok), true);
  assert.equal(verifyWebhook({ ...ok, body: `${BODY} ` }), false);
  assert.equal(verifyWebhook({ ...ok, secret: 'whsec_other_secret_1' }), false);
  assert.equal(verifyWebhook({ ...ok, nowSec: ts + 301 }), false, 'older than 5 minutes');
  assert.equal(verifyWebhook({ ...ok, timestamp: '1700000000.5' }), false);
  assert.equal(verifyWebhook({ ...ok, signature: signature.slice(0, -1) }), false);
  assert.equal(verifyWebhook({ ...ok, signature: '' }), false);
});
