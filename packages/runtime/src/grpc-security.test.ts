import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from './config-error.js';
import { grpcClientSecurity, grpcServerSecurity, type GrpcClientSecurityOptions, type GrpcServerSecurityOptions } from './grpc-security.js';
import { tokensEqual } from './tokens-equal.js';

// A tiny service with JSON messages: no proto compile needed.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};
const echoService: grpc.ServiceDefinition = {
  echo: {
    path: '/ballast.test.Echo/Echo', requestStream: false, responseStream: false,
    requestSerialize: json.serialize, requestDeserialize: json.deserialize,
    responseSerialize: json.serialize, responseDeserialize: json.deserialize,
  },
  count: {
    path: '/ballast.test.Echo/Count', requestStream: false, responseStream: true,
    requestSerialize: json.serialize, requestDeserialize: json.deserialize,
    responseSerialize: json.serialize, responseDeserialize: json.deserialize,
  },
  health: {
    path: '/ballast.test.Echo/Health', requestStream: false, responseStream: false,
    requestSerialize: json.serialize, requestDeserialize: json.deserialize,
    responseSerialize: json.serialize, responseDeserialize: json.deserialize,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');
type Msg = { text?: string; n?: number };

const TOKEN = 'correct-horse-battery-staple';
let handled = 0;
const rejections: { method: string; reason: string }[] = [];

async function startServer(options: GrpcServerSecurityOptions): Promise<{ port: number; stop: () => void }> {
  const security = grpcServerSecurity(options);
  const server = new grpc.Server({ interceptors: security.interceptors });
  server.addService(echoService, {
    echo: (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
      handled++;
      callback(null, { text: `echo ${call.request.text}` });
    },
    count: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      handled++;
      for (let i = 1; i <= (call.request.n ?? 0); i++) call.write({ n: i });
      call.end();
    },
    health: (_call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => callback(null, { text: 'serving' }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', security.credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, stop: () => server.forceShutdown() };
}

function client(port: number, options: GrpcClientSecurityOptions, host = '127.0.0.1') {
  const security = grpcClientSecurity(options);
  return new EchoClient(`${host}:${port}`, security.credentials, { interceptors: security.interceptors, ...security.channelOptions });
}

function callEcho(c: grpc.Client, text: string): Promise<Msg> {
  const deadline = Date.now() + 5000;
  return new Promise((resolve, reject) =>
    (c as unknown as Record<string, (...args: unknown[]) => unknown>).echo!({ text }, { deadline }, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res))),
  );
}

function callCount(c: grpc.Client, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const got: number[] = [];
    const stream = (c as unknown as Record<string, (...args: unknown[]) => unknown>).count!({ n }, { deadline: Date.now() + 5000 }) as grpc.ClientReadableStream<Msg>;
    stream.on('data', (m: Msg) => got.push(m.n ?? -1));
    stream.on('error', reject);
    stream.on('end', () => resolve(got));
  });
}

async function rejectsWith(promise: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    if (details) assert.match(err.details, details);
    return true;
  });
}

describe('tokensEqual', () => {
  it('is true only for identical tokens', () => {
    assert.equal(tokensEqual('abc', 'abc'), true);
    assert.equal(tokensEqual('abc', 'abd'), false);
    assert.equal(tokensEqual('abc', 'abcd'), false);
    assert.equal(tokensEqual('', 'abc'), false);
  });
});

