// infra/run/announce.sh (`make run`'s "how to open it" block): waits for the engine's /healthz, then names the
// dashboard, the API, where the token is and the CLI command (with the env the CLI needs when not the defaults).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO } from './services.js';

function announce(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', [path.join(REPO, 'infra/run/announce.sh')], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

test('after /healthz answers: dashboard, API, token file and CLI, with the env the CLI needs', async () => {
  const paths: string[] = [];
  const server = createServer((req, res) => res.end(void paths.push(req.url ?? '')));
  // not listening yet: the script waits
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  server.close();
  const running = announce({ BALLAST_HTTP_PORT: String(port), BALLAST_HTTP_HOST: '0.0.0.0', BALLAST_API_TOKEN_FILE: '/tmp/state/api-token' });
  await new Promise((r) => setTimeout(r, 1200));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  try {
    const { code, out } = await running;
    assert.equal(code, 0);
    assert.deepEqual(paths, ['/healthz']);
    const base = `http://127.0.0.1:${port}`;
    assert.match(out, new RegExp(`Dashboard  ${base}/   \\(sign in with the token in /tmp/state/api-token\\)`));
    assert.match(out, new RegExp(`API        ${base}/v1 `));
    assert.match(out, new RegExp(`CLI        BALLAST_API_URL=${base} BALLAST_API_TOKEN_FILE=/tmp/state/api-token npx ballast status `));
  } finally {
    server.close();
  }
});

test('a token from BALLAST_API_TOKEN says so (and the CLI needs no token file); nothing when the engine never answers', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  try {
    const env = await announce({ BALLAST_HTTP_PORT: String(port), BALLAST_API_TOKEN: 'x'.repeat(20) });
    assert.match(env.out, /sign in with the token in BALLAST_API_TOKEN\)/);
    assert.match(env.out, new RegExp(`CLI        BALLAST_API_URL=http://127\\.0\\.0\\.1:${port} npx ballast status`));
  } finally {
    server.close();
  }
  const never = await announce({ BALLAST_HTTP_PORT: String(port), ANNOUNCE_TIMEOUT_S: '1' });
  assert.deepEqual(never, { code: 0, out: '' });
});
