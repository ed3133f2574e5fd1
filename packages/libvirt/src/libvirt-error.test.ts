import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  isConnectionClosed,
  isConnectionLost,
  isInvalidArg,
  isNoConnect,
  isNoDomain,
  isNoSupport,
  isOperationInvalid,
  isOperationTimeout,
} from './error-predicates.js';
import { LibvirtError, toLibvirtError } from './libvirt-error.js';

test('toLibvirtError converts native-shaped errors only', () => {
  const native = Object.assign(new Error('Domain not found'), { code: 42, domain: 12 });
  const err = toLibvirtError(native);
  assert.ok(err instanceof LibvirtError);
  assert.equal(err.name, 'LibvirtError');
  assert.equal(err.message, 'Domain not found');
  assert.equal(err.code, 42);
  assert.equal(err.domain, 12);
  const plain = new TypeError('x');
  assert.equal(toLibvirtError(plain), plain);
  const coded = Object.assign(new Error('fs'), { code: 'ENOENT' });
  assert.equal(toLibvirtError(coded), coded);
});

test('toLibvirtError keeps the caller stack', () => {
  const site = new Error();
  const err = toLibvirtError(Object.assign(new Error('boom'), { code: 1, domain: 0 }), site) as LibvirtError;
  assert.match(err.stack ?? '', /^LibvirtError: boom\n/);
  assert.match(err.stack ?? '', /libvirt-error\.test/);
});

test('predicates', () => {
  const e = (code: number, domain = 0) => new LibvirtError('m', code, domain);
  assert.ok(isNoDomain(e(42)));
  assert.ok(!isNoDomain(e(43)));
  assert.ok(!isNoDomain({ code: 42, domain: 0 }));
  assert.ok(isNoConnect(e(5)));
  assert.ok(isInvalidArg(e(8)));
  assert.ok(isOperationInvalid(e(55)));
  assert.ok(isNoSupport(e(3)) && isNoSupport(e(84)) && isNoSupport(e(74)));
  assert.ok(isOperationTimeout(e(68)));
  assert.ok(isConnectionClosed(e(6)));
  // Nova's rule: SYSTEM_ERROR or INTERNAL_ERROR raised by the RPC (7) or remote (13) layer.
  assert.ok(isConnectionLost(e(38, 7)));
  assert.ok(isConnectionLost(e(1, 13)));
  assert.ok(!isConnectionLost(e(38, 10)));
  assert.ok(!isConnectionLost(e(42, 7)));
});
