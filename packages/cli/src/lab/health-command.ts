import { parseArgs, secondsFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import { checkVmHealth } from './health.js';
import { findVm, readLabState } from './state.js';

/** `ballast lab health [<vm>] [--timeout <s>]`: JSON; exit 0 when every VM asked about is alive. */
export async function labHealth(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { timeout: { type: 'string' } }, 'lab health');
  const [vmName, ...extra] = args.positionals;
  if (extra.length > 0) throw new CliError(`lab health: unexpected argument '${extra[0]}'`);
  const timeoutMs = (secondsFlag(args.flags, 'timeout', 600) ?? 3) * 1000;
  const state = await readLabState();
  const vms = vmName === undefined ? state.vms : [findVm(state, vmName)];
  const results = await Promise.all(vms.map((vm) => checkVmHealth(state, vm, timeoutMs)));
  console.log(JSON.stringify(vmName === undefined ? results : results[0], null, 2));
  return results.every((r) => r.status === 'alive') ? 0 : 1;
}
