import type { Command } from './command.js';
import { labCommand } from './lab/lab-command.js';

/** Every top-level subcommand. To add one (e.g. `jobs`), write src/<name>/<name>-command.ts and list it here. */
export const commands: readonly Command[] = [labCommand];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: ballast <command> [args]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'ballast <command> help' for a command's usage",
  ].join('\n');
}
