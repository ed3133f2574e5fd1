import { parseArgs as nodeParseArgs } from 'node:util';
import { CliError } from './cli-error.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface ParsedArgs {
  positionals: string[];
  /** A flag given with `multiple: true` is an array of its values. */
  flags: Record<string, string | boolean | string[] | undefined>;
  /** Everything after the first `--`, untouched (undefined when there was no `--`). */
  rest: string[] | undefined;
}

/** Parses argv against a flag spec; unknown flags and missing values become a CliError. */
export function parseArgs(argv: readonly string[], spec: FlagSpec, context: string): ParsedArgs {
  const sep = argv.indexOf('--');
  const head = sep === -1 ? argv : argv.slice(0, sep);
  const rest = sep === -1 ? undefined : argv.slice(sep + 1);
  try {
    const { values, positionals } = nodeParseArgs({
      args: [...head],
      options: spec,
      allowPositionals: true,
      strict: true,
    });
    return { positionals, flags: values as ParsedArgs['flags'], rest };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliError(`${context}: ${msg}`);
  }
}

/** An integer flag in [min, max]; undefined when absent. */
export function intFlag(
  flags: ParsedArgs['flags'],
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw.trim())) {
    throw new CliError(`--${name} must be an integer from ${min} to ${max}, got '${String(raw)}'`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new CliError(`--${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A positive number of seconds (decimals allowed); undefined when absent. */
export function secondsFlag(flags: ParsedArgs['flags'], name: string, max: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(value > 0 && value <= max)) {
    throw new CliError(`--${name} must be a number of seconds in (0, ${max}], got '${String(raw)}'`);
  }
  return value;
}
