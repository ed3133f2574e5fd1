import type { Command } from '../command.js';
import { labCpu } from './cpu-command.js';
import { labExec } from './exec-command.js';
import { labHealth } from './health-command.js';
import { LAB_USAGE } from './lab-usage.js';
import { labList } from './list-command.js';
import { labMem } from './mem-command.js';

const subcommands: Record<string, (argv: string[]) => Promise<number>> = {
  list: labList,
  exec: labExec,
  mem: labMem,
  cpu: labCpu,
  health: labHealth,
};

export const labCommand: Command = {
  name: 'lab',
  summary: 'drive the lab guests (infra/lab): exec, mem, cpu, health, list',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      console.log(LAB_USAGE);
      return sub === undefined ? 2 : 0;
    }
    const handler = subcommands[sub];
    if (!handler) {
      console.error(`ballast: unknown lab subcommand '${sub}'\n\n${LAB_USAGE}`);
      return 2;
    }
    return handler(rest);
  },
};
