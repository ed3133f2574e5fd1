import { intFlag, parseArgs } from '../args.js';
import { CliError } from '../cli-error.js';
import { AgentClient } from './agent-client.js';
import { parseKeyValues } from './key-values.js';
import { findVm, readLabState } from './state.js';

const DEFAULT_RATE_MIBPS = 20;

/** `ballast lab mem <vm> [--consume <MiB> [--rate <MiB/s>] [--wait] | --free]` */
export async function labMem(argv: string[]): Promise<number> {
  const args = parseArgs(
    argv,
    { consume: { type: 'string' }, rate: { type: 'string' }, wait: { type: 'boolean' }, free: { type: 'boolean' } },
    'lab mem',
  );
  const [vmName, ...extra] = args.positionals;
  if (vmName === undefined) throw new CliError('lab mem: missing <vm>');
  if (extra.length > 0) throw new CliError(`lab mem: unexpected argument '${extra[0]}'`);
  const consumeMiB = intFlag(args.flags, 'consume', 1, 1024 * 1024);
  const rateMiBps = intFlag(args.flags, 'rate', 1, 100000);
  if (args.flags.free && consumeMiB !== undefined) throw new CliError('lab mem: --free and --consume exclude each other');
  if (consumeMiB === undefined && (rateMiBps !== undefined || args.flags.wait)) {
    throw new CliError('lab mem: --rate and --wait go with --consume');
  }
  const vm = findVm(await readLabState(), vmName);
  const agent = new AgentClient(vm.socket, { label: vm.name });
  const run = async (script: string): Promise<string> => {
    const reply = await agent.exec(script, 30);
    const out = reply.output.toString('utf8');
    if (reply.exitCode !== 0) throw new CliError(`${vm.name}: '${script}' failed (${reply.exitCode}): ${out.trim()}`);
    return out;
  };
  const status = async (): Promise<Record<string, string | number>> => ({
    vm: vm.name,
    ...parseKeyValues(await run('ballast-mem status')),
  });

  if (args.flags.free) {
    await run('ballast-mem free');
    console.log(JSON.stringify(await status()));
    return 0;
  }
  if (consumeMiB === undefined) {
    console.log(JSON.stringify(await status()));
    return 0;
  }
  const rate = rateMiBps ?? DEFAULT_RATE_MIBPS;
  const started = parseKeyValues(await run(`ballast-mem consume ${consumeMiB} ${rate}`));
  console.error(`${vm.name}: consuming ${consumeMiB} MiB at ${rate} MiB/s (guest pid ${started.consumer ?? '?'})`);
  if (args.flags.wait) {
    const deadline = Date.now() + (consumeMiB / rate) * 1000 * 3 + 60000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await status();
      if (s.consumers === 0) break;
      if (Date.now() > deadline) throw new CliError(`${vm.name}: consumer still running after the expected time`);
    }
    console.log(JSON.stringify(await status()));
  }
  return 0;
}
