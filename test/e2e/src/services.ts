import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ballast/testkit';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServiceProc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts one Ballast service (compiled main.js) as a child process with the given env. */
export function startService(name: 'policy-engine' | 'collector' | 'actuator', env: Record<string, string>): ServiceProc {
  const child = spawn(process.execPath, [path.join(REPO, 'services', name, 'dist', 'main.js')], {
    // the engine's ops port (a fixed default) is off unless a test asks for it: tests run engines side by side;
    // JSON log lines, which the tests read, even when the shell running them asks for pretty ones
    env: { ...process.env, UV_THREADPOOL_SIZE: '16', BALLAST_LOG_FORMAT: 'json', ...(name === 'policy-engine' ? { BALLAST_OPS_PORT: '0' } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface StackPorts {
  httpPort: number;
  grpcPort: number;
  actuatorGrpcPort: number;
  collectorOpsPort: number;
  actuatorOpsPort: number;
}

export async function stackPorts(): Promise<StackPorts> {
  return {
    httpPort: await freePort(),
    grpcPort: await freePort(),
    actuatorGrpcPort: await freePort(),
    collectorOpsPort: await freePort(),
    actuatorOpsPort: await freePort(),
  };
}

export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
