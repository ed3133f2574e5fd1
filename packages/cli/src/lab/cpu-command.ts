import { intFlag, parseArgs } from '../args.js';
import { CliError } from '../cli-error.js';
import { AgentClient } from './agent-client.js';
import { parseKeyValues } from './key-values.js';
import { findVm, readLabState } from './state.js';

/** `ballast lab cpu <vm> [--duty <0-100> | --stop]` */
export async function labCpu(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { duty: { type: 'string' }, stop: { type: 'boolean' } }, 'lab cpu');
  const [vmName, ...extra] = args.positionals;
  if (vmName === undefined) throw new CliError('lab cpu: missing <vm>');
  if (extra.length > 0) throw new CliError(`lab cpu: unexpected argument '${extra[0]}'`);
  const duty = intFlag(args.flags, 'duty', 0, 100);
  if (duty !== undefined && args.flags.stop) throw new CliError('lab cpu: --duty and --stop exclude each other');
  const vm = findVm(await readLabState(), vmName);
  const script = args.flags.stop ? 'ballast-cpu stop' : duty !== undefined ? `ballast-cpu start ${duty}` : 'ballast-cpu status';
  const reply = await new AgentClient(vm.socket, { label: vm.name }).exec(script, 30);
  const out = reply.output.toString('utf8');
  if (reply.exitCode !== 0) throw new CliError(`${vm.name}: '${script}' failed (${reply.exitCode}): ${out.trim()}`);
  console.log(JSON.stringify({ vm: vm.name, ...parseKeyValues(out) }));
  return 0;
}
