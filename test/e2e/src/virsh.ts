import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const LAB_URI = process.env.BALLAST_LAB_URI ?? 'qemu:///system';

/** Runs virsh against the lab's libvirt and returns stdout. */
export async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await exec('virsh', ['-c', LAB_URI, ...args], { timeout: 30000 });
  return stdout;
}

/** `virsh dommemstat` as a map of KiB figures (actual, unused, available, …). */
export async function dommemstat(vm: string): Promise<Record<string, number>> {
  const out = await virsh('dommemstat', vm);
  const m: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) m[k] = Number(v);
  }
  return m;
}

/** `virsh vcpupin <vm>` as vcpu → CPU affinity string (e.g. "1", "0-1"). */
export async function vcpupin(vm: string): Promise<Record<number, string>> {
  const out = await virsh('vcpupin', vm);
  const m: Record<number, string> = {};
  for (const line of out.split('\n')) {
    const r = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
    if (r) m[Number(r[1])] = r[2] ?? '';
  }
  return m;
}

/** Runs the ballast CLI (lab subcommands) and returns stdout. */
export async function ballast(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [`${repo}/packages/cli/dist/bin.js`, ...args], { timeout: 60000 });
  return stdout;
}
