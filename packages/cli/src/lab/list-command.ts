import { parseArgs } from '../args.js';
import { CliError } from '../cli-error.js';
import { readLabState } from './state.js';

/** `ballast lab list`: the lab state as JSON. */
export async function labList(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {}, 'lab list');
  if (args.positionals.length > 0) throw new CliError(`lab list: unexpected argument '${args.positionals[0]}'`);
  console.log(JSON.stringify(await readLabState(), null, 2));
  return 0;
}
