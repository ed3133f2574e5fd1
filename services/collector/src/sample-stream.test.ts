// The sample stream against a real grpc-js server in this process: an engine that is not there yet, and
// one that restarts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { HostSample, IngestServiceService, type IngestServiceServer, type StreamSamplesRequest } from '@ballast/proto';
import { grpcClientSecurity, grpcServerSecurity } from '@ballast/runtime';
import { freePort } from '@ballast/testkit';
import { engineAddresses, SampleStream } from './sample-stream.js';

const TOKEN = 'sample-stream-token-0123456789';

/** A stand-in policy engine: an IngestService that records the takenAtMs of each sample it gets. */
async function startEngine(port: number): Promise<{ received: number[]; stop(): Promise<void> }> {
  const received: number[] = [];
  const ingest: IngestServiceServer = {
    streamSamples(call, callback) {
      let accepted = 0;
      call.on('data', (req: StreamSamplesRequest) => {
        if (req.sample) received.push(req.sample.takenAtMs);
        accepted++;
      });
      call.on('end', () => callback(null, { accepted }));
      call.on('error', () => undefined);
    },
  };
  const sec = grpcServerSecurity({ token: TOKEN });
  const server = new grpc.Server({ interceptors: sec.interceptors });
  server.addService(IngestServiceService, ingest);
  await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, sec.credentials, (e, p) => (e ? reject(e) : resolve(p))));
  return { received, stop: async () => server.forceShutdown() };
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('SampleStream', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** A stream to 127.0.0.1:port sending a sample every 25 ms, as the collector's loop does. */
  function streamTo(port: number | number[]) {
    const sec = grpcClientSecurity({ token: TOKEN });
    const stream = new SampleStream({
      address: [port].flat().map((p) => `127.0.0.1:${p}`).join(','),
      credentials: sec.credentials,
      interceptors: sec.interceptors,
      log: pino({ level: 'silent' }),
      minBackoffMs: 50,
      maxBackoffMs: 400,
    });
    let n = 0;
    const timer = setInterval(() => stream.send(HostSample.fromPartial({ hostId: 'h1', takenAtMs: ++n })), 25);
    cleanups.push(async () => {
      clearInterval(timer);
      await stream.close();
    });
    return stream;
  }

  it('an engine that is down at start: samples are dropped, then flow once it is up', async () => {
    const port = await freePort();
    const stream = streamTo(port);
    await sleep(600);
    assert.equal(stream.connected, false);
    assert.ok(stream.dropped > 0 || stream.sent > 0);
    const engine = await startEngine(port);
    cleanups.push(() => engine.stop());
    await until('samples at the engine', () => engine.received.length >= 3);
    assert.equal(stream.connected, true);
    const got = engine.received;
    assert.deepEqual(got.slice(1, 3), [got[0]! + 1, got[0]! + 2]);
  });

  it('an engine that restarts: the stream resumes to the new one', async () => {
    const port = await freePort();
    const first = await startEngine(port);
    const stream = streamTo(port);
    await until('samples at the first engine', () => first.received.length >= 2);
    await first.stop();
    await until('the stream to notice', () => !stream.connected);
    await sleep(300);
    const second = await startEngine(port);
    cleanups.push(() => second.stop());
    await until('samples at the restarted engine', () => second.received.length >= 3);
    assert.ok(second.received[0]! > first.received.at(-1)!, 'the new engine gets new samples');
    assert.equal(stream.connected, true);
  });

  it('engine replicas (a list of addresses): when the one in use goes away, samples go to the next', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const one = await startEngine(p1);
    const two = await startEngine(p2);
    cleanups.push(() => two.stop());
    const stream = streamTo([p1, p2]);
    await until('samples at the first replica', () => one.received.length >= 2);
    assert.equal(stream.address, `127.0.0.1:${p1}`);
    assert.equal(two.received.length, 0, 'one replica at a time');
    const t0 = Date.now();
    await one.stop();
    await until('samples at the second replica', () => two.received.length >= 3);
    assert.equal(stream.address, `127.0.0.1:${p2}`);
    assert.ok(Date.now() - t0 < 5000, `moved in ${Date.now() - t0} ms`);
    assert.ok(two.received[0]! > one.received.at(-1)!, 'new samples, in order');
  });
});

describe('engineAddresses', () => {
  it('splits the list, drops blanks, and refuses an empty one', () => {
    assert.deepEqual(engineAddresses('a:1, b:2,'), ['a:1', 'b:2']);
    assert.throws(() => engineAddresses(' , '), /engineAddress: no address/);
  });
});
