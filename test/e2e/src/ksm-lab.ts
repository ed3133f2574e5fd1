// What the lab's KSM scenario does to the guests and the host: guests fill tmpfs with the same bytes (pages
// that differ from each other, identical in every guest, so merging saves (guests − 1) × the size), and a
// host process holds memory to make host memory pressure that ends when it exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './services.js';

const exec = promisify(execFile);

/** `ballast lab exec <vm> -- <script>`; TCG guests sharing two busy cores can take a minute for a big write. */
async function labExec(vm: string, script: string, timeoutS = 150): Promise<string> {
  const bin = path.join(REPO, 'packages/cli/dist/bin.js');
  const { stdout } = await exec(process.execPath, [bin, 'lab', 'exec', vm, '--timeout', String(timeoutS), '--', script], { timeout: (timeoutS + 10) * 1000 });
  return stdout;
}

/** The file each guest fills (in the guest's consumer tmpfs, infra/lab/README.md). */
export const SAME_FILE = '/mnt/mem/ksm-same';

/**
 * The guest's script: `sizeMiB` MiB of 4 KiB pages, page i = a 7-digit number (1000000 + i), 4088 spaces and a
 * newline. Pages differ from each other (nothing merges within a guest) and the file is the same in every guest
 * (awk is deterministic; an md5 in each guest would cost as much CPU as the write). Eight pages per printf: a
 * TCG guest spends most of the write interpreting awk. Prints the byte count.
 */
function fillScript(sizeMiB: number): string {
  const pages = sizeMiB * 256;
  const format = '%d%s\\n'.repeat(8);
  const values = Array.from({ length: 8 }, (_, k) => `i + ${k}, pad`).join(', ');
  return (
    `awk 'BEGIN { pad = sprintf("%4088s", ""); for (i = 1000000; i < ${1_000_000 + pages}; i += 8) printf "${format}", ${values} }' > ${SAME_FILE} && ` +
    `wc -c < ${SAME_FILE}`
  );
}

/** Fills SAME_FILE in every guest at once; returns how long it took, ms. */
export async function fillSame(vms: readonly string[], sizeMiB: number): Promise<number> {
  const t0 = Date.now();
  const outs = await Promise.all(vms.map((vm) => labExec(vm, fillScript(sizeMiB))));
  vms.forEach((vm, i) => {
    const bytes = (outs[i] ?? '').trim();
    if (Number(bytes) !== sizeMiB * 1024 * 1024) throw new Error(`${vm}: wrote ${bytes} bytes, not ${sizeMiB} MiB`);
  });
  return Date.now() - t0;
}

export async function removeSame(vms: readonly string[]): Promise<void> {
  await Promise.all(vms.map((vm) => labExec(vm, `rm -f ${SAME_FILE}`, 30)));
}

export interface Hog {
  sizeMiB: number;
  stop(): Promise<void>;
}

/** A host process that holds `sizeMiB` MiB (written, so resident; not mergeable) until stopped. */
export async function startHog(sizeMiB: number): Promise<Hog> {
  const script =
    'const held = []; const mib = Number(process.argv[1]);' +
    'for (let i = 0; i < mib; i += 64) { const b = Buffer.allocUnsafe(Math.min(64, mib - i) * 1048576); b.fill(0x5a); held.push(b); }' +
    "process.stdout.write('ready\\n'); setInterval(() => held.length, 1 << 30);";
  const child: ChildProcess = spawn(process.execPath, ['-e', script, String(sizeMiB)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`the memory hog exited (${code}) before it held ${sizeMiB} MiB`)));
  });
  return {
    sizeMiB,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
