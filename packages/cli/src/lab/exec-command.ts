import { intFlag, parseArgs } from '../args.js';
import { CliError } from '../cli-error.js';
import { AgentClient } from './agent-client.js';
import { findVm, readLabState } from './state.js';

/** `ballast lab exec <vm> [--timeout <s>] -- <cmd...>` */
export async function labExec(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { timeout: { type: 'string' } }, 'lab exec');
  const [vmName, ...extra] = args.positionals;
  if (vmName === undefined) throw new CliError('lab exec: missing <vm> (usage: ballast lab exec <vm> -- <cmd...>)');
  const words = [...extra, ...(args.rest ?? [])];
  if (words.length === 0) throw new CliError('lab exec: missing command after --');
  const timeoutS = intFlag(args.flags, 'timeout', 1, 86400) ?? 60;
  const vm = findVm(await readLabState(), vmName);
  // The words are joined as a shell command line, the way ssh does.
  const reply = await new AgentClient(vm.socket, { label: vm.name }).exec(words.join(' '), timeoutS);
  process.stdout.write(reply.output);
  if (reply.exitCode === 137) console.error(`ballast: command killed (timeout ${timeoutS} s or signal 9)`);
  return reply.exitCode;
}
