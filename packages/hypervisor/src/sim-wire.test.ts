import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import { isConnectionError } from './reconnect-errors.js';
import { fromWireError, LineSplitter, parseSimServerUri, simServerUri, toWireError } from './sim-wire.js';

test('sim server URIs: address, port and host id; anything else is not one', () => {
  assert.deepEqual(parseSimServerUri('sim://127.0.0.1:7070/h3'), { address: '127.0.0.1', port: 7070, hostId: 'h3' });
  assert.deepEqual(parseSimServerUri('sim://localhost:1/host-a.b_c/'), { address: 'localhost', port: 1, hostId: 'host-a.b_c' });
  assert.deepEqual(parseSimServerUri('sim://[::1]:7070/h1'), { address: '::1', port: 7070, hostId: 'h1' });
  for (const bad of ['sim://h3', 'sim://127.0.0.1/h3', 'sim://127.0.0.1:0/h3', 'sim://127.0.0.1:70000/h3', 'sim://127.0.0.1:7070/', 'qemu:///system', 'sim://127.0.0.1:7070/a/b']) {
    assert.equal(parseSimServerUri(bad), undefined, bad);
  }
  assert.equal(simServerUri('::1', 7070, 'h1'), 'sim://[::1]:7070/h1');
  assert.equal(simServerUri('127.0.0.1', 7070, 'h1'), 'sim://127.0.0.1:7070/h1');
});

test('a LibvirtError crosses the wire whole; any other error is an internal error, never a lost connection', () => {
  const e = fromWireError(toWireError(new LibvirtError('Domain not found', ErrorCode.NO_DOMAIN, ErrorDomain.QEMU)));
  assert.ok(e instanceof LibvirtError);
  assert.deepEqual([e.message, e.code, e.domain], ['Domain not found', ErrorCode.NO_DOMAIN, ErrorDomain.QEMU]);
  const other = fromWireError(toWireError(new TypeError('x is not iterable')));
  assert.deepEqual([other.code, other.domain, other.message], [ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE, 'internal error: x is not iterable']);
  assert.equal(isConnectionError(other), false);
});

test('lines are split across chunks; a line longer than the limit throws', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push('{"a":'), []);
  assert.deepEqual(s.push('1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\n\n{"c":3}\n'), ['{"b":2}', '{"c":3}']);
  assert.deepEqual(s.push('0123456'), []);
  assert.throws(() => s.push('789ab'), /line longer than 10 characters/);
});
