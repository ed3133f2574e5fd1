import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface RedisHandle {
  url: string;
  port: number;
  dir: string;
  /** Stops the server; `keepData` leaves its AOF dir for a restart. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** kill -9: no shutdown, no last AOF fsync (a crash); the dir stays. Resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface StartRedisOptions {
  dir?: string;
  port?: number;
  /**
   * ACL users, each a `user` directive's rules, e.g. `ballast on >pw ~ballast:* &* +@all`. Given: the
   * default user is switched off (every client must log in as one of these) unless they define it.
   */
  users?: readonly string[];
  /** TLS only (plain port off): the server's certificate and key, and the CA clients' certificates are checked against. */
  tls?: { certFile: string; keyFile: string; caFile: string; /** Require a client certificate. Default false. */ authClients?: boolean };
  /** AOF fsync policy; Redis's default (and Ballast's) is everysec. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** More redis-server arguments, e.g. ['--replicaof', '127.0.0.1', '6379']. */
  args?: readonly string[];
}

/** Starts a real redis-server on 127.0.0.1 with AOF on, in a temp dir; with ACL users and TLS when asked. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'ballast-redis-'));
  const { child, exited } = await spawnRedis(
    [...portArgs(port, opts.tls), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes',
      ...(opts.appendfsync ? ['--appendfsync', opts.appendfsync] : []), ...userArgs(opts.users), ...(opts.args ?? [])],
    port,
    'redis-server',
  );
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    dir,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface SentinelHandle {
  port: number;
  /** `127.0.0.1:<port>`, as BALLAST_REDIS_SENTINELS takes it. */
  address: string;
  stop(): Promise<void>;
}

export interface StartSentinelOptions {
  /** The primary it watches, under `name`. */
  primaryPort: number;
  name: string;
  /** How long the primary must not answer before it is down (Redis's default 30 s; short for tests). */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** Sentinels that must agree the primary is down. Default 1 (one sentinel). */
  quorum?: number;
}

/** Starts `redis-server <conf> --sentinel` on 127.0.0.1 watching a primary on loopback (its conf in a temp dir: sentinels rewrite it). */
export async function startSentinel(o: StartSentinelOptions): Promise<SentinelHandle> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ballast-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor ${o.name} 127.0.0.1 ${o.primaryPort} ${o.quorum ?? 1}`,
    `sentinel down-after-milliseconds ${o.name} ${o.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${o.name} ${o.failoverTimeoutMs ?? 5000}`,
    `sentinel parallel-syncs ${o.name} 1`, '',
  ].join('\n'));
  const { child, exited } = await spawnRedis([conf, '--sentinel'], port, 'redis sentinel');
  return {
    port,
    address: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server <args>`, its output kept for the error, once it listens on `port` (else killed, and the error says why). */
async function spawnRedis(args: string[], port: number, what: string): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 10000).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${what} did not start on port ${port}: ${e.message}\n${output.slice(-2000)}`);
  });
  return { child, exited };
}

function portArgs(port: number, tls: StartRedisOptions['tls']): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    '--port', '0', '--tls-port', String(port),
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile,
    '--tls-auth-clients', tls.authClients ? 'yes' : 'no',
  ];
}

function userArgs(users: readonly string[] | undefined): string[] {
  if (!users || users.length === 0) return [];
  const defaultOff = users.some((u) => u.startsWith('default ')) ? [] : ['--user', 'default', 'off'];
  return [...users.flatMap((u) => ['--user', ...u.split(/\s+/)]), ...defaultOff];
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
