/** The simulator server (packages/sim/dist/server/main.js) started by a test. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, waitUntil } from './services.js';

export interface SimServerProc {
  port: number;
  uriPrefix: string;
  hosts: string[];
  stop(): Promise<void>;
}

/** Starts the simulator server on a free port; resolves with what its first stdout line says. */
export async function startSimServer(args: string[]): Promise<SimServerProc> {
  const child = spawn(process.execPath, [path.join(REPO, 'packages/sim/dist/server/main.js'), ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await waitUntil('the simulator server to print where it listens', 20000, async () => (out.includes('\n') ? (out.split('\n')[0] as string) : undefined), 50);
  const info = JSON.parse(line) as { port: number; uriPrefix: string; hosts: string[] };
  return {
    ...info,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

