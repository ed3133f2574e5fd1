/**
 * The processes of make bench scale: the simulator server, policy-engine replicas (services/policy-engine/
 * dist/main.js, as deployed) and groups of collectors (scale-collectors.ts), each a child of the bench; and
 * what /proc says of a process (RSS, CPU seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ballast/testkit';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCALE_TOKEN = 'scale-bench-token-0123456789';

export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line that parses as JSON with `key`. */
  line<T>(key: string, timeoutMs: number): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The bench ending (an error, Ctrl-C) takes its children with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/**
 * Redis gets the CPU first (SCALE_REDIS_FIRST, default 1): every process the bench starts but Redis (the engine
 * replicas, the simulator server, the collectors, the actuators) runs this much nicer than the bench and Redis (nice
 * 19 at most: under `nice -n 10`, 9 nicer). On
 * this one machine they all share 2 CPUs, and a Redis preempted for 10-20 ms in the middle of a command holds up
 * every replica's cycle at once; in a deployment the hosts' processes run on the hosts and Redis is given the CPU
 * first where it shares a machine (infra/systemd/redis-server.service.d/ballast.conf). 0: all alike (docs/scale.md).
 */
export function othersNicer(): number {
  const raw = process.env['SCALE_REDIS_FIRST'] ?? '1';
  if (raw !== '0' && raw !== '1') throw new Error(`SCALE_REDIS_FIRST: "${raw}" is neither 1 (Redis gets the CPU first) nor 0 (all alike)`);
  return raw === '1' ? 10 : 0;
}

/** `nodeArgs`: flags for node itself (e.g. SCALE_ENGINE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p": node refuses them in NODE_OPTIONS). */
export function startProc(name: string, script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeArgs, path.join(REPO, script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // the bench's own nice value plus SCALE_REDIS_FIRST's, at most 19
  if (othersNicer() > 0 && child.pid !== undefined) setPriority(child.pid, Math.min(19, getPriority() + othersNicer()));
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-100_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  running.add(child);
  void exited.then(() => running.delete(child));
  return {
    name,
    child,
    output: () => out,
    line: (key, timeoutMs) => waitFor(`${name}: a line with "${key}"`, timeoutMs, async () => jsonLine(out, key)),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function jsonLine<T>(out: string, key: string): T | undefined {
  for (const l of out.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const v = JSON.parse(l) as Record<string, unknown>;
      if (key in v) return v as T;
    } catch {
      /* not a line of ours */
    }
  }
  return undefined;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SimServer {
  proc: Proc;
  uriPrefix: string;
  hosts: string[];
}

export async function startSim(hosts: number, vmsPerHost: number): Promise<SimServer> {
  const proc = startProc('sim-server', 'packages/sim/dist/server/main.js', ['--hosts', String(hosts), '--vms-per-host', String(vmsPerHost), '--port', '0'], {});
  const info = await proc.line<{ uriPrefix: string; hosts: string[] }>('uriPrefix', 120_000);
  return { proc, uriPrefix: info.uriPrefix, hosts: info.hosts };
}

export interface Engine {
  proc: Proc;
  grpc: number;
  ops: number;
}

export async function startEngine(env: Record<string, string>): Promise<Engine> {
  const [http, grpc, ops] = [await freePort(), await freePort(), await freePort()];
  const proc = startProc(`engine:${grpc}`, 'services/policy-engine/dist/main.js', [], {
    BALLAST_LOG_LEVEL: 'warn',
    BALLAST_LOG_FORMAT: 'json',
    BALLAST_API_TOKEN: SCALE_TOKEN,
    BALLAST_HTTP_PORT: String(http),
    BALLAST_GRPC_PORT: String(grpc),
    BALLAST_OPS_PORT: String(ops),
    ...env,
  }, (process.env['SCALE_ENGINE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''));
  return { proc, grpc, ops };
}

/** The collectors of `hosts` in one process; host i streams to engines[i mod n] first, then the others in turn. */
export function startCollectorGroup(uriPrefix: string, hosts: { id: string; index: number }[], engines: Engine[], intervalMs: number): Proc {
  const addr = engines.map((e) => `127.0.0.1:${e.grpc}`);
  const order = (i: number) => addr.map((_, k) => addr[(i + k) % addr.length] as string).join(',');
  const input = { uriPrefix, intervalMs, hosts: hosts.map((h) => [h.id, order(h.index)]) };
  return startProc('collectors', 'bench/dist/scale-collectors.js', [], { BALLAST_SCALE_GROUP: JSON.stringify(input), UV_THREADPOOL_SIZE: '8' });
}

/** Resident memory of a process, MiB (VmRSS). */
export function rssMiB(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time a process used so far, s (utime + stime, at the usual 100 ticks a second). */
export function cpuSeconds(pid: number | undefined): number {
  const stat = readProc(pid, 'stat');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Time a process's main thread (where the JS runs) waited for a CPU while runnable so far, s (the second field
 * of /proc/<pid>/task/<pid>/schedstat): on a shared machine, the part of a slow cycle that is the machine's.
 */
export function runQueueWaitSeconds(pid: number | undefined): number {
  const f = readProc(pid, `task/${pid}/schedstat`).split(' ')[1];
  return f === undefined ? NaN : Number(f) / 1e9;
}

function readProc(pid: number | undefined, file: string): string {
  try {
    return pid === undefined ? '' : readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** The actuators of `hosts` (BullMQ workers on their queues) in one process. */
export function startActuatorGroup(uriPrefix: string, hosts: string[], redisUrl: string): Proc {
  return startProc('actuators', 'bench/dist/scale-actuators.js', [], { BALLAST_SCALE_GROUP: JSON.stringify({ uriPrefix, hosts, redisUrl }), UV_THREADPOOL_SIZE: '8' });
}

/** The sum of a numeric field over each group's last progress line (`{"sent":…}`, `{"succeeded":…}`). */
/** The failed attempts' reasons of the actuator groups (their last `reasons`), most frequent first. */
export function lastReasons(groups: Proc[]): [string, number][] {
  const all = new Map<string, number>();
  for (const g of groups) {
    const lines = g.output().split('\n').filter((l) => l.startsWith('{') && l.includes('"reasons"'));
    const last = lines[lines.length - 1];
    const reasons = last ? ((JSON.parse(last) as { reasons?: Record<string, number> }).reasons ?? {}) : {};
    for (const [why, n] of Object.entries(reasons)) all.set(why, (all.get(why) ?? 0) + n);
  }
  return [...all].sort((a, b) => b[1] - a[1]);
}

export function lastCounts(groups: Proc[], field: string): number {
  let n = 0;
  for (const g of groups) {
    const lines = g.output().split('\n').filter((l) => l.startsWith('{') && l.includes(`"${field}"`));
    const last = lines[lines.length - 1];
    if (last) n += Number((JSON.parse(last) as Record<string, number>)[field] ?? 0);
  }
  return n;
}
