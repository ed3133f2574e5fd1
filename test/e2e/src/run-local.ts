/**
 * `infra/run/run-local.sh` (what `make run` runs) started by a test: its own Redis, state dir and engine ports;
 * stopped as Ctrl-C stops it (TERM), checking that no service process or port is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startRedis, type RedisHandle } from '@ballast/testkit';
import { alive } from './libvirtd.js';
import { REPO } from './services.js';

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Pids of the services run-local started, from their log lines ({"pid":…,"service":…}). */
function servicePids(output: string): number[] {
  return [...new Set([...output.matchAll(/"pid":(\d+),"service":"(?:collector|actuator|policy-engine)"/g)].map((m) => Number(m[1])))];
}

export interface RunLocal {
  dir: string;
  httpPort: number;
  /** The last 500 kB of its output. */
  output(): string;
  exitCode(): number | null;
  /** GET (or POST with a body) on the engine's API, with the token run-local generated. */
  api(p: string, body?: unknown): Promise<unknown>;
  /** TERM, then checks: exit 0 within 20 s, no service left, none of `ports` open. Returns the problems found. */
  stop(ports: number[]): Promise<string[]>;
}

export async function startRunLocal(env: Record<string, string>): Promise<RunLocal> {
  const redis: RedisHandle = await startRedis();
  const dir = mkdtempSync(path.join(tmpdir(), 'ballast-run-'));
  const httpPort = await freePort();
  let out = '';
  const run: ChildProcess = spawn('bash', [path.join(REPO, 'infra/run/run-local.sh')], {
    cwd: REPO,
    env: { ...process.env, REDIS_URL: redis.url, BALLAST_STATE_DIR: dir, BALLAST_HTTP_PORT: String(httpPort), BALLAST_GRPC_PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  run.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-500000)));
  run.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-500000)));
  const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
  let token = '';
  return {
    dir,
    httpPort,
    output: () => out,
    exitCode: () => run.exitCode,
    async api(p, body) {
      token ||= readFileSync(path.join(dir, 'api-token'), 'utf8').trim();
      const r = await fetch(`http://127.0.0.1:${httpPort}${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return r.json();
    },
    async stop(ports) {
      const problems: string[] = [];
      const t0 = Date.now();
      run.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20000).unref())]);
      if (code !== 0) problems.push(`run-local.sh after TERM: ${code === 'timeout' ? 'still running after 20 s' : `exit ${code}`}`);
      else console.log(`run-local.sh stopped ${Date.now() - t0} ms after TERM`);
      const left = servicePids(out).filter(alive);
      if (left.length > 0) problems.push(`services still running after run-local.sh stopped: pids ${left.join(', ')}`);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      if (code === 'timeout') run.kill('SIGKILL');
      const open = (await Promise.all([...ports, httpPort].map(async (p) => ((await listening(p)) ? p : undefined)))).filter((p) => p);
      if (open.length > 0) problems.push(`ports still open after the stop: ${open.join(', ')}`);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
      return problems;
    },
  };
}
