import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { insecureListenerWarning, isLoopbackHost } from './insecure-listener.js';

describe('isLoopbackHost', () => {
  it('127.0.0.0/8, ::1 (every spelling) and localhost are loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'api.localhost']) assert.equal(isLoopbackHost(h), true, h);
  });
  it('wildcards, LAN addresses and other names are not', () => {
    for (const h of ['0.0.0.0', '::', '', '10.0.0.11', '128.0.0.1', '::2', 'fe80::1', '::ffff:10.0.0.1', 'engine.example.net', 'localhost.example.net']) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('insecureListenerWarning', () => {
  const l = { what: 'gRPC', port: 50051, fix: 'set tlsCertFile and tlsKeyFile, or bind grpcHost to 127.0.0.1' };
  it('beyond loopback without TLS: INSECURE, the address, the fix', () => {
    assert.equal(
      insecureListenerWarning({ ...l, host: '0.0.0.0', tls: false }),
      'INSECURE: gRPC listens on 0.0.0.0:50051 without TLS — anyone who can reach it reads (and can replay) what crosses it, tokens included; set tlsCertFile and tlsKeyFile, or bind grpcHost to 127.0.0.1',
    );
    assert.match(insecureListenerWarning({ ...l, host: '::', tls: false }) ?? '', /^INSECURE: gRPC listens on \[::\]:50051 /);
  });
  it('nothing on loopback, nothing with TLS', () => {
    assert.equal(insecureListenerWarning({ ...l, host: '127.0.0.1', tls: false }), undefined);
    assert.equal(insecureListenerWarning({ ...l, host: '0.0.0.0', tls: true }), undefined);
  });
});
