/**
 * The simulator server's command line: `--name value` (or `--name=value`) flags, each an integer within
 * bounds, plus --listen and --help. A bad flag is a SimServerArgsError naming it.
 */

export interface SimServerArgs {
  hosts: number;
  vmsPerHost: number;
  pcpus: number;
  /** Per host; undefined: room for every VM at its maximum (vmsPerHost × 4 GiB + 1 GiB). */
  memoryGiB: number | undefined;
  numaNodes: number;
  seed: number;
  port: number;
  listen: string;
  tickMs: number;
  statsPeriodSec: number;
  migrationRateMiBs: number;
  migrationSetupMs: number;
  help: boolean;
}

export class SimServerArgsError extends Error {
  override readonly name = 'SimServerArgsError';
}

type IntFlag = Exclude<keyof SimServerArgs, 'listen' | 'help'>;

/** flag → [field, min, max, default, what it is] */
type IntFlagSpec = [IntFlag, number, number, number | undefined, string];
const INT_FLAGS: Record<string, IntFlagSpec> = {
  '--hosts': ['hosts', 1, 10_000, 3, 'simulated hosts, named h0 … h<N-1>'],
  '--vms-per-host': ['vmsPerHost', 0, 1_000, 4, 'VMs on each host (random seeded workloads), named vm-<host>-<n>'],
  '--pcpus': ['pcpus', 1, 4_096, 32, 'pCPUs per host'],
  '--memory-gib': ['memoryGiB', 1, 65_536, undefined, 'memory per host, GiB (default: vms-per-host × 4 + 1)'],
  '--numa-nodes': ['numaNodes', 1, 64, 2, 'NUMA cells per host'],
  '--seed': ['seed', 0, 2 ** 31 - 1, 1, 'seed of the scenario (same seed, same VMs and workloads)'],
  '--port': ['port', 0, 65_535, 7070, 'TCP port to listen on (0: any free port)'],
  '--tick-ms': ['tickMs', 10, 60_000, 250, 'how often the simulated clock catches up with real time, ms'],
  '--stats-period-sec': ['statsPeriodSec', 0, 3_600, 5, "guests' balloon stats period, s (0: none until set)"],
  '--migration-rate-mibs': ['migrationRateMiBs', 1, 1_000_000, 128, 'simulated migration rate, MiB/s'],
  '--migration-setup-ms': ['migrationSetupMs', 0, 600_000, 500, 'fixed part of a simulated migration, ms'],
};

export const SIM_SERVER_USAGE = [
  'usage: node packages/sim/dist/server/main.js [flags]',
  '  serves a simulated cluster to collectors and actuators: LIBVIRT_URI=sim://<address>:<port>/<hostId>',
  ...Object.entries(INT_FLAGS).map(([flag, [, min, max, def, what]]) => `  ${`${flag} N`.padEnd(26)}${what} [${min}-${max}${def === undefined ? '' : `, default ${def}`}]`),
  `  ${'--listen ADDRESS'.padEnd(26)}address to listen on [default 127.0.0.1]`,
  `  ${'--help'.padEnd(26)}this text`,
  'On start it prints one JSON line: {"listening":…,"port":…,"uriPrefix":"sim://…/","hosts":[…],"vms":…}.',
].join('\n');

export function parseSimServerArgs(argv: readonly string[]): SimServerArgs {
  const out: SimServerArgs = { memoryGiB: undefined, listen: '127.0.0.1', help: false } as SimServerArgs;
  for (const [, [field, , , def]] of Object.entries(INT_FLAGS)) if (def !== undefined) out[field] = def;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--help' || flag === '-h') {
      out.help = true;
      continue;
    }
    if (flag !== '--listen' && !(flag in INT_FLAGS)) {
      throw new SimServerArgsError(`${flag}: unknown flag (known: ${[...Object.keys(INT_FLAGS), '--listen', '--help'].join(', ')})`);
    }
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new SimServerArgsError(`${flag}: a value is required`);
    if (flag === '--listen') out.listen = listenAddress(value);
    else out[(INT_FLAGS[flag] as IntFlagSpec)[0]] = intFlag(flag, value);
  }
  return out;
}

function intFlag(flag: string, value: string): number {
  const [, min, max] = INT_FLAGS[flag] as IntFlagSpec;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SimServerArgsError(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function listenAddress(value: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(value)) throw new SimServerArgsError(`--listen: expected an address such as 127.0.0.1, got ${JSON.stringify(value)}`);
  return value;
}
