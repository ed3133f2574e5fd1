import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';

import { isVmGone } from './errors.js';

test('isVmGone is true for the binding\'s VIR_ERR_NO_DOMAIN and nothing else', () => {
  assert.equal(isVmGone(new LibvirtError('Domain not found', ErrorCode.NO_DOMAIN, ErrorDomain.QEMU)), true);
  assert.equal(isVmGone(new LibvirtError('Domain not found', ErrorCode.NO_DOMAIN, ErrorDomain.TEST)), true, 'any virErrorDomain');
  assert.equal(isVmGone(new LibvirtError('invalid argument', ErrorCode.INVALID_ARG, ErrorDomain.QEMU)), false);
  assert.equal(isVmGone(new LibvirtError('not running', ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU)), false);
  // Only LibvirtErrors count: a look-alike object or a plain Error with the same code is not the binding's error.
  assert.equal(isVmGone({ code: ErrorCode.NO_DOMAIN, domain: ErrorDomain.QEMU, message: 'look-alike' }), false);
  assert.equal(isVmGone(Object.assign(new Error('x'), { code: ErrorCode.NO_DOMAIN })), false);
  assert.equal(isVmGone(undefined), false);
});
