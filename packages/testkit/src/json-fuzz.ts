/**
 * Fuzzing inputs with fast-check: near-valid mutations of a valid JSON document (a field dropped, a value
 * of the wrong type or out of range, an extra field) and a check that an error's field path names a place
 * in the input. Used by the job, policy and HTTP route fuzz tests; every run is seeded (FUZZ_SEED).
 */
import fc from 'fast-check';

/** The seed every fuzz test runs with, so `make test` is reproducible; a failure prints its own seed and path. */
export const FUZZ_SEED = 42;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Keys as people and programs mistype them: identifier-like, no dots or brackets (so a path names them plainly). */
export const plainKey = (): fc.Arbitrary<string> => fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,15}$/);

/** Values that break careless code: wrong types, bounds, huge and odd numbers, long and odd strings. */
export function edgeValue(): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, '', ' ', '0', '-1', 'NaN', '__proto__', 'constructor', '../..', '%00', [], {}, [null], { '': null }),
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ minLength: 1000, maxLength: 3000 }),
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  );
}

/** Every path in a JSON value: [] (the root) and each key / index below it. */
export function pathsOf(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}

type Op = { kind: 'drop' } | { kind: 'set'; value: Json } | { kind: 'add'; key: string; value: Json };

/** A copy of `doc` with one change at `path` (a drop at the root leaves it as it is). */
function applyOp(doc: Json, path: Path, op: Op): Json {
  const copy = structuredClone(doc);
  if (path.length === 0) {
    if (op.kind === 'set') return op.value;
    if (op.kind === 'add' && typeof copy === 'object' && copy !== null && !Array.isArray(copy)) copy[op.key] = op.value;
    return copy;
  }
  let parent: unknown = copy;
  for (const p of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[p];
  const last = path[path.length - 1] as string | number;
  const box = parent as Record<string | number, Json>;
  if (op.kind === 'drop') {
    if (Array.isArray(box)) box.splice(last as number, 1);
    else delete box[last];
  } else if (op.kind === 'set') box[last] = op.value;
  else {
    const target = box[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) target[op.key] = op.value;
    else box[last] = { [op.key]: op.value };
  }
  return copy;
}

/** `doc` with one to three near-valid changes, each at a path of the (changed) document. */
export function mutationsOf(doc: Json): fc.Arbitrary<Json> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constant<Op>({ kind: 'drop' }),
    edgeValue().map((value): Op => ({ kind: 'set', value })),
    fc.record({ key: plainKey(), value: edgeValue() }).map((r): Op => ({ kind: 'add', ...r })),
  );
  const step = (d: Json): fc.Arbitrary<Json> => {
    const paths = pathsOf(d);
    return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), op).map(([i, o]) => applyOp(d, paths[i] ?? [], o));
  };
  return fc.integer({ min: 1, max: 3 }).chain((n) => {
    let arb = step(doc);
    for (let i = 1; i < n; i++) arb = arb.chain(step);
    return arb;
  });
}

/** `a.b[1].c`, `a.b.1.c` or `a."x.y".c` as its segments. */
export function fieldSegments(field: string): string[] {
  const out: string[] = [];
  for (const m of field.matchAll(/"((?:[^"\\]|\\.)*)"|\[(\d+)\]|([^.[\]"]+)/g)) {
    out.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? m[3] ?? ''));
  }
  return out;
}

/**
 * Why `field` does not name a place in `input`, or undefined when it does: every segment but the last must
 * exist; the last may be missing (a required field left out).
 */
export function fieldProblem(input: unknown, field: string): string | undefined {
  if (field.length === 0) return 'the field is empty';
  const segs = fieldSegments(field);
  let at: unknown = input;
  for (const [i, s] of segs.entries()) {
    const here = typeof at === 'object' && at !== null && Object.prototype.hasOwnProperty.call(at, s);
    if (!here) return i === segs.length - 1 ? undefined : `"${segs.slice(0, i + 1).join('.')}" is not in the input`;
    at = (at as Record<string, unknown>)[s];
  }
  return undefined;
}

/** The parts of a JSON Schema (draft 2020-12, as zod's toJSONSchema writes it) that shape sample values. */
export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
}

/** Names that exist in the test stores (so a sample sometimes reaches past the lookups). */
const KNOWN_NAMES = ['web', 'db', 'h1', 'h2', 'no-such'];

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-9) : -1e6), -1e9);
  const max = Math.min(s.maximum ?? 1e6, 1e9);
  if (!integer) return fc.double({ min, max, noNaN: true });
  const lo = Math.ceil(min);
  const hi = Math.floor(max);
  // Small values (ids of vCPUs, pCPUs, cells) as often as any: they reach past the bounds checks.
  return fc.oneof(fc.integer({ min: lo, max: Math.max(lo, Math.min(hi, Math.max(lo, 0) + 8)) }), fc.integer({ min: lo, max: hi }));
}

function objectArb(s: JsonSchema, depth: number): fc.Arbitrary<Json> {
  if (s.properties) {
    const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, schemaArbitrary(v, depth + 1)]));
    return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) }) as fc.Arbitrary<Json>;
  }
  if (typeof s.additionalProperties === 'object') return fc.dictionary(plainKey(), schemaArbitrary(s.additionalProperties, depth + 1), { maxKeys: 3 });
  return fc.dictionary(plainKey(), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>, { maxKeys: 3 });
}

/** Values that fit a JSON Schema (roughly: formats and cross-field rules are not followed). */
export function schemaArbitrary(s: JsonSchema, depth = 0): fc.Arbitrary<Json> {
  if (depth > 6) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const as Json);
  if (s.enum) return fc.constantFrom(...(s.enum as Json[]));
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => schemaArbitrary(v, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object':
      return objectArb(s, depth);
    case 'array':
      return fc.array(s.items ? schemaArbitrary(s.items, depth + 1) : (fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>), {
        minLength: Math.min(s.minItems ?? 0, 4),
        maxLength: Math.max(Math.min(s.maxItems ?? 4, 4), Math.min(s.minItems ?? 0, 4)),
      });
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'string':
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_NAMES) }, { weight: 1, arbitrary: fc.string({ minLength: s.minLength ?? 0, maxLength: 20 }) });
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  }
}

/** Near-valid values of a schema: fitting ones, and fitting ones with one to three changes. */
export function nearSchemaArbitrary(s: JsonSchema): fc.Arbitrary<Json> {
  const fit = schemaArbitrary(s);
  return fc.oneof(fit, fit.chain(mutationsOf));
}
