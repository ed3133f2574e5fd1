/**
 * Reads one object of a policy's raw args (parsed JSON) and collects every issue, each naming its full
 * field path, so a policy's validate can report all problems of a document at once.
 */
import type { ArgsIssue } from './policy.js';

export type Rec = Record<string, unknown>;

export function isRecord(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A key as a segment of a field path: as it is when plain (letters, digits, `_$@/+-`), else quoted
 * (`labels."app.kubernetes.io/name"`, `""`), so every issue names a field a reader can find.
 */
export function fieldKey(key: string | number): string {
  return typeof key === 'number' || /^[\w$@/+-]+$/u.test(key) ? String(key) : JSON.stringify(key);
}

/** Segments (keys, array indexes) as one field path, `a.b.0.c`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  return segments.map(fieldKey).join('.');
}

/** Collects issues while reading one object; every read names its full field path. */
export class ArgsReader {
  constructor(
    readonly issues: ArgsIssue[],
    readonly obj: Rec,
    private readonly path: string,
  ) {}

  field(key: string): string {
    return this.path ? `${this.path}.${fieldKey(key)}` : fieldKey(key);
  }

  /** Flags keys not in `known` (a typo would otherwise be silently ignored). */
  only(known: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (!known.includes(k)) this.issues.push({ field: this.field(k), message: `unknown field (known: ${known.join(', ')})` });
    }
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  number(key: string, o: { min?: number; max?: number; integer?: boolean; gt?: number }): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    const f = this.field(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.issues.push({ field: f, message: 'must be a finite number' });
      return undefined;
    }
    if (o.integer && !Number.isInteger(v)) this.issues.push({ field: f, message: 'must be an integer' });
    else if (o.gt !== undefined && !(v > o.gt)) this.issues.push({ field: f, message: `must be > ${o.gt}` });
    else if (o.min !== undefined && v < o.min) this.issues.push({ field: f, message: `must be ≥ ${o.min}` });
    else if (o.max !== undefined && v > o.max) this.issues.push({ field: f, message: `must be ≤ ${o.max}` });
    else return v;
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.issues.push({ field: this.field(key), message: 'must be true or false' });
      return undefined;
    }
    return v;
  }

  /** One of `values` (a string enum), or undefined with an issue when it is something else. */
  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (values.includes(v as T)) return v as T;
    this.issues.push({ field: this.field(key), message: `must be one of ${values.join(', ')}` });
    return undefined;
  }

  record(key: string): Rec | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (!isRecord(v)) {
      this.issues.push({ field: this.field(key), message: 'must be an object' });
      return undefined;
    }
    return v;
  }

  sub(key: string): ArgsReader | undefined {
    const r = this.record(key);
    return r ? new ArgsReader(this.issues, r, this.field(key)) : undefined;
  }

  stringRecord(key: string): Record<string, string> | undefined {
    const r = this.record(key);
    if (!r) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'string') this.issues.push({ field: `${this.field(key)}.${fieldKey(k)}`, message: 'must be a string' });
      else out[k] = v;
    }
    return out;
  }
}

/**
 * Opens a policy document for reading: an absent document is an empty one; anything but an object is
 * one issue; unknown top-level keys are issues. The caller reads the rest through `top` (its issues
 * collect in `top.issues`).
 */
export function openDocument(raw: unknown, known: readonly string[]): { ok: true; top: ArgsReader } | { ok: false; issues: ArgsIssue[] } {
  const doc = raw ?? {};
  if (!isRecord(doc)) return { ok: false, issues: [{ field: '', message: 'args must be an object' }] };
  const top = new ArgsReader([], doc, '');
  top.only(known);
  return { ok: true, top };
}
