/**
 * `ballast jobs submit <type>`'s flags come from the job-type registry (@ballast/domain): each request field
 * of the type is a kebab-case flag (`memoryMiB` → `--memory-mib`, `targetHost` → `--target-host`), plus `--vm`
 * or `--host` by the type's scope. Values are checked against the type's request schema here, so a bad value
 * is a usage error naming its flag before anything is sent.
 */
import { isJobTypeName, jobType, jobTypeNames, type AnyJobType } from '@ballast/domain';
import type { FlagSpec, ParsedArgs } from '../args.js';
import { CliError } from '../cli-error.js';

export type FieldKind = 'number' | 'boolean' | 'numbers' | 'string';

export interface JobField {
  field: string;
  flag: string;
  kind: FieldKind;
  optional: boolean;
  /** The values an enum field takes. */
  choices?: string[];
}

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike; element?: ZodLike; entries?: Record<string, string> } };
}

/** `memoryMiB` → `memory-mib`, `emulatorPcpus` → `emulator-pcpus` (unit suffixes stay one word). */
export function flagName(field: string): string {
  return field
    .replace(/MiB/g, 'Mib')
    .replace(/KiB/g, 'Kib')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

function unwrap(schema: ZodLike): { def: ZodLike['_zod']['def']; optional: boolean } {
  let def = schema._zod.def;
  let optional = false;
  while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
    optional = true;
    def = def.innerType._zod.def;
  }
  return { def, optional };
}

/** The request fields of a job type, as flags. */
export function jobFields(def: AnyJobType): JobField[] {
  return Object.entries(def.request.shape as unknown as Record<string, ZodLike>).map(([field, schema]) => {
    const { def: d, optional } = unwrap(schema);
    const element = d.type === 'array' && d.element ? unwrap(d.element).def.type : undefined;
    const kind: FieldKind = d.type === 'number' ? 'number' : d.type === 'boolean' ? 'boolean' : element === 'number' ? 'numbers' : 'string';
    const choices = d.type === 'enum' && d.entries ? Object.values(d.entries) : undefined;
    return { field, flag: flagName(field), kind, optional, ...(choices ? { choices } : {}) };
  });
}

/** The job type named on the command line; a usage error listing the known ones otherwise. */
export function jobTypeArg(name: string | undefined): AnyJobType {
  if (name === undefined || !isJobTypeName(name)) {
    throw new CliError(`jobs submit: ${name === undefined ? 'missing <type>' : `unknown job type '${name}'`}; one of ${jobTypeNames().join(', ')}`);
  }
  return jobType(name);
}

/** Every flag any job type takes (a submit's own type is checked after parsing). */
export function allJobFlags(): FlagSpec {
  const spec: FlagSpec = { vm: { type: 'string' }, host: { type: 'string' } };
  for (const name of jobTypeNames()) for (const f of jobFields(jobType(name))) spec[f.flag] = { type: 'string' };
  return spec;
}

/** `set-memory --vm <vm> --memory-mib <number>` and so on, one line per type. */
export function jobSynopses(): string[] {
  const meta: Record<FieldKind, string> = { number: '<number>', boolean: 'true|false', numbers: '<list, e.g. 0,2-3>', string: '<value>' };
  return jobTypeNames().map((name) => {
    const def = jobType(name);
    const fields = jobFields(def).map((f) => {
      const value = f.choices ? f.choices.join('|') : meta[f.kind];
      return f.optional ? `[--${f.flag} ${value}]` : `--${f.flag} ${value}`;
    });
    return `${name} --${def.scope === 'vm' ? 'vm <vm>' : 'host <host>'} ${fields.join(' ')}`;
  });
}

/** A value of a flag, as its field's kind wants it; a usage error naming the flag otherwise. */
export function fieldValue(f: JobField, raw: string): unknown {
  const bad = (want: string) => new CliError(`--${f.flag} must be ${want}, got '${raw}'`);
  const s = raw.trim();
  if (f.kind === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(s)) throw bad('a number');
    return Number(s);
  }
  if (f.kind === 'boolean') {
    if (['true', 'yes', '1'].includes(s)) return true;
    if (['false', 'no', '0'].includes(s)) return false;
    throw bad('true or false');
  }
  if (f.kind === 'numbers') return numberList(s, () => bad('a list of numbers such as 0,2-3'));
  return s;
}

/** `0,2-3` → [0, 2, 3]. */
export function numberList(s: string, bad: () => Error): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad();
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    if (to < from || to - from > 4096) throw bad();
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** The POST /v1/jobs body from the parsed flags: checked against the type's request schema. */
export function jobRequestBody(def: AnyJobType, flags: ParsedArgs['flags']): Record<string, unknown> {
  const fields = jobFields(def);
  const allowed = new Set([def.scope, ...fields.map((f) => f.flag), 'api-url', 'token', 'output', 'help', 'wait', 'timeout']);
  for (const [flag, value] of Object.entries(flags)) {
    if (value !== undefined && !allowed.has(flag)) throw new CliError(`jobs submit ${def.type}: --${flag} is not a flag of this type\nusage: ballast jobs submit ${jobSynopses().find((l) => l.startsWith(`${def.type} `)) ?? def.type}`);
  }
  const target = flags[def.scope];
  if (typeof target !== 'string' || target.trim() === '') throw new CliError(`jobs submit ${def.type}: missing --${def.scope}`);
  const body: Record<string, unknown> = { type: def.type, [def.scope]: target.trim() };
  for (const f of fields) {
    const raw = flags[f.flag];
    if (typeof raw === 'string') body[f.field] = fieldValue(f, raw);
    else if (!f.optional) throw new CliError(`jobs submit ${def.type}: missing --${f.flag}`);
  }
  const { type: _type, [def.scope]: _target, ...request } = body;
  const r = def.request.safeParse(request);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = typeof issue?.path[0] === 'string' ? issue.path[0] : undefined;
    throw new CliError(`jobs submit ${def.type}: ${field ? `--${flagName(field)}` : 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  return body;
}
