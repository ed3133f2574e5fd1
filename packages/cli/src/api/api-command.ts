/**
 * The frame of every operator command (`ballast hosts`, `ballast jobs submit`, …): parses its flags with the
 * global ones (--api-url, --token, -o), checks its arguments, resolves the API config and runs it.
 */
import { parseArgs, type FlagSpec, type ParsedArgs } from '../args.js';
import { CliError } from '../cli-error.js';
import type { Command } from '../command.js';
import { ApiClient } from './api-client.js';
import { resolveApiConfig } from './api-config.js';
import { EXIT } from './exit-codes.js';
import { formatted, outputFormat, type OutputFormat } from './output.js';

export const GLOBAL_FLAGS: FlagSpec = {
  'api-url': { type: 'string' },
  token: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_USAGE = `global flags: --api-url <url>  --token <token>  -o, --output table|json|yaml  -h, --help`;

/** What a command needs from the world; tests pass their own. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  readText?: (file: string) => string | undefined;
  home?: string;
  out(text: string): void;
  err(text: string): void;
  /** A line that replaces the previous one on a terminal (progress); `last`: the line stays. */
  progress(line: string, last: boolean): void;
  sleep(ms: number): Promise<void>;
}

export const processIo = (): CommandIo => ({
  env: process.env,
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  progress: (line, last) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}${last ? '\n' : ''}`);
    else console.error(line);
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
});

export interface ApiContext {
  positionals: string[];
  flags: ParsedArgs['flags'];
  client: ApiClient;
  format: OutputFormat;
  io: CommandIo;
  /** Prints the API's JSON with `-o json`, else the table. */
  print(json: unknown, table: () => string): void;
}

export interface ApiCommandDef {
  /** As typed: `hosts`, `jobs submit`. */
  name: string;
  summary: string;
  /** The arguments and flags after the name, e.g. `<host> on|off [--reason <text>]`. */
  synopsis: string;
  flags?: FlagSpec;
  /** Names of the positional arguments, in order; those in [brackets] are optional. */
  args?: string[];
  run(ctx: ApiContext): Promise<number>;
}

export function synopsisLine(def: ApiCommandDef): string {
  return `ballast ${def.name}${def.synopsis ? ` ${def.synopsis}` : ''}`;
}

/** Parses, checks and runs one operator command; usage errors are CliErrors (exit 2). */
export async function runApiCommand(def: ApiCommandDef, argv: string[], io: CommandIo): Promise<number> {
  const spec: FlagSpec = { ...GLOBAL_FLAGS, ...(def.flags ?? {}) };
  const args = parseArgs(argv, spec, def.name);
  if (args.flags.help) {
    io.out(`usage: ${synopsisLine(def)}\n\n${def.summary}\n\n${GLOBAL_USAGE}`);
    return EXIT.ok;
  }
  if (args.rest !== undefined) throw new CliError(`${def.name}: unexpected '--'`);
  const names = def.args ?? [];
  const required = names.filter((n) => !n.startsWith('['));
  if (args.positionals.length < required.length) throw new CliError(`${def.name}: missing ${required[args.positionals.length]}\nusage: ${synopsisLine(def)}`);
  if (args.positionals.length > names.length) throw new CliError(`${def.name}: unexpected argument '${args.positionals[names.length]}'\nusage: ${synopsisLine(def)}`);
  const format = outputFormat(args.flags.output);
  const config = resolveApiConfig({
    flags: { apiUrl: args.flags['api-url'] as string | undefined, token: args.flags.token as string | undefined },
    env: io.env,
    ...(io.readText ? { readText: io.readText } : {}),
    ...(io.home !== undefined ? { home: io.home } : {}),
  });
  const client = new ApiClient(config, io.fetch ? { fetch: io.fetch } : {});
  return def.run({
    positionals: args.positionals,
    flags: args.flags,
    client,
    format,
    io,
    print: (json, table) => io.out(formatted(format, json, table)),
  });
}

/** A read: GET a path (its query from the flags), print the answer as a table or JSON, exit 0. */
export function readCommand<T>(
  def: Omit<ApiCommandDef, 'run'> & {
    path: (ctx: ApiContext) => string;
    query?: (ctx: ApiContext) => Record<string, string | undefined>;
    table: (body: T) => string;
  },
): ApiCommandDef {
  const { path, query, table, ...rest } = def;
  return {
    ...rest,
    async run(ctx) {
      const body = await ctx.client.get<T>(path(ctx), query?.(ctx) ?? {});
      ctx.print(body, () => table(body));
      return EXIT.ok;
    },
  };
}

/** A top-level command made of one operator command. */
export function apiCommand(def: ApiCommandDef, io: () => CommandIo = processIo): Command {
  return { name: def.name, summary: def.summary, run: (argv) => runApiCommand(def, argv, io()) };
}

/**
 * A top-level command with subcommands (`ballast jobs submit|get …`). `load` imports them when the command
 * runs, so a module with a heavy import (the job registry) costs only the commands that use it.
 */
export function apiGroup(name: string, summary: string, load: () => Promise<ApiCommandDef[]>, io: () => CommandIo = processIo): Command {
  const usage = (subs: ApiCommandDef[]) => [`usage:`, ...subs.map((s) => `  ${synopsisLine(s)}\n      ${s.summary}`), '', GLOBAL_USAGE].join('\n');
  return {
    name,
    summary,
    async run(argv) {
      const subs = await load();
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
        (sub === undefined ? console.error : console.log)(usage(subs));
        return sub === undefined ? EXIT.usage : EXIT.ok;
      }
      const def = subs.find((s) => s.name === `${name} ${sub}`);
      if (!def) throw new CliError(`unknown ${name} subcommand '${sub}'\n\n${usage(subs)}`);
      return runApiCommand(def, rest, io());
    },
  };
}
