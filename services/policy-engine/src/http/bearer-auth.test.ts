import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request, Response } from 'express';
import { bearerAuth } from './bearer-auth.js';

const TOKEN = 's3cret-token-of-some-length';

/** Runs the middleware on a request with the given Authorization header; what it answered, or 'next'. */
function authorize(header: string | undefined): { status?: number; body?: unknown; challenge?: string } | 'next' {
  const answer: { status?: number; body?: unknown; challenge?: string } = {};
  const req = { get: (name: string) => (name.toLowerCase() === 'authorization' ? header : undefined) } as Request;
  const res = {
    set(name: string, value: string) {
      if (name === 'WWW-Authenticate') answer.challenge = value;
      return this;
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
  } as unknown as Response;
  let passed = false;
  bearerAuth(TOKEN)(req, res, () => (passed = true));
  return passed ? 'next' : answer;
}

const unauthorized = (message: string) => ({
  status: 401,
  challenge: 'Bearer realm="ballast"',
  body: { error: { code: 'unauthorized', message } },
});

describe('bearerAuth', () => {
  it('passes the right token (any case of "Bearer", surrounding blanks trimmed)', () => {
    assert.equal(authorize(`Bearer ${TOKEN}`), 'next');
    assert.equal(authorize(`bearer   ${TOKEN}  `), 'next');
  });

  it('answers 401 "token is wrong" for a wrong token of any length, the empty-looking one included', () => {
    for (const given of ['x', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), '   ']) {
      assert.deepEqual(authorize(`Bearer ${given}`), unauthorized('Authorization: bearer token is wrong'), given);
    }
  });

  it('answers 401 "missing" without a Bearer header', () => {
    for (const header of [undefined, '', `Basic ${TOKEN}`, TOKEN]) {
      assert.deepEqual(authorize(header), unauthorized('Authorization: missing "Bearer <token>" header'), String(header));
    }
  });
});
