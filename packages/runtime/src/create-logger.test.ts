import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './create-logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('binds service and hostId on every line, with an ISO time', () => {
    const out = capture();
    const log = createLogger({ service: 'collector', hostId: 'node-1', destination: out.stream });
    log.info({ vms: 3 }, 'sampled');
    const [line] = out.lines();
    assert.equal(line?.service, 'collector');
    assert.equal(line?.hostId, 'node-1');
    assert.equal(line?.msg, 'sampled');
    assert.equal(line?.vms, 3);
    assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT/);
  });

  it('defaults to info and follows logLevel', () => {
    const quiet = capture();
    const log = createLogger({ service: 's', hostId: 'h', destination: quiet.stream });
    log.debug('hidden');
    log.info('shown');
    assert.deepEqual(quiet.lines().map((l) => l.msg), ['shown']);

    const loud = capture();
    createLogger({ service: 's', hostId: 'h', logLevel: 'debug', destination: loud.stream }).debug('debugging');
    assert.deepEqual(loud.lines().map((l) => l.msg), ['debugging']);
  });

  it('redacts tokens', () => {
    const out = capture();
    createLogger({ service: 's', hostId: 'h', destination: out.stream }).info({ config: { grpcToken: 'secret-value' } }, 'config');
    const text = JSON.stringify(out.lines());
    assert.ok(!text.includes('secret-value'), text);
    assert.match(text, /\[redacted\]/);
  });

  it('masks the password of Redis URLs and redacts Redis passwords, at the top level and one down', () => {
    const out = capture();
    const log = createLogger({ service: 's', hostId: 'h', destination: out.stream });
    log.info({ redisUrl: 'rediss://ballast:hunter2@cache:6380', config: { redisUrl: 'redis://:hunter3@h:1', redisPassword: 'hunter4', redisSentinelPassword: 'hunter5' } }, 'start');
    log.info({ url: 'redis://127.0.0.1:6379' }, 'no password');
    const [first, second] = out.lines();
    assert.equal(first?.redisUrl, 'rediss://ballast:***@cache:6380');
    assert.deepEqual(first?.config, { redisUrl: 'redis://:***@h:1', redisPassword: '[redacted]', redisSentinelPassword: '[redacted]' });
    assert.equal(second?.url, 'redis://127.0.0.1:6379');
    assert.ok(!JSON.stringify(out.lines()).includes('hunter'));
  });
});
