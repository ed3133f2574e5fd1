/**
 * Webhook signatures: `X-Ballast-Signature: sha256=<hex>` is the HMAC-SHA256, keyed with the webhook's
 * secret, of `<X-Ballast-Timestamp>.<body>` (the timestamp in Unix seconds, the raw body bytes). Signing
 * the timestamp with the body lets a receiver refuse old deliveries replayed by someone who captured one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

/** The signature header's value for a body sent at `timestampSec`. */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/**
 * What a receiver does: true when `signature` is the body's, made with `secret`, and the timestamp is within
 * `toleranceSec` of `nowSec` (default 300 s). Compares in constant time.
 */
export function verifyWebhook(opts: { secret: string; timestamp: string; body: string; signature: string; nowSec?: number; toleranceSec?: number }): boolean {
  const ts = Number(opts.timestamp);
  if (!/^\d{1,12}$/.test(opts.timestamp) || !Number.isSafeInteger(ts)) return false;
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(opts.secret, ts, opts.body));
  const got = Buffer.from(opts.signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
