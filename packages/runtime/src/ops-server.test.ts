import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import express from 'express';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from './create-metrics-registry.js';
import { mountOpsRoutes, type HealthReport } from './ops-routes.js';
import { startOpsServer, type OpsServer } from './ops-server.js';

const registry = createMetricsRegistry({ service: 'collector', hostId: 'node-1' });
const samples = new Counter({ name: 'ballast_samples_total', help: 'Samples sent', registers: [registry] });
samples.inc(7);

let health: () => Promise<HealthReport> = async () => ({ ok: true, details: { libvirt: 'connected' } });
const servers: OpsServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function start(): Promise<OpsServer> {
  const server = await startOpsServer({ port: 0, registry, health: () => health(), healthTimeoutMs: 200 });
  servers.push(server);
  return server;
}

describe('startOpsServer', () => {
  it('listens on the actual port when given 0, on 127.0.0.1 by default', async () => {
    const ops = await start();
    assert.ok(ops.port > 0);
    assert.equal(ops.host, '127.0.0.1');
    assert.equal(ops.url, `http://127.0.0.1:${ops.port}`);
  });

  it('GET /metrics serves prometheus text with ballast_ process metrics labelled by service', async () => {
    const ops = await start();
    const res = await fetch(`${ops.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^ballast_samples_total\{service="collector",host="node-1"\} 7$/m);
    assert.match(text, /^ballast_process_cpu_user_seconds_total\{service="collector",host="node-1"\} /m);
    assert.match(text, /^ballast_nodejs_eventloop_lag_seconds\{/m);
  });

  it('GET /healthz answers 200 JSON when ok, 503 when not, 503 when the check throws or hangs', async () => {
    const ops = await start();
    health = async () => ({ ok: true, details: { libvirt: 'connected' } });
    let res = await fetch(`${ops.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { ok: true, details: { libvirt: 'connected' } });

    health = async () => ({ ok: false, details: { libvirt: 'disconnected' } });
    res = await fetch(`${ops.url}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ok: false, details: { libvirt: 'disconnected' } });

    health = async () => {
      throw new Error('redis down');
    };
    res = await fetch(`${ops.url}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ok: false, details: {}, error: 'redis down' });

    health = () => new Promise(() => {});
    res = await fetch(`${ops.url}/healthz`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: string }).error, /longer than 200 ms/);
    health = async () => ({ ok: true, details: {} });
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const ops = await start();
    assert.equal((await fetch(`${ops.url}/nope`)).status, 404);
    const post = await fetch(`${ops.url}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${ops.url}/healthz?verbose=1`)).status, 200, 'query strings are ignored');
  });

  it('close() stops listening', async () => {
    const ops = await startOpsServer({ port: 0, registry, health: () => health() });
    assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
    await ops.close();
    await assert.rejects(fetch(`${ops.url}/healthz`));
  });

  it('rejects with a clear error when the port is taken', async () => {
    const ops = await start();
    await assert.rejects(startOpsServer({ port: ops.port, registry, health: () => health() }), /ops server: cannot listen on 127\.0\.0\.1:\d+ — EADDRINUSE/);
  });
});

describe('mountOpsRoutes', () => {
  it('serves the same two routes on an express app', async () => {
    const app = express();
    mountOpsRoutes(app, { registry, health: async () => ({ ok: false, details: { queue: 'stalled' } }) });
    app.get('/v1/other', (_req, res) => void res.json({ other: true }));
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const metrics = await fetch(`${base}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^ballast_samples_total\{service="collector",host="node-1"\} 7$/m);
      const healthz = await fetch(`${base}/healthz`);
      assert.equal(healthz.status, 503);
      assert.deepEqual(await healthz.json(), { ok: false, details: { queue: 'stalled' } });
      assert.equal((await fetch(`${base}/v1/other`)).status, 200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
