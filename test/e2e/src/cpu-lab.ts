/** Lab helpers for the CPU scenarios: guest load, pins (and Ballast's records of them), a policy document. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './services.js';
import { ballast, virsh } from './virsh.js';

export const CPU_VMS = ['lab-vm1', 'lab-vm2', 'lab-vm3', 'lab-vm4'];
export const PCPUS = 2;
export const PINS_NS = 'https://ballast.dev/xmlns/pins/1';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function setLoad(vm: string, dutyPercent: number): Promise<void> {
  await ballast(REPO, 'lab', 'cpu', vm, ...(dutyPercent > 0 ? ['--duty', String(dutyPercent)] : ['--stop']));
}

/**
 * Pins vCPU 0 of `vm` to `pcpu` and records it in the domain's <metadata> as set by `by` (as the actuator does),
 * ten minutes ago: an earlier decision, not one of this run.
 */
export async function pinAs(vm: string, pcpu: number, by: string): Promise<void> {
  await virsh('vcpupin', vm, '0', String(pcpu), '--live');
  const pins = `<pins><pin vcpu="0" pcpus="${pcpu}" by="${by}" at="${Date.now() - 600_000}"/></pins>`;
  await virsh('metadata', vm, '--uri', PINS_NS, '--key', 'ballast', '--live', '--set', pins);
}

/** Every guest back on every pCPU (vCPUs and emulator threads), without load, cpu tune at its defaults, and no pin record. */
export async function resetCpu(): Promise<void> {
  await Promise.all(
    CPU_VMS.map(async (vm) => {
      await setLoad(vm, 0).catch(() => undefined);
      await virsh('vcpupin', vm, '0', `0-${PCPUS - 1}`, '--live').catch(() => undefined);
      await virsh('emulatorpin', vm, `0-${PCPUS - 1}`, '--live').catch(() => undefined);
      await virsh('schedinfo', vm, '--live', 'cpu_shares=1024', 'vcpu_quota=-1').catch(() => undefined);
      await virsh('metadata', vm, '--uri', PINS_NS, '--live', '--remove').catch(() => undefined);
    }),
  );
}

/** Writes a policy document `{policies: …}` to a temporary file; returns its path. */
export function policyFile(policies: Record<string, { automation: string; args?: unknown }>): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ballast-cpu-policy-')), 'policy.json');
  writeFileSync(file, JSON.stringify({ policies }));
  return file;
}
