import type { z } from 'zod';

export type Coerced = { ok: true; value: unknown } | { ok: false; problem: string };

/** Internal shape of a zod v4 schema definition, as far as coercion needs it. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  getter?: () => z.ZodType;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips optional/default/nullable/pipe wrappers down to the schema that decides the value's type. */
export function baseSchema(schema: z.ZodType): { base: z.ZodType; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.type === 'nullable') nullable = true;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else break;
  }
  return { base: current, nullable };
}

/** Turns an environment string into the value type the schema expects; the schema validates it afterwards. */
export function coerceEnvValue(schema: z.ZodType, raw: string): Coerced {
  const { base, nullable } = baseSchema(schema);
  if (nullable && raw.trim() === 'null') return { ok: true, value: null };
  const def = defOf(base);
  switch (def.type) {
    case 'number':
      return parseNumber(raw);
    case 'bigint':
      try {
        return { ok: true, value: BigInt(raw.trim()) };
      } catch {
        return { ok: false, problem: 'expected an integer' };
      }
    case 'boolean': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return { ok: true, value: true };
      if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      return { ok: false, problem: 'expected true or false (also 1/0, yes/no, on/off)' };
    }
    case 'enum':
      return matchLiteral(Object.values(def.entries ?? {}), raw);
    case 'literal':
      return matchLiteral(def.values ?? [], raw);
    case 'null':
      return raw.trim() === 'null' ? { ok: true, value: null } : { ok: false, problem: 'expected null' };
    case 'array':
    case 'set':
      return parseList(def.element, raw);
    case 'object':
    case 'record':
    case 'tuple':
    case 'map':
      return parseJson(raw, def.type === 'tuple' ? 'a JSON array' : 'a JSON object');
    case 'union':
      return coerceUnion(def.options ?? [], raw);
    default:
      // string, date (z.coerce.date), any, unknown, custom…: the schema decides.
      return { ok: true, value: raw };
  }
}

function parseNumber(raw: string): Coerced {
  const text = raw.trim();
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) return { ok: false, problem: 'expected a number' };
  return { ok: true, value };
}

function matchLiteral(values: readonly unknown[], raw: string): Coerced {
  const found = values.find((v) => String(v) === raw) ?? values.find((v) => String(v) === raw.trim());
  // Leave a non-match to the schema, whose message lists the allowed values.
  return { ok: true, value: found ?? raw };
}

function parseJson(raw: string, what: string): Coerced {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false, problem: `expected ${what}` };
  }
}

/** A list comes either as JSON (`["a","b"]`) or comma-separated (`a, b`). */
function parseList(element: z.ZodType | undefined, raw: string): Coerced {
  if (raw.trim().startsWith('[')) return parseJson(raw, 'a JSON array or a comma-separated list');
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!element) return { ok: true, value: items };
  const out: unknown[] = [];
  for (const [i, item] of items.entries()) {
    const c = coerceEnvValue(element, item);
    if (!c.ok) return { ok: false, problem: `item ${i + 1} ${JSON.stringify(item)}: ${c.problem}` };
    out.push(c.value);
  }
  return { ok: true, value: out };
}

function coerceUnion(options: readonly z.ZodType[], raw: string): Coerced {
  for (const option of options) {
    const c = coerceEnvValue(option, raw);
    if (c.ok && option.safeParse(c.value).success) return c;
  }
  return { ok: true, value: raw };
}
