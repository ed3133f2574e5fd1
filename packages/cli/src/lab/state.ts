import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../cli-error.js';

/** One lab guest, as infra/lab/lab-up.sh records it. */
export interface LabVm {
  name: string;
  uuid: string;
  /** host end of the guest's control channel (unix socket, one client at a time) */
  socket: string;
  /** the guest's serial console log (kernel messages, init and agent lines) */
  serialLog: string;
  vcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
}

/** `$LAB_STATE_DIR/lab.json`, written by infra/lab/lab-up.sh. */
export interface LabState {
  version: 1;
  uri: string;
  accel: 'kvm' | 'tcg';
  domainType: 'kvm' | 'qemu';
  stateDir: string;
  image: { kernel: string; initrd: string; cmdline: string; kernelPackage: string; hash: string };
  vms: LabVm[];
  updatedAt: string;
}

export const DEFAULT_LAB_STATE_DIR = '/var/lib/ballast-lab';

export function labStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.LAB_STATE_DIR || DEFAULT_LAB_STATE_DIR, 'lab.json');
}

export async function readLabState(file = labStatePath()): Promise<LabState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `no lab state at ${file} (bring the lab up: make lab-up)` : `cannot read ${file}: ${code ?? String(err)}`,
    );
  }
  return parseLabState(text, file);
}

export function parseLabState(text: string, file = 'lab.json'): LabState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON`);
  }
  const s = data as Partial<LabState>;
  if (typeof s !== 'object' || s === null || s.version !== 1 || !Array.isArray(s.vms) || typeof s.uri !== 'string') {
    throw new CliError(`${file} is not a lab state file (version 1)`);
  }
  for (const vm of s.vms) {
    if (typeof vm?.name !== 'string' || typeof vm.socket !== 'string' || typeof vm.serialLog !== 'string') {
      throw new CliError(`${file}: a vm entry lacks name/socket/serialLog`);
    }
  }
  return s as LabState;
}

export function findVm(state: LabState, name: string): LabVm {
  const vm = state.vms.find((v) => v.name === name);
  if (!vm) {
    const known = state.vms.map((v) => v.name).join(', ') || 'none';
    throw new CliError(`unknown VM '${name}' (lab VMs: ${known})`);
  }
  return vm;
}