describe('gRPC token check over an insecure channel', () => {
  let server: { port: number; stop: () => void };
  const clients: grpc.Client[] = [];
  before(async () => {
    server = await startServer({ token: TOKEN, exemptMethods: ['/ballast.test.Echo/Health'], onReject: (r) => void rejections.push(r) });
  });
  after(() => {
    clients.forEach((c) => c.close());
    server.stop();
  });
  const open = (options: GrpcClientSecurityOptions) => {
    const c = client(server.port, options);
    clients.push(c);
    return c;
  };

  it('accepts the right token (sent by an interceptor, since call credentials need TLS)', async () => {
    const security = grpcClientSecurity({ token: TOKEN });
    assert.equal(security.tls, false);
    assert.equal(security.interceptors.length, 1);
    assert.deepEqual(await callEcho(open({ token: TOKEN }), 'hi'), { text: 'echo hi' });
    assert.deepEqual(await callCount(open({ token: TOKEN }), 3), [1, 2, 3]);
  });

  it('rejects a missing token with UNAUTHENTICATED before the handler runs', async () => {
    const before = handled;
    await rejectsWith(callEcho(open({}), 'hi'), grpc.status.UNAUTHENTICATED, /missing "authorization: Bearer <token>"/);
    await rejectsWith(callCount(open({}), 3), grpc.status.UNAUTHENTICATED);
    assert.equal(handled, before, 'handler must not run');
    assert.deepEqual(rejections.slice(-2).map((r) => r.method), ['/ballast.test.Echo/Echo', '/ballast.test.Echo/Count']);
    assert.match(rejections.at(-1)?.reason ?? '', /^missing/);
  });

  it('rejects a wrong token and a malformed header with UNAUTHENTICATED', async () => {
    const before = handled;
    await rejectsWith(callEcho(open({ token: `${TOKEN}x` }), 'hi'), grpc.status.UNAUTHENTICATED, /wrong bearer token/);
    await rejectsWith(callEcho(open({ token: 'short' }), 'hi'), grpc.status.UNAUTHENTICATED, /wrong bearer token/);
    const basicAuth: grpc.Interceptor = (options, next) =>
      new grpc.InterceptingCall(next(options), {
        start: (metadata, listener, go) => {
          metadata.set('authorization', `Basic ${TOKEN}`);
          go(metadata, listener);
        },
      });
    const basic = new EchoClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure(), { interceptors: [basicAuth] });
    clients.push(basic);
    await rejectsWith(callEcho(basic, 'hi'), grpc.status.UNAUTHENTICATED, /not "Bearer <token>"/);
    assert.equal(handled, before);
  });

  it('lets exempt methods through without a token', async () => {
    const c = open({});
    const res = await new Promise<Msg>((resolve, reject) =>
      (c as unknown as Record<string, (...args: unknown[]) => unknown>).health!({}, (err: Error | null, r: Msg) => (err ? reject(err) : resolve(r))),
    );
    assert.deepEqual(res, { text: 'serving' });
  });

  it('without a configured token the server accepts any call', async () => {
    const open = await startServer({});
    const c = client(open.port, {});
    try {
      assert.deepEqual(await callEcho(c, 'free'), { text: 'echo free' });
    } finally {
      c.close();
      open.stop();
    }
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('gRPC over TLS (self-signed certificate from openssl)', { skip: haveOpenssl ? false : 'openssl not found on PATH: TLS tests skipped' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-tls-'));
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  const otherCert = join(dir, 'other.crt');
  const otherKey = join(dir, 'other.key');
  let tlsServer: { port: number; stop: () => void };
  const clients: grpc.Client[] = [];

  const selfSigned = (certPath: string, keyPath: string, cn: string) =>
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyPath, '-out', certPath,
    ], { stdio: 'ignore' });

  before(async () => {
    selfSigned(cert, key, 'ballast-test');
    selfSigned(otherCert, otherKey, 'someone-else');
    tlsServer = await startServer({ token: TOKEN, tlsCertFile: cert, tlsKeyFile: key });
  });
  after(() => {
    clients.forEach((c) => c.close());
    tlsServer?.stop();
  });
  const open = (port: number, options: GrpcClientSecurityOptions, host?: string) => {
    const c = client(port, options, host);
    clients.push(c);
    return c;
  };

  it('accepts the right token sent as call credentials on a TLS channel', async () => {
    const security = grpcClientSecurity({ token: TOKEN, tlsCaFile: cert });
    assert.equal(security.tls, true);
    assert.equal(security.interceptors.length, 0, 'TLS uses call credentials, not the interceptor');
    assert.deepEqual(await callEcho(open(tlsServer.port, { token: TOKEN, tlsCaFile: cert }), 'secure'), { text: 'echo secure' });
    assert.deepEqual(await callEcho(open(tlsServer.port, { token: TOKEN, tlsCaFile: cert }, 'localhost'), 'by name'), { text: 'echo by name' });
  });

  it('rejects a missing or wrong token with UNAUTHENTICATED', async () => {
    await rejectsWith(callEcho(open(tlsServer.port, { tlsCaFile: cert }), 'x'), grpc.status.UNAUTHENTICATED, /missing/);
    await rejectsWith(callEcho(open(tlsServer.port, { token: 'not-the-token', tlsCaFile: cert }), 'x'), grpc.status.UNAUTHENTICATED, /wrong bearer token/);
  });

  it('does not connect when the server certificate is not trusted, or the client speaks plaintext', async () => {
    await rejectsWith(callEcho(open(tlsServer.port, { token: TOKEN, tlsCaFile: otherCert }), 'x'), grpc.status.UNAVAILABLE);
    await rejectsWith(callEcho(open(tlsServer.port, { token: TOKEN }), 'x'), grpc.status.UNAVAILABLE);
  });

  it('with tlsCaFile on the server, requires a client certificate signed by it (mutual TLS)', async () => {
    const mtls = await startServer({ token: TOKEN, tlsCertFile: cert, tlsKeyFile: key, tlsCaFile: otherCert });
    try {
      await rejectsWith(callEcho(open(mtls.port, { token: TOKEN, tlsCaFile: cert }), 'no cert'), grpc.status.UNAVAILABLE);
      const withCert = open(mtls.port, { token: TOKEN, tlsCaFile: cert, tlsCertFile: otherCert, tlsKeyFile: otherKey });
      assert.deepEqual(await callEcho(withCert, 'mutual'), { text: 'echo mutual' });
    } finally {
      mtls.stop();
    }
  });
});

describe('grpc security config errors', () => {
  it('needs both cert and key, and readable files', () => {
    assert.throws(() => grpcServerSecurity({ tlsCertFile: '/x.crt' }), (err: Error) => err instanceof ConfigError && err.message === 'config: tlsKeyFile is required when tlsCertFile is set (gRPC TLS needs both)');
    assert.throws(() => grpcServerSecurity({ tlsCaFile: '/ca.crt' }), /tlsCaFile is set but TLS is off/);
    assert.throws(
      () => grpcServerSecurity({ tlsCertFile: '/nonexistent/x.crt', tlsKeyFile: '/nonexistent/x.key' }),
      (err: Error) => err instanceof ConfigError && err.message === 'config: tlsCertFile="/nonexistent/x.crt" — cannot read: ENOENT',
    );
    assert.throws(() => grpcClientSecurity({ tlsCaFile: '/nonexistent/ca.crt' }), /config: tlsCaFile="\/nonexistent\/ca.crt" — cannot read: ENOENT/);
    assert.throws(() => grpcClientSecurity({ tlsKeyFile: '/k', tls: true }), /tlsCertFile is required when tlsKeyFile is set/);
  });
});
